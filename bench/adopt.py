"""Benchmark: what news stories waiting for their case add to ingest.

    .venv/bin/python -m bench.adopt [--items 10000] [--watches 10000] [--stories 1000] [--runs 3]

``bench.ingest``'s run (the same feed set, watches and pipeline) on three
copies of one prepared database in each repetition: with no story waiting
(the floor), with ``--stories`` stories waiting that name no party of the
set (what looking for waiting stories costs every item), and with
``--stories`` stories waiting that name a case's first defendant, dated up to
40 days before the set's last day (most join the case ingest opens for them,
some are too old). Then the same naming stories are stored once more, on the
first copy, after its ingest: arriving after their cases, as the rule for
news always assumed. Prints ``store_plan``'s CPU time per item for the three
(medians), the cost added per item by stories that wait in vain (target
≤ 0.02 ms; their names are made-up words that no party of the set shares), and the cost of a story joining its case late against the cost
of the same story arriving after its case.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database

import storage.batch
from bench.feedsets import BASE_DAY, Case, Feed, ingest_set, serving, watch_terms
from bench.ingest import StoreMeter, ingest, prepare
from feeds.extract import extract
from feeds.types import FeedItem, FeedPlan, HealthPlan, PlannedItem
from feeds.vocabulary import FeedKind
from storage.batch import store_plan
from storage.database import open_database
from storage.feeds import add_feed

TARGET_MS = 0.02  # ms an item
VERBS = ("sues", "charges", "fines")
SYLLABLES = tuple(consonant + vowel for consonant in "bdgkmpqtvxz" for vowel in "aeiouy")


@dataclass
class HookMeter:
    """CPU time spent in ``storage.adopt.adopt_waiting_news`` (its thread's), as ``store_plan`` calls it."""

    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def installed(self) -> Iterator[None]:
        hook = storage.batch.adopt_waiting_news

        def measured(db: Database, plan: FeedPlan) -> int:
            started = time.thread_time()
            try:
                return hook(db, plan)
            finally:
                with self._lock:
                    self.seconds += time.thread_time() - started

        storage.batch.adopt_waiting_news = measured
        try:
            yield
        finally:
            storage.batch.adopt_waiting_news = hook


def made_up_name(rng: random.Random) -> str:
    """A company name of made-up words ("Tazupo Kemiravo Inc."), which no party of the set shares a word with."""
    words = ("".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize() for _ in range(2))
    return f"{' '.join(words)} Inc."


def stories(rng: random.Random, cases: list[Case], count: int, *, naming: bool) -> list[FeedItem]:
    """``count`` news-search entries about a case's first defendant (``naming``), or about no party of the set."""
    made = []
    for number in range(count):
        if naming:
            case = rng.choice(cases)
            title = f"{case.agency} {rng.choice(VERBS)} {case.defendants[0]} over fraud - Reuters"
        else:
            title = f"SEC {rng.choice(VERBS)} {made_up_name(rng)} over fraud - Reuters"
        published = (BASE_DAY - timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 1440))).isoformat()
        made.append(FeedItem(f"story-{number}", None, None, title, "", None, published))
    return made


def store_stories(path: Path, items: list[FeedItem]) -> float:
    """Store ``items`` from a news feed (not polled by the runs), as polling
    stores them: they join the cases that exist, the others wait. Returns the
    CPU seconds of ``store_plan``."""
    db = open_database(path)
    feed = add_feed(
        db,
        name="News search (stories)",
        url="https://news.example.invalid/rss",
        agency="News",
        kind=FeedKind.NEWS,
        interval_minutes=30,
        actor="bench",
        team_id="T0001",
    )
    db.execute("UPDATE feeds SET paused = 1 WHERE id = ?", [feed.id])
    read = [
        PlannedItem(
            item, extract(title=item.title, summary="", author=None, feed_agency="News", feed_kind="news", feed_url="")
        )
        for item in items
    ]
    health = HealthPlan(next_poll_at=BASE_DAY.isoformat(), retry_at=BASE_DAY.isoformat())
    started = time.thread_time()
    store_plan(db, FeedPlan(feed.id, tuple(read), False, None, health), match=lambda **_: [])
    elapsed = time.thread_time() - started
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return elapsed


def in_case(path: Path) -> tuple[int, int]:
    """(stories in a case, stories still waiting) after a run."""
    db = Database(path)
    joined = db.execute(
        "SELECT count(*) FROM items JOIN feeds ON feeds.id = items.feed_id "
        "WHERE feeds.kind = 'news' AND items.case_id IS NOT NULL"
    ).fetchone()[0]
    (waiting,) = db.execute("SELECT count(*) FROM news_waiting").fetchone()
    db.conn.close()
    return joined, waiting


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--stories", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    feeds: list[Feed] = ingest_set(args.seed, items=args.items)
    terms = watch_terms(args.seed, feeds, args.watches)
    cases: list[Case] = feeds[0].extra["cases"]  # type: ignore[assignment]
    in_vain = stories(random.Random(args.seed), cases, args.stories, naming=False)
    naming = stories(random.Random(args.seed + 1), cases, args.stories, naming=True)
    figures: dict[str, list[float]] = {"none": [], "in vain": [], "naming": []}
    hook_ms: dict[str, list[float]] = {name: [] for name in figures}
    late_ms, arrival_ms = [], []
    with tempfile.TemporaryDirectory() as scratch, serving(feeds) as hosts:
        templates = {name: Path(scratch) / f"{name.replace(' ', '-')}.db" for name in figures}
        prepare(templates["none"], feeds, hosts.urls, terms)
        for name, waiting in (("in vain", in_vain), ("naming", naming)):
            shutil.copy(templates["none"], templates[name])
            store_stories(templates[name], waiting)
        for run in range(args.runs):
            seconds: dict[str, float] = {}
            for number, name in enumerate(figures):
                meter, hook = StoreMeter(), HookMeter()
                with hook.installed():
                    _, stored, _ = ingest(templates[name], Path(scratch), 3 * run + number, args.workers, None, meter)
                figures[name].append(meter.seconds * 1000 / max(stored, 1))
                hook_ms[name].append(hook.seconds * 1000 / max(stored, 1))
                seconds[name] = meter.seconds
            late, _ = in_case(Path(scratch) / f"run-{3 * run + 2}.db")
            after_ingest = Path(scratch) / f"run-{3 * run}.db"
            arrival_seconds = store_stories(after_ingest, naming)
            on_arrival, _ = in_case(after_ingest)
            late_ms.append((seconds["naming"] - seconds["none"]) * 1000 / max(late, 1))
            arrival_ms.append(arrival_seconds * 1000 / len(naming))
            print(
                f"run {run + 1}: the hook (adopt_waiting_news) ms/item: "
                + ", ".join(f"{hook_ms[name][-1]:.4f} {name}" for name in figures)
            )
            print(
                f"run {run + 1}: store_plan ms/item: {figures['none'][-1]:.3f} with no story waiting, "
                f"{figures['in vain'][-1]:.3f} with {len(in_vain):,} waiting in vain, {figures['naming'][-1]:.3f} with "
                f"{len(naming):,} naming cases ({late:,} joined late; {on_arrival:,} join when stored after ingest); "
                f"{late_ms[-1]:.2f} ms a late join, {arrival_ms[-1]:.2f} ms a story stored after its case"
            )
    floor = statistics.median(figures["none"])
    in_vain_ms = statistics.median(figures["in vain"])
    added = in_vain_ms - floor
    print(f"{len(feeds)} feeds, {args.items:,} items, {len(terms):,} watches; medians of {args.runs} runs")
    print(f"floor (store_plan, no story waiting): {floor:.3f} ms/item")
    print(f"with {len(in_vain):,} stories waiting in vain: {in_vain_ms:.3f} ms/item, ratio {in_vain_ms / floor:.3f}x")
    print(f"added (difference of the medians, noisy): {added:.4f} ms/item")
    in_vain_hook = statistics.median(hook_ms["in vain"])
    print(
        f"the hook itself (CPU inside adopt_waiting_news): {statistics.median(hook_ms['none']):.4f} ms/item with no "
        f"story waiting, {in_vain_hook:.4f} with stories waiting in vain, target <= {TARGET_MS} ms: "
        f"{'PASS' if in_vain_hook <= TARGET_MS else 'FAIL'}; {statistics.median(hook_ms['naming']):.4f} with stories "
        "that join late (their joining included)"
    )
    late, arrival = statistics.median(late_ms), statistics.median(arrival_ms)
    print(
        f"a story joining its case late: {late:.2f} ms (store_plan's added time / stories joined); "
        f"the same story stored after its case: {arrival:.2f} ms; ratio {late / arrival:.2f}x"
    )


if __name__ == "__main__":
    main()
