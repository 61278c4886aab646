"""Items of the courts' own website feeds and of CourtListener docket feeds:
dockets, captions, parties, court and kind of action, one general rule per test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo import serve_directory
from bot.ingest import default_matcher, poll_feeds
from feeds.catalog import FeedSpec
from feeds.court_titles import clean_caption, docket_entry_action, docket_from_link, read_court_item
from feeds.courtlistener import is_entry_link, read_entry, split_case_title
from feeds.extract import Extraction, extract
from feeds.fetch import Fetcher
from feeds.parse import parse_feed
from storage.database import ThreadDatabases
from storage.feeds import enabled_feeds, sync_catalog
from storage.search import search_cases

DATA = Path(__file__).parent / "data" / "extraction" / "feeds"


def _website(
    title: str, summary: str = "", link: str = "", feed_url: str = "https://www.ca9.uscourts.gov/x.xml"
) -> Extraction:
    return extract(
        title=title, summary=summary, author=None, feed_agency=None, feed_kind="court", feed_url=feed_url, link=link
    )


@pytest.mark.parametrize(
    ("title", "docket", "caption"),
    [
        (
            "23-1187: ACME WIDGETS, INC. v. UNITED STATES [OPINION], Precedential",
            "23-1187",
            "ACME WIDGETS, INC. v. UNITED STATES",
        ),
        ("Case: 22-1001, Doe v Roe", "22-1001", "Doe v. Roe"),
        ("11-2020 | Widget Co., In v. NLRB", "11-2020", "Widget Co., In v. NLRB"),
        ("Judgment in Case 19-5333, David Meyers v. Christina Troiani", "19-5333", "David Meyers v. Christina Troiani"),
        ("15-6003: Jessica Robb vs Janice Harder", "15-6003", "Jessica Robb v. Janice Harder"),
        ("No. 21-476 - 303 Creative LLC v. Elenis", "21-476", "303 Creative LLC v. Elenis"),
        (
            "Docket #20-1199 — Students for Fair Admissions, Inc. v. President & Fellows of Harvard College",
            "20-1199",
            "Students for Fair Admissions, Inc. v. President & Fellows of Harvard College",
        ),
    ],
)
def test_docket_before_the_caption_with_any_separator(title: str, docket: str, caption: str) -> None:
    item = read_court_item(title=title, summary="")
    assert [d.display for d in item.dockets] == [docket]
    assert item.caption == caption


@pytest.mark.parametrize(
    ("title", "docket", "caption"),
    [
        ("Loper Bright Enterprises v. Raimondo, No. 22-451", "22-451", "Loper Bright Enterprises v. Raimondo"),
        ("Moody v. NetChoice, LLC (22-277)", "22-277", "Moody v. NetChoice, LLC"),
        ("SEC v. Jarkesy | 22-859", "22-859", "SEC v. Jarkesy"),
        ("Oracle America, Inc. v. Google LLC - 17-1118", "17-1118", "Oracle America, Inc. v. Google LLC"),
    ],
)
def test_docket_after_the_caption(title: str, docket: str, caption: str) -> None:
    item = read_court_item(title=title, summary="")
    assert [d.display for d in item.dockets] == [docket]
    assert item.caption == caption


@pytest.mark.parametrize(
    ("text", "caption", "trailers"),
    [
        (
            "ACME WIDGETS, INC. v. UNITED STATES [OPINION], Precedential",
            "ACME WIDGETS, INC. v. UNITED STATES",
            ["OPINION", "Precedential"],
        ),
        ("Doe v. Roe (Unpublished)", "Doe v. Roe", ["Unpublished"]),
        (
            "Smith v. Jones [RULE 36 JUDGMENT], Nonprecedential",
            "Smith v. Jones",
            ["RULE 36 JUDGMENT", "Nonprecedential"],
        ),
        (
            "Catrina Bragg v. Munster Medical Research Found (cv) {Wood} [uploaded: 01/17/2023]",
            "Catrina Bragg v. Munster Medical Research Found",
            ["cv", "Wood", "uploaded: 01/17/2023"],
        ),
        ("Doe v. Roe - Published Opinion", "Doe v. Roe", ["Published Opinion"]),
        ("In Re EXAMPLE CORP. [ORDER]", "In re EXAMPLE CORP.", ["ORDER"]),
        ("IN RE: Tesla, Inc. [OPINION]", "In re Tesla, Inc.", ["OPINION"]),
        ("in re Apple Inc.", "In re Apple Inc.", []),
    ],
)
def test_document_type_and_status_are_cut_from_the_caption(text: str, caption: str, trailers: list[str]) -> None:
    assert clean_caption(text) == (caption, trailers)


@pytest.mark.parametrize(
    ("title", "caption", "plaintiffs", "defendants"),
    [
        (
            "23-1187: ACME WIDGETS, INC. v. UNITED STATES [OPINION], Precedential",
            "ACME WIDGETS, INC. v. UNITED STATES",
            ["ACME WIDGETS, INC."],
            ["UNITED STATES"],
        ),
        ("11-2020 | Widget Co., In v. NLRB", "Widget Co., In v. NLRB", ["Widget Co., In"], ["NLRB"]),
        (
            "21-1552: Procter & Gamble Co. v. Acme, LLC [OPINION], Nonprecedential",
            "Procter & Gamble Co. v. Acme, LLC",
            ["Procter & Gamble Co."],
            ["Acme, LLC"],
        ),
        (
            "JEFFREY REICHERT, ET AL V. RAPID INVESTMENTS, INC., ET AL",
            "JEFFREY REICHERT et al. v. RAPID INVESTMENTS, INC. et al.",
            ["JEFFREY REICHERT"],
            ["RAPID INVESTMENTS, INC."],
        ),
        (
            "Case: 19-1894, Wheeling & Lake Erie Ry. Co. v Keach",
            "Wheeling & Lake Erie Ry. Co. v. Keach",
            ["Wheeling & Lake Erie Ry. Co."],
            ["Keach"],
        ),
        (
            "20-2341: THE TOLLIVER GROUP, INC. v. US [OPINION], Precedential",
            "THE TOLLIVER GROUP, INC. v. United States",
            ["THE TOLLIVER GROUP, INC."],
            ["United States"],
        ),
        (
            "Smith and Wesson Brands, Inc. v. Estados Unidos Mexicanos (23-1141)",
            "Smith and Wesson Brands, Inc. v. Estados Unidos Mexicanos",
            ["Smith and Wesson Brands, Inc."],  # one company: "and" inside its name
            ["Estados Unidos Mexicanos"],
        ),
    ],
)
def test_parties_split_at_v_and_and_never_at_a_company_comma_or_ampersand(
    title: str, caption: str, plaintiffs: list[str], defendants: list[str]
) -> None:
    result = _website(title)
    assert result.caption == caption
    assert result.plaintiffs == plaintiffs
    assert [party.name for party in result.defendants] == defendants


def test_an_initial_v_in_a_mixed_case_caption_is_not_versus() -> None:
    assert clean_caption("Jessica V. Robb v. Janice Harder")[0] == "Jessica V. Robb v. Janice Harder"
    assert clean_caption("PAULETTE SMITH V. EDWARD AGDEPPA")[0] == "PAULETTE SMITH v. EDWARD AGDEPPA"


@pytest.mark.parametrize(
    ("title", "summary", "docket", "caption"),
    [
        (
            "FinalOpinion in case# 22-1234",
            "FinalOpinion in case# 22-1234 Prime Insurance Company v. Darnell Wright (cv) {Easterbrook} [uploaded: 01/13/2023]",
            "22-1234",
            "Prime Insurance Company v. Darnell Wright",
        ),
        (
            "Nonprecedential Disposition in case# 21-3004",
            "Nonprecedential Disposition in case# 21-3004 USA v. Marcus Hill (cr) {Per Curiam} [uploaded: 02/02/2023]",
            "21-3004",
            "United States v. Marcus Hill",
        ),
        ("Opinion issued in Docket No. 23-50", "Docket No. 23-50: Kim v. Park [Published]", "23-50", "Kim v. Park"),
    ],
)
def test_caption_taken_from_the_description_when_the_title_has_none(
    title: str, summary: str, docket: str, caption: str
) -> None:
    item = read_court_item(title=title, summary=summary)
    assert [d.display for d in item.dockets] == [docket]
    assert item.caption == caption


@pytest.mark.parametrize(
    ("link", "docket"),
    [
        ("https://cdn.ca9.uscourts.gov/datastore/opinions/2022/12/30/20-73486.pdf", "20-73486"),
        ("https://www.ca1.uscourts.gov/sites/ca1/files/oralargs/21-1948_20220916.mp3", "21-1948"),
        ("http://www.ca8.uscourts.gov/cgi-bin/new/oralargs.pl?case_num=156003", "15-6003"),
        (
            "https://media.ca7.uscourts.gov/cgi-bin/OpinionsWeb/x.pl?Submit=Display&Path=Y2023/D01-17/C:21-2913:J:Wood:aut:T:fnOp:N:2988421:S:0",
            "21-2913",
        ),
        ("http://www.cadc.uscourts.gov/internet/opinions.nsf/0/183A9B/$file/10-1004-1360185.pdf", "10-1004"),
        ("https://www.supremecourt.gov/opinions/22pdf/21-476_c185.pdf", "21-476"),
    ],
)
def test_docket_read_from_the_link_when_the_text_has_none(link: str, docket: str) -> None:
    assert [d.display for d in docket_from_link(link)] == [docket]
    item = read_court_item(title="PAULETTE SMITH V. EDWARD AGDEPPA, ET AL", summary="Date Filed 12/30/2022", link=link)
    assert [d.display for d in item.dockets] == [docket]


def test_a_date_in_a_link_is_not_a_docket() -> None:
    assert docket_from_link("https://cafc.uscourts.gov/01-21-2022-opinion/") == []
    assert docket_from_link("https://www.ca9.uscourts.gov/opinions/2022/12/30/") == []


@pytest.mark.parametrize(
    ("title", "summary", "link", "feed_title", "action", "detail"),
    [
        ("23-1187: ACME v. US [OPINION], Precedential", "", "", "", "opinion", "opinion"),
        ("In Re EXAMPLE CORP. [ORDER]", "", "", "", "order", "order"),
        ("21-1552: FILLER v. US [RULE 36 JUDGMENT], Nonprecedential", "", "", "", "judgment", "rule 36 judgment"),
        (
            "United States v. Valdivias",
            "Docket#: 24-3179 - Unpublished Order and Judgment",
            "",
            "",
            "opinion",
            "unpublished order and judgment",
        ),
        ("Doe v. Roe", "Date Filed 12/30/2022", "https://cdn.ca9.uscourts.gov/x/20-1.pdf", "Opinions", "opinion", None),
        (
            "Case: 21-1948, Pais v Kijakazi",
            "[Argued: 09-16-2022 ]",
            "https://x/21-1948.mp3",
            "First Circuit Oral Arguments",
            "filing",
            "oral argument",
        ),
        (
            "15-6003: Jessica Robb vs Janice Harder",
            "Oral argument argued before the Eighth Circuit",
            "",
            "",
            "filing",
            "oral argument",
        ),
    ],
)
def test_kind_of_action_from_document_type_or_oral_argument(
    title: str, summary: str, link: str, feed_title: str, action: str, detail: str | None
) -> None:
    item = read_court_item(title=title, summary=summary, link=link, feed_title=feed_title)
    assert (item.action, item.action_detail) == (action, detail)


@pytest.mark.parametrize(
    ("title", "dockets", "caption"),
    [
        ("02-3139USAvTidwell.wma", ["02-3139"], "United States v. Tidwell"),
        ("03-9002&9003WallacevPrice.wma", ["03-9002", "03-9003"], "Wallace v. Price"),
        (
            "06-1818PublicCitizenHealthvUnitedStatesDeptofLabor.wma",
            ["06-1818"],
            "Public Citizen Health v. United States Dept of Labor",
        ),
        ("05-2717InReStoneWebster.wma", ["05-2717"], "In re Stone Webster"),
        ("05-1954USAvMcGeehan_Rehearing.mp3", ["05-1954"], "United States v. McGeehan"),
    ],
)
def test_a_file_name_title_is_split_into_dockets_and_words(title: str, dockets: list[str], caption: str) -> None:
    item = read_court_item(title=title, summary="")
    assert [d.display for d in item.dockets] == dockets
    assert item.caption == caption


def test_website_feed_item_gets_the_court_of_the_site_not_the_lower_court() -> None:
    parsed = parse_feed(
        (DATA / "courts" / "ca10_daily_decisions.xml").read_bytes(),
        base_url="https://www.ca10.uscourts.gov/opinions/new/daily_decisions.rss",
        court_feed=True,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    results = [
        extract(
            title=item.title,
            summary=item.summary,
            author=item.author,
            feed_agency=None,
            feed_kind="court",
            feed_url=f"https://www.ca10.uscourts.gov/opinions/new/daily_decisions.rss {parsed.link}",
            feed_title=parsed.title,
            link=item.link or "",
        )
        for item in parsed.items
    ]
    assert [r.court for r in results] == ["10th Cir."] * 4
    assert [[d.display for d in r.dockets] for r in results] == [["24-2057"], ["23-4110"], ["23-9609"], ["24-3179"]]
    assert results[1].caption == "Gaddy et al. v. Corp. of the President of the Church of Jesus et al."
    assert [r.action for r in results] == ["opinion"] * 4


# --- CourtListener docket feeds -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "case", "docket"),
    [
        (
            "Securities and Exchange Commission v. Binance Holdings Limited, 1:23-cv-01599",
            "Securities and Exchange Commission v. Binance Holdings Limited",
            "1:23-cv-01599",
        ),
        ("In re: Celsius Network LLC, 22-10964", "In re: Celsius Network LLC", "22-10964"),
        ("Doe v. Roe, Inc.", "Doe v. Roe, Inc.", None),
        ("United States v. Bankman-Fried, 1:22-cr-00673", "United States v. Bankman-Fried", "1:22-cr-00673"),
    ],
)
def test_courtlistener_case_title_splits_name_and_docket(text: str, case: str, docket: str | None) -> None:
    assert split_case_title(text) == (case, docket)


def test_courtlistener_entry_number_from_title_or_link_and_case_from_the_feed_when_cut() -> None:
    long_name = (
        "Securities and Exchange Commission v. Binance Holdings Limited, BAM Trading Services Inc., BAM Management"
    )
    entry = read_entry(
        title=f"Entry #12 in {long_name[:100]}..., 1:23-cv-01599",
        link="https://www.courtlistener.com/docket/67474542/sec-v-binance/?order_by=desc#entry-12",
        feed_title=f"Docket updates for {long_name[:100]}..., 1:23-cv-01599",
    )
    assert entry.entry_number == 12
    assert entry.docket_number == "1:23-cv-01599"
    assert entry.case_name == long_name[:100].rstrip(" ,")
    minute = read_entry(
        title="Minute entry from 2023-06-13 in SEC v. Binance Holdings Limited, 1:23-cv-01599",
        link="https://www.courtlistener.com/docket/67474542/sec-v-binance/?order_by=desc#minute-entry-3401",
        feed_title="",
    )
    assert (minute.entry_number, minute.case_name) == (None, "SEC v. Binance Holdings Limited")


@pytest.mark.parametrize(
    ("link", "identifies"),
    [
        ("https://www.courtlistener.com/docket/67474542/sec-v-binance/?order_by=desc#entry-12", True),
        ("https://www.courtlistener.com/docket/67474542/sec-v-binance/?order_by=desc#minute-entry-99", True),
        ("https://www.courtlistener.com/docket/67474542/sec-v-binance/", False),
        ("https://ecf.dcd.uscourts.gov/cgi-bin/DktRpt.pl?258981#entry-12", False),
        (None, False),
    ],
)
def test_only_a_courtlistener_entry_link_identifies_an_entry(link: str | None, identifies: bool) -> None:
    assert is_entry_link(link) == identifies


# --- the labelled court-website and CourtListener items ------------------------------

LABELS = Path(__file__).parent / "data" / "extraction" / "labels"


def _labelled(domain: str) -> list[dict]:
    return [json.loads(line) for line in (LABELS / f"{domain}.jsonl").read_text().splitlines() if line.strip()]


def _extract_labelled(label: dict) -> Extraction:
    parsed = parse_feed(
        (DATA / label["feed"]).read_bytes(),
        base_url=label["url"],
        court_feed=True,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    item = parsed.items[label["index"]]
    assert item.title == label["title"]
    return extract(
        title=item.title,
        summary=item.summary,
        author=item.author,
        feed_agency=label["agency"],
        feed_kind="court",
        feed_url=f"{label['url']} {parsed.link or ''}",
        feed_title=parsed.title,
        link=item.link or "",
    )


@pytest.mark.parametrize(
    "label", _labelled("court_website") + _labelled("courtlistener"), ids=lambda label: label["title"][:60]
)
def test_labelled_court_items_are_read_as_labelled(label: dict) -> None:
    result = _extract_labelled(label)
    assert [d.display for d in result.dockets] == label["dockets"]
    assert result.court == label["court"]
    assert result.caption == label["caption"]
    assert result.action == label["action"]
    names = result.plaintiffs + [party.name for party in result.defendants]
    assert names == [party["name"] for party in label["parties"]]
    if label["source_kind"] == "courtlistener":
        if label["entry_number"] is None:  # a minute entry: no number, its own id in the link tells it apart
            assert result.entry_number is None or result.entry_number.startswith("minute-entry-")
        else:
            assert result.entry_number == str(label["entry_number"])


def test_every_item_of_a_labelled_feed_is_labelled() -> None:
    labels = _labelled("court_website") + _labelled("courtlistener")
    for feed in {label["feed"] for label in labels}:
        count = len(parse_feed((DATA / feed).read_bytes(), base_url="https://x.invalid/", court_feed=True).items)
        assert sorted(label["index"] for label in labels if label["feed"] == feed) == list(range(count)), feed


def test_courtlistener_entries_of_one_day_are_separate_items_stored_under_their_link() -> None:
    parsed = parse_feed(
        (DATA / "courtlistener" / "sdny_valentin_docket.atom").read_bytes(),
        base_url="https://www.courtlistener.com/docket/6327001/feed/",
        court_feed=True,
    )
    assert len({item.published_at for item in parsed.items}) == 1  # all filed on one day
    assert [item.key for item in parsed.items] == [item.link for item in parsed.items]
    assert len({item.key for item in parsed.items}) == 7


@pytest.mark.parametrize(
    ("text", "action"),
    [
        (
            "Minute Entry for proceedings held before Judge X: Motion Hearing re Motion for Temporary Restraining Order",
            "filing",
        ),
        ("MOTION for Temporary Restraining Order by SECURITIES AND EXCHANGE COMMISSION", "filing"),
        ("Letter MOTION for Extension of Time to File Answer addressed to Judge Y", "filing"),
        ("NOTICE of Voluntary Dismissal by Jose Valentin", "dismissal"),
        ("JOINT STIPULATION of Dismissal with prejudice", "dismissal"),
        ("ORDER granting in part and denying in part the Motions to Dismiss", "ruling"),
        ("COMPLAINT against Binance Holdings Limited filed by SEC", "complaint"),
        ("Complaint (fee)", "complaint"),
        ("Civil Cover Sheet", "filing"),
    ],
)
def test_docket_entry_kind_of_action_follows_its_first_words(text: str, action: str) -> None:
    assert docket_entry_action(text) == action


def test_a_polled_courtlistener_feed_stores_each_entry_once_in_one_case_with_the_catalog_court(tmp_path: Path) -> None:
    databases = ThreadDatabases(tmp_path / "courtlistener.db")
    db = databases.get()
    with serve_directory(DATA / "courtlistener") as base:
        url = f"{base}/dcd_sec_v_binance_docket.atom"
        sync_catalog(db, [FeedSpec("SEC v. Binance docket", url, "D.D.C.", "court", 10)])
        fetcher = Fetcher(contact="t@example.com", allow_private=True)
        first = poll_feeds(databases, fetcher, enabled_feeds(db), default_matcher())
        second = poll_feeds(databases, fetcher, enabled_feeds(db), default_matcher())
    assert [outcome.new_items for outcome in first] == [6]
    assert [outcome.status for outcome in second] == ["unchanged"]
    cases = search_cases(db, "1:23-cv-01599").cases
    assert [(case.caption, case.court, case.items) for case in cases] == [
        ("Securities and Exchange Commission v. Binance Holdings Limited", "D.D.C.", 6)
    ]
