"""Moving a SQLite database into PostgreSQL (``python -m bot copy-db SRC DST``).

The source is read through a snapshot (SQLite's online backup API into a
temporary file), so a running ``run`` may keep writing to it, and the snapshot
is brought up to this Casewatch's schema there: the source file itself is never
written. The destination must be an empty PostgreSQL database; it is migrated,
then every table both schemas share is copied in one transaction (parents
before the tables that reference them, each in its SQLite rowid order, so the
change logs keep their order), the identity sequences are moved past the
copied ids, and the full-text index is built from the copied rows. Nothing is
copied when anything fails.

Not copied: the SQLite full-text tables (rebuilt from the rows), the polling
lease (the source's holder is not running against the copy), the migration
records (the destination has its own), and tables only SQLite has — each named
in the result. OAuth installs (slack_sdk's tables, migration m027) are copied.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path

from storage.database import migrate, open_database
from storage.engine import POSTGRESQL, PgDatabase, parse_url
from storage.fts_text import search_text
from storage.fulltext import full_text

# Written by the engine or the runner on each side, never carried over.
_NOT_COPIED = {
    "leases": "the polling lease",
    "migrations": "migration records",
    "_sqlite_migrations": "migration records",
}
# One-row state tables a new database starts with: the source's rows replace them.
_REPLACED = {"meta", "news_names_seen"}
_BATCH_ROWS = 5_000


class CopyRefused(Exception):
    """The copy cannot start (the destination is not PostgreSQL, or not empty)."""


@dataclass
class CopyResult:
    rows: dict[str, int] = field(default_factory=dict)  # table: rows copied, in copying order
    left_out: dict[str, str] = field(default_factory=dict)  # table: why it was not copied


Progress = Callable[[str, int], None]


def copy_database(source: str | Path, destination: str, *, progress: Progress | None = None) -> CopyResult:
    """Copy the SQLite database at ``source`` into the empty PostgreSQL database
    at ``destination`` (a URL); returns what was copied and what was left out."""
    if parse_url(destination).engine != POSTGRESQL:
        raise CopyRefused("the destination must be a PostgreSQL URL (postgresql://user:password@host/database)")
    source_path = Path(parse_url(source).target)
    if not source_path.is_file():
        raise CopyRefused(f"no SQLite database at {source_path}")
    migrate(destination)
    target = open_database(destination)
    try:
        assert isinstance(target, PgDatabase)
        with tempfile.TemporaryDirectory(prefix="casewatch-copy-") as folder:
            snapshot = Path(folder) / "snapshot.db"
            _snapshot(source_path, snapshot)
            migrate(snapshot)
            with closing(sqlite3.connect(snapshot)) as reading:
                return _copy(reading, target, progress or (lambda table, rows: None))
    finally:
        target.close()


def _snapshot(source: Path, snapshot: Path) -> None:
    """A consistent copy of ``source`` even while another process writes to it."""
    reading, writing = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(snapshot)
    with closing(reading), closing(writing):
        reading.backup(writing)


def _copy(reading: sqlite3.Connection, target: PgDatabase, progress: Progress) -> CopyResult:
    result = CopyResult()
    source_tables = _sqlite_tables(reading)
    target_tables = _pg_tables(target)
    for table in sorted(source_tables - target_tables):
        result.left_out[table] = _NOT_COPIED.get(table, "PostgreSQL has no such table")
    shared = [table for table in _parents_first(target, target_tables) if table in source_tables]
    copied = [table for table in shared if table not in _NOT_COPIED]
    for table in shared:
        if table in _NOT_COPIED:
            result.left_out[table] = _NOT_COPIED[table]
    _refuse_filled(target, [table for table in copied if table not in _REPLACED])
    with target.atomic():
        for table in copied:
            if table in _REPLACED:
                target.execute(f'DELETE FROM "{table}"')
            result.rows[table] = _copy_table(reading, target, table, progress)
        _move_sequences(target, copied)
        _build_full_text(target, progress)
    return result


def _build_full_text(target: PgDatabase, progress: Progress) -> None:
    """The items' and the cases' full-text rows, from the copied rows, as storing them writes them."""
    search = full_text(target)
    done = 0
    after = 0
    while rows := target.execute(
        "SELECT id, title, summary FROM items WHERE id > ? ORDER BY id LIMIT ?", [after, _BATCH_ROWS]
    ).fetchall():
        search.index_items(
            target, [(id_, search_text(title), search_text(summary)) for id_, title, summary in rows], []
        )
        after, done = rows[-1][0], done + len(rows)
        progress("full-text index of items", done)
    case_ids = [case_id for (case_id,) in target.execute("SELECT id FROM cases ORDER BY id")]
    for start in range(0, len(case_ids), _BATCH_ROWS):
        search.refresh_cases(target, case_ids[start : start + _BATCH_ROWS])
        progress("full-text index of cases", min(start + _BATCH_ROWS, len(case_ids)))


def _sqlite_tables(reading: sqlite3.Connection) -> set[str]:
    """Ordinary tables: not the full-text tables, their shadow tables or SQLite's own."""
    rows = reading.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
    names = {name for (name,) in reading.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    shadows = {name for name in names for base in virtual if name.startswith(f"{base}_")}
    return {name for name in names if not name.startswith("sqlite_")} - set(virtual) - shadows


def _pg_tables(target: PgDatabase) -> set[str]:
    rows = target.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {name for (name,) in rows}


def _parents_first(target: PgDatabase, tables: set[str]) -> list[str]:
    """The tables in an order where each comes after those its foreign keys name."""
    graph: dict[str, set[str]] = {table: set() for table in sorted(tables)}
    for child, parent in target.execute(
        "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
    ):
        if child in graph and parent != child:
            graph[child].add(parent)
    return list(TopologicalSorter(graph).static_order())


def _refuse_filled(target: PgDatabase, tables: list[str]) -> None:
    filled = [table for table in tables if target.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()]
    if filled:
        raise CopyRefused(
            f"the destination already holds data (in {', '.join(filled)}): copy-db fills an empty database only"
        )


def _copy_table(reading: sqlite3.Connection, target: PgDatabase, table: str, progress: Progress) -> int:
    target_columns = {
        name
        for (name,) in target.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? AND is_generated = 'NEVER' AND identity_generation IS DISTINCT FROM 'ALWAYS'",
            [table],
        )
    }
    columns = [row[1] for row in reading.execute(f'PRAGMA table_info("{table}")') if row[1] in target_columns]
    listed = ", ".join(f'"{column}"' for column in columns)
    rows = reading.execute(f'SELECT {listed} FROM "{table}" ORDER BY {_order(reading, table)}')
    copied = 0
    with target.conn.raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({listed}) FROM STDIN') as copy:
        while batch := rows.fetchmany(_BATCH_ROWS):
            for row in batch:
                copy.write_row(row)
            copied += len(batch)
            progress(table, copied)
    return copied


def _order(reading: sqlite3.Connection, table: str) -> str:
    """Rowid order (insertion order: change logs such as case_parties' rely on
    it); a table without rowids in its key's order."""
    without_rowid = reading.execute(
        "SELECT 1 FROM sqlite_master WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'", [table]
    ).fetchone()
    if not without_rowid:
        return "rowid"
    key = [row[1] for row in sorted(reading.execute(f'PRAGMA table_info("{table}")'), key=lambda r: r[5]) if row[5]]
    return ", ".join(f'"{column}"' for column in key)


def _move_sequences(target: PgDatabase, tables: list[str]) -> None:
    """Each identity column's next value after the largest copied id."""
    for table, column in target.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND identity_generation = 'BY DEFAULT'"
    ).fetchall():
        if table in tables:
            target.execute(
                f'SELECT setval(pg_get_serial_sequence(?, ?), max("{column}")) FROM "{table}" HAVING count(*) > 0',
                [table, column],
            )
