"""``/case``'s search on SQLite and on PostgreSQL over the same generated
items, in one process, alternating per query (issue 11: an order of magnitude).

    .venv/bin/python -m bench.search_engines --pg postgresql://user@host:port [--items 10000] [--queries 1000]

Builds a SQLite database of ``--items`` generated items (bench.generate), copies
its rows into a new PostgreSQL database on the server ``--pg`` (its user must
be able to create databases; the database is dropped at the end) and indexes
them there through storage.fulltext, as the store step does. Then answers
bench.case's seeded query mix on both, which goes first alternating: the wall
time of :func:`storage.search.find_cases` (``/case``'s search without the
cards, whose statements are not all on PostgreSQL yet). The floor is the
engine's cheapest round trip (``SELECT 1``). Prints p50/p95/mean per engine
and PostgreSQL's ratio to SQLite; the answers must be the same (counted).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.case import percentile, query_mix
from bench.generate import build
from storage.database import open_database
from storage.engine import Connection
from storage.fts_text import search_text
from storage.fulltext import full_text
from storage.search import WARM_QUERIES, find_cases, prepare_search

# In the order their foreign keys need; case_parties' and case_dockets' rowid is PostgreSQL's own.
COPIED = ("feeds", "cases", "case_parties", "case_dockets", "events", "items", "search_terms", "case_links")
CHUNK = 2_000


def copy_rows(source: Connection, target: Connection) -> None:
    for table in COPIED:
        order = " ORDER BY rowid" if table in ("case_parties", "case_dockets") else ""  # their order of insertion
        cursor = source.execute(f"SELECT * FROM {table}{order}")
        columns = [column[0] for column in cursor.description]
        insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        while rows := cursor.fetchmany(CHUNK):
            target.conn.executemany(insert, rows)


def index(target: Connection) -> None:
    text = full_text(target)
    case_ids = [case_id for (case_id,) in target.execute("SELECT id FROM cases ORDER BY id")]
    for start in range(0, len(case_ids), CHUNK):
        text.refresh_cases(target, case_ids[start : start + CHUNK])
    rows = [
        (item_id, search_text(title), search_text(summary))
        for item_id, title, summary in target.execute("SELECT id, title, summary FROM items ORDER BY id")
    ]
    for start in range(0, len(rows), CHUNK):
        text.index_items(target, rows[start : start + CHUNK], [])
    target.execute("ANALYZE")


def timed(db: Connection, query: str) -> tuple[float, tuple]:
    started = time.perf_counter()
    found = find_cases(db, query)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, (found.case_ids, found.total, found.suggestions, [item.title for item in found.items])


def floor(db: Connection, repeats: int = 200) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        db.execute("SELECT 1").fetchone()
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 0.5)


def line(label: str, values: list[float]) -> str:
    mean = sum(values) / len(values)
    return (
        f"{label:<11} p50 {percentile(values, 0.5):7.2f} ms   p95 {percentile(values, 0.95):7.2f} ms   "
        f"mean {mean:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL without a database")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    import psycopg

    name = f"casewatch_bench_{os.getpid()}"
    server = args.pg.rstrip("/")
    admin = psycopg.connect(f"{server}/postgres", autocommit=True)
    admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            started = time.perf_counter()
            sqlite = open_database(path)
            build(sqlite, args.items, args.seed)
            postgres = open_database(f"{server}/{name}")
            copy_rows(sqlite, postgres)
            index(postgres)
            print(f"{args.items:,} items on both engines in {time.perf_counter() - started:.0f} s")
            run(sqlite, postgres, query_mix(path, args.queries, args.seed))
            sqlite.close()
            postgres.close()
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def run(sqlite: Connection, postgres: Connection, queries: list[str]) -> None:
    engines: dict[str, Connection] = {"sqlite": sqlite, "postgresql": postgres}
    for db in engines.values():
        prepare_search(db)
        full_text(db).prepare(db)
        for query in WARM_QUERIES:
            find_cases(db, query)
    times: dict[str, list[float]] = {engine: [] for engine in engines}
    differ = 0
    order: list[tuple[str, Callable[[str], tuple[float, tuple]]]] = [
        (engine, lambda query, db=db: timed(db, query)) for engine, db in engines.items()
    ]
    for number, query in enumerate(queries):
        answers = {}
        for engine, answer in order if number % 2 == 0 else order[::-1]:
            elapsed, answers[engine] = answer(query)
            times[engine].append(elapsed)
        differ += answers["sqlite"] != answers["postgresql"]
    print(f"floor      sqlite SELECT 1 {floor(sqlite):.3f} ms   postgresql SELECT 1 {floor(postgres):.3f} ms")
    for engine, values in times.items():
        print(line(engine, values))
    ratio = percentile(times["postgresql"], 0.5) / percentile(times["sqlite"], 0.5)
    print(f"ratio      postgresql / sqlite p50 {ratio:.1f}x   answers differing: {differ} of {len(queries)}")


if __name__ == "__main__":
    main()
