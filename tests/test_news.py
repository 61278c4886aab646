"""News stories: the headline decides the kind of action and the case, the
body only when the headline is silent; matters named in passing are mentions;
a story reported the day after the court's order joins the court's event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlite_utils import Database

from feeds.extract import extract
from feeds.news import read_news, split_publisher
from feeds.parse import FeedItem
from handlers.case_answer import plain_answer, slack_answer
from storage.cases import assign_case
from storage.database import now_iso, open_database, write_transaction
from storage.events import record_event
from storage.items import store_item
from storage.joins import news_mentions
from storage.search import search_cases
from tests.conftest import FeedServer, block_kit_error, bot_env, run_bot, write_catalog
from tests.pg import database_url

DATA = Path(__file__).resolve().parent / "data" / "extraction" / "feeds"


@pytest.mark.parametrize(
    ("title", "headline", "publisher"),
    [
        (
            "Coinbase must face SEC lawsuit, judge rules - Reuters",
            "Coinbase must face SEC lawsuit, judge rules",
            "Reuters",
        ),
        ("SEC sues Kik over $100 million ICO - TechCrunch", "SEC sues Kik over $100 million ICO", "TechCrunch"),
        (
            "Binance pleads guilty, will pay $4.3 billion - The Wall Street Journal",
            "Binance pleads guilty, will pay $4.3 billion",
            "The Wall Street Journal",
        ),
        ("Crypto-lender Celsius founder arrested", "Crypto-lender Celsius founder arrested", None),
    ],
)
def test_publisher_is_dropped_from_the_headline(title: str, headline: str, publisher: str | None) -> None:
    assert split_publisher(title) == (headline, publisher)


@pytest.mark.parametrize(
    ("title", "action", "detail"),
    [
        ("Judge Advances Major SEC Charges Against Binance, Dismisses Others - Law360", "ruling", "partial dismissal"),
        (
            "Judge lets most of SEC's case against Binance proceed, tosses claim - Reuters",
            "ruling",
            "partial dismissal",
        ),
        ("Judge trims SEC case against Coinbase but keeps core claims - Law360", "ruling", "partial dismissal"),
        ("Judge dismisses some claims in CFTC suit against trading firm - Bloomberg", "ruling", "partial dismissal"),
        ("Coinbase must face SEC lawsuit, judge rules - Reuters", "ruling", "motion to dismiss denied"),
        ("CFTC fines Acme Trading $2 million over spoofing - Reuters", "settlement", None),
        ("Trading firm fined $5 million by SEC for recordkeeping failures - Bloomberg", "settlement", None),
        ("Judge rejects Ripple bid to dismiss SEC lawsuit - CNBC", "ruling", "motion to dismiss denied"),
        (
            "Judge sides with SEC against Kik, rules Kin token sale was a securities offering - The Verge",
            "ruling",
            None,
        ),
        ("Binance, Zhao agree to pay $2.85 billion to settle CFTC lawsuit - Bloomberg", "settlement", None),
        ("Genesis settles SEC charges over Gemini Earn - Reuters", "settlement", None),
        ("Judge approves Binance's $2.7 billion CFTC settlement - Reuters", "settlement", None),
        ("Sam Bankman-Fried sentenced to 25 years in prison - CNBC", "sentencing", None),
        ("Ex-Binance CEO gets 4 months in prison - Axios", "sentencing", None),
        ("Binance's Zhao pleads guilty, steps down - Reuters", "plea", None),
        ("Trader pleaded guilty to spoofing - Bloomberg", "plea", None),
        ("Crypto founder strikes plea deal with prosecutors - Reuters", "plea", None),
        ("SEC sues Coinbase in latest crackdown - Reuters", "complaint", None),
        ("CFTC charges Binance with evading U.S. law - The Verge", "complaint", None),
        ("Theranos founder Elizabeth Holmes indicted on wire fraud charges - CNBC", "indictment", None),
        ("FTX founder charged with fraud by U.S. prosecutors - Reuters", "indictment", None),
        ("Do Kwon extradited to U.S. to face fraud charges - CNBC", "indictment", None),
        ("Sam Bankman-Fried found guilty on all seven counts - NYT", "verdict", None),
        ("Jury finds Terraform, Do Kwon liable for fraud in SEC case - Bloomberg", "verdict", None),
        ("Holmes convicted of defrauding Theranos investors - AP", "verdict", None),
        ("Judge orders Ripple to pay $125 million fine - CNBC", "judgment", None),
        ("FTX, Alameda ordered to pay $12.7 billion to customers - Reuters", "judgment", None),
        ("SEC drops lawsuit against Binance - Reuters", "dismissal", None),
        ("SEC enforcement results for fiscal year 2024 hit record $8.2 billion - Reuters", "none", None),
        ("Gensler says crypto industry rife with noncompliance in speech - Bloomberg", "none", None),
        ("SEC proposes new custody rule that would cover crypto - CoinDesk", "none", None),
        ("Opinion: The crypto crackdown is regulation by enforcement - Financial Times", "none", None),
        ("Bitcoin tops $70,000 as ETF inflows surge - CNBC", "none", None),
    ],
)
def test_the_headline_verb_names_the_action(title: str, action: str, detail: str | None) -> None:
    reading = read_news(title, "")
    assert reading.action == action
    if detail:
        assert reading.action_detail == detail
    assert reading.about_a_case == (action != "none")


def test_a_background_sentence_never_overrides_the_headline() -> None:
    reading = read_news(
        "Judge Advances Major SEC Charges Against Binance, Dismisses Others - Law360",
        "Zhao served a prison sentence this year under an earlier plea agreement with the Justice Department.",
    )
    assert (reading.action, reading.agency) == ("ruling", "SEC")


def test_the_body_speaks_only_when_the_headline_is_silent() -> None:
    reading = read_news("What the Kik ruling means for token issuers - CoinDesk", "A judge granted summary judgment.")
    assert reading.action == "ruling"


def _extract(title: str, summary: str, kind: str, agency: str = "SEC", url: str = "https://x"):
    return extract(title=title, summary=summary, author=None, feed_agency=agency, feed_kind=kind, feed_url=url)


def _binance_cases(db: Database) -> dict[str, int]:
    courts = {
        "SEC": ("1:23-cv-01599 SEC v. Binance Holdings Limited et al", "https://ecf.dcd.uscourts.gov/x"),
        "CFTC": ("1:23-cv-01887 Commodity Futures Trading Commission v. Zhao et al", "https://ecf.ilnd.uscourts.gov/x"),
        "DOJ": ("2:23-cr-00178 USA v. Binance Holdings Limited", "https://ecf.wawd.uscourts.gov/x"),
    }
    with write_transaction(db):
        cases = {
            agency: assign_case(db, _extract(title, "[Complaint] (1)", "court", url=url), "2023-06-05T12:00:00Z")
            for agency, (title, url) in courts.items()
        }
        # The CFTC's caption names only Zhao; its press release names Binance and joins the case.
        release = _extract(
            "CFTC Charges Binance and Its Founder, Changpeng Zhao, with Willful Evasion of Federal Law",
            "The CFTC today announced it filed a civil enforcement action.",
            "regulator",
            agency="CFTC",
        )
        assert assign_case(db, release, "2023-03-27T15:00:00Z") == cases["CFTC"]
    return cases


@pytest.mark.parametrize(
    ("title", "summary", "agency"),
    [
        ("Judge Advances Major SEC Charges Against Binance, Dismisses Others - Law360", "", "SEC"),
        ("Binance must face most of SEC lawsuit - Reuters", "The CFTC and prosecutors settled with Binance.", "SEC"),
        ("Binance, Zhao agree to pay $2.85 billion to settle CFTC lawsuit - Bloomberg", "", "CFTC"),
        ("Judge approves Binance's $2.7 billion CFTC settlement - Reuters", "", "CFTC"),
        ("Binance pleads guilty, will pay $4.3 billion - Axios", "", "DOJ"),
        ("Binance admits to money laundering violations in plea deal - AP", "", "DOJ"),
    ],
)
def test_agency_and_defendant_in_the_headline_pick_the_case(
    tmp_path: Path, title: str, summary: str, agency: str
) -> None:
    db = open_database(database_url(tmp_path / "news.db"))
    cases = _binance_cases(db)
    with write_transaction(db):
        assert (
            assign_case(db, _extract(title, summary, "news"), "2024-06-29T10:00:00Z", may_open=False) == cases[agency]
        )


@pytest.mark.parametrize(
    "headline",
    ["SEC sues Kik over $100 million ICO - TechCrunch", "CFTC sues Acme Trading over spoofing - Reuters"],
)
def test_an_agency_named_as_the_actor_does_not_pick_a_case_it_is_a_party_to(tmp_path: Path, headline: str) -> None:
    """Grayscale v. SEC and Acme's petition against the CFTC have the agency as a
    party and were active last; the story is about the agency's own case."""
    db = open_database(database_url(tmp_path / "news.db"))
    agency = headline.split()[0]
    company = "Kik Interactive Inc." if agency == "SEC" else "Acme Trading LLC"
    own_case = f"1:19-cv-05244 {agency} v. {company}"
    against_agency = f"22-1142 Grayscale Investments, LLC v. {agency}"
    with write_transaction(db):
        own = assign_case(
            db,
            _extract(own_case, "[Complaint] (1)", "court", url="https://ecf.nysd.uscourts.gov/x"),
            "2019-06-04T12:00:00Z",
        )
        assign_case(
            db,
            _extract(against_agency, "[Opinion] (9)", "court", url="https://ecf.cadc.uscourts.gov/x"),
            "2023-08-29T12:00:00Z",
        )
        assert assign_case(db, _extract(headline, "", "news", agency=""), "2023-09-01T10:00:00Z", may_open=False) == own


def test_the_body_names_the_case_when_the_headline_does_not(tmp_path: Path) -> None:
    db = open_database(database_url(tmp_path / "news.db"))
    cases = _binance_cases(db)
    story = _extract(
        "Crypto exchange loses bid to end regulator's lawsuit - Law360",
        "A federal judge refused to dismiss most of the SEC's case against Binance Holdings.",
        "news",
    )
    with write_transaction(db):
        assert assign_case(db, story, "2024-06-29T10:00:00Z", may_open=False) == cases["SEC"]


def test_stories_about_no_case_join_none_and_passing_matters_are_mentions(tmp_path: Path) -> None:
    db = open_database(database_url(tmp_path / "news.db"))
    cases = _binance_cases(db)
    speech = _extract("Gensler says crypto rife with noncompliance in speech - Bloomberg", "SEC v. Binance …", "news")
    story = _extract(
        "Judge Advances Major SEC Charges Against Binance, Dismisses Others - Law360",
        "The ruling follows Binance's guilty plea with the Justice Department last year.",
        "news",
    )
    with write_transaction(db):
        assert assign_case(db, speech, "2023-09-08T15:00:00Z", may_open=False) is None
        joined = assign_case(db, story, "2024-06-29T10:00:00Z", may_open=False)
    assert joined == cases["SEC"]
    assert news_mentions(db, story, joined) == [cases["DOJ"]]


def _news_feed(db: Database) -> int:
    with write_transaction(db):
        return db.execute(
            "INSERT INTO feeds (name, url, agency, kind, interval_minutes, created_at) "
            "VALUES ('Law360', 'u', 'SEC', 'news', 1, '') RETURNING id"
        ).fetchone()[0]


_DOJ_STORY = (
    "Binance founder pleads guilty to money laundering violations - Reuters",
    "Changpeng Zhao admitted the Justice Department's charges against Binance Holdings; "
    "the SEC's separate civil case against Binance continues.",
)


def _mentioning_cases(db: Database, item_id: int) -> set[int]:
    return {case_id for (case_id,) in db.execute("SELECT case_id FROM case_mentions WHERE item_id = ?", [item_id])}


def test_a_story_records_the_cases_it_mentions_and_case_shows_them(tmp_path: Path) -> None:
    """The DOJ story joins the DOJ case; /case for the SEC's parallel case says it mentions it."""
    db = open_database(database_url(tmp_path / "news.db"))
    cases = _binance_cases(db)
    feed_id = _news_feed(db)
    title, summary = _DOJ_STORY
    item = FeedItem(
        key="doj",
        guid=None,
        link="https://news.example/doj?a=1&b=2",
        title=title,
        summary=summary,
        author=None,
        published_at="2023-11-21T18:00:00Z",
    )
    with write_transaction(db):
        stored = store_item(db, feed_id, item, _extract(title, summary, "news"), opens_cases=False, seen_at=now_iso())
    assert stored.case_id == cases["DOJ"]
    assert _mentioning_cases(db, stored.id) == {cases["SEC"]}
    both = "SELECT 1 FROM case_mentions JOIN items ON items.id = item_id AND items.case_id = case_mentions.case_id"
    assert db.execute(both).fetchone() is None  # never both member and mention of one case

    result = search_cases(db, "1:23-cv-01599")
    assert [case.id for case in result.cases][:1] == [cases["SEC"]]
    answer = slack_answer(result, watched_case_ids=set())
    assert block_kit_error(answer) is None
    card_text = json.dumps(answer["blocks"])
    assert "Mentioned in:" in card_text
    assert "<https://news.example/doj?a=1&amp;b=2|Binance founder pleads guilty" in card_text
    assert "(Law360)" in card_text
    assert "Mentioned in: Binance founder pleads guilty" in plain_answer(result)
    doj_card = plain_answer(search_cases(db, "2:23-cr-00178"))
    assert "Mentioned in:" not in doj_card


def _store(db: Database, feed_id: int, extraction, title: str, published: str):
    item = FeedItem(key=title, guid=None, link=None, title=title, summary="", author=None, published_at=published)
    stored = store_item(db, feed_id, item, extraction, opens_cases=extraction.news is None, seen_at=now_iso())
    return stored, record_event(db, stored)


@pytest.mark.parametrize("published", ["2024-06-29T10:05:00Z", "2024-06-29T23:30:00Z"])
def test_a_story_the_day_after_the_order_joins_the_courts_event(tmp_path: Path, published: str) -> None:
    db = open_database(database_url(tmp_path / "news.db"))
    with write_transaction(db):
        feed_id = db.execute(
            "INSERT INTO feeds (name, url, agency, kind, interval_minutes, created_at) "
            "VALUES ('n', 'u', 'a', 'news', 1, '') RETURNING id"
        ).fetchone()[0]
        court = _extract(
            "1:23-cv-01599 SEC v. Binance Holdings Limited et al",
            "[Memorandum Opinion] MEMORANDUM OPINION AND ORDER granting in part and denying in part motions to dismiss",
            "court",
            url="https://ecf.dcd.uscourts.gov/x",
        )
        court_item, (court_event, _) = _store(db, feed_id, court, "court entry", "2024-06-28T20:41:12Z")
        news = _extract(
            "Judge Advances Major SEC Charges Against Binance, Dismisses Others - Law360",
            "A D.C. federal judge on Friday refused to toss most of the SEC's lawsuit; Zhao earlier entered a plea "
            "agreement with the Justice Department.",
            "news",
        )
        news_item, (news_event, is_new) = _store(db, feed_id, news, "news story", published)
    assert news_item.case_id == court_item.case_id
    assert (news_event, is_new) == (court_event, False)


def test_polling_release_docket_and_news_makes_one_case_found_by_its_alias(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    sec = feed_server.serve("/sec.xml", (DATA / "agency/sec_press.xml").read_bytes())
    court = feed_server.serve("/dcd.xml", (DATA / "agency_courts/dcd.xml").read_bytes())
    news = feed_server.serve("/news.xml", (DATA / "news/news_search.xml").read_bytes())
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("SEC press", sec, "regulator"), ("DDC", court, "court"), ("News", news, "news")]
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
    polled = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert polled.returncode == 0, polled.stderr
    answer = run_bot(["case", "binance.us"], env, cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert "1 case matches 'binance.us'" in answer.stdout
    assert "Securities and Exchange Commission v. Binance Holdings Limited et al." in answer.stdout
    assert "Ruling: Judge Advances Major SEC Charges Against Binance, Dismisses Others" in answer.stdout
    # the CFTC's and the DOJ's settlements with Binance are other matters: their sums are not this case's
    assert "$2.85 billion" not in answer.stdout and "$4.3 billion" not in answer.stdout


def test_a_docket_number_in_the_body_names_the_case_when_the_headline_does_not(tmp_path: Path) -> None:
    db = open_database(database_url(tmp_path / "news.db"))
    cases = _binance_cases(db)
    story = _extract(
        "Crypto exchange loses bid to end regulator's lawsuit - Law360",
        "The ruling in No. 1:23-cv-01599 keeps most claims alive.",
        "news",
    )
    with write_transaction(db):
        assert assign_case(db, story, "2024-06-29T10:00:00Z", may_open=False) == cases["SEC"]
    parties = {name for (name,) in db.execute("SELECT name FROM case_parties WHERE case_id = ?", [cases["SEC"]])}
    assert "Crypto" not in " ".join(parties)  # a story never adds names to its case
