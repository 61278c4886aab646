"""Extraction of dockets, captions, parties, courts, actions and amounts."""

from __future__ import annotations

import json

import pytest

from feeds.courts import court_from_text
from feeds.extract import (
    action_type,
    extract,
    find_amounts,
    find_caption,
    find_dockets,
    format_amount,
    leading_docket,
    parse_parties,
    release_number,
    split_caption,
    split_parties,
)
from feeds.parse import parse_feed
from tests.conftest import FIXTURES


@pytest.mark.parametrize(
    ("text", "display", "key"),
    [
        ("1:23-cv-01599", "1:23-cv-01599", "23-cv-01599"),
        ("1:23-cv-01599-ABJ", "1:23-cv-01599", "23-cv-01599"),
        ("see 23-cv-1599 here", "23-cv-01599", "23-cv-01599"),
        ("Civil Action No. 23-1599", "23-cv-01599", "23-cv-01599"),
        ("Civil Action No. 1:23-cv-01599 (D.D.C.)", "1:23-cv-01599", "23-cv-01599"),
        ("Case No. 2:23-cr-00178-RAJ", "2:23-cr-00178", "23-cr-00178"),
        ("Criminal Action No. 23-178", "23-cr-00178", "23-cr-00178"),
        ("Administrative Proceeding File No. 3-21500", "File No. 3-21500", "ap-3-21500"),
    ],
)
def test_docket_forms_are_normalised(text: str, display: str, key: str) -> None:
    (docket,) = find_dockets(text)
    assert (docket.display, docket.key) == (display, key)


def test_every_spelling_of_one_docket_shares_a_key() -> None:
    spellings = ["1:23-cv-01599", "1:23-cv-01599-ABJ", "23-cv-1599", "Civil Action No. 23-1599"]
    assert {find_dockets(text)[0].key for text in spellings} == {"23-cv-01599"}


def test_case_number_without_type_matches_by_short_form() -> None:
    (docket,) = find_dockets("Case No. 23-1599")
    assert docket.short == "23-01599" == find_dockets("1:23-cv-01599")[0].short


@pytest.mark.parametrize("fixture", sorted(p.name for p in (FIXTURES / "pacer").glob("*.xml")))
def test_pacer_docket_numbers_match_juriscraper(fixture: str) -> None:
    """juriscraper's own parse of each real CM/ECF file is the answer key."""
    answer = {
        entry["docket_number"] for entry in json.loads((FIXTURES / "pacer" / fixture).with_suffix(".json").read_text())
    }
    items = parse_feed((FIXTURES / "pacer" / fixture).read_bytes(), base_url="https://ecf.x", court_feed=True).items
    ours = {leading_docket(item.title)[0].display for item in items}
    assert ours == answer


def test_pacer_case_names_match_juriscraper() -> None:
    answer = json.loads((FIXTURES / "pacer" / "sdny_1.json").read_text())
    items = parse_feed(
        (FIXTURES / "pacer" / "sdny_1.xml").read_bytes(), base_url="https://ecf.x", court_feed=True
    ).items
    names = {entry["docket_number"]: entry["case_name"] for entry in answer}
    matched = 0
    for item in items:
        result = extract(
            title=item.title, summary=item.summary, author=None, feed_agency="", feed_kind="court", feed_url=""
        )
        if result.caption.replace(" et al.", "") == names[result.dockets[0].display]:
            matched += 1
    assert matched / len(items) > 0.97


def test_court_captions_are_tidied() -> None:
    from feeds.extract import tidy_caption

    assert tidy_caption("US v. James Squire") == "United States v. James Squire"
    assert tidy_caption("Gioeli vs United States of America") == "Gioeli v. United States"
    assert tidy_caption("USA v. Nejad et al") == "United States v. Nejad et al."
    assert tidy_caption("Usher v. Usborne") == "Usher v. Usborne"
    assert tidy_caption("Commerzbank AG v. U.S. Bank N.A. et al") == "Commerzbank AG v. U.S. Bank N.A. et al."
    assert tidy_caption("Mull v. The United States of America") == "Mull v. United States"
    assert tidy_caption("Breitburn Energy Partners LP, et al.,") == "Breitburn Energy Partners LP et al."


@pytest.mark.parametrize(
    ("title", "parties"),
    [
        (
            "Lufkin Advisors, LLC and Chauncey Forbush Lufkin, III",
            ["Lufkin Advisors, LLC", "Chauncey Forbush Lufkin, III"],
        ),
        ("BorrowMoney.com, Inc. and Aldo Piscitello", ["BorrowMoney.com, Inc.", "Aldo Piscitello"]),
        ('Zhou Min Ni and Jian Ming "Jonathan" Ni, CPA', ["Zhou Min Ni", "Jian Ming Ni"]),
        ("Procter & Gamble Co. and Johnson & Johnson", ["Procter & Gamble Co.", "Johnson & Johnson"]),
        (
            "Mario Gogliormella, Steven Lacaj, and Karim Ibrahim a/k/a/ Chris Hayes",
            ["Mario Gogliormella", "Steven Lacaj", "Karim Ibrahim"],
        ),
        ("Marc Henry Menard; Laesha Jean-Louis", ["Marc Henry Menard", "Laesha Jean-Louis"]),
        ("Bhardwaj et al.", ["Bhardwaj"]),
        ("Christopher R. Bentley, et al.", ["Christopher R. Bentley"]),
        ("James L. Koutoulas ", ["James L. Koutoulas"]),
        (
            "Jordan Qsar, Grant Witherspoon, Austin Bernard, and Chase Lambert",
            ["Jordan Qsar", "Grant Witherspoon", "Austin Bernard", "Chase Lambert"],
        ),
        # Names that begin with a capital outside ASCII are parties too.
        (
            "Nobleline Equity Biotech plc and François Q. Kaplan",
            ["Nobleline Equity Biotech plc", "François Q. Kaplan"],
        ),
        ("Zoë Müller and Łukasz Dvořák", ["Zoë Müller", "Łukasz Dvořák"]),
        ("Ørsted Trading LLC and Émile Zola", ["Ørsted Trading LLC", "Émile Zola"]),
    ],
)
def test_sec_release_titles_split_into_parties(title: str, parties: list[str]) -> None:
    assert split_parties(title) == parties


def test_aliases_are_kept_apart_from_the_name() -> None:
    (*_, karim) = parse_parties("Mario Gogliormella and Karim Ibrahim a/k/a/ Chris Hayes")
    assert (karim.name, karim.aliases) == ("Karim Ibrahim", ("Chris Hayes",))


def test_caption_found_in_prose_and_split() -> None:
    text = (
        "The SEC's complaint, filed in the U.S. District Court for the District of Columbia, alleges fraud. "
        "Securities and Exchange Commission v. Binance Holdings Limited, BAM Trading Services Inc., "
        "BAM Management US Holdings Inc., and Changpeng Zhao, Civil Action No. 1:23-cv-01599 (D.D.C.)."
    )
    caption = find_caption(text)
    assert caption == (
        "Securities and Exchange Commission v. Binance Holdings Limited, BAM Trading Services Inc., "
        "BAM Management US Holdings Inc., and Changpeng Zhao"
    )
    plaintiffs, defendants = split_caption(caption)
    assert plaintiffs == ["Securities and Exchange Commission"]
    assert defendants == [
        "Binance Holdings Limited",
        "BAM Trading Services Inc.",
        "BAM Management US Holdings Inc.",
        "Changpeng Zhao",
    ]


@pytest.mark.parametrize(
    ("text", "caption"),
    [
        (
            "United States v. Binance Holdings Limited, Case No. 2:23-cr-00178",
            "United States v. Binance Holdings Limited",
        ),
        ("SEC v. Consensys Software Inc. (E.D.N.Y.)", "SEC v. Consensys Software Inc."),
        ("In the Matter of Binance Holdings, Ltd.", "In the Matter of Binance Holdings, Ltd."),
        (
            "in Commodity Futures Trading Commission v. Changpeng Zhao, Binance Holdings (IE) Limited, and Samuel Lim, "
            "Case No. 1:23-cv-01887",
            "Commodity Futures Trading Commission v. Changpeng Zhao, Binance Holdings (IE) Limited, and Samuel Lim",
        ),
        ("most of the case, SEC v. Binance Holdings Ltd., to proceed.", "SEC v. Binance Holdings Ltd."),
        ("No caption in this sentence at all.", None),
        # A caption ending in a dotted abbreviation keeps its last full stop.
        (
            "In SEC v. Northwind Associates S.A., Civil Action No. 1:24-cv-01599 (S.D.N.Y.), the SEC alleged",
            "SEC v. Northwind Associates S.A.",
        ),
        ("SEC v. Acme Partners L.P.", "SEC v. Acme Partners L.P."),
    ],
)
def test_captions(text: str, caption: str | None) -> None:
    assert find_caption(text) == caption


@pytest.mark.parametrize(
    ("text", "court"),
    [
        ("Civil Action No. 1:23-cv-01599 (D.D.C.)", "D.D.C."),
        ("in the U.S. District Court for the Northern District of Illinois", "N.D. Ill."),
        ("filed in the Eastern District of New York", "E.D.N.Y."),
        ("(W.D. Wash.)", "W.D. Wash."),
        ("https://ecf.nysd.uscourts.gov/cgi-bin/rss_outside.pl", "S.D.N.Y."),
        ("https://ecf.ca2.uscourts.gov", "2d Cir."),
        ("nothing about courts", None),
    ],
)
def test_courts(text: str, court: str | None) -> None:
    assert court_from_text(text) == court


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("SEC Files 13 Charges Against Binance Entities", "complaint"),
        ("Binance and CEO Plead Guilty to Federal Charges in $4B Resolution", "plea"),
        ("FinCEN Announces Historic Settlement with Binance", "settlement"),
        ("Binance Agrees to Pay $2.85 Billion", "settlement"),
        ("[Order on Motion to Dismiss]", "ruling"),
        ("Memorandum Opinion granting in part and denying in part the motion to dismiss", "ruling"),
        ("Court dismissed the case with prejudice", "dismissal"),
        ("Final Judgment entered against defendant", "judgment"),
        ("Order Instituting Administrative Proceedings", "administrative proceeding"),
        ("[Notice of Appearance]", None),
    ],
)
def test_action_types(text: str, action: str | None) -> None:
    assert action_type(text) == action


def test_amounts_in_every_common_form() -> None:
    text = "pay $4.3 billion, $4B, $2,700,000,000, $150 million and $968M; also US$1,250.50"
    assert find_amounts(text) == [4_300_000_000, 4_000_000_000, 2_700_000_000, 968_000_000, 150_000_000, 1_250]
    assert format_amount(4_300_000_000) == "$4.3 billion"
    assert format_amount(150_000_000) == "$150 million"
    assert format_amount(75_000) == "$75,000"


def test_release_number_read_from_author_even_when_mistyped() -> None:
    assert release_number("LR-26039") == "LR-26039"
    assert release_number("LR26018") == "LR-26018"
    assert release_number("Jane Doe") is None


def test_pacer_item_is_understood() -> None:
    result = extract(
        title="1:23-cv-01599 Securities and Exchange Commission v. Binance Holdings Limited et al",
        summary="[Complaint] (1)",
        author=None,
        feed_agency="D.D.C.",
        feed_kind="court",
        feed_url="https://ecf.dcd.uscourts.gov/cgi-bin/rss_outside.pl",
    )
    assert [d.display for d in result.dockets] == ["1:23-cv-01599"]
    assert result.court == "D.D.C."
    assert result.agency == "SEC"
    assert result.action == "complaint"
    assert [p.name for p in result.defendants] == ["Binance Holdings Limited"]
    assert result.caption_key == "sec v binance holdings"


def test_sec_litigation_release_item_is_understood() -> None:
    result = extract(
        title="Lufkin Advisors, LLC and Chauncey Forbush Lufkin, III",
        summary="Lufkin Advisors, LLC and Chauncey Forbush Lufkin, III",
        author="LR-26039",
        feed_agency="SEC",
        feed_kind="regulator",
        feed_url="https://www.sec.gov/enforcement-litigation/litigation-releases/rss",
    )
    assert result.release_no == "LR-26039"
    assert result.agency == "SEC"
    assert [p.name for p in result.defendants] == ["Lufkin Advisors, LLC", "Chauncey Forbush Lufkin, III"]


def test_captions_of_one_case_from_different_sources_share_a_key() -> None:
    short = extract(
        title="1:23-cv-01599 SEC v. Binance Holdings Limited et al",
        summary="[Order]",
        author=None,
        feed_agency="",
        feed_kind="court",
        feed_url="https://ecf.dcd.uscourts.gov/",
    )
    long = extract(
        title="SEC Files Charges",
        summary="Securities and Exchange Commission v. Binance Holdings Ltd., BAM Trading Services Inc., and Changpeng Zhao",
        author=None,
        feed_agency="SEC",
        feed_kind="regulator",
        feed_url="https://www.sec.gov/",
    )
    assert short.caption_key == long.caption_key == "sec v binance holdings"
