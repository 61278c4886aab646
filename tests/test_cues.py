"""The cue words that let extraction skip a regular expression never skip a match."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feeds.cues import caseless, cued

# Letters that Python's IGNORECASE matches with ASCII ones, among ordinary ones.
LETTERS = st.sampled_from([*"acdeiklmnorstu CIKS", "İ", "ı", "ſ", "K", "é"])
WORDS = st.sampled_from(["circuit", "sues", "dismiss", "kind", "is", "st"])


@settings(max_examples=200, deadline=None)
@given(st.lists(LETTERS, max_size=24).map("".join), WORDS)
@example("ſues", "sues")
@example("cİrcuit", "circuit")
@example("cırcuit", "circuit")
@example("Kind", "kind")
def test_a_word_a_case_insensitive_pattern_finds_is_in_the_caseless_text(text: str, word: str) -> None:
    if re.search(re.escape(word), text, re.IGNORECASE):
        assert word in caseless(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*"SUESsues DISMISdismis", "ſ", "K"]), max_size=20).map("".join))
def test_a_cued_pattern_finds_what_the_pattern_finds(text: str) -> None:
    pattern = cued(r"\bsues\b|dismiss", "sues", "dismiss", flags=re.IGNORECASE)
    found = pattern.search(text, caseless(text))
    expected = pattern.pattern.search(text)
    assert (found and found.span()) == (expected and expected.span())


def test_a_case_insensitive_pattern_refuses_a_capitalised_cue() -> None:
    with pytest.raises(ValueError, match="lower-case cues"):
        cued("Circuit", "Circuit", flags=re.IGNORECASE)
