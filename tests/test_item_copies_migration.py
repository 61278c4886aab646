"""Items keep no copies of what nothing reads (the guid, which the item's key
already holds, and the caption, which its case holds): migration m014 drops
them from existing databases, and every ``/case`` answer stays the same."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from bench.generate import Generator, build
from storage.database import open_database
from storage.schema import migrations
from tests.test_generate import queries, store_through_real_path
from tests.test_search_migration import answers, integrity_ok

pytestmark = pytest.mark.sqlite_only  # migrates an old SQLite file (m001-m018 are SQLite history)

DROP_COPIES = "m014_items_without_copies"


def _filled(db: Database) -> Generator:
    """The same generated cases and items, whatever the schema."""
    generator = build(db, 1200, seed=5)
    store_through_real_path(db, list(Generator(200, seed=6).items()))
    return generator


def test_a_database_migrated_without_the_copies_answers_case_as_one_made_new(tmp_path: Path) -> None:
    """Later migrations add tables that today's code reads, so the answers of the
    database from before m014 are compared with those of the same data stored
    at today's schema, not read with today's code at the old schema."""
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(str(path), isolation_level=None))
    migrations.apply(old, stop_before=DROP_COPIES)
    generator = _filled(old)
    (items_before,) = old.execute("SELECT count(*) FROM items").fetchone()
    old.conn.close()
    made_new = open_database(tmp_path / "new.db")
    _filled(made_new)
    asked = queries(generator, 60)

    migrated = open_database(path)

    assert {"guid", "caption"}.isdisjoint(migrated["items"].columns_dict)
    assert migrated.execute("SELECT count(*) FROM items").fetchone() == (items_before,)
    assert answers(migrated, asked) == answers(made_new, asked)
    assert integrity_ok(migrated)
