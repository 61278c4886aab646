"""The benchmark database generator (``bench.generate``) writes rows in bulk;
a small database built by it must be the one the real store path builds from
the same items, and answer ``/case`` the same."""

from __future__ import annotations

import random
from dataclasses import replace
from itertools import groupby
from pathlib import Path

import pytest
from sqlite_utils import Database

from bench.generate import FEEDS, Generated, Generator, build
from feeds.parse import ParsedFeed
from feeds.record import FeedSource, extract_item
from handlers.case_answer import slack_answer
from storage.database import open_database, write_transaction
from storage.events import record_event
from storage.feeds import sync_catalog
from storage.items import store_items
from storage.search import search_cases

# bench.generate writes SQLite files (a PostgreSQL copy is made from one with `python -m bot copy-db`)
pytestmark = pytest.mark.sqlite_only

ITEMS = 1500
SEED = 7


def store_through_real_path(db: Database, generated: list[Generated]) -> None:
    """Each feed's batch extracted as polling extracts it and stored in one transaction."""
    sync_catalog(db, list(FEEDS))
    feed_ids = {name: feed_id for feed_id, name in db.execute("SELECT id, name FROM feeds")}
    for feed, batch in groupby(generated, key=lambda one: one.feed):
        source = FeedSource(feed.url, feed.kind, feed.agency or None)
        parsed = ParsedFeed(feed.name, None, [])
        entries = [(one.item, extract_item(one.item, source, parsed)) for one in batch]
        with write_transaction(db):
            for stored in store_items(db, feed_ids[feed.name], entries, opens_cases=feed.kind != "news"):
                record_event(db, stored)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, Database, Generator]:
    folder = tmp_path_factory.mktemp("generated")
    bulk = open_database(folder / "bulk.db")
    generator = build(bulk, ITEMS, SEED)
    real = open_database(folder / "real.db")
    store_through_real_path(real, list(Generator(ITEMS, SEED).items()))
    return bulk, real, generator


TABLES = {
    "cases": "SELECT id, caption, caption_key, agency, court, first_event_at, last_event_at FROM cases ORDER BY id",
    "case_parties": "SELECT case_id, role, name, name_key FROM case_parties ORDER BY case_id, rowid",
    "case_dockets": "SELECT case_id, docket_key, docket_short, display, court FROM case_dockets ORDER BY case_id, rowid",
    "events": "SELECT id, case_id, action, event_day, identity, routine, first_item_id, entry_no, release_no, "
    "action_detail FROM events ORDER BY id",
    "items": "SELECT id, feed_id, item_key, link, title, summary, author, published_at, event_at, agency, action, "
    "court, release_no, docket_entry, amounts, case_id, event_id FROM items ORDER BY id",
    "case_links": "SELECT case_id, related_id FROM case_links ORDER BY 1, 2",
    "search_terms": "SELECT term FROM search_terms ORDER BY 1",
}


@pytest.mark.parametrize("table", TABLES)
def test_bulk_rows_are_the_store_paths_rows(both: tuple[Database, Database, Generator], table: str) -> None:
    bulk, real, _ = both
    expected = real.execute(TABLES[table]).fetchall()
    assert expected, f"the real path stored no {table}"
    assert bulk.execute(TABLES[table]).fetchall() == expected


def test_the_generated_data_is_skewed_and_realistic(both: tuple[Database, Database, Generator]) -> None:
    bulk, _, _ = both
    sizes = [size for (size,) in bulk.execute("SELECT count(*) FROM items WHERE case_id IS NOT NULL GROUP BY case_id")]
    assert 6 <= sum(sizes) / len(sizes) <= 14
    assert sum(size <= 3 for size in sizes) > len(sizes) / 2
    assert max(sizes) >= 60
    assert bulk.execute("SELECT count(*) FROM items WHERE case_id IS NULL").fetchone()[0] > 0
    assert bulk.execute("SELECT count(*) FROM case_links").fetchone()[0] > 0
    kinds = {kind for (kind,) in bulk.execute("SELECT DISTINCT feeds.kind FROM items JOIN feeds ON feeds.id = feed_id")}
    assert kinds == {"regulator", "court", "news"}


def queries(generator: Generator, count: int = 60) -> list[str]:
    """Party names, brands, dockets in several forms, words, prefixes, typos and misses."""
    rng = random.Random(SEED)
    asked = ["fraud", "complaint", "judgment", "zzqx", "enforcement results", "1:23-cv-99999"]
    for case in rng.sample(generator.cases, count):
        name = case.defendants[-1]
        office, year, kind, number = case.docket[0], case.docket[2:4], case.docket[5:7], case.docket[8:]
        asked += [
            name,
            name.split()[0].lower(),
            name.split()[0][:4].lower(),
            name.split()[0][:-1] + "x",
            case.docket,
            f"{year}-{kind}-{int(number)}",
            f"Case No. {year}-{int(number)}",
            f"{office}:{year}-{kind}-{number}-ABC",
        ]
    return asked


def test_the_bulk_database_answers_case_like_the_store_paths(both: tuple[Database, Database, Generator]) -> None:
    bulk, real, generator = both
    found = 0
    for query in queries(generator):
        expected = slack_answer(search_cases(real, query))
        assert slack_answer(search_cases(bulk, query)) == expected, query
        found += "Items that name no case" in str(expected) or "divider" in str(expected)
    assert found > 100


def test_every_generated_item_reads_as_the_generator_says() -> None:
    """What the bulk writer relies on: extraction reads each item as generated."""
    for one in Generator(ITEMS, SEED + 1).items():
        source = FeedSource(one.feed.url, one.feed.kind, one.feed.agency or None)
        read = extract_item(one.item, source, ParsedFeed(one.feed.name, None, []))
        wanted = one.extraction
        assert (read.news is None) == (wanted.news is None), one.item
        if wanted.news is not None:
            assert (read.agency, read.action) == (wanted.agency, wanted.action), one.item
            continue
        assert replace(read, amount_kinds=[]) == wanted, one.item  # the kinds of amounts are not stored


def test_every_generated_item_is_searchable(tmp_path: Path) -> None:
    db = open_database(tmp_path / "quick.db")
    build(db, 3000)
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 3000
    assert db.execute("SELECT count(*) FROM item_search").fetchone()[0] == 3000
