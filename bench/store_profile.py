"""Where ``storage.batch.store_plan`` spends its time, on the ingest bench's plans.

    .venv/bin/python -m bench.store_profile [--items 10000] [--watches 10000] [--reps 3]
                                            [--statements] [--profile FILE]

The ingest benchmark's feed set and prepared database (``bench.ingest``):
every feed is fetched, parsed, extracted and planned once, then only
``store_plan`` runs, the feeds one after the other in this thread, on a fresh
copy of the database per repetition (its watch index built first, as ``run``
does). Prints ``store_plan``'s CPU time per item (median of ``--reps``), the
items stored and alerts queued. ``--statements``: a last repetition with each
statement's CPU time summed by its text (the time inside ``execute`` and
``executemany`` and the reading of their rows), the costliest first.
``--profile FILE``: a last repetition under cProfile (the costliest functions
printed).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bench.feedsets import ingest_set, serving, watch_terms
from bench.ingest import prepare
from bot.ingest import default_matcher, plan_feed
from feeds.fetch import Fetcher
from feeds.parse import parse_feed
from feeds.types import FeedPlan
from storage.batch import store_plan
from storage.database import ThreadDatabases
from storage.feeds import enabled_feeds


def plans(template: Path, scratch: Path) -> list[FeedPlan]:
    """Every feed of the template fetched, parsed, extracted and planned once."""
    path = scratch / "plans.db"
    shutil.copy(template, path)
    db = ThreadDatabases(path).get()
    fetcher = Fetcher(contact="bench@casewatch.invalid", allow_private=True)
    index = default_matcher().index(db)
    now = datetime.now(UTC)
    planned = []
    for feed in enabled_feeds(db):
        fetched = fetcher.fetch(feed.url, etag=None, last_modified=None)
        parsed = parse_feed(fetched.body, base_url=fetched.url, court_feed=feed.kind == "court", fetched_at=now)
        planned.append(plan_feed(feed, fetched, parsed, {item.key for item in parsed.items}, index, now))
    db.conn.close()
    return planned


class _TimedCursor:
    """A cursor whose row reads count towards its statement."""

    def __init__(self, cursor, add) -> None:
        self._cursor, self._add = cursor, add

    def _timed(self, read):
        started = time.process_time()
        try:
            return read()
        finally:
            self._add(time.process_time() - started)

    def fetchone(self):
        return self._timed(self._cursor.fetchone)

    def fetchall(self):
        return self._timed(self._cursor.fetchall)

    def __iter__(self) -> Iterator:
        return self

    def __next__(self):
        return self._timed(lambda: next(self._cursor))

    def __getattr__(self, name: str):
        return getattr(self._cursor, name)


class _TimedConnection:
    """``db.conn`` with each statement's CPU time summed by its text."""

    def __init__(self, conn, seconds: dict[str, float], calls: dict[str, int]) -> None:
        self._conn, self._seconds, self._calls = conn, seconds, calls

    def _run(self, method, sql: str, *args):
        key = " ".join(sql.split())[:150]
        self._calls[key] += 1

        def add(elapsed: float) -> None:
            self._seconds[key] += elapsed

        started = time.process_time()
        try:
            cursor = method(sql, *args)
        finally:
            add(time.process_time() - started)
        return _TimedCursor(cursor, add)

    def execute(self, sql: str, *args):
        return self._run(self._conn.execute, sql, *args)

    def executemany(self, sql: str, *args):
        return self._run(self._conn.executemany, sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


def store_all(
    template: Path,
    scratch: Path,
    feed_plans: list[FeedPlan],
    rep: int,
    *,
    timed: _TimedConnection | None = None,
    profile: cProfile.Profile | None = None,
) -> tuple[float, int, int]:
    """One repetition: (store_plan's CPU seconds, items stored, alerts queued)."""
    path = scratch / f"rep-{rep}.db"
    shutil.copy(template, path)
    db = ThreadDatabases(path).get()
    index = default_matcher().index(db)
    if timed is not None:
        timed._conn = db.conn
        db.conn = timed  # type: ignore[assignment]
    seconds, stored, alerts = 0.0, 0, 0
    for plan in feed_plans:
        started = time.process_time()
        if profile is not None:
            profile.enable()
        batch = store_plan(db, plan, match=index.match)
        if profile is not None:
            profile.disable()
        seconds += time.process_time() - started
        stored += batch.new_items
        alerts += batch.alerts
    db.conn.close()
    path.unlink()
    return seconds, stored, alerts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--statements", action="store_true", help="sum each statement's CPU time")
    parser.add_argument("--profile", type=Path, help="write a cProfile of one more repetition here")
    args = parser.parse_args()
    feeds = ingest_set(args.seed, items=args.items)
    terms = watch_terms(args.seed, feeds, args.watches)
    with tempfile.TemporaryDirectory() as scratch_dir, serving(feeds) as hosts:
        scratch = Path(scratch_dir)
        template = scratch / "template.db"
        prepare(template, feeds, hosts.urls, terms)
        feed_plans = plans(template, scratch)
        figures = []
        for rep in range(args.reps):
            seconds, stored, alerts = store_all(template, scratch, feed_plans, rep)
            figures.append(seconds * 1000 / stored)
            print(f"rep {rep + 1}: store_plan {figures[-1]:.3f} ms/item CPU; {stored:,} items, {alerts:,} alerts")
        print(f"store_plan: median {statistics.median(figures):.3f} ms/item CPU, min {min(figures):.3f}")
        if args.statements:
            seconds: dict[str, float] = defaultdict(float)
            calls: dict[str, int] = defaultdict(int)
            total, stored, _ = store_all(
                template, scratch, feed_plans, args.reps, timed=_TimedConnection(None, seconds, calls)
            )
            inside = sum(seconds.values())
            print(f"statements: {inside * 1000:,.0f} ms of {total * 1000:,.0f} ms (with the timing's own cost)")
            for key, spent in sorted(seconds.items(), key=lambda entry: -entry[1])[:30]:
                print(f"{spent * 1e6 / stored:8.1f} us/item {calls[key]:7,} calls  {key}")
        if args.profile:
            profile = cProfile.Profile()
            store_all(template, scratch, feed_plans, args.reps + 1, profile=profile)
            profile.dump_stats(args.profile)
            pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
