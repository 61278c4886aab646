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

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds import courts, extract, releases
from feeds.cues import caseless
from feeds.extract import find_dockets
from feeds.types import Docket

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


# --- docket numbers --------------------------------------------------------------


def reference_dockets(text: str) -> list[Docket]:
    """find_dockets as it was: every pattern searched over the whole text."""
    found: dict[str, Docket] = {}
    for match in extract._FEDERAL_DOCKET.finditer(text):
        docket = extract._docket(match["office"], match["year"], match["number"], match["type"])
        found.setdefault(docket.key, docket)
    for match in extract._LABELLED_DOCKET.finditer(text):
        label = re.sub(r"\s+", " ", match["label"].lower())
        docket = extract._docket(match["office"], match["year"], match["number"], extract._LABEL_TYPES.get(label))
        if not any(d.short == docket.short for d in found.values()):
            found.setdefault(docket.key, docket)
    for match in extract._SEC_FILE_NUMBER.finditer(text):
        number = match["number"]
        found.setdefault(f"ap-{number}", Docket(display=f"File No. {number}", key=f"ap-{number}", short=f"ap-{number}"))
    return list(found.values())


_DOCKET_PIECES = [
    "1:23-cv-01599",
    "23-cv-1599-ABJ",
    "2:23-cr-00178-RAJ-1",
    "-cv-",
    "-cr-0",
    "1:",
    "23",
    "4",
    "-",
    "Case No.",
    "Civil Action No. ",
    "CRIMINAL CASE #",
    "Docket: ",
    "appeal no ",
    "23-1599",
    "16-10992-smb",
    "File No. 3-12345",
    "3-",
    "file no",
]


@SETTINGS
@given(texts(_DOCKET_PIECES))
def test_dockets_found_from_their_hints_are_those_of_the_whole_text(text: str) -> None:
    assert find_dockets(text) == reference_dockets(text)


@SETTINGS
@given(texts(_DOCKET_PIECES))
def test_federal_dockets_found_hint_by_hint_are_those_of_the_whole_text(text: str) -> None:
    expected = [match.span() for match in extract._FEDERAL_DOCKET.finditer(text)]
    assert [match.span() for match in extract._federal_dockets(text)] == expected


# --- captions --------------------------------------------------------------------

REFERENCE_GOVERNMENT_CAPTION = re.compile(r"(?=[CFPSU])" + extract._PLAINTIFF + r"\s+v(?:s)?\.?\s+[A-Z0-9\"“]")
_CAPTION_PIECES = [
    "SEC",
    "U.S. ",
    "U.S.A.",
    "Securities and Exchange Commission",
    "United States of America",
    "State of New York",
    "People of the State of California",
    " v. ",
    " vs ",
    " v ",
    "Acme Corp.",
    "In re ",
    "IN THE MATTER OF ",
    "İn re ",
    "in  the matter of",
    "Binance",
    "\u0307",
]


@SETTINGS
@given(texts(_CAPTION_PIECES))
def test_government_captions_are_found_where_they_were(text: str) -> None:
    found = [match.span() for match in extract._GOVERNMENT_CAPTION.finditer(text)]
    assert found == [match.span() for match in REFERENCE_GOVERNMENT_CAPTION.finditer(text)]


@SETTINGS
@given(texts(_CAPTION_PIECES))
def test_a_matter_caption_is_looked_for_whenever_the_text_holds_one(text: str) -> None:
    if extract._MATTER_CAPTION.search(text):
        assert extract._MATTER_CUE.search(caseless(text))


REFERENCE_CAPTION_STOP = re.compile(
    r",?\s*(?:\((?=[A-Z]\.|\s*(?:filed|No\.|Case|Civil|\d))|\bCivil\s+Action\b|\bCriminal\s+Action\b|\bCase\s+No\b|\bNo\.\s*\d|\bDocket\b|"
    r"\bFile\s+No\b|\bfiled\b|\bin\s+the\s+U\.?S\.?\s+District\b|\bin\s+the\s+United\s+States\s+District\b|"
    r"\bin\s+federal\b|;|\n|,\s+(?-i:(?=[a-z])(?!(?:inc|llc|ltd|et\s+al|and)\b)))",
    re.IGNORECASE,
)
_STOP_PIECES = ["SEC v. Acme", ", ", ",", " ", "\n", ";", "(", "(D.", "( filed", "(No. 3", "(1", "Civil Action"]
_STOP_PIECES += [
    "criminal  action",
    "CASE NO",
    "No. 5",
    "docket",
    "File No",
    "filed",
    "in the U.S. District",
    "İn federal",
]
_STOP_PIECES += ["in the United States District", ", inc", ", and", ", et al", ", was", "ınc", "x", "Ltd."]


@SETTINGS
@given(texts(_STOP_PIECES))
def test_a_caption_ends_where_it_did(text: str) -> None:
    for start in (0, 1):
        found = extract._CAPTION_STOP.search(text, start)
        expected = REFERENCE_CAPTION_STOP.search(text, start)
        assert (found and found.start()) == (expected and expected.start())


# --- amounts and cued patterns ---------------------------------------------------------


@SETTINGS
@given(texts(["$", "US$", "us$", "uS", "$1", "5", ",000", ".5", " million", "M", " bn", "ſ", "$ 2"]))
def test_dollar_amounts_searched_from_the_first_dollar_sign_are_all_of_them(text: str) -> None:
    assert [m.span() for m in extract.dollar_matches(text)] == [m.span() for m in extract._AMOUNT.finditer(text)]


_LEADING = [pattern for _, pattern in extract._ACTIONS if pattern.leading]
_ACTION_WORDS = ["settle", "SETTLED", "agrees to pay", "consent order", "dismissed", "judgments", "prejudgment"]
_ACTION_WORDS += ["cease-and-desist", "Order instituting", "ruling", "memorandum", "indicted", "criminal complaint"]
_ACTION_WORDS += ["arrested", "complaint", "charges", "sues", "lawsuit", "Administrative proceeding", "İ", "é"]
_ACTION_WORDS += ["\u0307", "—", "ı", "ſ"]


@SETTINGS
@given(texts(_ACTION_WORDS))
def test_a_pattern_searched_from_its_first_cue_finds_what_the_pattern_finds(text: str) -> None:
    for cued_pattern in _LEADING:
        found = cued_pattern.search(text, caseless(text))
        expected = cued_pattern.pattern.search(text)
        assert (found and found.span()) == (expected and expected.span()), cued_pattern.pattern.pattern


@SETTINGS
@given(
    texts(["Acme", " a/k/a ", " AKA ", " aKa ", " formerly known as ", " also  KNOWN as ", " d/b/a/ ", "/", "known"])
)
def test_aliases_are_split_off_where_they_were(text: str) -> None:
    assert extract._split_aka(text) == extract._AKA.split(text)


_DISTRICT_PIECES = [
    "Bankruptcy Court for the ",
    "Northern ",
    "District of Columbia",
    "District of New York",
    "New York",
]
_DISTRICT_PIECES += ["District", " of ", "Southern", "Court", "the ", "  ", "\n", "Circuit", "x" * 30, "é"]


@SETTINGS
@given(texts(_DISTRICT_PIECES))
def test_district_names_searched_from_near_the_first_district_are_all_of_them(text: str) -> None:
    district = text.find("District")
    start = courts._district_search_start(text, district) if district >= 0 else 0
    found = [(m.start(), courts._district(m)) for m in courts._DISTRICT_NAME.finditer(text, start)]
    assert found == [(m.start(), courts._district(m)) for m in courts._DISTRICT_NAME.finditer(text)]


_HEADLINE_PIECES = ["SEC ", "CFTC ", "Justice Department ", "Acme Corp. ", "John Doe ", "is ", "was ", "re"]
_HEADLINE_PIECES += ["sentenced", "Sentences ", "pleads ", "Guilty", "Federal Jury ", "convicts ", "Found ", "liable"]
_HEADLINE_PIECES += ["obtains ", "final ", "Judgment ", "against ", "Court ", "orders ", "requiring ", "to ", "pay "]
_HEADLINE_PIECES += ["imposes $5 million ", "penalty on ", "agrees ", "settle", "will ", "indicted", "Charges "]
_HEADLINE_PIECES += ["indictment ", "files a complaint ", "sues ", "charged", "dismisses ", "its case ", "for fraud"]
_HEADLINE_PIECES += ["ſ", "İ", ", "]


# One headline of each shape, in the order of releases._SHAPES.
HEADLINES = [
    "John Doe Sentenced to 5 Years",
    "Court Sentences John Doe for Fraud",
    "Acme Corp. Pleads Guilty",
    "Federal Jury Convicts John Doe of Fraud",
    "John Doe Found Liable",
    "SEC Obtains Final Judgment Against John Doe",
    "Court Enters Final Judgment Against Acme Corp.",
    "Judge Orders Acme Corp. to Pay $5 Million",
    "SEC Imposes $5 Million Penalty on Acme Corp.",
    "Acme Corp. Will Pay $5 Million",
    "John Doe Arrested",
    "Justice Department Announces Charges Against John Doe",
    "SEC Charges Acme Corp. for Fraud",
    "John Doe Charged",
    "SEC Dismisses Its Case Against Acme Corp.",
]


def test_each_headline_example_has_its_own_shape() -> None:
    for shape, headline in zip(releases._SHAPES, HEADLINES, strict=True):
        assert shape.pattern.pattern.search(headline), headline


def assert_shapes_agree(headline: str) -> None:
    for shape in releases._SHAPES:
        found = shape.pattern.search(headline, caseless(headline))
        expected = shape.pattern.pattern.search(headline)
        assert (found and found.groupdict()) == (expected and expected.groupdict()), shape.pattern.pattern.pattern


@pytest.mark.parametrize(
    "headline", [*HEADLINES, "Acme Corp. to Pay $5 Million to Settle", "Acme Corp. Agreed to Resolve", "Acme Settles"]
)
def test_headline_shapes_tried_only_on_their_cue_words_read_each_shape(headline: str) -> None:
    assert_shapes_agree(headline)


@SETTINGS
@given(texts(_HEADLINE_PIECES))
def test_headline_shapes_tried_only_on_their_cue_words_find_what_they_found(headline: str) -> None:
    assert_shapes_agree(headline)


@SETTINGS
@given(texts(["Binance ", "Founder", "CEO", "chief financial officer", "Officer", "of Celsius", "preſident", "İ", "x"]))
def test_a_role_only_headline_is_told_as_before(who: str) -> None:
    found = releases._ROLE_ONLY.search(who, caseless(who))
    expected = releases._ROLE_ONLY.pattern.search(who)
    assert (found and found.span()) == (expected and expected.span())
