"""A news story stored before its case is opened joins that case when a later
batch opens it or adds the names or docket numbers the story names
(storage.adopt, run at the end of storage.batch.store_plan): the arrival
orders a user meets when every feed polls on its own schedule."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.config import ConfigError, settings_from_env
from feeds.extract import Extraction
from feeds.match import WatchIndex
from feeds.parse import FeedItem
from feeds.types import FeedPlan, HealthPlan, PlannedItem, StoredBatch
from feeds.vocabulary import Action, FeedKind
from storage.alerts import alert_view, due_alerts
from storage.batch import store_plan
from storage.database import open_database
from storage.engine import SQLITE, Connection, engine_of
from storage.feeds import Feed
from storage.schema import migrations
from storage.watches import matchable_watches
from tests import factories
from tests.conftest import FeedServer, bot_env, run_bot, write_catalog
from tests.factories import extraction, news_extraction
from tests.pg import database_url
from tests.reliability import Observed

STORY_DAY = "2026-03-02T09:00:00+00:00"
RELEASE_DAY = "2026-03-03T15:00:00+00:00"
ACME_STORY = "SEC sues Acme Widgets over crypto lending scheme - Reuters"
ACME_BODY = "The Securities and Exchange Commission sued Acme Widgets on Monday, people familiar said."
ACME_RELEASE = extraction(
    caption="SEC v. Acme Widgets Inc.",
    plaintiffs=["SEC"],
    defendants=["Acme Widgets Inc."],
    agency="SEC",
    release_no="LR-26101",
)


def store(db: Connection, source: Feed, *entries: tuple[FeedItem, Extraction]) -> StoredBatch:
    """One poll of ``source`` bringing ``entries``, stored as polling stores it,
    alerts matched against the database's watches."""
    health = HealthPlan(next_poll_at=RELEASE_DAY, retry_at=RELEASE_DAY)
    planned = tuple(PlannedItem(item, what) for item, what in entries)
    plan = FeedPlan(source.id, planned, opens_cases=source.kind != FeedKind.NEWS, alert_since=None, health=health)
    return store_plan(db, plan, match=WatchIndex(matchable_watches(db)).match)


def story(headline: str, body: str = "", *, published_at: str = STORY_DAY) -> tuple[FeedItem, Extraction]:
    """A news-search entry and what Casewatch reads from it."""
    return factories.feed_item(headline, summary=body, published_at=published_at), news_extraction(headline, body)


def release(what: Extraction = ACME_RELEASE, *, published_at: str = RELEASE_DAY) -> tuple[FeedItem, Extraction]:
    return factories.feed_item(what.caption or "SEC release", published_at=published_at), what


def case_of(db: Connection, title: str) -> str | None:
    """The caption of the case the item titled ``title`` belongs to (None: no case)."""
    row = db.execute(
        "SELECT cases.caption FROM items LEFT JOIN cases ON cases.id = items.case_id WHERE items.title = ?", [title]
    ).fetchone()
    assert row is not None, f"no item titled {title!r}"
    return row[0]


def event_of(db: Connection, title: str) -> tuple[int | None, str, str]:
    """(case id, action, day) of the event the item titled ``title`` reports."""
    return db.execute(
        "SELECT events.case_id, events.action, events.event_day FROM items JOIN events ON events.id = items.event_id "
        "WHERE items.title = ?",
        [title],
    ).fetchone()


@pytest.fixture
def news(stored_db: Connection) -> Feed:
    return factories.feed(stored_db, FeedKind.NEWS, agency="News")


@pytest.fixture
def sec(stored_db: Connection) -> Feed:
    return factories.feed(stored_db, FeedKind.REGULATOR, agency="SEC")


@pytest.fixture
def court(stored_db: Connection) -> Feed:
    return factories.feed(stored_db, FeedKind.COURT, agency="D.D.C.")


def test_a_story_stored_before_the_release_joins_the_case_the_release_opens(
    stored_db: Connection, news: Feed, sec: Feed
) -> None:
    store(stored_db, news, story(ACME_STORY, ACME_BODY))
    assert case_of(stored_db, ACME_STORY) is None
    store(stored_db, sec, release())
    assert case_of(stored_db, ACME_STORY) == "SEC v. Acme Widgets Inc."


def test_an_adopted_story_gets_the_event_it_would_have_had_arriving_after_the_release(
    stored_db: Connection, news: Feed, sec: Feed
) -> None:
    store(stored_db, news, story(ACME_STORY, ACME_BODY))
    store(stored_db, sec, release())
    adopted = event_of(stored_db, ACME_STORY)
    arrival = factories.memory_database()
    store(arrival, factories.feed(arrival, FeedKind.REGULATOR, agency="SEC"), release())
    store(arrival, factories.feed(arrival, FeedKind.NEWS, agency="News"), story(ACME_STORY, ACME_BODY))
    assert adopted == event_of(arrival, ACME_STORY)
    assert adopted[0] is not None and adopted[1] == Action.COMPLAINT
    # the release's complaint and the story are one event, as when the story comes second
    assert event_of(stored_db, ACME_STORY) == event_of(stored_db, "SEC v. Acme Widgets Inc.")
    (orphans,) = stored_db.execute(
        "SELECT count(*) FROM events WHERE NOT EXISTS (SELECT 1 FROM items WHERE items.event_id = events.id)"
    ).fetchone()
    assert orphans == 0  # the story's caseless event, which no alert named, is gone


def test_a_story_stored_before_the_court_docket_joins_the_case_the_docket_opens(
    stored_db: Connection, news: Feed, court: Feed
) -> None:
    headline = "Judge freezes assets of Quill Mining in fraud case - Bloomberg"
    store(stored_db, news, story(headline, "A federal judge froze the assets of Quill Mining Corp."))
    docket = extraction(
        caption="SEC v. Quill Mining Corp.",
        plaintiffs=["SEC"],
        defendants=["Quill Mining Corp."],
        dockets=["1:26-cv-00412"],
        court="D.D.C.",
        agency="SEC",
        action=Action.RULING,
    )
    store(
        stored_db,
        court,
        (factories.feed_item("1:26-cv-00412 SEC v. Quill Mining Corp.", published_at=RELEASE_DAY), docket),
    )
    assert case_of(stored_db, headline) == "SEC v. Quill Mining Corp."


def test_a_story_joins_a_case_once_a_later_item_adds_the_name_it_gives(
    stored_db: Connection, news: Feed, sec: Feed, court: Feed
) -> None:
    store(stored_db, sec, release(published_at="2026-02-20T15:00:00+00:00"))
    headline = "Jane Roe sued by SEC over crypto lending scheme - Reuters"
    store(stored_db, news, story(headline, "The regulator's lawsuit names the former executive."))
    assert case_of(stored_db, headline) is None  # the case does not name her yet
    amended = extraction(
        caption="SEC v. Acme Widgets Inc. and Jane Roe",
        plaintiffs=["SEC"],
        defendants=["Acme Widgets Inc.", "Jane Roe"],
        dockets=["1:26-cv-00377"],
        court="D.D.C.",
        agency="SEC",
        action=Action.FILING,
    )
    store(
        stored_db, court, (factories.feed_item("1:26-cv-00377 SEC v. Acme Widgets", published_at=RELEASE_DAY), amended)
    )
    assert case_of(stored_db, headline) == "SEC v. Acme Widgets Inc. and Jane Roe"  # the case's longer caption
    assert event_of(stored_db, headline)[0] == event_of(stored_db, "SEC v. Acme Widgets Inc.")[0]


def test_a_story_older_than_the_window_stays_out(stored_db: Connection, news: Feed, sec: Feed) -> None:
    store(stored_db, news, story(ACME_STORY, ACME_BODY, published_at="2026-01-20T09:00:00+00:00"))  # 42 days before
    store(stored_db, sec, release())
    assert case_of(stored_db, ACME_STORY) is None


def test_a_story_that_names_no_case_opened_stays_out(stored_db: Connection, news: Feed, sec: Feed) -> None:
    other = "SEC sues Zeta Robotics over accounting fraud - Reuters"
    store(stored_db, news, story(other, "Zeta Robotics Corp. misstated revenue, the SEC said in its complaint."))
    store(stored_db, sec, release())
    assert case_of(stored_db, other) is None


def test_two_stories_join_the_one_case_that_is_opened(stored_db: Connection, news: Feed, sec: Feed) -> None:
    settled = "Acme Widgets agrees to pay $2 million to settle SEC charges - WSJ"
    store(stored_db, news, story(ACME_STORY, ACME_BODY), story(settled, published_at="2026-03-02T12:00:00+00:00"))
    store(stored_db, sec, release())
    assert case_of(stored_db, ACME_STORY) == case_of(stored_db, settled) == "SEC v. Acme Widgets Inc."


def test_a_story_naming_two_cases_joins_the_one_it_would_have_joined_arriving_last(
    stored_db: Connection, news: Feed, sec: Feed
) -> None:
    headline = "CFTC fines Acme Widgets as SEC case against Beta Gadgets continues - Reuters"
    beta = extraction(
        caption="SEC v. Beta Gadgets LLC", plaintiffs=["SEC"], defendants=["Beta Gadgets LLC"], agency="SEC"
    )
    cftc_acme = extraction(
        caption="CFTC v. Acme Widgets Inc.", plaintiffs=["CFTC"], defendants=["Acme Widgets Inc."], agency="CFTC"
    )
    releases = (release(beta), release(cftc_acme))
    store(stored_db, news, story(headline))
    store(stored_db, sec, *releases)
    arrival = factories.memory_database()
    store(arrival, factories.feed(arrival, FeedKind.REGULATOR, agency="SEC"), *releases)
    store(arrival, factories.feed(arrival, FeedKind.NEWS, agency="News"), story(headline))
    assert case_of(arrival, headline) is not None
    assert case_of(stored_db, headline) == case_of(arrival, headline)


def test_an_adopted_story_alerts_no_one_again(stored_db: Connection, news: Feed, sec: Feed) -> None:
    factories.watch(stored_db, "Acme Widgets")
    assert store(stored_db, news, story(ACME_STORY, ACME_BODY)).alerts == 1
    assert store(stored_db, sec, release(published_at="2026-03-05T15:00:00+00:00")).alerts == 1
    (alerts,) = stored_db.execute("SELECT count(*) FROM alerts").fetchone()
    assert alerts == 2  # the story's, when it arrived, and the release's: none for the story joining the case
    assert case_of(stored_db, ACME_STORY) == "SEC v. Acme Widgets Inc."


def test_a_late_story_whose_alert_is_not_sent_yet_still_shows_in_its_alert(
    stored_db: Connection, news: Feed, sec: Feed
) -> None:
    factories.watch(stored_db, "Acme Widgets")
    store(stored_db, news, story(ACME_STORY, ACME_BODY))
    store(stored_db, sec, release())  # before the sender got to the story's alert
    assert case_of(stored_db, ACME_STORY) == "SEC v. Acme Widgets Inc."
    views = [alert_view(stored_db, alert) for alert in due_alerts(stored_db, now="2999-01-01T00:00:00+00:00")]
    assert sorted(view.headline for view in views) == sorted([ACME_STORY, "SEC v. Acme Widgets Inc."])
    story_alert = next(view for view in views if view.headline == ACME_STORY)
    assert [source.title for source in story_alert.sources] == [ACME_STORY]


def test_adoption_is_idempotent_on_a_repoll(stored_db: Connection, news: Feed, sec: Feed) -> None:
    store(stored_db, news, story(ACME_STORY, ACME_BODY))
    batch = release()
    store(stored_db, sec, batch)
    before = stored_db.execute("SELECT id, case_id, event_id FROM items ORDER BY id").fetchall()
    events = stored_db.execute("SELECT * FROM events ORDER BY id").fetchall()
    store(stored_db, sec, batch)  # the same entry again: known, nothing stored
    store(stored_db, sec, release(ACME_RELEASE, published_at="2026-03-04T15:00:00+00:00"))  # another item of the case
    after = stored_db.execute("SELECT id, case_id, event_id FROM items ORDER BY id").fetchall()
    assert after[: len(before)] == before
    assert stored_db.execute("SELECT * FROM events ORDER BY id").fetchall()[: len(events)] == events


def refuse_changes(db: Connection, item_id: int) -> None:
    """Make the item's row refuse to change case (a trigger, in each engine's language)."""
    if engine_of(db) == SQLITE:
        db.execute(
            f"CREATE TRIGGER refuse_story BEFORE UPDATE OF case_id ON items WHEN old.id = {item_id} "
            "BEGIN SELECT RAISE(ABORT, 'row refuses changes'); END"
        )
        return
    db.executescript(
        "CREATE FUNCTION refuse_story() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'row refuses changes'; END $$; "
        "CREATE TRIGGER refuse_story BEFORE UPDATE OF case_id ON items "
        f"FOR EACH ROW WHEN (OLD.id = {item_id}) EXECUTE FUNCTION refuse_story()"
    )


def accept_changes(db: Connection) -> None:
    db.execute("DROP TRIGGER refuse_story" if engine_of(db) == SQLITE else "DROP TRIGGER refuse_story ON items")


@pytest.mark.reliability("one stored story cannot be moved into its case", kind="storage fault")
def test_a_story_that_cannot_join_costs_neither_the_batch_nor_the_other_stories(
    stored_db: Connection, news: Feed, sec: Feed, observed: Observed
) -> None:
    settled = "Acme Widgets agrees to pay $2 million to settle SEC charges - WSJ"
    store(stored_db, news, story(ACME_STORY, ACME_BODY), story(settled, published_at="2026-03-02T12:00:00+00:00"))
    (bad,) = stored_db.execute("SELECT id FROM items WHERE title = ?", [ACME_STORY]).fetchone()
    refuse_changes(stored_db, bad)  # this row refuses every change, as a damaged one might
    batch = store(stored_db, sec, release())
    stored = stored_db.execute("SELECT count(*) FROM items").fetchone()[0]
    observed.record(items_lost=3 - stored)  # the release and both stories are kept
    assert batch.new_items == 1 and stored == 3
    assert case_of(stored_db, settled) == case_of(stored_db, "SEC v. Acme Widgets Inc.") == "SEC v. Acme Widgets Inc."
    assert case_of(stored_db, ACME_STORY) is None
    accept_changes(stored_db)
    docket = extraction(
        caption="SEC v. Acme Widgets Inc.",
        plaintiffs=["SEC"],
        defendants=["Acme Widgets Inc."],
        dockets=["1:26-cv-00377"],
    )
    court = factories.feed(stored_db, FeedKind.COURT, agency="D.D.C.")
    store(
        stored_db, court, (factories.feed_item("1:26-cv-00377 SEC v. Acme Widgets", published_at=RELEASE_DAY), docket)
    )
    assert case_of(stored_db, ACME_STORY) == "SEC v. Acme Widgets Inc."  # tried again when the case gained a docket


@pytest.mark.sqlite_only  # migrates an old SQLite file
def test_stories_stored_before_the_migration_wait_for_their_case_too(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(str(path), isolation_level=None))
    migrations.apply(old, stop_before="m016_news_waiting")
    factories.stored_item(
        old, factories.feed(old, FeedKind.NEWS, agency="News"), *reversed(story(ACME_STORY, ACME_BODY))
    )
    old.conn.close()
    db = open_database(path)
    store(db, factories.feed(db, FeedKind.REGULATOR, agency="SEC"), release())
    assert case_of(db, ACME_STORY) == "SEC v. Acme Widgets Inc."


# --- end to end: feeds polled one after the other, as `run` schedules them ------------------

NEWS_XML = """<?xml version='1.0'?><rss version='2.0'><channel><title>News search</title>{items}</channel></rss>"""
NEWS_ITEM = """<item><title>{title}</title><description>{body}</description><link>https://news.example.com/{guid}</link>
<pubDate>{date}</pubDate><guid isPermaLink='false'>{guid}</guid></item>"""
STORIES = "".join(
    NEWS_ITEM.format(title=title, body=body, date=date, guid=guid)
    for guid, title, body, date in (
        ("story-1", ACME_STORY, ACME_BODY, "Mon, 02 Mar 2026 09:00:00 GMT"),
        ("story-2", "SEC charges loom for Acme Widgets lending unit - Bloomberg", "", "Sun, 25 Jan 2026 09:00:00 GMT"),
        ("story-3", "Acme Widgets sued by investors over lending losses - WSJ", "", "Mon, 01 Dec 2025 09:00:00 GMT"),
    )
)
SEC_XML = (
    """<?xml version='1.0'?><rss version='2.0'><channel><title>SEC Litigation Releases</title>{items}</channel></rss>"""
)
SEC_ITEM = """<item><title>SEC Charges Acme Widgets Inc. with Defrauding Crypto Lenders</title>
<description>The Securities and Exchange Commission today charged Acme Widgets Inc. with defrauding investors in
its crypto lending program.</description><link>https://www.sec.gov/newsroom/press-releases/2026-41</link>
<pubDate>Tue, 03 Mar 2026 15:00:00 GMT</pubDate><guid isPermaLink='false'>2026-41</guid></item>"""


def test_case_shows_stories_polled_before_the_release_that_opened_the_case(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    news_url = feed_server.serve("/news.xml", NEWS_XML.format(items=STORIES))
    sec_url = feed_server.serve("/sec.xml", SEC_XML.format(items=""))
    catalog = write_catalog(tmp_path / "feeds.toml", [("SEC press", sec_url, "regulator"), ("News", news_url, "news")])
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog), CASEWATCH_NEWS_WINDOW_DAYS="40")
    first = run_bot(["poll", "--once"], env, cwd=tmp_path)  # the stories are out, the SEC's release not yet
    assert first.returncode == 0, first.stderr
    feed_server.serve("/sec.xml", SEC_XML.format(items=SEC_ITEM))
    second = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    answer = run_bot(["case", "acme widgets"], env, cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert "1 case matches 'acme widgets'" in answer.stdout, answer.stdout
    case_card, _, loose = answer.stdout.partition("Items that name no case")
    assert "2026-03-03  Complaint: SEC Charges Acme Widgets Inc." in case_card, answer.stdout
    assert "2026-03-02  Complaint: SEC sues Acme Widgets over crypto lending scheme - Reuters (News)" in case_card
    assert "2026-01-25  Complaint: SEC charges loom for Acme Widgets lending unit" in case_card  # 37 days before
    assert "3 items from 2 sources" in case_card
    assert "Acme Widgets sued by investors" in loose  # 92 days before: outside the 40-day window


def test_the_window_is_a_setting() -> None:
    assert settings_from_env({}).news_window_days == 30
    assert settings_from_env({"CASEWATCH_NEWS_WINDOW_DAYS": "0"}).news_window_days == 0
    with pytest.raises(ConfigError) as refused:
        settings_from_env({"CASEWATCH_NEWS_WINDOW_DAYS": "a month"})
    assert refused.value.problems == [
        "CASEWATCH_NEWS_WINDOW_DAYS must be a whole number from 0 to 3650 (got 'a month')"
    ]


def test_a_process_that_searched_before_the_story_joined_finds_the_story_in_its_case(tmp_path: Path) -> None:
    """`run` polls and answers /case in one process: the map of item → case it
    keeps for searching must learn that an adopted story changed case."""
    from storage.search import search_cases

    db = open_database(database_url(tmp_path / "casewatch.db"))
    news_feed = factories.feed(db, FeedKind.NEWS, agency="News")
    sec_feed = factories.feed(db, FeedKind.REGULATOR, agency="SEC")
    store(db, news_feed, story(ACME_STORY, ACME_BODY))
    before = search_cases(db, "crypto lending scheme")
    assert before.cases == [] and [item.title for item in before.items] == [ACME_STORY]

    store(db, sec_feed, release())

    after = search_cases(db, "crypto lending scheme")
    assert [case.caption for case in after.cases] == ["SEC v. Acme Widgets Inc."]
    assert after.items == []


CFTC_ACME = extraction(
    caption="CFTC v. Acme Widgets Inc.",
    plaintiffs=["CFTC"],
    defendants=["Acme Widgets Inc."],
    agency="CFTC",
    release_no="8801-26",
)
ACME_WITH_PARALLEL = "The SEC sued Acme Widgets on Monday. The CFTC's parallel case against Acme Widgets continues."


def mentioned_captions(db: Connection, title: str) -> set[str]:
    """The captions of the cases the item titled ``title`` mentions in passing."""
    rows = db.execute(
        "SELECT cases.caption FROM case_mentions JOIN cases ON cases.id = case_mentions.case_id "
        "JOIN items ON items.id = case_mentions.item_id WHERE items.title = ?",
        [title],
    )
    return {caption for (caption,) in rows}


def test_a_waiting_story_mentions_the_parallel_case_and_keeps_it_when_adopted(
    stored_db: Connection, news: Feed, sec: Feed
) -> None:
    cftc = factories.feed(stored_db, FeedKind.REGULATOR, agency="CFTC")
    store(stored_db, cftc, release(CFTC_ACME, published_at="2026-03-01T15:00:00+00:00"))
    store(stored_db, news, story(ACME_STORY, ACME_WITH_PARALLEL))
    assert case_of(stored_db, ACME_STORY) is None  # the SEC's case is not known yet
    assert mentioned_captions(stored_db, ACME_STORY) == {"CFTC v. Acme Widgets Inc."}
    store(stored_db, sec, release())
    assert case_of(stored_db, ACME_STORY) == "SEC v. Acme Widgets Inc."
    assert mentioned_captions(stored_db, ACME_STORY) == {"CFTC v. Acme Widgets Inc."}


def test_a_story_adopted_by_a_case_it_mentioned_is_a_member_not_a_mention(
    stored_db: Connection, news: Feed, sec: Feed
) -> None:
    store(stored_db, news, story(ACME_STORY, ACME_BODY))
    (item_id,) = stored_db.execute("SELECT id FROM items WHERE title = ?", [ACME_STORY]).fetchone()
    (next_case,) = stored_db.execute("SELECT coalesce(max(id), 0) + 1 FROM cases").fetchone()
    # A mention of the case the release will open, as an earlier reading may have recorded it.
    stored_db.execute("INSERT INTO case_mentions (case_id, item_id) VALUES (?, ?)", [next_case, item_id])
    store(stored_db, sec, release())
    assert stored_db.execute("SELECT case_id FROM items WHERE id = ?", [item_id]).fetchone() == (next_case,)
    assert mentioned_captions(stored_db, ACME_STORY) == set()  # membership wins
