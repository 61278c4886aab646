"""The pipeline's pure plan (bot.ingest.plan_feed, feeds.types.HealthPlan) and
storing a feed's batch in one call (storage.batch.store_plan)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

import storage.items
from bot.ingest import default_matcher, plan_feed, poll_feeds
from feeds.catalog import FeedSpec
from feeds.fetch import Fetcher, FetchResult
from feeds.match import WatchIndex
from feeds.parse import parse_feed
from feeds.types import HealthPlan
from handlers.feeds_answer import feed_statuses
from storage.database import ThreadDatabases
from storage.feeds import Feed, enabled_feeds, sync_catalog
from storage.search import search_cases
from tests.conftest import FeedServer
from tests.pg import EngineDatabase
from tests.reliability import Observed

NOW = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
FEED = Feed(
    id=7,
    name="SEC",
    url="https://www.sec.gov/rss",
    agency="SEC",
    kind="regulator",
    interval_minutes=10,
    enabled=True,
    source="catalog",
    paused=False,
    etag=None,
    last_modified=None,
    last_polled_at=None,
    last_success_at="2026-06-01T00:00:00+00:00",
    last_new_item_at=None,
    last_error=None,
    last_error_at=None,
    failing_since=None,
    consecutive_failures=0,
    next_poll_at=None,
    created_at="2026-01-01T00:00:00+00:00",
)


def item(guid: str, title: str, date: str, description: str = "") -> str:
    return (
        f"<item><title>{title}</title><description>{description}</description>"
        f"<pubDate>{date}</pubDate><guid isPermaLink='false'>{guid}</guid></item>"
    )


def rss(*items: str) -> bytes:
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{''.join(items)}</channel></rss>".encode()


BODY = rss(
    item("b", "SEC Charges Beta Widgets Inc. with Fraud", "Mon, 01 Jun 2026 10:00:00 GMT"),
    item("a", "SEC Charges Alpha Gadgets LLC with Fraud", "Mon, 01 Jun 2026 09:00:00 GMT"),
    item("c", "SEC Charges Gamma Tools Corp. with Fraud", "Mon, 01 Jun 2026 10:00:00 GMT"),
    item("old", "SEC Charges Delta Corp. with Fraud", "Sun, 31 May 2026 10:00:00 GMT"),
)


def plan(feed: Feed = FEED, fresh: set[str] | None = None):
    parsed = parse_feed(BODY, base_url=feed.url, court_feed=False, fetched_at=NOW)
    fetched = FetchResult(feed.url, False, BODY, '"v2"', None)
    keys = {entry.key for entry in parsed.items} if fresh is None else fresh
    return plan_feed(feed, fetched, parsed, keys, WatchIndex([]), NOW)


def test_a_plan_holds_the_new_items_oldest_first() -> None:
    planned = plan(fresh={"a", "b", "c"})
    assert [entry.item.key for entry in planned.items] == ["a", "b", "c"]  # same time: feed order
    assert planned.opens_cases and planned.alert_since is None
    assert planned.health.after([]).ok and planned.health.after([]).etag == '"v2"'


def test_a_first_poll_alerts_only_on_the_last_48_hours_and_news_opens_no_case() -> None:
    first = plan(replace(FEED, last_success_at=None, kind="news"))
    assert first.alert_since == "2026-05-31T12:00:00+00:00"
    assert not first.opens_cases


def test_an_item_that_cannot_be_stored_makes_the_feed_failing_with_its_name() -> None:
    health = HealthPlan(next_poll_at="soon", retry_at="later", etag='"v2"', skipped=("'x': unreadable",))
    failing = health.after(["'y': RuntimeError: bug"])
    assert (failing.ok, failing.next_poll_at, failing.etag) == (False, "later", None)
    assert failing.reason == "2 items could not be stored: 'x': unreadable (and 1 more)"
    assert HealthPlan("soon", "later", problem="malformed XML").after([]).reason == "malformed XML"


def test_a_case_renamed_by_several_items_of_one_feed_is_related_and_found_by_every_name(
    stored_engine_db: EngineDatabase, feed_server: FeedServer
) -> None:
    """A batch refreshes a case's search row and related cases once, after
    its items: every name the batch gave the case must count."""
    docket = "Civil Action No. 1:24-cv-01234 (S.D.N.Y.)"
    other = rss(
        item(
            "cftc-1",
            "CFTC Charges John Q. Roe with Fraud",
            "Fri, 01 May 2026 10:00:00 GMT",
            "Commodity Futures Trading Commission v. John Q. Roe, Case No. 1:24-cv-09999 (N.D. Ill.).",
        )
    )
    body = rss(
        item(
            "lr-2",
            "Acme Widgets Corp. and John Q. Roe",
            "Tue, 02 Jun 2026 10:00:00 GMT",
            f"Securities and Exchange Commission v. Acme Widgets Corp. and John Q. Roe, {docket}.",
        ),
        item(
            "pr-1",
            "SEC Charges Acme Widgets Corp. with Fraud",
            "Mon, 01 Jun 2026 10:00:00 GMT",
            f"Securities and Exchange Commission v. Acme Widgets Corp., {docket}.",
        ),
    )
    databases = ThreadDatabases(stored_engine_db.url, busy_timeout_ms=2_000)
    fetcher = Fetcher(contact="t@example.com", allow_private=True)
    catalog = [FeedSpec("CFTC", feed_server.serve("/cftc.xml", other.decode()), "CFTC", "regulator", 10)]
    sync_catalog(databases.get(), catalog)
    poll_feeds(databases, fetcher, enabled_feeds(databases.get()), default_matcher())
    catalog.append(FeedSpec("SEC", feed_server.serve("/sec.xml", body.decode()), "SEC", "regulator", 10))
    sync_catalog(databases.get(), catalog)
    outcomes = poll_feeds(databases, fetcher, enabled_feeds(databases.get()), default_matcher())
    assert [(outcome.status, outcome.new_items) for outcome in outcomes] == [("unchanged", 0), ("new", 2)]
    (acme,) = search_cases(databases.get(), "Acme Widgets").cases
    assert acme.items == 2 and "John Q. Roe" in acme.defendants
    assert [case.caption for case in acme.related] == ["Commodity Futures Trading Commission v. John Q. Roe"]


@pytest.mark.reliability("an unexpected error while storing one item", kind="input")
def test_an_item_that_breaks_storing_costs_only_that_item(
    stored_engine_db: EngineDatabase, feed_server: FeedServer, observed: Observed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed's items are stored in one go; one that fails (a bug, injected
    here) is undone and the others are stored again, item by item."""
    real_insert_item = storage.items.insert_item

    def insert_item_with_a_bug(db, feed_id, item, *args, **fields):
        if "Poison" in item.title:
            raise RuntimeError("a bug in storing")
        return real_insert_item(db, feed_id, item, *args, **fields)

    monkeypatch.setattr(storage.items, "insert_item", insert_item_with_a_bug)
    titles = ["SEC Charges Acme Widgets Corp.", "SEC Charges Poison Pill LLC", "SEC Charges Beta Tools Inc."]
    body = rss(*(item(f"g{n}", title, f"Mon, 01 Jun 2026 1{n}:00:00 GMT") for n, title in enumerate(titles)))
    databases = ThreadDatabases(stored_engine_db.url, busy_timeout_ms=2_000)
    sync_catalog(
        databases.get(), [FeedSpec("SEC", feed_server.serve("/sec.xml", body.decode()), "SEC", "regulator", 10)]
    )
    fetcher = Fetcher(contact="t@example.com", allow_private=True)
    (outcome,) = poll_feeds(databases, fetcher, enabled_feeds(databases.get()), default_matcher())
    stored = [key for (key,) in databases.get().execute("SELECT item_key FROM items ORDER BY id")]
    observed.record(items_lost=2 - len(set(stored) - {"g1"}))
    assert stored == ["g0", "g2"]
    assert search_cases(databases.get(), "Poison Pill").cases == []  # its case was undone with it
    assert len(search_cases(databases.get(), "Beta Tools").cases) == 1
    assert outcome.summary() == "SEC: 2 new of 3, 1 item skipped"
    (status,) = feed_statuses(databases.get())
    assert "1 item could not be stored: 'g1': RuntimeError: a bug in storing" in status.health.describe()
