"""Checking a few rows for a query's words without a check table
(storage.fulltext.ascii_words_match): it must split ASCII text as the search
indexes' FTS5 tokenizer does, or a search would find other rows."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.text import words
from storage.fulltext import SEARCH_TOKENIZER, Fts5, ascii_words_match
from storage.search import search_cases
from tests import factories


def _fts5_words(text: str) -> set[str]:
    """The words FTS5's tokenizer of the search indexes makes of ``text``."""
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE split USING fts5 (text, tokenize = '{SEARCH_TOKENIZER}')")
    db.execute("CREATE VIRTUAL TABLE split_words USING fts5vocab (split, 'row')")
    db.execute("INSERT INTO split (text) VALUES (?)", [text])
    found = {term for (term,) in db.execute("SELECT term FROM split_words")}
    db.close()
    return found


def test_every_ascii_character_splits_as_fts5_splits_it() -> None:
    for code in range(1, 128):
        text = f"ab{chr(code)}cd {chr(code)}E{chr(code)}"
        assert set(words(text)) == _fts5_words(text), repr(chr(code))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=127), max_size=80))
def test_ascii_text_splits_as_fts5_splits_it(text: str) -> None:
    assert set(words(text)) == _fts5_words(text)


def test_rows_are_checked_for_every_word_in_any_column_newest_first() -> None:
    """Both ways of checking (split here for ASCII, the check table for the
    rest) give the rows the index gives, newest first."""
    db = factories.memory_database()
    source = factories.feed(db)
    titles = ["Acme-Widgets, Inc.'s fraud", "ACME WIDGETS settles", "Acmé Widgets fraud", "Widgets of Acme"]
    stored = [
        factories.stored_item(
            db, source, factories.extraction(action=None), factories.feed_item(title, summary=summary)
        )
        for title, summary in zip(titles, ["", "fraud charges", "", "no"], strict=True)
    ]
    ids = [item.id for item in stored]
    text = Fts5()
    assert text.check(db, "items", ids, ["acme", "widgets", "fraud"]) == [ids[2], ids[1], ids[0]]
    assert text.check(db, "items", ids, ["s"]) == [ids[0]]
    assert text.check(db, "items", ids, ["acm"]) == []
    ascii_only = [ids[0], ids[1], ids[3]]
    assert text.check(db, "items", ascii_only, ["acme", "widgets", "fraud"]) == [ids[1], ids[0]]
    assert text.check(db, "items", ascii_only, ["of"]) == [ids[3]]
    assert text.check(db, "items", ascii_only, ["acm"]) == []
    assert ascii_words_match({"acme", "fraud"}, ["Acme", None, "FRAUD."])
    assert not ascii_words_match({"acme", "fraud"}, ["Acme", None, "frauds"])


def test_a_full_name_with_a_common_word_finds_its_case_through_the_checked_rows(memory_db) -> None:
    """A name's rare words' rows checked for all its words (the path of names with a common word)."""
    source = factories.feed(memory_db)
    what = factories.extraction(defendants=["Laura D. Reed"], dockets=["1:24-cv-01001"])
    factories.stored_item(memory_db, source, what, factories.feed_item("SEC charges Laura D. Reed"))
    assert [case.defendants for case in search_cases(memory_db, "Laura D. Reed").cases] == [["Laura D. Reed"]]
