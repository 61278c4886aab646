"""Benchmark: ``/case`` end to end over HTTP, against ``GET /healthz`` as the floor.

    .venv/bin/python -m bench.generate --items 1000000 --db /tmp/cw/1m.db
    .venv/bin/python -m bench.case --db /tmp/cw/1m.db [--requests 2000] [--restarts 15] [--code CHECKOUT]

Starts the real server (``python -m bot run`` in HTTP mode, talking to a
local Slack Web API stand-in) on a generated database, and sends correctly
signed ``/case`` requests over one keep-alive connection: a seeded mix of
party names, brand words, docket numbers in several forms, words of the
items' text, prefixes, typos and misses. ``GET /healthz`` is sent before
each one, on the same connection, as the floor: what any request to the
process costs. Warm: p50/p95/p99 of both after a warm-up, and the difference
(target: p95 at most 3 ms above the floor's). Cold: the process is started
``--restarts`` times and the first ``/case`` after ``/healthz`` answers is
timed (target: p95 at most 20 ms). The server's database is left as it was,
apart from its feeds being disabled (the bench's catalog has one disabled
feed, so nothing is polled).

Before either, the database file is read through once, so that the
operating system holds its pages as it does for a server that has been
answering for a while: otherwise the figures depend on what the machine did
before (on the project's VM, whose page cache holds about 1 GB, a run right
after the ingest benchmark read p95 9.8 ms above the floor, and 2.2 ms the run
after). ``--no-preload`` measures without it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from tests.conftest import SlackApi, free_port, slack_signature, slash_command

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
WARM_UP = 300
WARM_TARGET_MS = 3.0
COLD_TARGET_MS = 20.0


# --- the bot ---------------------------------------------------------------------


def bot_settings(workdir: Path, db: Path, slack_url: str) -> dict[str, str]:
    """The bot's environment for a benchmark: the database, the Slack stand-in,
    and a catalog whose one feed is disabled (nothing is polled)."""
    catalog = workdir / "catalog.toml"
    catalog.write_text(
        '[[feed]]\nname = "bench (never polled)"\nurl = "http://127.0.0.1:9/feed"\nagency = "SEC"\n'
        'kind = "regulator"\nenabled = false\n'
    )
    return {
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_url,
        "CASEWATCH_DB": str(db),
        "CASEWATCH_FEEDS": str(catalog),
        "CASEWATCH_CONTACT": "bench@example.com",
    }


class Bot:
    """``python -m bot run`` in HTTP mode on ``db``."""

    def __init__(self, db: Path, slack: SlackApi, workdir: Path, code: Path = ROOT, cache: int | None = None) -> None:
        self.port = free_port()
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "CASEWATCH_"))}
        self.env.update(
            bot_settings(workdir, db, slack.url),
            HOST="127.0.0.1",
            PORT=str(self.port),
            PYTHONPATH=str(code),
        )
        if cache is not None:
            self.env["CASEWATCH_CASE_CACHE"] = str(cache)
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @contextmanager
    def running(self) -> Iterator[http.client.HTTPConnection]:
        """Start the process, wait for ``/healthz``; yields a keep-alive connection to it."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=self.env,
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            yield self._wait_until_healthy()
        finally:
            self.process.terminate()
            self.process.wait(timeout=30)

    def _wait_until_healthy(self, timeout: float = 120) -> http.client.HTTPConnection:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(
                    f"the bot exited: {self.process.stderr.read().decode() if self.process.stderr else ''}"
                )
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                healthz(connection)
                return connection
            except OSError:
                connection.close()
                time.sleep(0.01)  # readiness probe interval
        raise SystemExit("the bot did not answer /healthz in time")


# --- requests -------------------------------------------------------------------


def healthz(connection: http.client.HTTPConnection) -> float:
    """Milliseconds for ``GET /healthz``."""
    started = time.perf_counter()
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"/healthz answered {response.status}")
    return elapsed


def case(connection: http.client.HTTPConnection, query: str) -> tuple[float, bytes]:
    """Milliseconds for a signed ``/case query``, and the answer's body as sent."""
    body = urllib.parse.urlencode(slash_command("/case", query)).encode()
    started = time.perf_counter()
    stamp = str(int(time.time()))
    signature = slack_signature(body, stamp, SECRET)
    connection.request(
        "POST",
        "/slack/events",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
        },
    )
    response = connection.getresponse()
    answer = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"/case {query!r} answered {response.status}: {answer[:200]!r}")
    return elapsed, answer


def query_mix(db_path: Path, count: int, seed: int) -> list[str]:
    """A seeded mix of what people type after ``/case``."""
    rng = random.Random(seed)
    db = Database(db_path)
    names = [name for (name,) in db.execute("SELECT name FROM case_parties WHERE role = 'defendant' ORDER BY rowid")]
    dockets = [display for (display,) in db.execute("SELECT display FROM case_dockets ORDER BY rowid")]
    db.close()
    words = ["fraud", "segregated accounts", "indicted", "final judgment", "enforcement results", "ponzi"]
    queries = []
    for _ in range(count):
        roll = rng.random()
        name, docket = rng.choice(names), rng.choice(dockets)
        if roll < 0.25:
            queries.append(name)
        elif roll < 0.4:
            queries.append(name.split()[0].lower())
        elif roll < 0.5:
            queries.append(name.split()[0][:4].lower())  # a prefix
        elif roll < 0.55:
            queries.append(name.split()[0][:-1] + "q")  # a typo
        elif roll < 0.75:
            queries.append(_docket_form(rng, docket))
        elif roll < 0.9:
            queries.append(rng.choice(words))
        else:
            queries.append(f"zz{rng.randint(0, 99999)}qx")  # a miss
    return queries


def _docket_form(rng: random.Random, docket: str) -> str:
    if len(docket) == 13 and docket[1] == ":":  # 1:23-cv-01599
        year, kind, number = docket[2:4], docket[5:7], docket[8:]
        return rng.choice((docket, f"{year}-{kind}-{int(number)}", f"Case No. {year}-{int(number)}", f"{docket}-ABC"))
    return docket


# --- figures -------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def describe(label: str, values: list[float]) -> str:
    return (
        f"{label:<9} p50 {percentile(values, 0.5):6.2f} ms   p95 {percentile(values, 0.95):6.2f} ms   "
        f"p99 {percentile(values, 0.99):6.2f} ms   (n={len(values)})"
    )


def preload(db: Path) -> tuple[int, float]:
    """Read the database's files through once (bytes read, seconds), so that
    the operating system's page cache holds them."""
    started, size = time.perf_counter(), 0
    for path in (db, db.with_name(db.name + "-wal")):
        if path.exists():
            with path.open("rb", buffering=0) as file:
                while chunk := file.read(1 << 20):
                    size += len(chunk)
    return size, time.perf_counter() - started


def cpu_ms(pid: int) -> float:
    """CPU time the process has used (user and system), in milliseconds (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


@dataclass
class Warm:
    floor: list[float]  # ms per /healthz
    cases: list[float]  # ms per /case
    unique: list[float]  # ms per /case of a query not sent before to this process (no kept answer can serve it)
    found: int
    floor_cpu: float  # the server's CPU ms per /healthz
    case_cpu: float  # the server's CPU ms per /case, beyond its /healthz


def warm(bot: Bot, queries: list[str], bodies: Path | None = None) -> Warm:
    """Timings of /healthz and /case, interleaved on one keep-alive connection,
    and the server's CPU time per request (steadier than wall time on a busy
    machine). With ``bodies``, every answer's JSON body as sent, one line each."""
    floor, cases, unique, found = [], [], [], 0
    seen = set(queries[:WARM_UP])
    with bot.running() as connection:
        assert bot.process is not None
        answers = [case(connection, query)[1] for query in queries[:WARM_UP]]
        started = cpu_ms(bot.process.pid)
        for _ in queries[WARM_UP:]:
            healthz(connection)
        floor_cpu = (cpu_ms(bot.process.pid) - started) / len(queries[WARM_UP:])
        started = cpu_ms(bot.process.pid)
        for query in queries[WARM_UP:]:
            floor.append(healthz(connection))
            elapsed, answer = case(connection, query)
            answers.append(answer)
            cases.append(elapsed)
            if query not in seen:
                unique.append(elapsed)
                seen.add(query)
            found += not json.loads(answer).get("text", "").startswith("No case")
        case_cpu = (cpu_ms(bot.process.pid) - started) / len(cases) - floor_cpu
    if bodies is not None:
        bodies.write_bytes(b"".join(answer + b"\n" for answer in answers))
    return Warm(floor, cases, unique, found, floor_cpu, case_cpu)


def cold(bot: Bot, queries: list[str], restarts: int) -> tuple[list[float], list[tuple[float, str]]]:
    """The first /case after each start (after /healthz answers) with its query, and that /healthz's floor."""
    floor, firsts = [], []
    for query in queries[:restarts]:
        with bot.running() as connection:
            floor.append(healthz(connection))
            firsts.append((case(connection, query)[0], query))
    return floor, firsts


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a database made by bench.generate")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--restarts", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument(
        "--code", type=Path, default=ROOT, help="the Casewatch checkout whose bot to run (before/after)"
    )
    parser.add_argument(
        "--cache",
        type=int,
        default=None,
        help="CASEWATCH_CASE_CACHE for the bot (0: no kept answers; default: its own)",
    )
    parser.add_argument(
        "--no-preload", action="store_true", help="do not read the database file through first (OS cache as found)"
    )
    parser.add_argument(
        "--bodies", type=Path, help="write every warm /case answer's JSON body here, a line each (to cmp two runs)"
    )
    args = parser.parse_args()
    if not args.db.exists():
        parser.error(f"{args.db} does not exist: make it with bench.generate")
    (items,) = Database(args.db).execute("SELECT count(*) FROM items").fetchone()
    queries = query_mix(args.db, WARM_UP + args.requests, args.seed)
    if not args.no_preload:
        size, seconds = preload(args.db)
        print(
            f"read the database's files through once ({size / 1e6:,.0f} MB in {seconds:.1f} s): the OS holds its pages"
        )
    slack = SlackApi()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            bot = Bot(args.db, slack, Path(workdir), args.code, args.cache)
            measured = warm(bot, queries, args.bodies)
            cold_floor, firsts = cold(bot, random.Random(args.seed + 1).sample(queries, len(queries)), args.restarts)
    finally:
        slack.close()
    floor, cases = measured.floor, measured.cases
    print(f"/case over HTTP on {items:,} items; {len(cases)} queries, {measured.found} found cases")
    print("warm, one keep-alive connection, /healthz before each /case:")
    print("  " + describe("/healthz", floor))
    print("  " + describe("/case", cases))
    print("  " + describe("unique", measured.unique) + "  (queries not sent before: kept answers cannot serve them)")
    print(
        f"  the server's CPU time: {measured.floor_cpu:.2f} ms per /healthz, "
        f"{measured.case_cpu:.2f} ms more per /case (mean)"
    )
    above = percentile(cases, 0.95) - percentile(floor, 0.95)
    ratio = percentile(cases, 0.5) / percentile(floor, 0.5)
    print(
        f"  p95 above the floor: {above:.2f} ms (target ≤ {WARM_TARGET_MS:g} ms) {verdict(above, WARM_TARGET_MS)}; "
        f"p50 ratio to the floor: {ratio:.1f}×"
    )
    print(
        f"  unique queries' p95 above the floor: {percentile(measured.unique, 0.95) - percentile(floor, 0.95):.2f} ms"
    )
    print(f"cold, the first /case after each of {len(firsts)} starts:")
    print("  " + describe("/healthz", cold_floor))
    print("  " + describe("/case", [elapsed for elapsed, _ in firsts]))
    print("  slowest: " + ", ".join(f"{query!r} {elapsed:.1f} ms" for elapsed, query in sorted(firsts)[-3:][::-1]))
    first = percentile([elapsed for elapsed, _ in firsts], 0.95)
    print(f"  p95 {first:.2f} ms (target ≤ {COLD_TARGET_MS:g} ms) {verdict(first, COLD_TARGET_MS)}")


if __name__ == "__main__":
    main()
