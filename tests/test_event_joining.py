"""Events (storage.events.record_event), driven directly on a migrated
in-memory database: which stored items report one happening. The same rules
are exercised end to end, with alerts in Slack, in test_events.py."""

from __future__ import annotations

import pytest

from bot.ingest import default_matcher
from feeds.extract import Extraction
from feeds.parse import FeedItem
from feeds.types import FeedPlan, HealthPlan, PlannedItem
from feeds.vocabulary import Action, FeedKind
from storage.batch import store_plan
from storage.engine import Connection
from storage.feeds import Feed
from tests import factories
from tests.factories import extraction, feed_item, news_extraction
from tests.reliability import Observed

DOCKET = "1:23-cv-01599"
CAPTION = "SEC v. Binance Holdings Ltd., et al."


@pytest.fixture
def court(stored_db: Connection) -> Feed:
    return factories.feed(stored_db, FeedKind.COURT, agency="PACER D.D.C.")


@pytest.fixture
def sec(stored_db: Connection) -> Feed:
    return factories.feed(stored_db, FeedKind.REGULATOR, agency="SEC")


def sec_v_binance(action: Action, **fields: str | None) -> Extraction:
    """An item about SEC v. Binance (its caption, parties and docket) saying ``action``."""
    return extraction(
        caption=CAPTION,
        plaintiffs=["SEC"],
        defendants=["Binance Holdings Ltd."],
        dockets=[DOCKET],
        action=action,
        **fields,
    )


def entry(number: str | None, text: str, action: Action = Action.RULING) -> Extraction:
    """A CM/ECF docket entry of SEC v. Binance."""
    return sec_v_binance(action, court="D.D.C.", docket_entry=text, entry_number=number)


def release(number: str | None, action: Action = Action.COMPLAINT) -> Extraction:
    """An SEC litigation release about SEC v. Binance."""
    return sec_v_binance(action, agency="SEC", release_no=number)


def at(when: str) -> FeedItem:
    return feed_item(published_at=when)


def event_count(db: Connection) -> int:
    (count,) = db.execute("SELECT count(*) FROM events").fetchone()
    return count


def test_the_courts_entry_the_agencys_release_and_next_days_news_are_one_event(
    stored_db: Connection, court: Feed, sec: Feed
) -> None:
    ruling, event_id, is_new = factories.event(
        stored_db, court, entry("12", "Memorandum Opinion"), at("2024-06-28T20:41:12+00:00")
    )
    assert is_new and ruling.case_id is not None
    _, by_release, release_new = factories.event(
        stored_db, sec, release("LR-26050", Action.RULING), at("2024-06-28T20:00:00+00:00")
    )
    news = factories.feed(stored_db, FeedKind.NEWS, agency="News")
    story = news_extraction("Judge trims SEC lawsuit against Binance but lets most claims proceed - Example News")
    reported, by_news, news_new = factories.event(stored_db, news, story, at("2024-06-29T13:00:00+00:00"))
    assert reported.case_id == ruling.case_id
    assert (by_release, by_news) == (event_id, event_id)
    assert not release_new and not news_new
    assert event_count(stored_db) == 1


def test_two_docket_entries_of_one_day_are_two_events(stored_db: Connection, court: Feed) -> None:
    _, seal, _ = factories.event(
        stored_db, court, entry("10", "Order on Motion to Seal"), at("2024-06-28T15:02:00+00:00")
    )
    _, ruling, is_new = factories.event(
        stored_db, court, entry("12", "Memorandum Opinion"), at("2024-06-28T20:41:12+00:00")
    )
    assert is_new and ruling != seal


def test_two_releases_of_one_series_on_one_day_are_two_events(stored_db: Connection, sec: Feed) -> None:
    _, first, _ = factories.event(stored_db, sec, release("LR-26039"), at("2024-06-28T14:00:00+00:00"))
    _, second, is_new = factories.event(stored_db, sec, release("LR-26040"), at("2024-06-28T16:00:00+00:00"))
    assert is_new and second != first


def test_a_release_numbered_in_two_series_is_one_event(stored_db: Connection, sec: Feed) -> None:
    _, litigation, _ = factories.event(stored_db, sec, release("LR-26039"), at("2024-06-28T14:00:00+00:00"))
    _, accounting, is_new = factories.event(stored_db, sec, release("AAER-4400"), at("2024-06-28T14:00:00+00:00"))
    assert not is_new and accounting == litigation


def test_a_republished_docket_entry_joins_its_event_whatever_its_day_or_kind(
    stored_db: Connection, court: Feed
) -> None:
    _, first, _ = factories.event(stored_db, court, entry("12", "Memorandum Opinion"), at("2024-06-28T20:41:12+00:00"))
    corrected = entry("12", "Corrected Memorandum Opinion", action=Action.OPINION)
    _, again, is_new = factories.event(stored_db, court, corrected, at("2024-07-09T10:00:00+00:00"))
    assert not is_new and again == first


def test_a_republished_release_joins_its_event(stored_db: Connection, sec: Feed) -> None:
    _, first, _ = factories.event(stored_db, sec, release("LR-26039"), at("2024-06-28T14:00:00+00:00"))
    _, again, is_new = factories.event(stored_db, sec, release("LR-26039"), at("2024-08-01T09:00:00+00:00"))
    assert not is_new and again == first


def test_the_same_kind_of_action_days_apart_is_another_event(stored_db: Connection, sec: Feed) -> None:
    _, first, _ = factories.event(stored_db, sec, release(None, Action.SETTLEMENT), at("2024-06-28T14:00:00+00:00"))
    _, next_day, next_day_new = factories.event(
        stored_db, sec, release(None, Action.SETTLEMENT), at("2024-06-29T09:00:00+00:00")
    )
    _, weeks_later, later_new = factories.event(
        stored_db, sec, release(None, Action.SETTLEMENT), at("2024-07-20T09:00:00+00:00")
    )
    assert (next_day, next_day_new) == (first, False)
    assert later_new and weeks_later != first


def test_another_kind_of_action_the_same_day_is_another_event(stored_db: Connection, sec: Feed) -> None:
    _, complaint, _ = factories.event(stored_db, sec, release(None, Action.COMPLAINT), at("2024-06-28T14:00:00+00:00"))
    _, settled, is_new = factories.event(
        stored_db, sec, release(None, Action.SETTLEMENT), at("2024-06-28T15:00:00+00:00")
    )
    assert is_new and settled != complaint


def test_unnumbered_filings_of_one_day_are_told_apart_by_their_text(stored_db: Connection, court: Feed) -> None:
    notice = entry(None, "Notice of Appearance", action=Action.FILING)
    _, first, _ = factories.event(stored_db, court, notice, at("2024-06-28T10:00:00+00:00"))
    _, other, other_new = factories.event(
        stored_db,
        court,
        entry(None, "Motion for Extension of Time", action=Action.FILING),
        at("2024-06-28T11:00:00+00:00"),
    )
    _, same, same_new = factories.event(stored_db, court, notice, at("2024-06-28T12:00:00+00:00"))
    assert other_new and other != first
    assert (same, same_new) == (first, False)


def test_items_of_no_case_are_told_apart_by_their_title(stored_db: Connection, sec: Feed) -> None:
    speech = extraction(agency="SEC", action=Action.NONE)
    _, first, _ = factories.event(stored_db, sec, speech, feed_item("Remarks at the Crypto Conference"))
    _, other, other_new = factories.event(stored_db, sec, speech, feed_item("Statement on Rule 10b5-1"))
    _, same, same_new = factories.event(stored_db, sec, speech, feed_item("Remarks at the Crypto Conference"))
    assert other_new and other != first
    assert (same, same_new) == (first, False)


def test_an_event_is_dated_by_its_first_report(stored_db: Connection, court: Feed, sec: Feed) -> None:
    """The next morning's release about a ruling does not move the ruling's day."""
    _, event_id, _ = factories.event(
        stored_db, sec, release("LR-26050", Action.RULING), at("2024-06-29T09:00:00+00:00")
    )
    factories.event(stored_db, court, entry("12", "Memorandum Opinion"), at("2024-06-28T20:41:12+00:00"))
    (day,) = stored_db.execute("SELECT event_day FROM events WHERE id = ?", [event_id]).fetchone()
    assert day == "2024-06-28"


def test_in_one_feed_items_join_the_events_its_earlier_items_made_and_numbered(stored_db: Connection) -> None:
    """A batch finds and makes its cases' events in memory and writes them
    at its end: a later item of the same feed joins an event an earlier one
    made, by the number an earlier one gave it, as when each item read the
    database itself (each item a feed poll of its own); an item about no case
    in between still finds its event in the database."""
    sequence = [
        (sec_v_binance(Action.COMPLAINT, entry_number="1"), "2024-06-03T10:00:00+00:00"),
        (sec_v_binance(Action.COMPLAINT, release_no="LR-26001"), "2024-06-04T09:00:00+00:00"),  # the same event
        (extraction(action=Action.NONE), "2024-06-04T10:00:00+00:00"),  # about no case
        (
            sec_v_binance(Action.CASE_UPDATE, release_no="LR-26001"),
            "2024-06-20T10:00:00+00:00",
        ),  # by the number item 2 gave
        (sec_v_binance(Action.RULING, entry_number="7"), "2024-06-20T11:00:00+00:00"),
        (sec_v_binance(Action.RULING, entry_number="8"), "2024-06-20T12:00:00+00:00"),  # same day, another entry
        (sec_v_binance(Action.RULING, action_detail="motion to dismiss"), "2024-06-21T10:00:00+00:00"),
        (extraction(action=Action.NONE), "2024-06-05T11:00:00+00:00"),  # the same story about no case
    ]
    events = "SELECT case_id, action, event_day, identity, entry_no, release_no, action_detail FROM events ORDER BY id"
    one_by_one = factories.memory_database()
    stored = []
    for db, per_item in ((stored_db, False), (one_by_one, True)):
        source = factories.feed(db)
        items = [
            PlannedItem(factories.feed_item("SEC v. Binance", key=f"entry-{number}", published_at=at), what)
            for number, (what, at) in enumerate(sequence)
        ]
        health = HealthPlan(next_poll_at="2024-07-01T00:00:00+00:00", retry_at="2024-07-01T00:00:00+00:00")
        for batch in [[item] for item in items] if per_item else [items]:
            plan = FeedPlan(source.id, tuple(batch), opens_cases=True, alert_since=None, health=health)
            store_plan(db, plan, match=lambda **_: [])
        joined = db.execute("SELECT item_key, event_id FROM items ORDER BY id").fetchall()
        stored.append((joined, db.execute(events).fetchall()))
    assert stored[0] == stored[1]
    joined, made = stored[0]
    assert [event_id for _, event_id in joined] == [1, 1, 2, 1, 3, 4, 3, 2]
    assert len(made) == 4


def _store_one(db: Connection, source: Feed, what: Extraction, item: FeedItem) -> None:
    """One feed's poll of one item through the store step, matched against the channels' watches
    by the real matcher, as a poll matches them."""
    health = HealthPlan(next_poll_at="2099-01-01T00:00:00+00:00", retry_at="2099-01-01T00:00:00+00:00")
    plan = FeedPlan(source.id, (PlannedItem(item, what),), opens_cases=True, alert_since=None, health=health)
    store_plan(db, plan, match=default_matcher().index(db).match)


def _alerts_by_channel(db: Connection) -> dict[str, int]:
    rows = db.execute("SELECT channel_id, count(*) FROM alerts GROUP BY channel_id ORDER BY channel_id").fetchall()
    return dict(rows)


@pytest.mark.reliability("a watched party named only by an event's second source is never alerted", kind="input")
@pytest.mark.parametrize("court_first", [True, False], ids=["court entry first", "agency release first"])
def test_a_watch_that_only_the_events_second_source_names_is_alerted_once(
    stored_db: Connection, court: Feed, sec: Feed, court_first: bool, observed: Observed
) -> None:
    """The court's entry of a complaint names the case's first defendant; the
    agency's release of the same complaint also names a second one, watched
    by another channel. Whichever is stored first, both channels hear of the
    complaint once: the first source's channel is not alerted again when the
    second joins the event, and the second's is alerted when it does."""
    factories.watch(stored_db, "Binance Holdings", channel="CBINANCE")
    factories.watch(stored_db, "Changpeng Zhao", channel="CZHAO")
    by_court = sec_v_binance(Action.COMPLAINT, court="D.D.C.", entry_number="1")
    by_agency = extraction(
        caption=CAPTION,
        plaintiffs=["SEC"],
        defendants=["Binance Holdings Ltd.", "Changpeng Zhao"],
        dockets=[DOCKET],
        action=Action.COMPLAINT,
        agency="SEC",
        release_no="LR-26001",
    )
    sources = [(court, by_court, "SEC v. Binance Holdings Ltd., et al."), (sec, by_agency, "SEC Charges Binance")]
    for source, what, title in sources if court_first else reversed(sources):
        _store_one(stored_db, source, what, feed_item(title, published_at="2024-06-05T15:00:00+00:00"))
    assert event_count(stored_db) == 1
    alerts = _alerts_by_channel(stored_db)
    observed.record(alerts_lost=2 - len(alerts), alerts_duplicated=sum(alerts.values()) - len(alerts))
    assert alerts == {"CBINANCE": 1, "CZHAO": 1}
