"""Benchmark: what the PostgreSQL adapter (storage.engine.PgDatabase) adds per statement.

    .venv/bin/python -m bench.engine_layer [--statements 5000] [--runs 5] [--db postgresql://…]

On the hot ingest shapes (an INSERT of an 18-column items row inside one
transaction, and a point SELECT by primary key), in the same run:

* floor: psycopg 3 alone (``%s`` placeholders, autocommit connection, explicit
  ``BEGIN``/``COMMIT``, the same server), taking turns with the adapter;
* Casewatch: the same statements written with ``?`` through ``PgDatabase.execute``
  (translation cached, bools as 0/1).

Prints µs per statement (median of ``--runs``) and their ratio, which on a
loaded machine is within the round trip's noise (±15 % here); so the target is
on the adapter's own cost (translation and arguments, timed without a server):
at most 5 % of the floor's round trip. Without ``--db`` it starts a
throwaway cluster (``tests.pg``, as the tests do) and prints how long that took.
Also printed for reference: the SQLite path (sqlite-utils' ``Database.execute``
over sqlite3), which the adapter leaves untouched.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlite_utils import Database

from storage.engine import PgDatabase, _arguments, translate
from tests.pg import ThrowawayCluster

TARGET = 0.05  # the adapter's own cost, as a share of psycopg's statement on the same server
COLUMNS = [f"c{n}" for n in range(18)]
ROW = tuple(f"value {n}" for n in range(18))
CREATE = "CREATE TABLE bench_items (id BIGINT PRIMARY KEY, " + ", ".join(f"{c} TEXT" for c in COLUMNS) + ")"
INSERT = "INSERT INTO bench_items (id, " + ", ".join(COLUMNS) + ") VALUES (" + ", ".join("?" for _ in range(19)) + ")"
SELECT = "SELECT id, c3 FROM bench_items WHERE id = ?"


Runner = Callable[[int], None]


def statements_of(execute: Callable[..., Any], insert: str, select: str, statements: int) -> tuple[Runner, Runner]:
    """Two runs (``run(first_id)``): ``statements`` INSERTs in one transaction, and
    as many point SELECTs, through ``execute``."""

    def inserts(first: int) -> None:
        execute("BEGIN")
        for item_id in range(first, first + statements):
            execute(insert, (item_id, *ROW))
        execute("COMMIT")

    def selects(first: int) -> None:
        for item_id in range(first, first + statements):
            execute(select, (item_id,)).fetchone()

    return inserts, selects


def interleaved(runners: dict[str, Runner], statements: int, runs: int) -> dict[str, float]:
    """Median µs per statement of each runner, the runners taking turns within each
    repetition (so that a change of the machine's load reaches all of them)."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    for number in range(runs):
        for name, run in runners.items():
            started = time.perf_counter()
            run(number * statements + 1)
            times[name].append((time.perf_counter() - started) / statements * 1e6)
    return {name: statistics.median(found) for name, found in times.items()}


def measure(url: str, statements: int, runs: int) -> dict[str, float]:
    raw = psycopg.connect(url, autocommit=True)
    db = PgDatabase.connect(url, lock_timeout_ms=10_000)
    sqlite = Database(sqlite3.connect(":memory:", isolation_level=None))
    try:
        runners: dict[str, Runner] = {}
        for name, execute, table, marks in (
            ("floor", raw.execute, "floor_items", "%s"),
            ("adapter", db.execute, "adapter_items", "?"),
            ("sqlite", sqlite.execute, "lite_items", "?"),
        ):
            execute(f"DROP TABLE IF EXISTS {table}")
            execute(CREATE.replace("bench_items", table))
            insert, select = (sql.replace("bench_items", table).replace("?", marks) for sql in (INSERT, SELECT))
            runners[f"{name} insert"], runners[f"{name} select"] = statements_of(execute, insert, select, statements)
        return interleaved(runners, statements, runs)
    finally:
        raw.close()
        db.close()
        sqlite.close()


@contextmanager
def server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    cluster = ThrowawayCluster()
    started = time.perf_counter()
    server_url = cluster.start()
    print(f"throwaway cluster (initdb + pg_ctl start): {time.perf_counter() - started:.2f} s")
    try:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
        yield f"{server_url}/bench"
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", help="a PostgreSQL database URL (default: a throwaway cluster)")
    args = parser.parse_args()
    with server(args.db) as url:
        found = measure(url, args.statements, args.runs)
    floor = (found["floor insert"], found["floor select"])
    figure = (found["adapter insert"], found["adapter select"])
    sqlite = (found["sqlite insert"], found["sqlite select"])
    print(f"{'µs a statement':40} {'INSERT':>9} {'SELECT':>9}")
    print(f"{'floor: psycopg 3 alone':40} {floor[0]:9.1f} {floor[1]:9.1f}")
    print(f"{'Casewatch: storage.engine.PgDatabase':40} {figure[0]:9.1f} {figure[1]:9.1f}")
    ratios = (figure[0] / floor[0], figure[1] / floor[1])
    print(f"{'ratio (within the noise of a round trip)':40} {ratios[0]:8.2f}× {ratios[1]:8.2f}×")
    print(f"{'reference: SQLite through sqlite-utils':40} {sqlite[0]:9.1f} {sqlite[1]:9.1f}")
    own = (own_cost(INSERT), own_cost(SELECT))
    print(f"{'the adapter alone (no server)':40} {own[0]:9.2f} {own[1]:9.2f}")
    share = max(own[0] / floor[0], own[1] / floor[1])
    verdict = "PASS" if share <= TARGET else "FAIL"
    print(f"the adapter's own cost: {share:.1%} of a round trip (target ≤ {TARGET:.0%}) {verdict}")


def own_cost(sql: str, repeat: int = 100_000) -> float:
    """µs per statement of what the adapter adds before psycopg: the cached translation and the arguments."""
    row = (1, *ROW) if sql.startswith("INSERT") else (1,)
    started = time.perf_counter()
    for _ in range(repeat):
        _arguments(translate(sql)[1], row)
    return (time.perf_counter() - started) / repeat * 1e6


if __name__ == "__main__":
    main()
