"""Property-based tests for the normaliser (``fold``, ``name_key``, ``clean_text``) and the docket parser.

Feed text is untrusted: whatever a feed sends, the normaliser and the extractor must answer without
raising, keep their documented promises, and find a real docket number wherever it is written.
"""

from __future__ import annotations

import re
import string
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feeds.extract import Docket, extract, find_dockets, leading_docket
from feeds.parse import SUMMARY_LIMIT, TITLE_LIMIT
from feeds.text import CORPORATE_SUFFIXES, clean_text, fold, name_key

PROPERTY = settings(max_examples=200, deadline=None)

# Pieces that the normaliser and the parsers treat specially, mixed with hostile characters:
# combining marks, bidi and zero-width controls, NBSP, emoji, non-ASCII digits, ligatures.
_TRICKY_PIECES = [
    *"0123456789-:.,;$ ()[]'’\n\t&<>/#",
    *"cvCVrbkSECvsaNoIiı",
    "Case No. ",
    "Civil Action No. ",
    "Docket #: ",
    "File No. 3-",
    " v. ",
    "In re ",
    "In the Matter of ",
    " et al",
    " Inc.",
    " S.A.",
    " Ltd",
    "'s",
    "’S",
    " million",
    " bn",
    "(D.D.C.)",
    "Southern District of New York",
    "ecf.nysd.uscourts.gov",
    "&amp;",
    "&#039;",
    "<b>",
    "\u0301",
    "\u0308",
    "\u202e",
    "\u200f",
    "\u200b",
    "\u00a0",
    "\u0000",
    "\x7f",
    "😀",
    "👩🏽‍⚖️",
    "٣",
    "２",
    "İ",
    "ß",
    "ﬁ",
    "ǅ",
    "שלום",
]
# Runs of digits long enough to overflow a float (more than 308 digits).
digit_runs = st.one_of(st.text(alphabet="0123456789", min_size=1, max_size=20), st.integers(300, 400).map("9".__mul__))
tricky_text = st.lists(st.one_of(st.sampled_from(_TRICKY_PIECES), digit_runs), max_size=60).map("".join)
# Any code point but surrogates (hypothesis's default), control characters included.
unicode_text = st.text(max_size=300)
# Up to ~10 KB: a random run repeated, so long inputs stay cheap to generate.
long_text = st.builds(lambda run, times: (run * times)[:10_000], st.text(min_size=1, max_size=100), st.integers(1, 200))
any_text = st.one_of(unicode_text, tricky_text, long_text)
# What extract() may receive raw, kept moderate: the poll path cleans text first (see below).
moderate_text = st.one_of(unicode_text, tricky_text)


def _in_fold_alphabet(folded: str) -> bool:
    """Lower-case letters and digits (any script, no accents, no punctuation), single spaces between words."""
    return (
        all(char == " " or char.isalnum() for char in folded)
        and folded == folded.casefold()
        and not any(unicodedata.combining(char) for char in folded)
        and "  " not in folded
        and folded == folded.strip()
    )


def _same_under_case_mapping(text: str) -> bool:
    """Upper- and lower-casing are inverse for this text (not so for e.g. dotless ``ı`` or ``ß``)."""
    return text.upper().lower() == text.lower()


# --- the normaliser ---------------------------------------------------------------------------


@pytest.mark.reliability("arbitrary text in fold never raises and folds to lower-case words", kind="input")
@PROPERTY
@given(any_text)
def test_fold_is_idempotent_and_in_its_alphabet(text: str) -> None:
    folded = fold(text)
    assert _in_fold_alphabet(folded)
    assert fold(folded) == folded


@pytest.mark.reliability("arbitrary text in fold ignores case and Unicode normal form", kind="input")
@PROPERTY
@given(any_text)
def test_fold_ignores_case_and_normal_form(text: str) -> None:
    if _same_under_case_mapping(text):
        assert fold(text.upper()) == fold(text.lower())
    assert {fold(unicodedata.normalize(form, text)) for form in ("NFC", "NFD", "NFKC", "NFKD")} == {fold(text)}


@pytest.mark.reliability("arbitrary text in name_key never raises and keys are folded words", kind="input")
@PROPERTY
@given(st.one_of(any_text, tricky_text))
def test_name_key_is_idempotent_and_in_its_alphabet(name: str) -> None:
    key = name_key(name)
    assert _in_fold_alphabet(key)
    assert name_key(key) == key
    tokens = key.split()
    # Corporate suffixes are dropped from the end, unless the suffix is the whole name ("Inc." → "inc").
    assert len(tokens) <= 1 or tokens[-1] not in CORPORATE_SUFFIXES


@pytest.mark.reliability("arbitrary text in name_key ignores case and Unicode normal form", kind="input")
@PROPERTY
@given(st.one_of(any_text, tricky_text))
@example("BINANCE'S")  # the possessive was dropped only when written in lower case
@example("Nowak's\u0301")  # "'s" + combining acute: NFD dropped it as a possessive, NFC ("'ś") did not
def test_name_key_ignores_case_and_normal_form(name: str) -> None:
    if _same_under_case_mapping(name):
        assert name_key(name.upper()) == name_key(name.lower())
    assert {name_key(unicodedata.normalize(form, name)) for form in ("NFC", "NFD")} == {name_key(name)}


@pytest.mark.reliability("arbitrary text in clean_text never raises and respects its length cap", kind="input")
@PROPERTY
@given(any_text, st.integers(min_value=1, max_value=SUMMARY_LIMIT))
def test_clean_text_caps_length_and_folds_white_space(raw: str, limit: int) -> None:
    cleaned = clean_text(raw, limit)
    assert len(cleaned) <= limit
    assert cleaned == cleaned.strip()
    assert not re.search(r"\s\s", cleaned)


# --- the docket parser ------------------------------------------------------------------------

_ASCII_LETTERS = st.text(alphabet=string.ascii_letters, min_size=2, max_size=4)
_NORMALISED_KEY = re.compile(r"[0-9]{2}-(?:[a-z]{2,4}-)?[0-9]{5,6}|ap-3-[0-9]{4,6}")


@st.composite
def federal_dockets(draw: st.DrawFn) -> tuple[str, str]:
    """A docket in one of the shapes CM/ECF and the agencies write, and the key it must get."""
    year = draw(st.integers(0, 99))
    number = draw(st.integers(1, 99_999))
    case_type = draw(st.sampled_from(["cv", "cr", "mc", "mj", "bk", "ap", "CV", "Cr"]))
    office = draw(st.integers(1, 9))
    judges = draw(st.lists(_ASCII_LETTERS, max_size=2).map(lambda names: "".join(f"-{n}" for n in names)))
    padded = f"{number:05d}"
    typed_key = f"{year:02d}-{case_type.lower()}-{padded}"
    short_key = f"{year:02d}-{padded}"
    shapes = [
        (f"{office}:{year:02d}-{case_type}-{padded}", typed_key),  # 1:23-cv-01599
        (f"{office}:{year:02d}-{case_type}-{padded}{judges}", typed_key),  # 1:23-cv-01599-ABC
        (f"{year:02d}-{case_type}-{number}", typed_key),  # 23-cv-1599
        (f"Case No. {year:02d}-{number}", short_key),  # Case No. 24-1234
        (f"Case No. {office}:{year:02d}-{case_type}-{padded}", typed_key),
        (f"Docket No.: {year:02d}-{number}", short_key),
        (f"Civil Action No. {year:02d}-{number}", f"{year:02d}-cv-{padded}"),
        (f"Criminal Action No. {office}:{year:02d}-{number}", f"{year:02d}-cr-{padded}"),
    ]
    return draw(st.sampled_from(shapes))


@st.composite
def leading_dockets(draw: st.DrawFn) -> tuple[str, str]:
    """A docket at the start of a court feed's item title, appellate and bankruptcy forms included."""
    year = draw(st.integers(0, 99))
    number = draw(st.integers(1, 99_999))
    padded = f"{number:05d}"
    judge = draw(_ASCII_LETTERS)
    shapes = [
        (f"1:{year:02d}-cv-{padded}-{judge}", f"{year:02d}-cv-{padded}"),  # district court
        (f"{year:02d}-{number}", f"{year:02d}-{padded}"),  # appellate: 23-1187
        (f"{year:02d}-{padded} ({judge.upper()})", f"{year:02d}-{padded}"),  # bankruptcy: 23-10063 (SHL)
        (f"{year:02d}-{padded}-{judge.lower()}", f"{year:02d}-{padded}"),  # bankruptcy: 16-10992-smb
    ]
    return draw(st.sampled_from(shapes))


# Decimal digits of other scripts: Arabic-Indic, Devanagari, fullwidth, mathematical bold.
_OTHER_DIGITS = ["٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९", "０１２３４５６７８９", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"]


def _in_other_digits(text: str, script: int) -> str:
    return text.translate(str.maketrans("0123456789", _OTHER_DIGITS[script]))


def _keys(dockets: list[Docket]) -> set[str]:
    return {key for docket in dockets for key in (docket.key, docket.short)}


@pytest.mark.reliability("arbitrary text in docket parsing never raises nor invents a docket", kind="input")
@PROPERTY
@given(
    st.one_of(
        any_text,
        st.builds(
            _in_other_digits, federal_dockets().map(lambda docket: docket[0]), st.integers(0, len(_OTHER_DIGITS) - 1)
        ),
    )
)
@example("٢٣-cv-١٥٩٩")  # Arabic-Indic digits gave the key "٢٣-cv-0١٥٩٩", which no other spelling has
@example("Case No. २३-१५९९")
def test_find_dockets_keys_are_normalised_and_need_digits(text: str) -> None:
    dockets = find_dockets(text)
    assert len({docket.key for docket in dockets}) == len(dockets)
    for docket in dockets:
        assert _NORMALISED_KEY.fullmatch(docket.key), docket
        assert _NORMALISED_KEY.fullmatch(docket.short), docket
    if not re.search("[0-9]", text):
        assert dockets == []


@pytest.mark.reliability("arbitrary text around a docket number does not hide it", kind="input")
@PROPERTY
@given(federal_dockets(), any_text, any_text)
def test_docket_in_arbitrary_text_is_found_with_its_key(docket: tuple[str, str], before: str, after: str) -> None:
    written, key = docket
    assert key in _keys(find_dockets(f"{before} {written} {after}"))


@pytest.mark.reliability("arbitrary text in an item around a docket number does not hide it", kind="input")
@PROPERTY
@given(federal_dockets(), moderate_text, moderate_text, st.sampled_from(["regulator", "news", "court"]))
def test_extract_finds_a_docket_in_arbitrary_item_text(
    docket: tuple[str, str], before: str, after: str, feed_kind: str
) -> None:
    written, key = docket
    result = extract(
        title=before,
        summary=f"{before} {written} {after}",
        author=None,
        feed_agency=None,
        feed_kind=feed_kind,
        feed_url="",
    )
    assert key in result.docket_keys


@pytest.mark.reliability("arbitrary text after a court title's docket number does not hide it", kind="input")
@PROPERTY
@given(leading_dockets(), moderate_text)
def test_court_title_docket_is_found_whatever_follows(docket: tuple[str, str], rest: str) -> None:
    written, key = docket
    title = f"{written} {rest}"
    found, _ = leading_docket(title)
    assert found is not None and found.key == key
    result = extract(title=title, summary="", author=None, feed_agency=None, feed_kind="court", feed_url="")
    assert result.dockets[0].key == key


@pytest.mark.reliability("a docket number shown to users parses back to the same docket", kind="input")
@PROPERTY
@given(st.one_of(federal_dockets().map(lambda docket: docket[0]), tricky_text))
def test_docket_display_and_key_round_trip(text: str) -> None:
    for docket in find_dockets(text):
        if docket.key.startswith("ap-"):
            assert find_dockets(docket.display) == [docket]
            continue
        assert leading_docket(docket.display) == (docket, "")
        (from_key, rest) = leading_docket(docket.key)
        assert (from_key.key if from_key else None, rest) == (docket.key, "")


# --- the whole extractor ----------------------------------------------------------------------

_FEED_URLS = st.one_of(
    st.sampled_from(["", "https://ecf.nysd.uscourts.gov/cgi-bin/rss_outside.pl", "https://www.sec.gov/rss x"]),
    moderate_text,
)
_FEED_AGENCIES = st.one_of(st.none(), st.sampled_from(["SEC", "CFTC", "D.D.C.", "S.D.N.Y."]), moderate_text)
_FEED_KINDS = st.sampled_from(["regulator", "court", "news"])


@pytest.mark.reliability("arbitrary text in a feed item never crashes extraction", kind="input")
@PROPERTY
@given(
    title=moderate_text,
    summary=moderate_text,
    author=st.one_of(st.none(), moderate_text),
    feed_agency=_FEED_AGENCIES,
    feed_kind=_FEED_KINDS,
    feed_url=_FEED_URLS,
    feed_title=moderate_text,
)
@example(  # float("9" * 400) is inf: round() raised OverflowError
    title="",
    summary="Agrees to pay $" + "9" * 400,
    author=None,
    feed_agency=None,
    feed_kind="news",
    feed_url="",
    feed_title="",
)
def test_extract_never_raises_on_raw_text(
    title: str,
    summary: str,
    author: str | None,
    feed_agency: str | None,
    feed_kind: str,
    feed_url: str,
    feed_title: str,
) -> None:
    result = extract(
        title=title,
        summary=summary,
        author=author,
        feed_agency=feed_agency,
        feed_kind=feed_kind,
        feed_url=feed_url,
        feed_title=feed_title,
    )
    _ = (result.docket_keys, result.routine, result.caption_key)


@pytest.mark.reliability("arbitrary text up to 10 KB in a polled feed item never crashes extraction", kind="input")
@PROPERTY
@given(
    title=any_text,
    summary=any_text,
    author=any_text,
    feed_agency=_FEED_AGENCIES,
    feed_kind=_FEED_KINDS,
    feed_url=_FEED_URLS,
    feed_title=any_text,
)
def test_extract_never_raises_on_polled_text(
    title: str, summary: str, author: str, feed_agency: str | None, feed_kind: str, feed_url: str, feed_title: str
) -> None:
    """The text as feeds/parse.py hands it to bot/ingest.py: cleaned and capped."""
    cleaned_summary = clean_text(summary, SUMMARY_LIMIT)
    result = extract(
        title=clean_text(title, TITLE_LIMIT) or cleaned_summary[:120] or "(untitled)",
        summary=cleaned_summary,
        author=clean_text(author, 200) or None,
        feed_agency=feed_agency,
        feed_kind=feed_kind,
        feed_url=feed_url,
        feed_title=clean_text(feed_title, 300),
    )
    _ = (result.docket_keys, result.routine, result.caption_key, [name_key(p.name) for p in result.defendants])
