"""Items keep no copies of what nothing reads (the guid, which the item's key
already holds, and the caption, which its case holds): migration m014 drops
them from existing databases, and every ``/case`` answer stays the same."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from bench.generate import Generator, build
from storage.database import open_database
from storage.schema import migrations
from tests.test_generate import queries, store_through_real_path
from tests.test_search_migration import answers, integrity_ok

DROP_COPIES = "m014_items_without_copies"


def test_a_database_migrated_without_the_copies_answers_case_as_before(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(str(path), isolation_level=None))
    migrations.apply(old, stop_before=DROP_COPIES)
    generator = build(old, 1200, seed=5)
    store_through_real_path(old, list(Generator(200, seed=6).items()))
    asked = queries(generator, 60)
    before = answers(old, asked)
    (items_before,) = old.execute("SELECT count(*) FROM items").fetchone()
    old.conn.close()

    migrated = open_database(path)

    assert {"guid", "caption"}.isdisjoint(migrated["items"].columns_dict)
    assert migrated.execute("SELECT count(*) FROM items").fetchone() == (items_before,)
    assert answers(migrated, asked) == before
    assert integrity_ok(migrated)
