"""Benchmark: ingest 10,000 SEC/PACER-shaped items with 10,000 watches.

    .venv/bin/python -m bench.ingest [--items 10000] [--watches 10000] [--runs 3] [--workers 4] [--profile FILE]
                                     [--read-workers N]

A child process serves a deterministic feed set (``bench.feedsets``: CM/ECF
entries, SEC litigation and press releases, 250 items a feed, four hosts).
Each run copies a prepared database (the feeds, already polled once so that
every new item may alert, and the watches, some naming the items' parties and
dockets) and polls every feed through the real pipeline: fetch, parse,
extract, store, group into cases and events, match, enqueue alerts.

Floor, in the same run: ``feedparser.parse`` alone (default options) on the
same bytes. Prints both in items/s, the ratio and the target (≥ 0.8×).

The watch index is built before the clock starts, as ``run`` builds it at
start (``bot.server``), before its first poll, and the garbage collector is
then set as ``run`` sets it (``bot.collector``); the index's build time is printed, and
the figure and ratio with that build inside the clock too (as ``poll
--once`` pays it, and as this bench counted before the tenth round).

Also printed, per item: the time spent inside ``storage.batch.store_plan``
(store, group into cases and events, match, enqueue, the feed's health;
the CPU time of the thread that runs it) and
the SQL statements it executed (counted with SQLite's trace callback in the
first run only, which that callback slows a little). ``--read-workers N``
(by default as many as ``run`` starts here, ``bot.config.default_read_workers``; 0: none):
the feeds are parsed and extracted in N worker processes
(``CASEWATCH_READ_WORKERS``, :mod:`bot.read_workers`), started and warmed
before the clock; their resident memory is printed. ``--profile FILE``
polls the feeds one after the other in this thread, so that cProfile sees
the whole pipeline.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import feedparser
from sqlite_utils import Database

import bot.ingest
from bench.feedsets import Feed, ingest_set, serving, watch_terms
from bench.memory import resident_kb
from bot.collector import settle_after_start
from bot.config import default_read_workers
from bot.ingest import default_matcher, poll_feed, poll_feeds
from bot.read_workers import ReadWorkers
from feeds.catalog import FeedSpec
from feeds.fetch import Fetcher
from feeds.types import FeedPlan, StoredBatch
from handlers.watch_request import parse_watch
from storage.batch import MatchFunction
from storage.database import ThreadDatabases, open_database, write_transaction
from storage.engine import SQLITE, engine_of
from storage.feeds import enabled_feeds, record_success, sync_catalog
from storage.watches import MAX_WATCHES_PER_CHANNEL, WatchSpec, add_watch

TARGET = 0.8
StorePlan = Callable[..., StoredBatch]


def prepare(database: str | Path, feeds: list[Feed], urls: dict[str, str], terms: list[str]) -> None:
    """The database every run starts from (a SQLite path or any engine's URL): feeds polled once before, and the watches."""
    db = open_database(database)
    try:
        sync_catalog(db, [FeedSpec(f.name, urls[f.path], f.agency, f.kind, 10) for f in feeds])
        for feed in enabled_feeds(db):
            record_success(
                db, feed.id, etag=None, last_modified=None, new_items=0, next_poll_at="2000-01-01T00:00:00+00:00"
            )
        with write_transaction(db):
            for number, term in enumerate(terms):
                spec = parse_watch(term)
                assert isinstance(spec, WatchSpec)
                channel = f"C{number // (MAX_WATCHES_PER_CHANNEL // 2):05d}"
                add_watch(db, team_id="T0001", channel_id=channel, user_id="U0001", spec=spec)
        if engine_of(db) == SQLITE:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copies are of the main file alone
    finally:
        db.close()


@dataclass
class StoreMeter:
    """CPU time spent in ``store_plan`` (its thread's) and the SQL statements it ran, over one run."""

    count_statements: bool = False
    seconds: float = 0.0
    statements: int = 0
    _last: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _count(self, sql: str) -> None:
        """Count a statement Casewatch runs: not SQLite's own (FTS5's, traced as ``-- …``),
        nor the repeat of a statement's text traced when one of its triggers starts."""
        if not sql.startswith("--") and sql != self._last:
            self.statements += 1  # store_plan runs one feed at a time (bot.ingest._PROCESSING)
        self._last = sql

    def wrap(self, store_plan: StorePlan) -> StorePlan:
        def measured(
            db: Database, plan: FeedPlan, *, match: MatchFunction, watch_version: int | None = None
        ) -> StoredBatch:
            if self.count_statements:
                db.conn.set_trace_callback(self._count)
            started = time.thread_time()  # this thread's CPU: not the other workers' turns
            try:
                return store_plan(db, plan, match=match, watch_version=watch_version)
            finally:
                elapsed = time.thread_time() - started
                db.conn.set_trace_callback(None)
                with self._lock:
                    self.seconds += elapsed

        return measured


def floor(feeds: list[Feed]) -> float:
    """feedparser alone on the same bytes: items per second."""
    started = time.perf_counter()
    items = sum(len(feedparser.parse(feed.body).entries) for feed in feeds)
    return items / (time.perf_counter() - started)


@dataclass(frozen=True)
class Run:
    seconds: float
    index_seconds: float  # building the watch index, before the clock
    stored: int
    alerts: int

    @property
    def rate(self) -> float:
        return self.stored / self.seconds

    @property
    def rate_with_index(self) -> float:
        return self.stored / (self.seconds + self.index_seconds)


def ingest(
    template: Path,
    scratch: Path,
    run: int,
    workers: int,
    profile: cProfile.Profile | None,
    meter: StoreMeter,
    readers: ReadWorkers | None = None,
) -> Run:
    """One run on a fresh copy of the template, its watch index built first
    (as ``run`` does at start). With ``profile``, the feeds are polled one
    after the other in this thread."""
    path = scratch / f"run-{run}.db"
    shutil.copy(template, path)
    databases = ThreadDatabases(path)
    fetcher = Fetcher(contact="bench@casewatch.invalid", allow_private=True)
    polled = enabled_feeds(databases.get())
    matcher = default_matcher()
    started = time.perf_counter()
    matcher.index(databases.get())
    index_seconds = time.perf_counter() - started
    thresholds = gc.get_threshold()
    settle_after_start()  # as run does once started (bot.server)
    store_plan = bot.ingest.store_plan
    bot.ingest.store_plan = meter.wrap(store_plan)
    try:
        started = time.perf_counter()
        if profile:
            profile.enable()
            outcomes = [poll_feed(databases.get(), fetcher, feed, matcher, readers=readers) for feed in polled]
            profile.disable()
        else:
            outcomes = poll_feeds(databases, fetcher, polled, matcher, workers=workers, readers=readers)
        elapsed = time.perf_counter() - started
    finally:
        bot.ingest.store_plan = store_plan
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    errors = [outcome.summary() for outcome in outcomes if outcome.status == "error"]
    if errors:
        raise SystemExit(f"feeds failed: {errors[:3]}")
    stored = sum(outcome.new_items for outcome in outcomes)
    return Run(elapsed, index_seconds, stored, sum(outcome.alerts for outcome in outcomes))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--workers", type=int, default=4, help="poll workers, as in `run` (default 4)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the ingest runs here")
    parser.add_argument(
        "--read-workers",
        type=int,
        default=default_read_workers(),
        help=f"parse and extract in N worker processes (default {default_read_workers()}, as run here; 0: in this one)",
    )
    args = parser.parse_args()
    feeds = ingest_set(args.seed, items=args.items)
    terms = watch_terms(args.seed, feeds, args.watches)
    profile = cProfile.Profile() if args.profile else None
    readers = ReadWorkers(args.read_workers) if args.read_workers else None
    if readers:
        readers.warm()
    with tempfile.TemporaryDirectory() as scratch, serving(feeds) as hosts:
        template = Path(scratch) / "template.db"
        prepare(template, feeds, hosts.urls, terms)
        floors, runs, store_ms = [], [], []
        statements_per_item = 0.0
        for run in range(args.runs):
            floors.append(floor(feeds))
            meter = StoreMeter(count_statements=run == 0)
            done = ingest(template, Path(scratch), run, args.workers, profile, meter, readers)
            runs.append(done)
            store_ms.append(meter.seconds * 1000 / max(done.stored, 1))
            if run == 0:
                statements_per_item = meter.statements / max(done.stored, 1)
            print(
                f"run {run + 1}: feedparser {floors[-1]:,.0f} items/s; Casewatch {done.rate:,.0f} items/s "
                f"({done.stored:,} items stored, {done.alerts:,} alerts queued); store+match {store_ms[-1]:.3f} "
                f"ms/item; watch index built in {done.index_seconds * 1000:,.0f} ms before the clock"
            )
    if profile:
        profile.dump_stats(args.profile)
    best_floor, figure = statistics.median(floors), statistics.median(run.rate for run in runs)
    ratio = figure / best_floor
    with_index = statistics.median(run.rate_with_index for run in runs)
    print(f"{len(feeds)} feeds, {args.items:,} items, {len(terms):,} watches; medians of {args.runs} runs")
    print(f"floor (feedparser.parse alone, same bytes): {best_floor:,.0f} items/s")
    print(f"Casewatch (fetch, parse, extract, store, group, match, enqueue): {figure:,.0f} items/s")
    print(
        f"the watch index's build (before the clock, as run does at start): "
        f"{statistics.median(run.index_seconds for run in runs) * 1000:,.0f} ms; counted in the clock: "
        f"{with_index:,.0f} items/s, ratio {with_index / best_floor:.2f}x"
    )
    print(
        f"of which store_plan (store, group, match, enqueue, health): {statistics.median(store_ms):.3f} ms/item, "
        f"{statements_per_item:.1f} SQL statements/item (run 1)"
    )
    if readers:
        resident = [resident_kb(pid)["VmRSS"] / 1024 for pid in readers.pids()]
        readers.close()
        print(
            f"read workers: {len(resident)}, resident {', '.join(f'{mb:.1f}' for mb in resident)} MB "
            f"(this process: {resident_kb(os.getpid())['VmRSS'] / 1024:.1f} MB)"
        )
    print(f"ratio {ratio:.2f}x, target >= {TARGET}x: {'PASS' if ratio >= TARGET else 'FAIL'}")


if __name__ == "__main__":
    main()
