"""The search of a warm ``/case`` on two databases in one process, alternating
per query: for a change of schema (an index) with the same code.

    .venv/bin/python -m bench.case_search_pair --db MIGRATED_COPY --against OLD_COPY [--requests 2000]

``--db`` is opened as the server opens it (migrated); ``--against`` is opened
as it is, without migrating (e.g. a copy of the 1M database before a new
migration). Each has its own connection, prepared and warmed as the server
does it; then bench.case's seeded query mix, after its warm-up, is searched on
both (``search_cases``: no kept answers), which one goes first alternating, and
the CPU time of each search is printed as p50/p95/p99/mean for both, with the
ratio. Use copies of the database: migrating writes to it.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

from bench.case import WARM_UP, percentile, query_mix
from bench.case_profile import describe
from storage import search
from storage.database import CACHE_KIB, open_database


def _as_it_is(path: Path) -> Database:
    db = Database(sqlite3.connect(str(path), isolation_level=None))
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return db


def _timed(db: Database, query: str) -> float:
    started = time.thread_time()
    search.search_cases(db, query)
    return (time.thread_time() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a copy of the database, migrated when opened")
    parser.add_argument("--against", type=Path, required=True, help="a copy opened without migrating")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    queries = query_mix(args.against, WARM_UP + args.requests, args.seed)
    new, old = open_database(args.db), _as_it_is(args.against)
    for db in (new, old):
        search.prepare_search(db)
        search.warm_search(db)
        for query in queries[:WARM_UP]:
            search.search_cases(db, query)
    timings: dict[str, list[float]] = {"against": [], "db": []}
    for number, query in enumerate(queries[WARM_UP:]):
        pair = [("against", old), ("db", new)]
        for label, db in pair if number % 2 else pair[::-1]:
            timings[label].append(_timed(db, query))
    print(f"search_cases alone, CPU per query, {args.requests} queries, alternating in one process")
    print("  " + describe(f"{args.against.name}", timings["against"]))
    print("  " + describe(f"{args.db.name}", timings["db"]))
    for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        before, after = percentile(timings["against"], share), percentile(timings["db"], share)
        print(f"  {name}: {before:.2f} -> {after:.2f} ms ({after / before:.2f}x)")


if __name__ == "__main__":
    main()
