"""Case status (a pure function over a case's events, tested as a table),
related cases (cases that share a party), and items that name no case
(issue 8, points 9, 10 and 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds.extract import Extraction, Party, extract, ruling_detail
from feeds.parse import FeedItem
from handlers.case_answer import plain_answer, slack_answer
from storage.cases import assign_case, case_view, case_views
from storage.database import open_database
from storage.engine import Connection
from storage.events import record_event
from storage.items import store_items
from storage.related import related_cases
from storage.search import search_cases
from storage.status import STATUSES, EventFacts, case_status
from tests.conftest import FeedServer, bot_env, run_bot, write_catalog
from tests.pg import EngineDatabase, database_url
from tests.test_slack_limits import assert_fits_slack


def events(*rows: tuple[str, str | None, str]) -> list[EventFacts]:
    return [EventFacts(action, detail, day) for action, detail, day in rows]


@pytest.mark.parametrize(
    ("history", "status"),
    [
        ([], "pending"),
        ([("complaint", None, "2023-06-05")], "filed"),
        ([("indictment", None, "2023-11-01")], "filed"),
        ([("administrative proceeding", None, "2023-11-01")], "filed"),
        ([("complaint", None, "2023-06-05"), ("filing", None, "2023-06-06")], "pending"),
        ([("complaint", None, "2023-06-05"), ("order", None, "2023-07-01")], "pending"),
        ([("complaint", None, "2023-06-05"), ("opinion", None, "2023-07-01")], "pending"),
        ([("complaint", None, "2023-06-05"), ("something new", None, "2023-07-01")], "pending"),
        (
            [("complaint", None, "2023-06-05"), ("ruling", "partial dismissal", "2024-06-28")],
            "motion to dismiss granted in part",
        ),
        ([("ruling", "motion to dismiss granted in part", "2024-06-28")], "motion to dismiss granted in part"),
        ([("ruling", "motion to dismiss denied", "2024-06-28")], "motion to dismiss denied"),
        ([("ruling", "motion to dismiss granted", "2024-06-28")], "motion to dismiss granted"),
        ([("ruling", "summary judgment", "2024-06-28")], "judgment"),
        ([("ruling", "preliminary injunction", "2024-06-28")], "pending"),
        ([("ruling", None, "2024-06-28")], "pending"),
        ([("complaint", None, "2023-06-05"), ("settlement", None, "2023-11-21")], "settled"),
        ([("administrative proceeding", "settled order", "2023-11-21")], "settled"),
        ([("complaint", None, "2023-06-05"), ("judgment", None, "2024-01-05")], "judgment"),
        ([("indictment", None, "2023-01-05"), ("verdict", None, "2023-11-02")], "verdict"),
        ([("verdict", None, "2023-11-02"), ("sentencing", None, "2024-03-28")], "sentenced"),
        ([("indictment", None, "2023-01-05"), ("plea", None, "2023-11-21")], "pleaded guilty"),
        ([("plea", None, "2024-02-23"), ("sentencing", None, "2024-02-23")], "sentenced"),  # same day: the more final
        ([("settlement", None, "2024-02-23"), ("judgment", None, "2024-02-23")], "settled"),
        ([("complaint", None, "2023-06-05"), ("dismissal", None, "2024-05-01")], "dismissed"),
        ([("complaint", None, "2023-06-05"), ("dismissal", "case closed", "2024-05-01")], "closed"),
        ([("judgment", None, "2024-01-05"), ("appeal", None, "2024-02-01")], "on appeal"),
        ([("appeal", None, "2024-02-01"), ("judgment", None, "2025-01-05")], "judgment"),  # newest decisive first
        (
            [("ruling", "partial dismissal", "2024-06-28"), ("filing", None, "2024-07-10")],
            "motion to dismiss granted in part",
        ),
        ([("settlement", None, "2023-11-21"), ("none", None, "2024-01-01")], "settled"),
    ],
)
def test_case_status(history: list[tuple[str, str | None, str]], status: str) -> None:
    assert case_status(events(*history)) == status
    assert case_status(reversed(events(*history))) == status  # the order given does not matter
    assert status in STATUSES


def test_routine_entries_leave_a_case_filed() -> None:
    history = [EventFacts("complaint", None, "2023-06-05"), EventFacts("filing", None, "2023-06-06", routine=True)]
    assert case_status(history) == "filed"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Memorandum Opinion and Order granting in part and denying in part motions to dismiss.", "partial dismissal"),
        ("Judge trims SEC lawsuit against Binance but lets most claims proceed", "partial dismissal"),
        ("ORDER denying defendant's motion to dismiss", "motion to dismiss denied"),
        ("Motion to Dismiss is GRANTED", "motion to dismiss granted"),
        ("Opinion granting plaintiff's motion for summary judgment", "summary judgment"),
        ("ORDER granting motion for leave to file under seal", None),
    ],
)
def test_ruling_detail_read_from_text(text: str, detail: str | None) -> None:
    assert ruling_detail(text) == detail


# --- related cases -------------------------------------------------------------------------------------


def _database(found: EngineDatabase) -> tuple[Connection, int]:
    db = found.open()
    (feed_id,) = db.execute(
        "INSERT INTO feeds (name, url, agency, kind, interval_minutes, created_at) "
        "VALUES ('SEC', 'https://www.sec.gov/rss', 'SEC', 'regulator', 10, '2024-01-01') RETURNING id"
    ).fetchone()
    return db, feed_id


def _store(db: Connection, feed_id: int, title: str, summary: str, day: str = "2024-01-01") -> int | None:
    item = FeedItem(f"{title}|{summary}", None, None, title, summary, None, f"{day}T12:00:00+00:00")
    extraction = extract(
        title=title, summary=summary, author=None, feed_agency="SEC", feed_kind="regulator", feed_url="https://x/"
    )
    (stored,) = store_items(db, feed_id, [(item, extraction)])
    record_event(db, stored)
    return stored.case_id


SEC_BINANCE = (
    "SEC Charges Binance",
    "Securities and Exchange Commission v. Binance Holdings Limited, BAM Trading Services Inc., and Changpeng Zhao, "
    "Civil Action No. 1:23-cv-01599 (D.D.C.).",
)
CFTC_ZHAO = (
    "CFTC Charges Zhao",
    "Commodity Futures Trading Commission v. Changpeng Zhao and Samuel Lim, Case No. 1:23-cv-01887",
)
DOJ_BINANCE = (
    "Binance Pleads Guilty",
    "United States v. Binance Holdings Limited, Case No. 2:23-cr-00178 (W.D. Wash.).",
)
ACME = ("Acme appeal", "Acme Widgets, Inc. v. United States, Case No. 1:23-cv-00100")
ROE = ("Roe appeal", "Roe Farms LLC v. United States, Case No. 1:23-cv-00200")


def test_cases_that_share_a_party_are_related_both_ways(stored_engine_db: EngineDatabase) -> None:
    db, feed = _database(stored_engine_db)
    sec, cftc, doj = (_store(db, feed, *item) for item in (SEC_BINANCE, CFTC_ZHAO, DOJ_BINANCE))
    acme, roe = _store(db, feed, *ACME), _store(db, feed, *ROE)
    related = {case: {r.id for r in related_cases(db, case)[0]} for case in (sec, cftc, doj, acme, roe)}
    assert related == {
        sec: {cftc, doj},
        cftc: {sec},
        doj: {sec},
        acme: set(),
        roe: set(),
    }  # "United States" links nothing
    (cftc_view,) = [r for r in related_cases(db, sec)[0] if r.id == cftc]
    assert (cftc_view.caption, cftc_view.agency, cftc_view.status) == (
        "Commodity Futures Trading Commission v. Changpeng Zhao and Samuel Lim",
        "CFTC",
        "filed",
    )


def test_a_case_that_gains_a_party_gains_its_related_cases(stored_engine_db: EngineDatabase) -> None:
    db, feed = _database(stored_engine_db)
    cftc = _store(db, feed, *CFTC_ZHAO)
    other = _store(
        db, feed, "SEC Charges Lim", "Securities and Exchange Commission v. Example Fund LLC, Case No. 1:24-cv-00001"
    )
    assert related_cases(db, other) == ([], 0)
    again = _store(
        db,
        feed,
        "SEC Amends",
        "Securities and Exchange Commission v. Example Fund LLC and Samuel Lim, Case No. 1:24-cv-00001",
    )
    assert again == other
    assert [r.id for r in related_cases(db, other)[0]] == [cftc]


def test_a_card_lists_five_related_cases_and_how_many_more(stored_engine_db: EngineDatabase) -> None:
    db, feed = _database(stored_engine_db)
    hub = _store(
        db, feed, "SEC Charges Zhao", "Securities and Exchange Commission v. Changpeng Zhao, Case No. 1:23-cv-09000"
    )
    for n in range(7):
        _store(
            db,
            feed,
            f"SEC Charges Person{n} Smith",
            f"Securities and Exchange Commission v. Changpeng Zhao and Person{n} Smith, Case No. 1:23-cv-0{n}001",
        )
    view = case_view(db, hub)
    assert len(view.related) == 5 and view.related_total == 7
    assert (view.related, view.related_total) == related_cases(db, hub)  # the card reads them with its others
    message = slack_answer(search_cases(db, "1:23-cv-09000"), set())
    assert_fits_slack(message)
    related = [b for b in message["blocks"] if b["type"] == "context" and "*Related:*" in json.dumps(b)]
    assert len(related) == 1 and "and 2 more" in json.dumps(related) and "(SEC, filed)" in json.dumps(related)
    text = plain_answer(search_cases(db, "1:23-cv-09000"))
    assert "Related: " in text and "and 2 more" in text and "Status: Filed" in text


def test_three_cards_read_together_are_the_cards_read_one_at_a_time(stored_engine_db: EngineDatabase) -> None:
    """A /case answer reads its cards in one go (one statement per kind of
    fact for all of them): each card must be the one read alone."""
    db, feed = _database(stored_engine_db)
    busy = _store(db, feed, *SEC_BINANCE, day="2023-06-05")
    for n in range(7):  # more items than a timeline shows, on several days, one naming an amount
        amount = " Binance agreed to pay $4.3 billion." if n == 3 else ""
        _store(db, feed, f"SEC v. Binance update {n}", SEC_BINANCE[1] + amount, day=f"2023-07-0{n + 1}")
    related = _store(db, feed, *CFTC_ZHAO, day="2023-03-27")
    quiet = _store(db, feed, "SEC Charges Acme", "Securities and Exchange Commission v. Acme Widgets Inc.")
    assert busy and related and quiet
    alone = [case_view(db, case_id) for case_id in (quiet, busy, related)]
    assert case_views(db, [quiet, busy, related]) == alone
    assert [(view.related, view.related_total) for view in alone] == [
        related_cases(db, case_id) for case_id in (quiet, busy, related)
    ]
    assert len(alone[1].timeline) == 5 and alone[1].items == 8 and alone[1].amounts and alone[1].related_total == 1
    assert case_views(db, [busy, quiet], timeline_limit=0) == [
        case_view(db, busy, timeline_limit=0),
        case_view(db, quiet, timeline_limit=0),
    ]


# --- items that name no case ---------------------------------------------------------------------------


def test_an_item_about_no_case_opens_and_joins_none(stored_engine_db: EngineDatabase) -> None:
    db, _ = _database(stored_engine_db)
    speech = Extraction(
        agency="SEC", caption="SEC v. Example Corp.", defendants=[Party("Example Corp.")], action="none"
    )
    assert assign_case(db, speech, "2024-01-01T00:00:00+00:00") is None
    assert db.execute("SELECT count(*) FROM cases").fetchone() == (0,)


SPEECH = (
    "<item><title>Remarks at the Securities Enforcement Forum West</title>"
    "<link>https://www.sec.gov/newsroom/speeches-statements/remarks-forum-west</link>"
    "<description>Thank you for the introduction. Today I want to talk about cooperation credit.</description>"
    "<pubDate>Tue, 14 May 2024 16:00:00 -0400</pubDate><guid>speech-1</guid></item>"
)
STATISTICS = (
    "<item><title>SEC Announces Enforcement Results for Fiscal Year 2023</title>"
    "<link>https://www.sec.gov/newsroom/press-releases/2023-234</link>"
    "<description>The SEC filed 784 standalone enforcement actions in fiscal year 2023.</description>"
    "<pubDate>Tue, 14 Nov 2023 10:00:00 -0500</pubDate><guid>stats-2023</guid></item>"
)


def test_items_that_name_no_case_are_stored_and_found_by_case_search(tmp_path: Path, feed_server: FeedServer) -> None:
    body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>SEC</title>{SPEECH}{STATISTICS}</channel></rss>"
    catalog = write_catalog(tmp_path / "feeds.toml", [("SEC news", feed_server.serve("/sec.xml", body), "regulator")])
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
    poll = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert "SEC news: 2 new of 2" in poll.stdout, poll.stdout + poll.stderr
    answer = run_bot(["case", "cooperation", "credit"], env, cwd=tmp_path).stdout
    assert "No case matches 'cooperation credit'." in answer
    assert "Items that name no case:" in answer and "Remarks at the Securities Enforcement Forum West" in answer
    assert "https://www.sec.gov/newsroom/speeches-statements/remarks-forum-west" in answer
    answer = run_bot(["case", "fiscal", "year"], env, cwd=tmp_path).stdout
    assert "SEC Announces Enforcement Results for Fiscal Year 2023" in answer and "Remarks" not in answer
    db = open_database(database_url(tmp_path / "casewatch.db"))
    assert db.execute("SELECT count(*) FROM cases").fetchone() == (0,)
