"""The case names' full-text index keeps prefix indexes (m022), so a query
whose last word is a beginning ("unit", "gran") is answered without merging
every term it begins. The answers are the same as before the migration."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from storage.database import open_database
from storage.schema import migrations
from storage.search import search_cases
from tests import factories

CAPTIONS = [
    "SEC v. United Granite Holdings Inc.",
    "SEC v. Unity Grant Partners LLC",
    "SEC v. Granada Magellan Capital Corp.",
    "CFTC v. Unitrade Markets Ltd.",
    "SEC v. Øresund Unibank A/S",
]
QUERIES = ["un", "uni", "unit", "unitr", "gra", "gran", "granite hold", "mage", "magellan cap", "ore", "oresund uni"]


def _answers(db: Database) -> list[tuple[int, list[str]]]:
    return [
        (result.total, [case.caption for case in result.cases])
        for result in (search_cases(db, query) for query in QUERIES)
    ]


def _store_cases(db: Database, captions: list[str]) -> None:
    regulator = factories.feed(db)
    for caption in captions:
        factories.stored_item(db, regulator, factories.extraction(caption=caption, defendants=[caption[7:]]))


def test_cases_indexed_before_are_found_by_the_same_beginnings_after_migrating(tmp_path) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(str(path), isolation_level=None))
    migrations.apply(old, stop_before="m022_case_search_prefixes")
    _store_cases(old, CAPTIONS)
    before = _answers(old)
    old.conn.close()

    db = open_database(path)

    assert _answers(db) == before
    assert before[QUERIES.index("unitr")] == (1, ["CFTC v. Unitrade Markets Ltd."])
    db.execute("INSERT INTO case_search (case_search) VALUES ('integrity-check')")


def test_cases_stored_after_migrating_are_found_by_their_beginnings(memory_db: Database) -> None:
    _store_cases(memory_db, CAPTIONS)
    answers = dict(zip(QUERIES, _answers(memory_db), strict=True))
    assert answers["unit"] == (3, [CAPTIONS[0], CAPTIONS[1], CAPTIONS[3]])
    assert answers["oresund uni"] == (1, ["SEC v. Øresund Unibank A/S"])
    memory_db.execute("INSERT INTO case_search (case_search) VALUES ('integrity-check')")
