"""News joins the case it names in a world of many cases: the words a headline
shares with hundreds of older cases ("SEC", "Capital", "Holdings", "Widgets")
never hide the one case it names."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from storage.cases import assign_case
from storage.database import write_transaction
from storage.joins import find_news_case, news_mentions
from tests.factories import extraction, news_extraction

OLDER_CASES = 250  # more than any fixed number of rows a lookup might read


def _open_case(db: Database, defendant: str, *, agency: str = "SEC", day: int = 1, docket: str = "") -> int:
    plaintiff = {"SEC": "SEC", "CFTC": "CFTC", "DOJ": "United States of America"}[agency]
    case_id = assign_case(
        db,
        extraction(
            caption=f"{plaintiff} v. {defendant}",
            plaintiffs=[plaintiff],
            defendants=[defendant],
            agency=agency,
            dockets=[docket] if docket else [],
        ),
        f"2024-05-{day:02d}T12:00:00Z",
    )
    assert case_id is not None
    return case_id


@pytest.fixture
def crowded(memory_db: Database) -> Database:
    """``OLDER_CASES`` older SEC cases whose names share every common word of the stories below."""
    with write_transaction(memory_db):
        for number in range(OLDER_CASES):
            _open_case(memory_db, f"Zorvex{number} First Widgets Capital Holdings Inc.")
    return memory_db


def _join(db: Database, headline: str, body: str = "") -> int | None:
    with write_transaction(db):
        return find_news_case(db, news_extraction(headline, body))


def test_a_headline_naming_a_newer_case_joins_it_among_many_sharing_its_words(crowded: Database) -> None:
    with write_transaction(crowded):
        acme = _open_case(crowded, "Acme Widgets Inc.", day=20)
    assert _join(crowded, "SEC charges Acme Widgets with fraud - Reuters") == acme


def test_a_body_naming_the_case_joins_it_among_many_sharing_its_words(crowded: Database) -> None:
    with write_transaction(crowded):
        acme = _open_case(crowded, "Acme Widgets Inc.", day=20)
    headline = "Widget maker loses bid to end regulator's lawsuit - Law360"
    body = "A federal judge refused to dismiss most of the SEC's case against Acme Widgets Inc."
    assert _join(crowded, headline, body) == acme


def test_a_name_made_only_of_common_words_is_found(crowded: Database) -> None:
    with write_transaction(crowded):
        first_capital = _open_case(crowded, "First Capital Holdings LLC", day=20)
    assert _join(crowded, "SEC sues First Capital Holdings over Ponzi scheme - Bloomberg") == first_capital


def test_a_surname_shared_by_many_people_finds_the_most_recent_case(crowded: Database) -> None:
    with write_transaction(crowded):
        for number in range(OLDER_CASES):
            _open_case(crowded, f"Jon{number} Widgetsmith", day=2)
        latest = _open_case(crowded, "Jane Widgetsmith", day=20)
    assert _join(crowded, "SEC charges Widgetsmith with insider trading - Reuters") == latest


def test_the_agency_and_then_recency_still_pick_among_cases_naming_the_same_company(crowded: Database) -> None:
    with write_transaction(crowded):
        sec_older = _open_case(crowded, "Acme Widgets Inc.", day=10, docket="1:24-cv-00101")
        sec_newer = _open_case(crowded, "Acme Widgets Inc.", day=20, docket="1:24-cv-00202")
        cftc = _open_case(crowded, "Acme Widgets LLC", agency="CFTC", day=25)
    assert _join(crowded, "SEC charges Acme Widgets with fraud - Reuters") == sec_newer != sec_older
    assert _join(crowded, "CFTC fines Acme Widgets $2 million over spoofing - Reuters") == cftc


def test_a_case_named_in_passing_is_a_mention_among_many_sharing_its_words(crowded: Database) -> None:
    with write_transaction(crowded):
        acme = _open_case(crowded, "Acme Widgets Inc.", day=20)
        gadgets = _open_case(crowded, "Quillon Widgets Capital Holdings Ltd.", agency="DOJ", day=21)
    story = news_extraction(
        "SEC charges Acme Widgets with fraud - Reuters",
        "The charges follow Quillon Widgets' guilty plea with the Justice Department last year.",
    )
    with write_transaction(crowded):
        joined = find_news_case(crowded, story)
        assert joined == acme
        assert news_mentions(crowded, story, joined) == [gadgets]


def test_a_story_naming_its_own_case_mentions_none_sharing_a_word_of_its_name(crowded: Database) -> None:
    """ "SEC charges Acme Widgets" names its case; SEC cases of other Acmes are not mentioned in passing."""
    with write_transaction(crowded):
        acme = _open_case(crowded, "Acme Widgets Inc.", day=20)
        for day, other in enumerate(("Acme Lending LLC", "Acme Polaris Shipping Co.", "Widgets Labs Corp."), start=21):
            _open_case(crowded, other, day=day)
    story = news_extraction("SEC charges Acme Widgets with fraud - Reuters")
    with write_transaction(crowded):
        joined = find_news_case(crowded, story)
        assert joined == acme
        assert news_mentions(crowded, story, joined) == []


def test_initials_alone_name_no_case(crowded: Database) -> None:
    """ "U.S." in a headline is not "U.S. Bank National Association" (no word of two letters is shared)."""
    with write_transaction(crowded):
        zhao = _open_case(crowded, "Changpeng Zhao", agency="DOJ", day=20)
        bank = assign_case(
            crowded,
            extraction(caption="In re U.S. Bank National Association", defendants=["U.S. Bank National Association"]),
            "2024-05-25T12:00:00Z",
        )
        assert bank is not None
    headline = "Binance's Zhao pleads guilty, steps down to settle U.S. illicit finance probe - Reuters"
    assert _join(crowded, headline) == zhao
