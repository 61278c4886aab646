"""Property-based tests of what users type: any text as a /case query is
safe for SQLite FTS5, and any text after /watch or /unwatch is either refused
with a reason or read into terms with nothing invisible in them."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from handlers.watch_request import BadRequest, parse_watch, unwatch_target, visible_text
from storage.fulltext import full_text
from storage.search import search_cases, search_words
from storage.watches import WatchSpec
from tests.conftest import sample_feeds_database

FTS_SYNTAX = ['"', "'", "*", "NEAR(", "NEAR/2", "OR", "AND", "NOT", "-", "+", "^", ":", "(", ")", "{", "}", ",", "."]
WORDS = ["binance", "Binance Holdings Ltd.", "sec", "1:23-cv-01599", "zhao", "aka", "daily", "all", "#2", "7"]
INVISIBLE = ["\x00", "\x07", "\t", "\n", "\x1b", "\x7f", "\x85", "\u200b", "\u200d", "\u200e", "\u202e", "\u2066"]
INVISIBLE += ["\u2069", "\u2060", "\u2064", "\ufeff", "\u00ad"]

# Arbitrary text, and text assembled from the pieces most likely to break a parser.
hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(FTS_SYNTAX + WORDS + INVISIBLE + [" "]), max_size=40).map("".join),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Ll", "Lu", "Nd", "Po"]), max_size=60),
)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, module_database_url: Callable[[Path], str]) -> Database:
    return sample_feeds_database(tmp_path_factory.mktemp("properties"), module_database_url)


def invisible(text: str) -> list[str]:
    return [char for char in text if unicodedata.category(char) in ("Cc", "Cf")]


@pytest.mark.reliability("arbitrary text as a /case query (FTS5 syntax, controls, any script)", kind="input")
@settings(max_examples=200, deadline=None)
@given(query=hostile_text)
def test_any_query_is_a_valid_full_text_expression_and_never_raises(demo_db: Database, query: str) -> None:
    tokens = search_words(query)
    text = full_text(demo_db)  # FTS5's MATCH, or PostgreSQL's tsquery
    for prefix_last in (False, True):
        expression = text.words(tokens, prefix_last=prefix_last)
        if expression:
            text.count_all(demo_db, "items", expression)
            text.count_all(demo_db, "cases", expression)
    result = search_cases(demo_db, query)
    assert result.total >= len(result.cases)


@pytest.mark.reliability("arbitrary text after /watch and /unwatch", kind="input")
@settings(max_examples=200, deadline=None)
@given(text=hostile_text)
def test_any_watch_text_is_refused_or_read_into_visible_terms(text: str) -> None:
    spec = parse_watch(text)
    if isinstance(spec, BadRequest):
        assert spec.message
    else:
        assert isinstance(spec, WatchSpec)
        for term in (spec.term, spec.term_key, *(part for alias in spec.aliases for part in alias)):
            assert term.strip() and not invisible(term), (text, spec)
    target = unwatch_target(text)
    assert isinstance(target, BadRequest | int) or not any(invisible(part) for part in target)


@given(text=st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_visible_text_keeps_every_visible_character(text: str) -> None:
    kept = visible_text(text)
    assert not invisible(kept)
    assert [c for c in kept if not c.isspace()] == [c for c in text if not c.isspace() and not invisible(c)]
