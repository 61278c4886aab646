"""The items' full-text index reads the text from the items table (FTS5
external content) instead of keeping a second copy; existing databases are
migrated and answer ``/case`` as before."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from bench.generate import Generator, build
from handlers.case_answer import slack_answer
from storage.database import open_database
from storage.fulltext import Fts5
from storage.schema import migrations
from storage.search import search_cases, search_words
from tests.test_generate import queries, store_through_real_path

pytestmark = pytest.mark.sqlite_only  # FTS5 migration of old SQLite files and FTS5 rows

EXTERNAL_CONTENT = "m011_item_search_external_content"


def open_before_external_content(path: Path) -> Database:
    """A database at the schema before the migration, as an older Casewatch left it."""
    db = Database(sqlite3.connect(str(path), isolation_level=None))
    migrations.apply(db, stop_before=EXTERNAL_CONTENT)
    return db


def answers(db: Database, asked: list[str]) -> list[dict]:
    return [slack_answer(search_cases(db, query)) for query in asked]


def integrity_ok(db: Database) -> bool:
    try:
        db.execute("INSERT INTO item_search (item_search, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    return True


def matching_items(db: Database, asked: list[str]) -> list[list[int]]:
    """The items whose words match each query, newest first (what the searches read)."""
    expressions = [Fts5().words(search_words(query), prefix_last=True) for query in asked]
    return [[item_id for (item_id,) in db.execute(SEARCH, [expression])] for expression in expressions if expression]


SEARCH = "SELECT rowid FROM item_search WHERE item_search MATCH ? ORDER BY rowid DESC"


def build_old_and_new(folder: Path) -> tuple[Database, Database, Generator]:
    old = open_before_external_content(folder / "old.db")
    new = open_database(folder / "new.db")
    for db in (old, new):
        generator = build(db, 1200, seed=3)
        store_through_real_path(db, list(Generator(300, seed=4).items()))  # and some through the store path
    return old, new, generator


def test_a_migrated_database_answers_as_before_without_a_second_copy_of_the_text(tmp_path: Path) -> None:
    old, new, generator = build_old_and_new(tmp_path)
    asked = [*queries(generator, count=40), "announces", "segregated accounts", "indicted", "enforcement results"]
    before = matching_items(old, asked)
    assert old["item_search_content"].exists()
    old.close()

    migrated = open_database(tmp_path / "old.db")

    assert not migrated["item_search_content"].exists()
    assert integrity_ok(migrated)
    assert matching_items(migrated, asked) == before
    assert answers(migrated, asked) == answers(new, asked)  # as a database made at this schema


@pytest.fixture
def db(tmp_path: Path) -> Database:
    db = open_database(tmp_path / "new.db")
    build(db, 200, seed=5)
    return db


def matches(db: Database, word: str) -> int:
    return db.execute("SELECT count(*) FROM item_search WHERE item_search MATCH ?", [f'"{word}"']).fetchone()[0]


def test_new_items_are_found_by_their_words(db: Database) -> None:
    store_through_real_path(db, list(Generator(100, seed=6).items()))
    (title,) = db.execute("SELECT title FROM items ORDER BY id DESC LIMIT 1").fetchone()
    assert search_cases(db, title).cases or search_cases(db, title).items
    assert integrity_ok(db)


def test_an_items_changed_or_removed_text_is_searched_as_it_now_is(db: Database) -> None:
    """Nothing changes or removes items' text today; should anything start to,
    the index follows (an external-content index given stale text corrupts)."""
    item_id, title = db.execute("SELECT id, title FROM items ORDER BY id LIMIT 1").fetchone()
    db.execute("UPDATE items SET title = 'Quetzalcoatl Ventures hit with fraud lawsuit' WHERE id = ?", [item_id])
    assert matches(db, "quetzalcoatl") == 1
    assert integrity_ok(db)
    db.execute("DELETE FROM items WHERE id = ?", [item_id])
    assert matches(db, "quetzalcoatl") == 0
    assert integrity_ok(db)
    assert title  # the old title's words went with it (the integrity check reads every row)


def test_items_stored_by_another_process_are_found_once_committed(db: Database, tmp_path: Path) -> None:
    """/case keeps which case each item is of in memory; items stored since
    (here by another connection, as by ``poll --once``) are read when met."""
    assert search_cases(db, "fraud").cases  # the searches have read the items so far
    assert not search_cases(db, "quetzalcoatl").cases
    one = next(one for one in Generator(40, seed=8).items() if one.case is not None)
    link = "https://www.sec.gov/enforcement/quetzalcoatl"
    item = replace(one.item, key=link, guid=link, link=link, summary=f"{one.item.summary} Quetzalcoatl.")
    store_through_real_path(open_database(tmp_path / "new.db"), [replace(one, item=item)])
    (case_id,) = db.execute("SELECT case_id FROM items WHERE link = ?", [link]).fetchone()
    assert case_id is not None
    assert [case.id for case in search_cases(db, "quetzalcoatl").cases] == [case_id]


def test_an_item_of_no_case_is_listed_until_it_joins_one(db: Database) -> None:
    item_id, title = db.execute("SELECT id, title FROM items WHERE case_id IS NULL ORDER BY id DESC LIMIT 1").fetchone()
    assert title in [item.title for item in search_cases(db, title).items]
    (case_id,) = db.execute("SELECT min(id) FROM cases").fetchone()
    db.execute("UPDATE items SET case_id = ? WHERE id = ?", [case_id, item_id])
    assert title not in [item.title for item in search_cases(db, title).items]
    db.execute("UPDATE items SET case_id = NULL, title = ? WHERE id = ?", [f"{title} Quetzalcoatl", item_id])
    assert f"{title} Quetzalcoatl" in [item.title for item in search_cases(db, "quetzalcoatl").items]
