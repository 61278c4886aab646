"""Benchmark: one polling round of 500 feeds, 90 % of them answering 304.

    .venv/bin/python -m bench.poll [--feeds 500] [--runs 5]

A child process serves a deterministic feed set (``bench.feedsets``: small
press-release feeds on eight ports, i.e. eight hosts to the poller). Each run
copies a database where every feed was polled once (so each has its ETag),
makes a tenth of the feeds change (one new release each), and times a round
of ``poll_feeds`` as ``run`` does it: the conditional GET of every feed, the
new items of the changed ones stored, every feed's health recorded. Then a
second round where every feed answers 304 gives the CPU time (this process
only, the servers run in the child) per 304.

Targets (issue 9): a round ≤ 2 s; ≤ 1 ms of CPU per 304.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from bench.feedsets import polling_set, serving
from bot.ingest import default_matcher, poll_feeds
from feeds.catalog import FeedSpec
from feeds.fetch import Fetcher
from storage.database import ThreadDatabases
from storage.feeds import enabled_feeds, sync_catalog

ROUND_TARGET = 2.0
CPU_TARGET_MS = 1.0


def conditional_get(url: str, etag: str) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path, headers={"If-None-Match": etag})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def floor(urls: list[str], etag: str) -> tuple[float, float]:
    """Bare conditional GETs (http.client, 4 threads, every one a 304): (seconds, CPU ms per request)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda url: conditional_get(url, etag), urls))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if set(statuses) != {304}:
        raise SystemExit(f"floor: expected only 304, got {sorted(set(statuses))}")
    return elapsed, cpu * 1000 / len(urls)


def prepare(path: Path, feeds: list, urls: dict[str, str], fetcher: Fetcher) -> None:
    """Every feed known and polled once (its items stored, its ETag kept)."""
    databases = ThreadDatabases(path)
    db = databases.get()
    sync_catalog(db, [FeedSpec(feed.name, urls[feed.path], feed.agency, feed.kind, 10) for feed in feeds])
    outcomes = poll_feeds(databases, fetcher, enabled_feeds(db), default_matcher())
    failed = [outcome.summary() for outcome in outcomes if outcome.status == "error"]
    if failed:
        raise SystemExit(f"feeds failed while preparing: {failed[:3]}")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copies are of the main file alone
    db.conn.close()


def one_run(template: Path, path: Path, fetcher: Fetcher, hosts, generation: int) -> tuple[float, int, int, float]:
    """(round seconds, 304s in it, changed feeds, CPU ms per 304 in an all-304 round)."""
    shutil.copy(template, path)
    databases = ThreadDatabases(path)
    feeds = enabled_feeds(databases.get())
    matcher = default_matcher()
    matcher.index(databases.get())  # built once at start in `run`, not per round
    hosts.set_generation(generation)
    started = time.perf_counter()
    outcomes = poll_feeds(databases, fetcher, feeds, matcher)
    elapsed = time.perf_counter() - started
    unchanged = sum(outcome.status == "unchanged" for outcome in outcomes)
    changed = sum(outcome.status == "new" for outcome in outcomes)
    feeds = enabled_feeds(databases.get())
    cpu_started = time.process_time()
    outcomes = poll_feeds(databases, fetcher, feeds, matcher)
    cpu = time.process_time() - cpu_started
    if any(outcome.status != "unchanged" for outcome in outcomes):
        raise SystemExit("the all-304 round saw changes")
    return elapsed, unchanged, changed, cpu * 1000 / len(outcomes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    feeds = polling_set(args.seed, feeds=args.feeds)
    fetcher = Fetcher(contact="bench@casewatch.invalid", allow_private=True)
    rounds, cpus, floors = [], [], []
    with tempfile.TemporaryDirectory() as scratch, serving(feeds) as hosts:
        template = Path(scratch) / "template.db"
        prepare(template, feeds, hosts.urls, fetcher)
        steady = [hosts.urls[feed.path] for feed in feeds if not feed.changing]
        for run in range(args.runs):
            floors.append(floor(steady, '"0"'))
            elapsed, unchanged, changed, cpu = one_run(
                template, Path(scratch) / f"run-{run}.db", fetcher, hosts, run + 1
            )
            rounds.append(elapsed)
            cpus.append(cpu)
            print(
                f"run {run + 1}: round {elapsed:.2f} s ({unchanged} answered 304, {changed} changed); "
                f"all-304 round: {cpu:.2f} ms CPU per 304; floor {floors[-1][1]:.2f} ms CPU per bare 304"
            )
    round_s, cpu_ms = statistics.median(rounds), statistics.median(cpus)
    floor_s = statistics.median(seconds for seconds, _ in floors)
    floor_ms = statistics.median(ms for _, ms in floors)
    print(f"{len(feeds)} feeds on {len(hosts.ports)} hosts, 4 poll workers; medians of {args.runs} runs")
    print(
        f"floor (bare http.client conditional GETs, 4 threads): {floor_s:.2f} s for {len(steady)} 304s, "
        f"{floor_ms:.2f} ms CPU each; Casewatch/floor CPU per 304: {cpu_ms / floor_ms:.1f}x"
    )
    print(f"round: {round_s:.2f} s (target <= {ROUND_TARGET} s): {'PASS' if round_s <= ROUND_TARGET else 'FAIL'}")
    print(
        f"CPU per 304: {cpu_ms:.2f} ms (target <= {CPU_TARGET_MS} ms): {'PASS' if cpu_ms <= CPU_TARGET_MS else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
