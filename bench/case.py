"""Benchmark: /case lookups on a database of generated cases.

    .venv/bin/python -m bench.case [--items 100000] [--db PATH]

Fills a fresh SQLite file through the real store path (extraction, case
grouping, full-text rows) with items of about ten per case, then answers a mix
of /case queries (party names, dockets in several forms, words, misses) the
way the Slack handler does, and prints the ingest rate and the latency
percentiles of the lookups.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.match import company
from feeds.catalog import FeedSpec
from feeds.extract import extract
from feeds.parse import FeedItem
from handlers.case_answer import slack_answer
from storage.database import open_database
from storage.feeds import sync_catalog
from storage.items import store_items
from storage.search import search_cases

ACTIONS = ["files charges against", "settles with", "obtains final judgment against", "wins ruling against"]


def generate(rng: random.Random, count: int) -> tuple[list[FeedItem], list[str], list[str]]:
    cases = [
        (company(rng), f"1:{rng.randint(10, 25)}-cv-{rng.randint(1, 99999):05d}") for _ in range(max(1, count // 10))
    ]
    items = []
    for number in range(count):
        defendant, docket = rng.choice(cases)
        day = f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        title = f"SEC {rng.choice(ACTIONS)} {defendant} Inc."
        summary = (
            f"Securities and Exchange Commission v. {defendant} Inc., Civil Action No. {docket} (S.D.N.Y.). "
            f"The complaint alleges the company misled investors and must pay ${rng.randint(1, 900)} million."
        )
        items.append(
            FeedItem(
                f"b{number}",
                f"b{number}",
                f"https://www.sec.gov/x/{number}",
                title,
                summary,
                None,
                f"{day}T12:00:00+00:00",
            )
        )
    names = [name for name, _ in cases]
    dockets = [docket for _, docket in cases]
    return items, names, dockets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(20261124)
    path = args.db or Path(tempfile.mkdtemp()) / "bench-case.db"
    db = open_database(path)
    sync_catalog(db, [FeedSpec("SEC (bench)", "https://www.sec.gov/bench", "SEC", "regulator", 10)])
    items, names, dockets = generate(rng, args.items)

    started = time.perf_counter()
    for start in range(0, len(items), 1000):
        batch = items[start : start + 1000]
        entries = [
            (
                item,
                extract(
                    title=item.title,
                    summary=item.summary,
                    author=None,
                    feed_agency="SEC",
                    feed_kind="regulator",
                    feed_url="",
                ),
            )
            for item in batch
        ]
        store_items(db, 1, entries)
    ingest = time.perf_counter() - started

    queries = []
    for _ in range(args.queries):
        kind = rng.random()
        name = rng.choice(names)
        if kind < 0.5:
            queries.append(name.split()[0].lower())
        elif kind < 0.7:
            queries.append(rng.choice(dockets).split(":")[1])
        elif kind < 0.85:
            queries.append(f"{name} Inc")
        else:
            queries.append(f"zz{rng.randint(0, 9999)}qq")
    timings, answered = [], 0
    for query in queries:
        started = time.perf_counter()
        result = search_cases(db, query)
        slack_answer(result)
        timings.append((time.perf_counter() - started) * 1000)
        answered += bool(result.cases)
    timings.sort()
    cases = db.execute("SELECT count(*) FROM cases").fetchone()[0]
    print(f"items: {args.items:,}; cases: {cases:,}; database: {path.stat().st_size / 1e6:.0f} MB")
    print(f"ingest through store_items: {ingest:.1f} s ({args.items / ingest:,.0f} items/s)")
    print(
        f"/case over {len(queries)} queries: p50 {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.1f} ms, max {timings[-1]:.1f} ms; {answered} found cases"
    )


if __name__ == "__main__":
    main()
