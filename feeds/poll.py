"""Poll one feed: fetch (conditional GET), parse, extract, store, record health.

Each step is its own module; this one only runs them in order and turns any
failure into a recorded, human-readable reason, so one bad feed never stops
the others.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlite_utils import Database

from feeds.extract import Extraction, extract
from feeds.fetch import Fetcher, FetchError
from feeds.health import backoff
from feeds.match import Matcher
from feeds.parse import FeedItem, FeedParseError, parse_feed
from feeds.text import name_key
from storage.alerts import enqueue, mark_event_changed
from storage.cases import find_case, match_keys
from storage.database import write_transaction
from storage.events import record_event
from storage.feeds import Feed, record_failure, record_success
from storage.items import StoredItem, store_items, unseen_keys
from storage.watches import matchable_watches, watch_version

log = logging.getLogger(__name__)
BACKLOG_ALERT_WINDOW = timedelta(hours=48)


class DatabaseSource(Protocol):
    """Hands each thread its own connection (``storage.database.ThreadDatabases``)."""

    def get(self) -> Database: ...


@dataclass(frozen=True)
class PollOutcome:
    feed: str
    status: str  # "new" | "unchanged" | "error"
    new_items: int = 0
    seen_items: int = 0
    error: str | None = None
    retry_after: float | None = None
    alerts: int = 0

    def summary(self) -> str:
        if self.status == "error":
            return f"{self.feed}: error: {self.error}"
        if self.status == "unchanged":
            return f"{self.feed}: unchanged"
        alerts = f", {self.alerts} alert{'s' if self.alerts != 1 else ''} queued" if self.alerts else ""
        return f"{self.feed}: {self.new_items} new of {self.seen_items}{alerts}"


def _later(now: datetime, delay: timedelta) -> str:
    return (now + delay).isoformat(timespec="seconds")


def poll_feed(db: Database, fetcher: Fetcher, feed: Feed, matcher: Matcher) -> PollOutcome:
    """Fetch, parse, store and route one feed's items; record its health and
    when to poll it next (its interval, or a backoff after a failure)."""
    now = datetime.now(UTC)
    interval = timedelta(minutes=feed.interval_minutes)
    try:
        fetched = fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        if fetched.not_modified:
            record_success(
                db,
                feed.id,
                etag=feed.etag,
                last_modified=feed.last_modified,
                new_items=0,
                next_poll_at=_later(now, interval),
            )
            return PollOutcome(feed.name, "unchanged")
        parsed = parse_feed(fetched.body, base_url=fetched.url, court_feed=feed.kind == "court")
    except (FetchError, FeedParseError) as error:
        reason = str(error)
        retry_after = getattr(error, "retry_after", None)
        delay = backoff(interval, feed.consecutive_failures + 1, retry_after)
        record_failure(db, feed.id, reason, next_poll_at=_later(now, delay))
        log.warning("feed %r failed: %s", feed.name, reason)
        return PollOutcome(feed.name, "error", error=reason, retry_after=retry_after)
    # Extract only what this feed has not brought before (store_items checks again, inside its transaction).
    fresh = unseen_keys(db, feed.id, [item.key for item in parsed.items])
    entries = [
        (
            item,
            extract(
                title=item.title,
                summary=item.summary,
                author=item.author,
                feed_agency=feed.agency,
                feed_kind=feed.kind,
                feed_url=f"{feed.url} {parsed.link or ''}",
                feed_title=parsed.title,
            ),
        )
        for item in parsed.items
        if item.key in fresh
    ]
    # A feed's first poll brings its backlog: store it all, alert only on what is recent.
    alert_since = (now - BACKLOG_ALERT_WINDOW).isoformat(timespec="seconds") if feed.first_poll else None
    with write_transaction(db):
        if feed.only_watched:
            entries = watched_entries(db, matcher, entries)
        new_items = store_items(db, feed.id, entries, opens_cases=feed.kind != "news")
        alerts = route_to_watches(db, matcher, new_items, alert_since=alert_since)
    new_ids = [stored.id for stored in new_items]
    if parsed.problem:
        # Keep what could be read, but do not call the feed healthy.
        reason = f"{parsed.problem}; kept the {len(parsed.items)} readable items"
        record_failure(db, feed.id, reason, next_poll_at=_later(now, backoff(interval, feed.consecutive_failures + 1)))
        return PollOutcome(feed.name, "error", len(new_ids), len(parsed.items), error=reason, alerts=alerts)
    record_success(
        db,
        feed.id,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        new_items=len(new_ids),
        next_poll_at=_later(now, interval),
    )
    status = "new" if new_ids else "unchanged"
    return PollOutcome(feed.name, status, new_items=len(new_ids), seen_items=len(parsed.items), alerts=alerts)


def route_to_watches(
    db: Database, matcher: Matcher, new_items: list[StoredItem], *, alert_since: str | None = None
) -> int:
    """Group new items into events and write an alert for every watch a new
    event matches (inside the caller's transaction), leaving out events older
    than ``alert_since``. Returns alerts written."""
    index = matcher.index(db)
    written = 0
    for stored in new_items:
        event_id, is_new = record_event(db, stored)
        if not is_new:
            mark_event_changed(db, event_id)
            continue
        if alert_since and stored.event_at < alert_since:
            continue
        party_keys, docket_keys = match_keys(db, stored.case_id)
        docket_keys.update(stored.extraction.docket_keys)
        hits = index.match(
            text=f"{stored.item.title}\n{stored.item.summary}",
            party_keys=party_keys,
            docket_keys=docket_keys,
            case_id=stored.case_id,
        )
        if hits:
            written += enqueue(
                db, event_id=event_id, case_id=stored.case_id, hits=hits, routine=stored.extraction.routine
            )
    return written


def watched_entries(
    db: Database, matcher: Matcher, entries: list[tuple[FeedItem, Extraction]]
) -> list[tuple[FeedItem, Extraction]]:
    """The entries of a busy court feed worth keeping: those of watched dockets
    and names, and those of cases already known."""
    index = matcher.index(db)
    kept = []
    for item, extraction in entries:
        hits = index.match(
            text=f"{item.title}\n{item.summary}",
            party_keys=[name_key(party.name) for party in extraction.defendants],
            docket_keys=extraction.docket_keys,
            case_id=None,
        )
        if hits or find_case(db, extraction) is not None:
            kept.append((item, extraction))
    return kept


def default_matcher() -> Matcher:
    return Matcher(watch_version, matchable_watches)


def poll_feeds(
    databases: DatabaseSource, fetcher: Fetcher, feeds: list[Feed], matcher: Matcher, *, workers: int = 4
) -> list[PollOutcome]:
    """Poll ``feeds`` concurrently on a small bounded pool (each worker thread
    with its own connection from ``databases``); news feeds last, since news
    only joins the cases that regulators and courts open. Outcomes in feed order."""

    def poll(feed: Feed) -> PollOutcome:
        return poll_feed(databases.get(), fetcher, feed, matcher)

    outcomes: dict[int, PollOutcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(feeds) or 1))) as pool:
        for wave in ([f for f in feeds if f.kind != "news"], [f for f in feeds if f.kind == "news"]):
            outcomes.update(zip((f.id for f in wave), pool.map(poll, wave), strict=True))
    return [outcomes[feed.id] for feed in feeds]
