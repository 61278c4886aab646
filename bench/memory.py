"""Benchmark: resident memory of ``python -m bot run`` with 100,000 watches.

    .venv/bin/python -m bench.memory [--watches 100000] [--db PATH] [--read-workers N]

Works on a copy of ``--db`` (such as the 1M-item database that ``python -m
bench.generate`` builds) or on a fresh database, and adds generated watches
(bench.match's real-looking names, a tenth with an alias, a tenth dockets) up
to ``--watches``. Then it starts the real ``run`` process (HTTP mode, a Slack
Web API stand-in, one local feed of new items; ``run`` builds the watch index
at start and matches the items with it), waits until its first round has stored the feed's items,
and reads the process's VmRSS (and its peak, VmHWM) from /proc. With
``--read-workers N`` (by default, as many as ``run`` starts by default:
``bot.config.default_read_workers``), ``run`` reads feeds in N worker
processes (``CASEWATCH_READ_WORKERS``), and their memory is added to its own:
the target is judged on the resident sizes summed (a page the processes share
counted in each), the proportional sum (Pss: a shared page counted once) printed too.

The floor, measured in the same run: a process that only imports what ``run``
imports (the interpreter and its modules). Target (issue 9, point 5): ≤ 120 MB
resident with 1M items and 100,000 watches.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bench.match import SEED, generate_items, generate_watches
from bot.config import default_read_workers
from storage.database import open_database
from tests.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FeedServer,
    SlackApi,
    free_port,
    spawn_bot,
    wait_until_healthy,
    write_catalog,
)

TARGET_MB = 120
FEED_ITEMS = 250  # a busy feed's page, as each feed of the ingest set (a round's batch is what run holds at its peak)
FEED_NAME = "Memory bench releases"
# What `run` imports before it serves: the floor process imports the same and nothing else.
RUN_IMPORTS = "import bot.__main__, bot.server"


def resident_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident) of a process, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def floor_kb(root: Path) -> int:
    """Resident memory of a process that only imports what ``run`` imports."""
    probe = f"{RUN_IMPORTS}\nimport re\nprint(re.search(r'VmRSS:\\s*(\\d+)', open('/proc/self/status').read())[1])"
    answer = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True)
    return int(answer.stdout)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy, the write-ahead log included (SQLite's backup)."""
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as original,
        closing(sqlite3.connect(target)) as copy,
    ):
        original.backup(copy)


def count_items(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        (count,) = conn.execute("SELECT count(*) FROM items").fetchone()
    return count


def add_watches(path: Path, count: int) -> int:
    """Fill the database with generated watches up to ``count``; returns how many it holds."""
    db = open_database(path)  # creates or migrates
    (present,) = db.execute("SELECT count(*) FROM watches").fetchone()
    if present >= count:
        return present
    watches = generate_watches(random.Random(SEED), count)[present:]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    (highest,) = db.execute("SELECT coalesce(max(id), 0) FROM watches").fetchone()
    with db.conn:
        db.conn.executemany(
            "INSERT OR IGNORE INTO watches (id, team_id, channel_id, kind, term, term_key, case_id, mode, "
            "include_routine, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, 'U0BENCH', ?)",
            [
                (highest + number, w.team_id, w.channel_id, w.kind, w.term, w.keys[0], w.mode, w.include_routine, now)
                for number, w in enumerate(watches, start=1)
            ],
        )
        db.conn.executemany(
            "INSERT OR IGNORE INTO watch_aliases (watch_id, alias, alias_key) VALUES (?, ?, ?)",
            [(highest + number, alias, alias) for number, w in enumerate(watches, start=1) for alias in w.keys[1:]],
        )
        db.conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'watch_version'")
    (total,) = db.execute("SELECT count(*) FROM watches").fetchone()
    db.conn.close()
    return total


def feed_body(watch_count: int) -> str:
    """An RSS feed of SEC-release-shaped items, some naming watched parties."""
    items = generate_items(random.Random(SEED + 2), FEED_ITEMS, generate_watches(random.Random(SEED), watch_count))
    published = datetime.now(UTC)
    entries = []
    for number, item in enumerate(items):
        title, _, text = item.text.partition("\n")
        entries.append(
            f"<item><title>{escape(title)}</title><description>{escape(text)}</description>"
            f"<link>https://www.sec.gov/litigation/bench/{number}</link><guid>bench-{number}</guid>"
            f"<pubDate>{format_datetime(published - timedelta(minutes=number))}</pubDate></item>"
        )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>SEC litigation releases</title>"
        f"<link>https://www.sec.gov/</link>{''.join(entries)}</channel></rss>"
    )


def proportional_kb(pid: int) -> int:
    """A process's proportional share of resident memory (Pss: a page shared by n processes counts 1/n), in kB."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """The processes ``pid`` started, and theirs (``run``'s read workers)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return [grand for child in children for grand in (child, *descendants(child))]


def polled(path: Path) -> bool:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT last_success_at FROM feeds WHERE name = ?", [FEED_NAME]).fetchone()
    return bool(row and row[0])


def wait_for_round(path: Path, process: subprocess.Popen, timeout: float) -> None:
    """Until the bot has stored the feed (its first poll round, which builds the index)."""
    deadline = time.monotonic() + timeout
    while not polled(path):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the poll round did not finish:\n{process.stdout.read() if process.stdout else ''}")
        time.sleep(0.2)  # probe interval of a readiness check on another process's database


def measure(
    root: Path, work: Path, db_path: Path, watch_count: int, timeout: float, read_workers: int
) -> dict[str, int]:
    feeds, api = FeedServer(), SlackApi()
    try:
        catalog = write_catalog(
            work / "catalog.toml", [(FEED_NAME, feeds.serve("/rss", feed_body(watch_count)), "regulator")]
        )
        port = free_port()
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(root),
            "CASEWATCH_DB": str(db_path),
            "CASEWATCH_FEEDS": str(catalog),
            "CASEWATCH_CONTACT": "bench@example.com",
            "CASEWATCH_ALLOW_PRIVATE_FEEDS": "1",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api.url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "CASEWATCH_READ_WORKERS": str(read_workers),
        }
        process = spawn_bot(["run"], env, work)
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", process, timeout=timeout)
            started = time.monotonic()
            wait_for_round(db_path, process, timeout)
            figures = resident_kb(process.pid)
            workers = descendants(process.pid)
            figures["workers_kb"] = sum(resident_kb(pid).get("VmRSS", 0) for pid in workers)
            figures["pss_kb"] = proportional_kb(process.pid)
            figures["tree_pss_kb"] = figures["pss_kb"] + sum(proportional_kb(pid) for pid in workers)
            figures["round_ms"] = int((time.monotonic() - started) * 1000)
            return figures
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        feeds.close()
        api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="a database to copy (e.g. bench.generate's 1M items); fresh if absent")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for start and the poll round")
    parser.add_argument(
        "--read-workers",
        type=int,
        default=default_read_workers(),
        help=f"CASEWATCH_READ_WORKERS for run (default {default_read_workers()}, run's own default here)",
    )
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="casewatch-memory-") as directory:
        work = Path(directory)
        db_path = work / "casewatch.db"
        if args.db:
            copy_database(args.db, db_path)
        watches = add_watches(db_path, args.watches)
        items = count_items(db_path)
        floor = floor_kb(root)
        figures = measure(root, work, db_path, args.watches, args.timeout, args.read_workers)
    resident, peak = figures["VmRSS"], figures["VmHWM"]
    print(f"run with {items:,} items and {watches:,} watches, after its first poll round ({figures['round_ms']} ms)")
    print(f"floor (interpreter and run's imports): {floor / 1024:.1f} MB")
    print(
        f"resident: {resident / 1024:.1f} MB (peak {peak / 1024:.1f} MB), {resident / floor:.2f}× the floor; "
        f"proportional (Pss): {figures['pss_kb'] / 1024:.1f} MB"
    )
    print(
        f"above the floor: {(resident - floor) / 1024:.1f} MB, {(resident - floor) * 1024 / max(watches, 1):,.0f} B per watch"
    )
    if args.read_workers:  # the workers' memory is run's too
        print(
            f"with its {args.read_workers} read worker(s): "
            f"{(resident + figures['workers_kb']) / 1024:.1f} MB resident summed (pages they share counted in each), "
            f"{figures['tree_pss_kb'] / 1024:.1f} MB proportional (Pss: a shared page counted once)"
        )
        resident += figures["workers_kb"]
    passed = resident / 1024 <= TARGET_MB
    print(f"{'PASS' if passed else 'FAIL'}  ≤ {TARGET_MB} MB resident: {resident / 1024:.1f} MB")


if __name__ == "__main__":
    main()
