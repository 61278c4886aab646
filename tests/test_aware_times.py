"""Times across module boundaries are aware, in UTC (feeds/times.py): feed
dates without a zone are read as UTC, a naive datetime handed to a step is
refused instead of silently compared or converted as local time, stored times
without a zone are read as UTC, and what is scheduled and shown (next poll,
last success, lease expiry, the scheduler's next runs) is in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.config import settings_from_env
from bot.ingest import default_matcher, poll_feed
from bot.scheduler import Scheduler
from bot.sender import AlertSender
from feeds.fetch import Fetcher
from feeds.health import health
from feeds.parse import parse_feed
from feeds.vocabulary import FeedKind
from handlers.feeds_answer import feed_statuses, plain_feed_list
from storage.database import ThreadDatabases
from storage.engine import Connection
from storage.feeds import get_feed, recent_item_times
from storage.leases import hold
from tests import factories
from tests.conftest import FeedServer

NAIVE = datetime(2024, 6, 28, 15, 2)  # noqa: DTZ001 (the naive time under test)


def rss(pub_date: str) -> bytes:
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>SEC</title><link>https://www.sec.gov/</link>"
        f"<item><title>SEC charges Acme Widgets Inc.</title><link>https://www.sec.gov/lr-1</link><guid>lr-1</guid>"
        f"<pubDate>{pub_date}</pubDate></item></channel></rss>"
    ).encode()


def atom(updated: str) -> bytes:
    return (
        "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Court</title><id>urn:c</id>"
        f"<updated>{updated}</updated><entry><title>Order</title><id>urn:e1</id>"
        f"<link href='https://ecf.dcd.uscourts.gov/e1'/><updated>{updated}</updated></entry></feed>"
    ).encode()


def aware_utc(iso: str | None) -> datetime:
    assert iso is not None
    when = datetime.fromisoformat(iso)
    assert when.utcoffset() == timedelta(0), iso
    return when


@pytest.mark.reliability("a feed whose dates name no time zone", kind="input")
@pytest.mark.parametrize(
    "body",
    [rss("Fri, 28 Jun 2024 15:02:00"), atom("2024-06-28T15:02:00")],
    ids=["rss", "atom"],
)
def test_a_feed_date_without_zone_is_read_as_utc(body: bytes) -> None:
    (item,) = parse_feed(body, base_url="https://example.org/feed", court_feed=False).items
    assert item.published_at == "2024-06-28T15:02:00+00:00"


def test_a_feed_date_with_another_zone_is_stored_in_utc() -> None:
    (item,) = parse_feed(rss("Fri, 28 Jun 2024 16:00:00 -0400"), base_url="https://e.org/", court_feed=False).items
    assert item.published_at == "2024-06-28T20:00:00+00:00"


def test_parsing_refuses_a_naive_fetch_time() -> None:
    """A naive fetch time cannot be compared with the feed's (aware) dates: it
    used to make every item unreadable, silently skipped."""
    with pytest.raises(ValueError, match="aware"):
        parse_feed(rss("Fri, 28 Jun 2024 15:02:00 GMT"), base_url="https://e.org/", court_feed=False, fetched_at=NAIVE)


def test_health_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        health(
            paused=False,
            failing_since=None,
            last_error=None,
            last_new_item_at=None,
            created_at="2024-06-01T00:00:00+00:00",
            item_times=[],
            now=NAIVE,
        )


def test_health_reads_a_stored_time_without_zone_as_utc() -> None:
    now = datetime(2024, 6, 28, 12, 0, tzinfo=UTC)
    common = {"paused": False, "failing_since": None, "last_error": None, "item_times": [], "now": now}
    quiet = health(last_new_item_at="2024-06-01T00:00:00", created_at="2024-01-01T00:00:00", **common)
    assert (quiet.state, quiet.since) == ("quiet", "2024-06-01T00:00:00+00:00")
    assert health(last_new_item_at="2024-06-27T00:00:00", created_at="2024-01-01T00:00:00", **common).state == "ok"


def test_stored_item_times_are_aware(stored_db: Connection) -> None:
    source = factories.feed(stored_db)
    factories.stored_item(
        stored_db, source, factories.extraction(), factories.feed_item(published_at="2024-06-28T15:02:00+00:00")
    )
    factories.stored_item(stored_db, source, factories.extraction(), factories.feed_item(published_at=None))
    times = recent_item_times(stored_db, source.id)
    assert len(times) == 2 and all(when.utcoffset() == timedelta(0) for when in times)


def test_a_poll_records_its_next_poll_and_last_success_in_utc(stored_db: Connection, feed_server: FeedServer) -> None:
    url = feed_server.serve("/sec.xml", rss("Fri, 28 Jun 2024 15:02:00 GMT"))
    source = factories.feed(stored_db, FeedKind.REGULATOR, url=url)
    before = datetime.now(UTC).replace(microsecond=0)
    outcome = poll_feed(stored_db, Fetcher(contact="t@example.com", allow_private=True), source, default_matcher())
    after = datetime.now(UTC)
    assert outcome.status == "new"
    polled = get_feed(stored_db, source.id)
    assert polled is not None
    assert before <= aware_utc(polled.last_success_at) <= after
    interval = timedelta(minutes=source.interval_minutes)
    assert before + interval <= aware_utc(polled.next_poll_at) <= after + interval
    listed = plain_feed_list(feed_statuses(stored_db))
    assert f"last success {aware_utc(polled.last_success_at):%Y-%m-%d %H:%M} UTC" in listed


def test_the_feed_list_refuses_a_naive_now(any_db: Connection) -> None:
    factories.feed(any_db)
    with pytest.raises(ValueError, match="aware"):
        feed_statuses(any_db, now=NAIVE)


def test_a_lease_expires_in_utc(any_db: Connection) -> None:
    before = datetime.now(UTC)
    assert hold(any_db, "poller", "me", timedelta(seconds=30))
    (expires,) = any_db.execute("SELECT expires_at FROM leases WHERE name = 'poller'").fetchone()
    assert (
        before + timedelta(seconds=30) - timedelta(milliseconds=1)
        <= aware_utc(expires)
        <= datetime.now(UTC) + timedelta(seconds=30)
    )
    assert not hold(any_db, "poller", "another", timedelta(seconds=30))


def test_a_lease_stored_without_zone_is_read_as_utc(any_db: Connection) -> None:
    later = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    any_db.execute("INSERT INTO leases (name, holder, expires_at) VALUES ('poller', 'other', ?)", [later])
    assert not hold(any_db, "poller", "me", timedelta(seconds=30))


def test_the_schedulers_next_poll_runs_are_utc_and_due_now(tmp_path: Path) -> None:
    databases = ThreadDatabases(tmp_path / "s.db")
    factories.feed(databases.get(), FeedKind.REGULATOR, url="http://127.0.0.1:9/a")
    sender = AlertSender(databases, WebClient(base_url="http://127.0.0.1:9/api/"))
    scheduler = Scheduler(databases, Fetcher(contact="t@example.com"), default_matcher(), sender, settings_from_env({}))
    scheduler.scheduler.start(paused=True)
    try:
        before = datetime.now(UTC)
        scheduler._keep_lease()  # take the polling lease now rather than at the first tick
        (poll,) = [job for job in scheduler.scheduler.get_jobs() if job.id.startswith("poll-feed-")]
        assert poll.next_run_time.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= poll.next_run_time <= datetime.now(UTC) + timedelta(seconds=1)
    finally:
        scheduler.shutdown()
