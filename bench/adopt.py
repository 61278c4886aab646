"""Benchmark: what news stories waiting for their case add to ingest.

    .venv/bin/python -m bench.adopt [--items 10000] [--watches 10000] [--stories 2000] [--runs 3]

``bench.ingest``'s run (the same feed set, watches and pipeline), on two
copies of one prepared database in each repetition, one after the other:
without waiting stories (the floor: what ingest costs when no story waits),
and with ``--stories`` news stories stored before, joined to no case (half
name a defendant of the feed set's cases, dated up to 40 days before the
feed set's last day, so that most join the case ingest opens for them and
some are too old; half name no one). Prints ``store_plan``'s CPU time per
item for both (medians), the difference (the cost per item of finding and
adopting waiting stories; target ≤ 0.02 ms) and how many stories joined a
case.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlite_utils import Database

from bench.feedsets import BASE_DAY, Case, Feed, ingest_set, serving, watch_terms
from bench.ingest import StoreMeter, ingest, prepare
from bench.parties import unrelated_name
from feeds.extract import extract
from feeds.types import FeedItem, FeedPlan, HealthPlan, PlannedItem
from feeds.vocabulary import FeedKind
from storage.batch import store_plan
from storage.database import open_database
from storage.feeds import add_feed

TARGET_MS = 0.02
VERBS = ("sues", "charges", "fines")


def stories(rng: random.Random, cases: list[Case], count: int) -> list[FeedItem]:
    """``count`` news-search entries: half about a case's first defendant, half about no party of the set."""
    made = []
    for number in range(count):
        if number % 2 == 0:
            case = rng.choice(cases)
            title = f"{case.agency} {rng.choice(VERBS)} {case.defendants[0]} over fraud - Reuters"
        else:
            title = f"SEC {rng.choice(VERBS)} {unrelated_name(rng)} over fraud - Reuters"
        published = (BASE_DAY - timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 1440))).isoformat()
        made.append(FeedItem(f"story-{number}", None, None, title, "", None, published))
    return made


def add_waiting_stories(path: Path, items: list[FeedItem]) -> None:
    """Store ``items`` from a news feed (not polled by the runs), as polling stores them: none opens a case."""
    db = open_database(path)
    feed = add_feed(
        db,
        name="News search (waiting stories)",
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
    store_plan(db, FeedPlan(feed.id, tuple(read), False, None, health), match=lambda **_: [])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def adopted(path: Path) -> tuple[int, int]:
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
    parser.add_argument("--stories", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    feeds: list[Feed] = ingest_set(args.seed, items=args.items)
    terms = watch_terms(args.seed, feeds, args.watches)
    cases: list[Case] = feeds[0].extra["cases"]  # type: ignore[assignment]
    waiting_items = stories(random.Random(args.seed), cases, args.stories)
    with tempfile.TemporaryDirectory() as scratch, serving(feeds) as hosts:
        plain = Path(scratch) / "plain.db"
        prepare(plain, feeds, hosts.urls, terms)
        with_stories = Path(scratch) / "stories.db"
        shutil.copy(plain, with_stories)
        add_waiting_stories(with_stories, waiting_items)
        floor_ms, figure_ms, joined = [], [], (0, 0)
        for run in range(args.runs):
            for template, figures in ((plain, floor_ms), (with_stories, figure_ms)):
                meter = StoreMeter()
                number = 2 * run + (template == with_stories)
                _, stored, _ = ingest(template, Path(scratch), number, args.workers, None, meter)
                figures.append(meter.seconds * 1000 / max(stored, 1))
            joined = adopted(Path(scratch) / f"run-{2 * run + 1}.db")
            print(
                f"run {run + 1}: store_plan {floor_ms[-1]:.3f} ms/item with no story waiting, "
                f"{figure_ms[-1]:.3f} with {args.stories:,} waiting; {joined[0]:,} joined a case, {joined[1]:,} still wait"
            )
    floor, figure = statistics.median(floor_ms), statistics.median(figure_ms)
    added = figure - floor
    print(f"{len(feeds)} feeds, {args.items:,} items, {len(terms):,} watches, {args.stories:,} waiting stories")
    print(f"floor (store_plan, no story waiting): {floor:.3f} ms/item (median of {args.runs})")
    print(f"with waiting stories: {figure:.3f} ms/item; ratio {figure / floor:.3f}x")
    print(f"added: {added:.4f} ms/item, target <= {TARGET_MS} ms: {'PASS' if added <= TARGET_MS else 'FAIL'}")


if __name__ == "__main__":
    main()
