"""Extraction's fast paths find what the plain patterns find.

Speed changes to extraction (issue 9) search less: a pattern shaped as a trie, a
search that starts where the first possible match can, a pattern not run at all
when the text lacks what every match holds. Each test here keeps the plain
version as the reference and checks, on generated texts made of the pieces those
patterns look for, that the fast one finds the same matches at the same places.
(`python -m bench.extract_speed --check` checks whole extractions of 9,304 items.)
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds import courts

SETTINGS = settings(max_examples=200, deadline=None)


def texts(pieces: list[str]) -> st.SearchStrategy[str]:
    """Texts joined from ``pieces`` and bits of punctuation, space and letters around them."""
    glue = st.sampled_from(["", " ", "  ", ".", ",", "(", ")", "\n", "x", "A", "1", "-", "İ", "ſ"])
    return st.lists(st.one_of(st.sampled_from(pieces), glue), max_size=24).map("".join)


# --- court citations ------------------------------------------------------------


def _loose(citation: str) -> str:
    parts = re.split(r"(?<=\.)\s*", citation)
    return r"\s?".join(re.escape(part) for part in parts if part)


_CITATIONS = sorted(set(courts.COURTS.values()) - {courts.SUPREME_COURT})
# The pattern as it was: every citation in one alternation, longest first.
REFERENCE_CITATION = re.compile(
    r"(?<![\w.])(?P<cite>" + "|".join(_loose(c) for c in sorted(_CITATIONS, key=len, reverse=True)) + r")(?!\w)"
)
_CITATION_PIECES = [
    *_CITATIONS,
    *(citation.replace(" ", "") for citation in _CITATIONS),
    *(citation.replace(".", ". ") for citation in _CITATIONS),
    *(citation[: len(citation) // 2] for citation in _CITATIONS),
    "D.C.",
    "U.S.",
    "Cir.",
]


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [(match.start(), match.end(), match["cite"]) for match in pattern.finditer(text)]


@SETTINGS
@given(texts(_CITATION_PIECES))
def test_the_citation_trie_finds_what_the_alternation_of_citations_finds(text: str) -> None:
    assert _spans(courts._CITATION, text) == _spans(REFERENCE_CITATION, text)


def test_the_citation_trie_finds_every_citation_in_every_spelling() -> None:
    for citation in _CITATIONS:
        assert _spans(courts._CITATION, citation) == [(0, len(citation), citation)]
        for spelled in (citation.replace(". ", "."), f"({citation})", f"in the {citation}, held", f"x{citation}"):
            assert _spans(courts._CITATION, spelled) == _spans(REFERENCE_CITATION, spelled)
