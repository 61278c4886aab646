"""Polling that is polite, resilient and visible: backoff, Retry-After, per-host
limits, health, the polling lease, jobs that follow the feeds table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlite_utils import Database

from bot.config import settings_from_env
from bot.ingest import default_matcher, poll_feed, poll_feeds
from bot.scheduler import Scheduler
from bot.sender import AlertSender
from feeds import fetch as fetch_module
from feeds.catalog import FeedSpec
from feeds.fetch import Fetcher
from feeds.health import MAX_BACKOFF, backoff, health, quiet_after
from feeds.match import Matcher, WatchTarget
from feeds.types import PollOutcome
from handlers.feeds_answer import feed_statuses
from storage.database import ThreadDatabases
from storage.feeds import change_feed, enabled_feeds, get_feed, sync_catalog
from storage.watches import WatchSpec, add_watch, matchable_watches, remove_watch, watch_version
from tests.conftest import FIXTURES, FeedServer
from tests.reliability import Observed
from tests.test_alerts_e2e import SEC_COMPLAINT, rss

GOOD = (FIXTURES / "sec/litigation_releases_2024-06-part.xml").read_bytes()


def spec(name: str, url: str, kind: str = "regulator", interval: int = 10, **options: object) -> FeedSpec:
    return FeedSpec(name, url, "SEC", kind, interval, **options)


@pytest.fixture
def databases(tmp_path: Path) -> ThreadDatabases:
    return ThreadDatabases(tmp_path / "ops.db")


def feed_named(databases: ThreadDatabases, name: str):
    return next(feed for feed in enabled_feeds(databases.get()) if feed.name == name)


def minutes_until_next_poll(databases: ThreadDatabases, name: str) -> float:
    feed = next(f for f in feed_statuses(databases.get()) if f.feed.name == name).feed
    return (
        datetime.fromisoformat(feed.next_poll_at) - datetime.fromisoformat(feed.last_polled_at)
    ).total_seconds() / 60


# --- backoff and health, as rules ----------------------------------------------------


def test_backoff_doubles_per_failure_and_stops_at_six_hours() -> None:
    interval = timedelta(minutes=10)
    assert [backoff(interval, n).total_seconds() / 60 for n in range(1, 7)] == [10, 20, 40, 80, 160, 320]
    assert backoff(interval, 7) == backoff(interval, 30) == MAX_BACKOFF
    assert backoff(interval, 1, retry_after=3600) == timedelta(hours=1)


def test_quiet_means_far_longer_than_the_usual_rhythm() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    daily = [now - timedelta(days=d) for d in range(10, 30)]
    assert quiet_after(daily) == timedelta(days=5)
    assert quiet_after(daily[:3]) == timedelta(days=7)  # too few items to know the rhythm
    state = health(
        paused=False,
        failing_since=None,
        last_error=None,
        last_new_item_at=(now - timedelta(days=10)).isoformat(),
        created_at=(now - timedelta(days=60)).isoformat(),
        item_times=daily,
        now=now,
    )
    assert state.state == "quiet" and state.describe().startswith("quiet since 2026-11-14")
    busy = [now - timedelta(hours=h) for h in range(1, 40)]
    fresh = health(
        paused=False,
        failing_since=None,
        last_error=None,
        last_new_item_at=(now - timedelta(hours=20)).isoformat(),
        created_at=now.isoformat(),
        item_times=busy,
        now=now,
    )
    assert fresh.state == "ok"


# --- polling real servers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        pytest.param(
            {"body": "oops", "status": 500},
            "HTTP 500",
            marks=pytest.mark.reliability("a feed server answering 500", kind="feed fault"),
        ),
        pytest.param(
            {"body": "gone", "status": 404},
            "HTTP 404",
            marks=pytest.mark.reliability("a feed URL that is gone (404)", kind="feed fault"),
        ),
        pytest.param(
            {"body": "<?xml version='1.0'?><rss><channel><item><title>a</item></rss>"},
            "malformed XML",
            marks=pytest.mark.reliability("truncated or malformed XML", kind="feed fault"),
        ),
        pytest.param(
            {"body": "<!doctype html><html><body>Moved</body></html>"},
            "HTML page",
            marks=pytest.mark.reliability("an HTML page instead of a feed", kind="feed fault"),
        ),
        pytest.param(
            {"body": "", "status": 302, "headers": {"Location": "/bad.xml"}},
            "too many redirects",
            marks=pytest.mark.reliability("a redirect loop", kind="feed fault"),
        ),
        pytest.param(
            {"body": "busy", "status": 503, "headers": {"Retry-After": "60"}},
            "HTTP 503",
            marks=pytest.mark.reliability("a feed server overloaded (503 with Retry-After)", kind="feed fault"),
        ),
    ],
)
def test_a_bad_feed_is_recorded_and_the_others_go_on(
    databases: ThreadDatabases, feed_server: FeedServer, route: dict, reason: str, observed: Observed
) -> None:
    good = feed_server.serve("/good.xml", GOOD)
    bad = feed_server.serve("/bad.xml", **route)
    sync_catalog(databases.get(), [spec("Good", good), spec("Bad", bad)])
    fetcher = Fetcher(contact="t@example.com", allow_private=True)
    outcomes = poll_feeds(databases, fetcher, enabled_feeds(databases.get()), default_matcher())
    observed.record(items_lost=12 - outcomes[0].new_items)
    assert [o.status for o in outcomes] == ["new", "error"]
    statuses = {s.feed.name: s for s in feed_statuses(databases.get())}
    assert statuses["Good"].health.state == "ok"
    assert statuses["Bad"].health.state == "failing"
    assert reason in statuses["Bad"].health.describe()


def test_a_timeout_is_recorded(databases: ThreadDatabases, feed_server: FeedServer, monkeypatch) -> None:
    monkeypatch.setattr(fetch_module, "READ_TIMEOUT", 0.2)
    url = feed_server.serve("/slow.xml", GOOD, delay=1.0)
    sync_catalog(databases.get(), [spec("Slow", url)])
    outcome = poll_feed(
        databases.get(),
        Fetcher(contact="t@x.org", allow_private=True),
        feed_named(databases, "Slow"),
        default_matcher(),
    )
    assert (outcome.status, outcome.error) == ("error", "timed out")


def test_failing_feed_backs_off_then_recovers_on_success(databases: ThreadDatabases, feed_server: FeedServer) -> None:
    url = feed_server.serve("/flaky.xml", "down", status=500)
    sync_catalog(databases.get(), [spec("Flaky", url)])
    fetcher, matcher = Fetcher(contact="t@example.com", allow_private=True), default_matcher()
    waits = []
    for _ in range(3):
        poll_feed(databases.get(), fetcher, feed_named(databases, "Flaky"), matcher)
        waits.append(round(minutes_until_next_poll(databases, "Flaky")))
    assert waits == [10, 20, 40]
    feed_server.serve("/flaky.xml", GOOD)
    poll_feed(databases.get(), fetcher, feed_named(databases, "Flaky"), matcher)
    (status,) = feed_statuses(databases.get())
    assert status.health.state == "ok" and status.feed.consecutive_failures == 0
    assert round(minutes_until_next_poll(databases, "Flaky")) == 10


def test_retry_after_is_honoured(databases: ThreadDatabases, feed_server: FeedServer) -> None:
    url = feed_server.serve("/limited.xml", "slow down", status=429, headers={"Retry-After": "7200"})
    sync_catalog(databases.get(), [spec("Limited", url)])
    poll_feed(
        databases.get(),
        Fetcher(contact="t@x.org", allow_private=True),
        feed_named(databases, "Limited"),
        default_matcher(),
    )
    assert round(minutes_until_next_poll(databases, "Limited")) == 120


def test_scheduler_skips_a_feed_in_backoff_and_keeps_polling_healthy_ones(
    databases: ThreadDatabases, feed_server: FeedServer
) -> None:
    good = feed_server.serve("/good.xml", GOOD, etag='"v1"')
    bad = feed_server.serve("/bad.xml", "down", status=500)
    sync_catalog(databases.get(), [spec("Good", good), spec("Bad", bad)])
    scheduler = Scheduler(
        databases,
        Fetcher(contact="t@example.com", allow_private=True),
        default_matcher(),
        AlertSender(databases, WebClient(base_url="http://127.0.0.1:9/api/")),
        settings_from_env({}),
    )
    for _ in range(3):  # three runs of each feed's job, as the intervals come round
        for feed in enabled_feeds(databases.get()):
            scheduler._poll(feed.id)
    assert feed_server.count("/good.xml") == 3  # on time, every time (304s after the first)
    assert feed_server.count("/bad.xml") == 1  # failed once, then waits out its backoff


def test_a_slow_feed_delays_no_other(databases: ThreadDatabases) -> None:
    slow_server = FeedServer()
    fast_server = FeedServer(shares_log_with=slow_server)
    try:
        # The slow feed answers only after the fast one was requested: polled one
        # after the other, it would give up (504) before the fast one's turn.
        slow = slow_server.serve("/slow.xml", GOOD, answer_after="/fast.xml")
        fast = fast_server.serve("/fast.xml", GOOD)
        sync_catalog(databases.get(), [spec("Slow", slow), spec("Fast", fast)])
        outcomes = poll_feeds(
            databases, Fetcher(contact="t@x.org", allow_private=True), enabled_feeds(databases.get()), default_matcher()
        )
        assert [o.status for o in outcomes] == ["new", "new"]
    finally:
        slow_server.close()
        fast_server.close()


def test_never_more_than_one_request_in_flight_per_host(databases: ThreadDatabases, feed_server: FeedServer) -> None:
    urls = [feed_server.serve(f"/f{n}.xml", GOOD.replace(b"LR-", f"F{n}-".encode()), delay=0.2) for n in range(3)]
    sync_catalog(databases.get(), [spec(f"F{n}", url) for n, url in enumerate(urls)])
    outcomes = poll_feeds(
        databases, Fetcher(contact="t@x.org", allow_private=True), enabled_feeds(databases.get()), default_matcher()
    )
    assert [o.status for o in outcomes] == ["new"] * 3
    assert feed_server.most_in_flight == 1


# --- what a feed's items do -------------------------------------------------------------------


def test_a_feeds_first_poll_stores_its_backlog_without_alerting(
    databases: ThreadDatabases, feed_server: FeedServer
) -> None:
    db = databases.get()
    add_watch(db, team_id="T1", channel_id="C1", user_id="U1", spec=WatchSpec("name", "Ilit Raz", "ilit raz"))
    url = feed_server.serve("/lr.xml", GOOD)
    sync_catalog(db, [spec("LR", url)])
    outcome = poll_feed(
        db, Fetcher(contact="t@x.org", allow_private=True), feed_named(databases, "LR"), default_matcher()
    )
    assert (outcome.new_items, outcome.alerts) == (12, 0)
    assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0


BINANCE = WatchSpec("name", "binance", "binance")


def poll_while_watches_change(
    databases: ThreadDatabases, feed_server: FeedServer, change: Callable[[Database], object]
) -> PollOutcome:
    """A second poll of a feed (its first, of nothing, alerts no one) that reads
    one new release naming Binance, while ``change`` (``/watch`` or ``/unwatch``
    in another process) runs right after the poll has read the watches it
    matches against."""
    db = databases.get()
    url = feed_server.serve("/lr.xml", rss("https://www.sec.gov/"))
    sync_catalog(db, [spec("LR", url)])
    fetcher = Fetcher(contact="t@x.org", allow_private=True)
    poll_feed(db, fetcher, feed_named(databases, "LR"), default_matcher())
    feed_server.serve("/lr.xml", rss("https://www.sec.gov/", SEC_COMPLAINT))
    changed: list[bool] = []

    def watches_then_change(reading: Database) -> list[WatchTarget]:
        known = list(matchable_watches(reading))
        if not changed:
            with databases.lend() as other:
                change(other)
            changed.append(True)
        return known

    return poll_feed(db, fetcher, feed_named(databases, "LR"), Matcher(watch_version, watches_then_change))


def test_a_watch_added_while_a_poll_stores_what_it_read_alerts_on_it(
    databases: ThreadDatabases, feed_server: FeedServer
) -> None:
    """A watch added meanwhile (whose ``/watch`` answer then said "no case is
    known for it yet") must still hear of what the poll stores."""
    outcome = poll_while_watches_change(
        databases,
        feed_server,
        lambda other: add_watch(other, team_id="T1", channel_id="C1", user_id="U1", spec=BINANCE),
    )
    assert (outcome.new_items, outcome.alerts) == (1, 1)
    assert databases.get().execute("SELECT channel_id FROM alerts").fetchall() == [("C1",)]


def test_a_watch_removed_while_a_poll_stores_what_it_read_alerts_no_more(
    databases: ThreadDatabases, feed_server: FeedServer
) -> None:
    watch, _ = add_watch(databases.get(), team_id="T1", channel_id="C1", user_id="U1", spec=BINANCE)
    outcome = poll_while_watches_change(
        databases,
        feed_server,
        lambda other: remove_watch(other, team_id="T1", channel_id="C1", watch_id=watch.id, user_id="U1"),
    )
    assert (outcome.new_items, outcome.alerts) == (1, 0)
    assert databases.get().execute("SELECT count(*) FROM alerts WHERE status != 'cancelled'").fetchone() == (0,)


def test_news_joins_known_cases_and_opens_none(databases: ThreadDatabases, feed_server: FeedServer) -> None:
    def news(title: str, guid: str) -> str:
        return (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>n</title>"
            f"<item><title>{title}</title><guid>{guid}</guid></item></channel></rss>"
        )

    db = databases.get()
    news_url = feed_server.serve("/news.xml", news("Judge rules in SEC v. Acme Widgets Inc.", "n1"))
    sync_catalog(db, [spec("News", news_url, kind="news")])
    poll_feed(db, Fetcher(contact="t@x.org", allow_private=True), feed_named(databases, "News"), default_matcher())
    assert db.execute("SELECT count(*), count(case_id) FROM items").fetchone() == (1, 0)
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    regulator = feed_server.serve("/sec.xml", news("Securities and Exchange Commission v. Acme Widgets Inc.", "r1"))
    sync_catalog(db, [spec("News", news_url, kind="news"), spec("SEC", regulator)])
    feed_server.serve("/news.xml", news("Appeal filed in SEC v. Acme Widgets Inc.", "n2"))
    poll_feeds(databases, Fetcher(contact="t@x.org", allow_private=True), enabled_feeds(db), default_matcher())
    # the release opened the case; the story stored before it joined it then (storage.adopt), the new one on arrival
    assert db.execute("SELECT count(*), count(case_id) FROM items").fetchone() == (3, 3)
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 1


def test_a_busy_court_feed_keeps_only_watched_dockets(databases: ThreadDatabases, feed_server: FeedServer) -> None:
    db = databases.get()
    url = feed_server.serve_file("/sdny.xml", "pacer/sdny_1.xml")
    sync_catalog(db, [spec("SDNY", url, kind="court", only_watched=True)])
    add_watch(db, team_id="T1", channel_id="C1", user_id="U1", spec=WatchSpec("docket", "1:18-cv-03365", "18-cv-03365"))
    outcome = poll_feed(
        db, Fetcher(contact="t@x.org", allow_private=True), feed_named(databases, "SDNY"), default_matcher()
    )
    assert (outcome.new_items, outcome.seen_items) == (3, 358)  # the three entries of Chau v. Donovan
    cases = db.execute("SELECT DISTINCT cases.caption FROM items JOIN cases ON cases.id = items.case_id").fetchall()
    assert cases == [("Chau v. Donovan et al.",)]


# --- the feeds table and the jobs ------------------------------------------------------------------


def test_catalog_edits_and_admin_changes_both_stick(databases: ThreadDatabases) -> None:
    db = databases.get()
    sync_catalog(db, [spec("A", "https://a.example/rss"), spec("B", "https://b.example/rss")])
    change_feed(db, feed_named(databases, "A"), change="pause", actor="U1", team_id="T1")
    sync_catalog(db, [spec("A", "https://a.example/rss", interval=30)])  # B was deleted from the catalog
    assert enabled_feeds(db) == []
    paused = get_feed(db, 1)
    assert paused.paused and paused.interval_minutes == 30


def test_jobs_follow_the_feeds_table(databases: ThreadDatabases) -> None:
    db = databases.get()
    sync_catalog(db, [spec("A", "http://127.0.0.1:9/a"), spec("B", "http://127.0.0.1:9/b")])
    scheduler = Scheduler(
        databases,
        Fetcher(contact="t@example.com"),
        default_matcher(),
        AlertSender(databases, WebClient(base_url="http://127.0.0.1:9/api/")),
        settings_from_env({}),
    )
    scheduler.scheduler.start(paused=True)
    try:
        scheduler._keep_lease()

        def poll_jobs() -> dict[str, float]:
            return {
                job.id: job.trigger.interval.total_seconds() / 60
                for job in scheduler.scheduler.get_jobs()
                if job.id.startswith("poll-feed-")
            }

        assert poll_jobs() == {"poll-feed-1": 10, "poll-feed-2": 10}
        change_feed(db, get_feed(db, 1), change="pause", actor="U1", team_id="T1")
        scheduler.reconcile()
        assert poll_jobs() == {"poll-feed-2": 10}
        change_feed(db, get_feed(db, 1), change="resume", actor="U1", team_id="T1")
        change_feed(db, get_feed(db, 2), change="remove", actor="U1", team_id="T1")
        sync_catalog(db, [spec("A", "http://127.0.0.1:9/a", interval=45), spec("B", "http://127.0.0.1:9/b")])
        scheduler.reconcile()
        assert poll_jobs() == {"poll-feed-1": 45}
    finally:
        scheduler.shutdown()


def test_a_one_case_docket_feed_joins_its_case(databases: ThreadDatabases, feed_server: FeedServer) -> None:
    """A CourtListener docket feed names the case once, in its title."""
    db = databases.get()
    release = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>SEC</title><item>"
        "<title>SEC Files 13 Charges Against Binance</title><guid>pr1</guid><description>Securities and Exchange "
        "Commission v. Binance Holdings Limited, Civil Action No. 1:23-cv-01599 (D.D.C.)</description></item>"
        "</channel></rss>"
    )
    docket_feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel>"
        "<title>CourtListener.com: Securities and Exchange Commission v. Binance Holdings Limited (1:23-cv-01599)</title>"
        "<item><title>Entry 248: Memorandum Opinion</title><guid>cl-248</guid>"
        "<description>MEMORANDUM OPINION granting in part and denying in part motions to dismiss</description></item>"
        "</channel></rss>"
    )
    sec = feed_server.serve("/pr.xml", release)
    listener = feed_server.serve("/docket/67890/feed/", docket_feed)
    sync_catalog(db, [spec("SEC", sec), spec("CourtListener", listener, kind="court")])
    poll_feeds(databases, Fetcher(contact="t@x.org", allow_private=True), enabled_feeds(db), default_matcher())
    assert db.execute("SELECT count(DISTINCT case_id), count(case_id) FROM items").fetchone() == (1, 2)
    assert db.execute("SELECT action FROM items WHERE title LIKE 'Entry 248%'").fetchone() == ("ruling",)


def test_courtlistener_and_cmecf_addresses_are_courts() -> None:
    from feeds.sources import classify

    assert classify("https://www.courtlistener.com/docket/67890/feed/") == ("court", "CourtListener")
    assert classify("https://ecf.dcd.uscourts.gov/cgi-bin/rss_outside.pl") == ("court", "DCD")
    assert classify("https://www.sec.gov/news/pressreleases.rss") == ("regulator", "SEC")
    assert classify("https://news.example.org/rss") == ("news", "News")


def test_fetch_deadline_and_busy_timeout_are_settings() -> None:
    from bot.config import ConfigError

    assert (settings_from_env({}).fetch_deadline_seconds, settings_from_env({}).busy_timeout_ms) == (60.0, 10_000)
    tuned = settings_from_env({"CASEWATCH_FETCH_DEADLINE_SECONDS": "2", "CASEWATCH_BUSY_TIMEOUT_SECONDS": "0.25"})
    assert (tuned.fetch_deadline_seconds, tuned.busy_timeout_ms) == (2.0, 250)
    with pytest.raises(ConfigError) as refused:
        settings_from_env({"CASEWATCH_FETCH_DEADLINE_SECONDS": "soon", "CASEWATCH_BUSY_TIMEOUT_SECONDS": "nan"})
    assert refused.value.problems == [
        "CASEWATCH_FETCH_DEADLINE_SECONDS must be a number of seconds from 0.5 to 3600 (got 'soon')",
        "CASEWATCH_BUSY_TIMEOUT_SECONDS must be a number of seconds from 0.05 to 600 (got 'nan')",
    ]
