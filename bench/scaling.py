"""Benchmark: Casewatch on one machine (SQLite) and on PostgreSQL with several ``run`` processes.

    .venv/bin/python -m bench.scaling [--pg URL] alerts [--alerts 6000] [--channels 20] [--paced-alerts 200]
    .venv/bin/python -m bench.scaling case --sqlite COPY.db --pg-db URL [--requests 1200] [--clients 4] [--cache N]
    .venv/bin/python -m bench.scaling [--pg URL] ingest [--items 10000] [--watches 10000] [--runs 3]

``--pg``: a PostgreSQL server URL whose user may create databases (without a
database name); without it a throwaway cluster is started (``tests.pg``:
fsync off, as in the tests) and stopped at the end. Run by hand; these are
not tests. Every figure comes with what it is measured against in the same run.

``alerts``: alerts delivered per second by 1 and by 3 ``run`` processes on one
PostgreSQL database, and by 1 on SQLite. Each setup gets a fresh database with
one watch in each of ``--channels`` channels and a feed whose items every watch
matches. The processes start (the poller polls the feed, still empty), then
``poll --once`` stores the items and queues every alert in one go, and the
processes post them to the Slack Web API stand-in on 127.0.0.1
(``tests.conftest.SlackApi``). The rate is counted from the first post to the
last. With ``CASEWATCH_POST_INTERVAL_SECONDS=0`` this is the store's limit
(claiming, recording, pacing bookkeeping); with the default 1 s it is Slack's
per-channel limit, about ``channels`` alerts a second, whatever the number of
processes. Floor: one thread posting the same number of messages to the same
stand-in with slack_sdk and nothing else (the most one sender could do).
Every run also checks that each alert was posted exactly once, and, paced, the
shortest gap between two posts to one channel.

``case``: ``/case`` over HTTP, p50/p95/p99, with 1 process on the SQLite
database, then 1 and 3 processes on the PostgreSQL copy of it (``python -m bot
copy-db``), ``--clients`` clients sending at once, each request to the next
process in turn as a round-robin load balancer would, a ``GET /healthz`` (the
floor: what any request costs) before each ``/case`` on the same keep-alive
connection. Queries: ``bench.case``'s seeded mix, drawn from the SQLite copy.
The bench disables the databases' feeds (its catalog's one feed is disabled),
as ``bench.case`` does: run it on copies. Each process keeps its own recent answers
(``CASEWATCH_CASE_CACHE``); ``--cache 0`` makes every answer computed.

``ingest``: ``bench.ingest``'s pipeline (fetch, parse, extract, store, group,
match, enqueue; 4 poll workers) over ``bench.feedsets``' served feeds, into a
fresh SQLite file and a fresh PostgreSQL database each run, alternately.
Floor: ``feedparser.parse`` alone on the same bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database as SqliteDatabase

from bench.case import WARM_UP, Bot, case, healthz, percentile, query_mix
from bench.feedsets import acme_releases, ingest_set, serving, watch_terms
from bench.ingest import Run, floor, prepare
from bot.ingest import default_matcher, poll_feeds
from feeds.fetch import Fetcher
from handlers.watch_request import parse_watch
from storage.database import ThreadDatabases, open_database
from storage.feeds import enabled_feeds
from storage.watches import WatchSpec, add_watch
from tests.conftest import (
    FeedServer,
    SlackApi,
    free_port,
    run_bot,
    slack_bot_env,
    wait_until_healthy,
    write_catalog,
)
from tests.pg import Databases, postgres_server

HOLD_SECONDS = 600  # the most one delivery may take before the bench gives up


def load() -> str:
    one, five, _ = Path("/proc/loadavg").read_text().split()[:3]
    return f"load average {one} (1 min), {five} (5 min) on {os.cpu_count()} cores"


# --- alerts delivered per second ------------------------------------------------------


@dataclass
class Delivery:
    label: str
    alerts: int
    counted: int  # the posts after the first
    seconds: float
    duplicated: int
    lost: int
    closest_posts: float | None  # the shortest gap between two posts to one channel (s)

    @property
    def rate(self) -> float:
        return self.counted / self.seconds if self.seconds else float("nan")


def slack_floor(posts: int) -> float:
    """Messages per second one thread posts to the stand-in with slack_sdk, nothing else."""
    from slack_sdk import WebClient

    slack = SlackApi()
    try:
        client = WebClient(token="xoxb-floor", base_url=slack.url)
        started = time.perf_counter()
        for n in range(posts):
            client.chat_postMessage(channel=f"C{n % 20:04d}", text=f"floor {n}")
        return posts / (time.perf_counter() - started)
    finally:
        slack.close()


def deliver(label: str, db_url: str, processes: int, alerts: int, channels: int, interval: str) -> Delivery:
    """``processes`` ``run`` processes deliver ``alerts`` alerts queued by ``poll --once``."""
    items = alerts // channels
    names = [f"C{n:04d}" for n in range(1, channels + 1)]
    db = open_database(db_url)
    spec = parse_watch("acme")
    assert isinstance(spec, WatchSpec)
    for channel in names:
        add_watch(db, team_id="T0001", channel_id=channel, user_id="U0001", spec=spec)
    db.close()
    slack, feeds = SlackApi(), FeedServer()
    running: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory(prefix="casewatch-scaling-") as folder:
            workdir = Path(folder)
            catalog = write_catalog(
                workdir / "catalog.toml", [("SEC litigation", feeds.serve("/lr.xml", acme_releases(0)), "regulator")]
            )
            env = slack_bot_env(workdir, slack, catalog, CASEWATCH_DB=db_url, CASEWATCH_POST_INTERVAL_SECONDS=interval)
            for _ in range(processes):
                port = free_port()
                log = (workdir / f"run-{port}.log").open("w")  # a line per alert: a file, never an unread pipe
                running.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bot", "run"],
                        env={**env, "PORT": str(port), "HOST": "127.0.0.1"},
                        cwd=workdir,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
                wait_until_healthy(f"http://127.0.0.1:{port}", running[-1], timeout=120)
            if not feeds.wait_for_request("/lr.xml", timeout=60):  # the poller's first, empty poll
                raise SystemExit(f"{label}: the feed was not polled")
            feeds.serve("/lr.xml", acme_releases(items))
            polled = run_bot(["poll", "--once"], env, workdir, timeout=HOLD_SECONDS)  # queues every alert at once
            if polled.returncode != 0:
                raise SystemExit(f"poll --once failed: {polled.stdout}{polled.stderr}")
            if not slack.wait_for(lambda: len(slack.posts()) >= alerts, timeout=HOLD_SECONDS):
                raise SystemExit(f"{label}: {len(slack.posts())} of {alerts} alerts posted in {HOLD_SECONDS} s")
            times = sorted(at for _, at in slack.post_times)
            posted = Counter(message["metadata"]["event_payload"]["alert_id"] for message in slack.posts())
    finally:
        for process in running:
            process.terminate()
        for process in running:
            process.wait(timeout=60)
        slack.close()
        feeds.close()
    return Delivery(
        label,
        alerts,
        alerts - 1,
        times[-1] - times[0],
        sum(count - 1 for count in posted.values()),
        alerts - len(posted),
        closest_gap(slack.post_times),
    )


def closest_gap(post_times: list[tuple[str, float]]) -> float | None:
    by_channel: dict[str, list[float]] = {}
    for channel, at in post_times:
        by_channel.setdefault(channel, []).append(at)
    gaps = [b - a for times in by_channel.values() for a, b in itertools.pairwise(sorted(times))]
    return min(gaps) if gaps else None


def alerts_bench(server: str, args: argparse.Namespace) -> None:
    databases = Databases(server)
    print(f"alerts delivered per second ({load()} at the start)")
    print(f"floor: one thread posting to the Slack stand-in, nothing else: {slack_floor(1000):,.0f} messages/s")
    setups = [
        ("SQLite, 1 process", lambda: f"{tempfile.mkdtemp(prefix='casewatch-scaling-')}/alerts.db", 1),
        ("PostgreSQL, 1 process", databases.create, 1),
        ("PostgreSQL, 3 processes", databases.create, 3),
    ]
    try:
        for interval, alerts in (("0", args.alerts), ("1", args.paced_alerts)):
            print(
                f"CASEWATCH_POST_INTERVAL_SECONDS={interval}: {alerts:,} alerts over {args.channels} channels"
                + (" (the store's limit)" if interval == "0" else f" (Slack's: about {args.channels}/s expected)")
            )
            for label, new_database, processes in setups:
                done = deliver(label, new_database(), processes, alerts, args.channels, interval)
                gap = "" if done.closest_posts is None else f", closest posts to one channel {done.closest_posts:.2f} s"
                print(
                    f"  {label:<24} {done.rate:8,.1f} alerts/s ({done.alerts:,} posted, first to last "
                    f"{done.seconds:.1f} s); duplicated {done.duplicated}, lost {done.lost}{gap}"
                )
    finally:
        databases.close()
    print(f"({load()} at the end)")


# --- /case p95 over HTTP ----------------------------------------------------------------


@dataclass
class Timings:
    floor: list[float]
    cases: list[float]
    seconds: float

    def line(self, label: str) -> str:
        def p(values: list[float], share: float) -> float:
            return percentile(values, share)

        return (
            f"  {label:<24} /case p50 {p(self.cases, 0.5):6.1f}  p95 {p(self.cases, 0.95):6.1f}  "
            f"p99 {p(self.cases, 0.99):6.1f} ms | /healthz p95 {p(self.floor, 0.95):5.1f} ms | "
            f"p95 above the floor {p(self.cases, 0.95) - p(self.floor, 0.95):6.1f} ms | "
            f"{len(self.cases) / self.seconds:5.1f} /case a second"
        )


@contextlib.contextmanager
def bots(db_url: str, count: int, slack: SlackApi, cache: int | None = None) -> Iterator[list[Bot]]:
    """``count`` ``run`` processes on one database, each answering ``/healthz``."""
    started: list[Bot] = []
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="casewatch-scaling-")))
        for n in range(count):
            folder = workdir / f"bot-{n}"
            folder.mkdir()
            bot = Bot(Path(folder), slack, folder, cache=cache)
            bot.env["CASEWATCH_DB"] = db_url  # a URL: not through Path, which would fold its "//"
            bot.env["CASEWATCH_LOG_LEVEL"] = "WARNING"  # its stderr is a pipe nobody reads
            stack.enter_context(bot.running()).close()
            started.append(bot)
        yield started


def measure(bots_up: list[Bot], queries: list[str], clients: int) -> Timings:
    """``clients`` threads, each with a keep-alive connection to every process;
    request n goes to process n mod len(bots_up) (round robin)."""
    numbered = iter(enumerate(queries))
    lock = threading.Lock()
    floor_ms: list[float] = []
    case_ms: list[float] = []

    def client() -> None:
        connections = [http.client.HTTPConnection("127.0.0.1", bot.port, timeout=60) for bot in bots_up]
        try:
            while True:
                with lock:
                    picked = next(numbered, None)
                if picked is None:
                    return
                number, query = picked
                connection = connections[number % len(connections)]
                ms_floor = healthz(connection)
                ms_case, _ = case(connection, query)
                with lock:
                    floor_ms.append(ms_floor)
                    case_ms.append(ms_case)
        finally:
            for connection in connections:
                connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Timings(floor_ms, case_ms, time.perf_counter() - started)


def case_bench(args: argparse.Namespace) -> None:
    sqlite_path: Path = args.sqlite
    queries = query_mix(sqlite_path, WARM_UP + args.requests, args.seed)
    warm, measured = queries[:WARM_UP], queries[WARM_UP:]
    (items,) = SqliteDatabase(sqlite_path).execute("SELECT count(*) FROM items").fetchone()
    print(f"/case over HTTP on {items:,} items, {len(measured):,} queries ({load()} at the start)")
    setups = [("SQLite, 1 process", str(sqlite_path), 1)]
    setups += [("PostgreSQL, 1 process", args.pg_db, 1), ("PostgreSQL, 3 processes", args.pg_db, 3)]
    slack = SlackApi()
    try:
        for clients in [1] if args.only_one_client else sorted({1, args.clients}):
            print(f"{clients} client(s) at once, round robin over the processes:")
            for label, url, count in setups:
                with bots(url, count, slack, args.cache) as up:
                    measure(up, warm, clients)
                    print(measure(up, measured, clients).line(label), flush=True)
    finally:
        slack.close()
    print(f"({load()} at the end)")


# --- ingest items/s -------------------------------------------------------------------------


def ingest_into(url: str, workers: int) -> Run:
    """``bench.ingest``'s timed part on ``url``: every feed polled by ``workers`` threads, the watch index built first."""
    databases = ThreadDatabases(url)
    fetcher = Fetcher(contact="bench@casewatch.invalid", allow_private=True)
    polled = enabled_feeds(databases.get())
    matcher = default_matcher()
    started = time.perf_counter()
    matcher.index(databases.get())
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    outcomes = poll_feeds(databases, fetcher, polled, matcher, workers=workers)
    elapsed = time.perf_counter() - started
    errors = [outcome.summary() for outcome in outcomes if outcome.status == "error"]
    if errors:
        raise SystemExit(f"feeds failed: {errors[:3]}")
    stored = sum(outcome.new_items for outcome in outcomes)
    return Run(elapsed, index_seconds, stored, sum(outcome.alerts for outcome in outcomes))


def ingest_bench(server: str, args: argparse.Namespace) -> None:
    databases = Databases(server)
    feeds = ingest_set(args.seed, items=args.items)
    terms = watch_terms(args.seed, feeds, args.watches)
    rates: dict[str, list[float]] = {"SQLite": [], "PostgreSQL": []}
    floors: list[float] = []
    print(f"ingest: {len(feeds)} feeds, {args.items:,} items, {len(terms):,} watches ({load()} at the start)")
    try:
        with tempfile.TemporaryDirectory(prefix="casewatch-scaling-") as scratch, serving(feeds) as hosts:
            for run in range(args.runs):
                floors.append(floor(feeds))
                for engine, url in (("SQLite", f"{scratch}/ingest-{run}.db"), ("PostgreSQL", databases.create())):
                    prepare(url, feeds, hosts.urls, terms)
                    done = ingest_into(url, args.workers)
                    rates[engine].append(done.rate)
                    print(
                        f"  run {run + 1} {engine:<10} {done.rate:7,.0f} items/s ({done.stored:,} items, "
                        f"{done.alerts:,} alerts queued); floor {floors[-1]:,.0f} items/s",
                        flush=True,
                    )
    finally:
        databases.close()
    best_floor = statistics.median(floors)
    print(f"medians of {args.runs} runs; floor (feedparser.parse alone, same bytes): {best_floor:,.0f} items/s")
    for engine, figures in rates.items():
        figure = statistics.median(figures)
        print(f"  {engine:<10} {figure:7,.0f} items/s, {figure / best_floor:.2f}x the floor")
    print(f"({load()} at the end)")


# --- the command line ---------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", help="a PostgreSQL server URL (no database); default: a throwaway cluster")
    parser.add_argument("--seed", type=int, default=20261126)
    benches = parser.add_subparsers(dest="bench", required=True)
    alerts = benches.add_parser("alerts", help="alerts delivered per second")
    alerts.add_argument("--alerts", type=int, default=6000, help="alerts to deliver unpaced (interval 0)")
    alerts.add_argument("--paced-alerts", type=int, default=200, help="alerts to deliver paced (interval 1 s)")
    alerts.add_argument("--channels", type=int, default=20)
    cases = benches.add_parser("case", help="/case p95 over HTTP")
    cases.add_argument("--sqlite", type=Path, required=True, help="a COPY of a large SQLite database")
    cases.add_argument("--pg-db", required=True, help="the same database copied into PostgreSQL (copy-db)")
    cases.add_argument("--requests", type=int, default=1200)
    cases.add_argument("--clients", type=int, default=4)
    cases.add_argument("--only-one-client", action="store_true", help="skip the --clients round")
    cases.add_argument("--cache", type=int, help="CASEWATCH_CASE_CACHE (0: every answer computed; default: run's own)")
    ingesting = benches.add_parser("ingest", help="ingest items/s on each engine")
    ingesting.add_argument("--items", type=int, default=10_000)
    ingesting.add_argument("--watches", type=int, default=10_000)
    ingesting.add_argument("--runs", type=int, default=3)
    ingesting.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if args.bench == "case":
        case_bench(args)
        return
    with postgres_server() if args.pg is None else contextlib.nullcontext(args.pg.rstrip("/")) as server:
        (alerts_bench if args.bench == "alerts" else ingest_bench)(server, args)


if __name__ == "__main__":
    main()
