"""/case finds words written with letters that SQLite's full-text tokenizer
keeps as they are (ø, æ, ß, ł, đ, þ, œ, ligatures): the query is folded
("Ødegaard" → "odegaard"), so the indexes must hold the same folded words."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from feeds.text import fold
from feeds.vocabulary import FeedKind
from storage.database import open_database
from storage.fts_text import FOLDED_LETTERS, search_text, search_text_sql
from storage.schema import migrations
from storage.search import search_cases
from tests import factories

BODY = "Its former CFO Søren Ødegaard, of Straße 5 in Łódź, and Æsir Œuvre Capital settled the ﬁnancial claims."
QUERIES = ["Ødegaard", "odegaard", "Soren Odegaard", "Straße", "strasse", "Lodz", "Łódź", "aesir", "Æsir", "oeuvre"]


@pytest.mark.parametrize("query", QUERIES)
def test_an_item_naming_someone_in_letters_fts_keeps_is_found_as_typed_either_way(
    memory_db: Database, query: str
) -> None:
    regulator, news = factories.feed(memory_db), factories.feed(memory_db, FeedKind.NEWS)
    item = factories.feed_item("SEC charges Acme Holdings Inc.", summary=BODY)
    factories.stored_item(memory_db, regulator, factories.extraction(caption="SEC v. Acme Holdings Inc."), item)
    speech = factories.feed_item("Remarks on the year", summary=BODY)  # an item of no case: /case lists it apart
    factories.stored_item(memory_db, news, factories.news_extraction(speech.title, speech.summary), speech)

    result = search_cases(memory_db, query)

    assert [case.caption for case in result.cases] == ["SEC v. Acme Holdings Inc."]
    assert [found.title for found in result.items] == ["Remarks on the year"]


def test_a_case_caption_in_such_letters_is_found_folded(memory_db: Database) -> None:
    regulator = factories.feed(memory_db)
    factories.stored_item(memory_db, regulator, factories.extraction(caption="SEC v. Bjørn Trading ApS"))
    assert [case.caption for case in search_cases(memory_db, "bjorn trading").cases] == ["SEC v. Bjørn Trading ApS"]


@pytest.mark.sqlite_only  # FTS5's integrity-check of item_search
def test_an_item_whose_text_changes_stays_found_and_the_index_stays_whole(memory_db: Database) -> None:
    regulator = factories.feed(memory_db)
    item = factories.feed_item("SEC charges Acme Holdings Inc.", summary=BODY)
    stored = factories.stored_item(
        memory_db, regulator, factories.extraction(caption="SEC v. Acme Holdings Inc."), item
    )
    memory_db.execute("UPDATE items SET summary = ? WHERE id = ?", ["Kjærgaard settled.", stored.id])
    assert search_cases(memory_db, "kjaergaard").total == 1
    assert search_cases(memory_db, "odegaard").total == 0
    memory_db.execute("INSERT INTO item_search (item_search) VALUES ('integrity-check')")
    memory_db.execute("DELETE FROM items WHERE id = ?", [stored.id])
    assert search_cases(memory_db, "kjaergaard").total == 0
    memory_db.execute("INSERT INTO item_search (item_search) VALUES ('integrity-check')")


@pytest.mark.sqlite_only  # SQLite's own SQL folding
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from([*FOLDED_LETTERS, *"aoA Zß.-'é"]), max_size=40))
def test_the_python_and_sql_foldings_agree(text: str) -> None:
    db = sqlite3.connect(":memory:")
    (folded,) = db.execute(f"SELECT {search_text_sql('text')} FROM (SELECT ? AS text)", [text]).fetchone()
    assert folded == search_text(text)


def test_every_letter_folded_for_search_folds_alike_in_the_matcher() -> None:
    for letter, plain in FOLDED_LETTERS.items():
        assert fold(f"a{letter}b") == fold(f"a{plain}b"), letter


@pytest.mark.sqlite_only  # migrates an old SQLite file
def test_a_database_indexed_before_finds_such_words_after_migrating(tmp_path) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(str(path), isolation_level=None))
    migrations.apply(old, stop_before="m021_search_folded_letters")
    regulator = factories.feed(old)
    item = factories.feed_item("SEC charges Acme Holdings Inc.", summary=BODY)
    factories.stored_item(old, regulator, factories.extraction(caption="SEC v. Bjørn Acme ApS"), item)
    old.conn.close()

    db = open_database(path)

    assert search_cases(db, "odegaard").total == 1
    assert search_cases(db, "bjorn acme").total == 1
    db.execute("INSERT INTO item_search (item_search) VALUES ('integrity-check')")
