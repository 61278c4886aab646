"""Poll one feed: fetch (conditional GET), parse, extract, store, record health.

Each step is its own module; this one only runs them in order and turns any
failure into a recorded, human-readable reason, so one bad feed never stops
the others, and one bad item never costs the rest of its feed: an item that
cannot be extracted or stored is left out (its changes undone), logged in one
line and named in the feed's health, and the other items are stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlite_utils import Database

from feeds.extract import Extraction
from feeds.fetch import Fetcher, FetchError, HostBusy, host_key
from feeds.health import backoff
from feeds.match import Matcher, WatchIndex
from feeds.parse import FeedItem, FeedParseError, ParsedFeed, describe_error, parse_feed
from feeds.record import FeedSource, extract_item
from feeds.text import name_key
from storage.alerts import enqueue, mark_event_changed
from storage.cases import find_case, match_keys
from storage.database import now_iso, savepoint, storage_reason, write_transaction
from storage.events import record_event
from storage.feeds import Feed, record_failure, record_success
from storage.items import StoredItem, store_item, unseen_keys
from storage.watches import matchable_watches, watch_version

log = logging.getLogger(__name__)
BACKLOG_ALERT_WINDOW = timedelta(hours=48)


class DatabaseSource(Protocol):
    """Hands each thread its own connection (``storage.database.ThreadDatabases``)."""

    def get(self) -> Database: ...


@dataclass(frozen=True)
class PollOutcome:
    feed: str
    status: str  # "new" | "unchanged" | "error" | "busy" (its host was busy: not polled, try again soon)
    new_items: int = 0
    seen_items: int = 0
    error: str | None = None
    retry_after: float | None = None
    alerts: int = 0
    skipped: int = 0

    def summary(self) -> str:
        if self.status == "error":
            return f"{self.feed}: error: {self.error}"
        if self.status == "busy":
            return f"{self.feed}: not polled: {self.error}"
        skipped = f", {_count(self.skipped, 'item')} skipped" if self.skipped else ""
        if self.status == "unchanged" and not skipped:
            return f"{self.feed}: unchanged"
        alerts = f", {_count(self.alerts, 'alert')} queued" if self.alerts else ""
        return f"{self.feed}: {self.new_items} new of {self.seen_items}{alerts}{skipped}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _later(now: datetime, delay: timedelta) -> str:
    return (now + delay).isoformat(timespec="seconds")


def failure_reason(error: BaseException) -> str:
    """What to tell people about an error no step turned into a reason."""
    reason = storage_reason(error)
    if reason is not None:
        return f"storage: {reason}"
    return f"unexpected error ({describe_error(error)})"


def poll_feed(
    db: Database, fetcher: Fetcher, feed: Feed, matcher: Matcher, *, host_wait: float | None = None
) -> PollOutcome:
    """Fetch, parse, store and route one feed's items; record its health and
    when to poll it next (its interval, or a backoff after a failure). Never
    raises: whatever goes wrong is the feed's recorded failure. With
    ``host_wait`` 0 a feed whose host is busy is not polled (status "busy")."""
    now = datetime.now(UTC)
    try:
        return _poll(db, fetcher, feed, matcher, now, host_wait)
    except HostBusy as busy:
        return PollOutcome(feed.name, "busy", error=str(busy))
    except Exception as error:  # the feed fails, the round goes on
        reason = failure_reason(error)
        log.warning("feed %r failed: %s", feed.name, reason)
        _record_failure(db, feed, reason, now)
        return PollOutcome(feed.name, "error", error=reason)


def _record_failure(db: Database, feed: Feed, reason: str, now: datetime, retry_after: float | None = None) -> None:
    """Mark the feed failing; if even that cannot be written, say so and leave it to the next poll."""
    delay = backoff(timedelta(minutes=feed.interval_minutes), feed.consecutive_failures + 1, retry_after)
    try:
        record_failure(db, feed.id, reason, next_poll_at=_later(now, delay))
    except Exception as error:
        log.warning("feed %r: could not record its failure (%s); it is polled again next round", feed.name, error)


def _poll(
    db: Database, fetcher: Fetcher, feed: Feed, matcher: Matcher, now: datetime, host_wait: float | None
) -> PollOutcome:
    interval = timedelta(minutes=feed.interval_minutes)
    try:
        fetched = fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified, host_wait=host_wait)
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
        parsed = parse_feed(fetched.body, base_url=fetched.url, court_feed=feed.kind == "court", fetched_at=now)
    except HostBusy:
        raise
    except (FetchError, FeedParseError) as error:
        reason = str(error)
        retry_after = getattr(error, "retry_after", None)
        log.warning("feed %r failed: %s", feed.name, reason)
        _record_failure(db, feed, reason, now, retry_after)
        return PollOutcome(feed.name, "error", error=reason, retry_after=retry_after)
    skipped = list(parsed.skipped)
    entries = _extracted(db, feed, parsed, skipped)
    # A feed's first poll brings its backlog: store it all, alert only on what is recent.
    alert_since = (now - BACKLOG_ALERT_WINDOW).isoformat(timespec="seconds") if feed.first_poll else None
    new_items, alerts = _store(db, matcher, feed, entries, alert_since, skipped)
    seen = len(parsed.items) + len(parsed.skipped)
    problems = []
    if parsed.problem:
        problems.append(f"{parsed.problem}; kept the {len(parsed.items)} readable items")
    if skipped:
        more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
        problems.append(f"{_count(len(skipped), 'item')} could not be stored: {skipped[0]}{more}")
    if problems:
        # Keep what could be read, but do not call the feed healthy.
        reason = "; ".join(problems)
        _record_failure(db, feed, reason, now)
        status = "error" if parsed.problem else "new" if new_items else "unchanged"
        error = reason if parsed.problem else None
        return PollOutcome(feed.name, status, new_items, seen, error=error, alerts=alerts, skipped=len(skipped))
    record_success(
        db,
        feed.id,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        new_items=new_items,
        next_poll_at=_later(now, interval),
    )
    status = "new" if new_items else "unchanged"
    return PollOutcome(feed.name, status, new_items=new_items, seen_items=seen, alerts=alerts)


def _skip(feed: Feed, item: FeedItem, error: BaseException, skipped: list[str]) -> None:
    label = (item.guid or item.link or item.title)[:100]
    skipped.append(f"{label!r}: {describe_error(error)}")
    log.warning("feed %r: skipped item %r: %s", feed.name, label, describe_error(error))


def _extracted(db: Database, feed: Feed, parsed: ParsedFeed, skipped: list[str]) -> list[tuple[FeedItem, Extraction]]:
    """Extract what this feed has not brought before (storing checks again, in
    its transaction), oldest first: feeds list the newest first, and an earlier
    release must name its case before a later one joins it."""
    fresh = unseen_keys(db, feed.id, [item.key for item in parsed.items])
    entries = []
    for item in parsed.items:
        if item.key not in fresh:
            continue
        try:
            extraction = extract_item(item, FeedSource(feed.url, feed.kind, feed.agency), parsed)
        except Exception as error:  # costs this item only
            _skip(feed, item, error, skipped)
            continue
        entries.append((item, extraction))
    entries.sort(key=lambda entry: entry[0].published_at or "")  # stable: same-time items keep feed order
    return entries


def _store(
    db: Database,
    matcher: Matcher,
    feed: Feed,
    entries: list[tuple[FeedItem, Extraction]],
    alert_since: str | None,
    skipped: list[str],
) -> tuple[int, int]:
    """Store the entries and write their alerts in one transaction, each item
    in a savepoint of its own: an item that fails is undone alone and named in
    ``skipped``. SQLite refusing the write (locked, disk full) undoes it all and
    raises. Returns (items stored, alerts written)."""
    seen_at = now_iso()
    stored_count = alerts = 0
    with write_transaction(db):
        index = matcher.index(db)
        for item, extraction in entries:
            try:
                with savepoint(db):
                    if feed.only_watched and not _worth_keeping(db, index, item, extraction):
                        continue
                    stored = store_item(db, feed.id, item, extraction, opens_cases=feed.kind != "news", seen_at=seen_at)
                    written = route_item(db, index, stored, alert_since=alert_since) if stored else 0
            except Exception as error:
                if storage_reason(error) is not None:
                    raise
                _skip(feed, item, error, skipped)
                continue
            stored_count += stored is not None
            alerts += written
    return stored_count, alerts


def route_item(db: Database, index: WatchIndex, stored: StoredItem, *, alert_since: str | None = None) -> int:
    """Join a new item to its event and write an alert for every watch a new
    event matches (inside the caller's transaction), unless the event is older
    than ``alert_since``. Returns alerts written."""
    event_id, is_new = record_event(db, stored)
    if not is_new:
        mark_event_changed(db, event_id)
        return 0
    if alert_since and stored.event_at < alert_since:
        return 0
    party_keys, docket_keys = match_keys(db, stored.case_id)
    docket_keys.update(stored.extraction.docket_keys)
    hits = index.match(
        text=f"{stored.item.title}\n{stored.item.summary}",
        party_keys=party_keys,
        docket_keys=docket_keys,
        case_id=stored.case_id,
    )
    if not hits:
        return 0
    return enqueue(db, event_id=event_id, case_id=stored.case_id, hits=hits, routine=stored.extraction.routine)


def _worth_keeping(db: Database, index: WatchIndex, item: FeedItem, extraction: Extraction) -> bool:
    """Whether an entry of a busy court feed is worth keeping: it is of a
    watched docket or name, or of a case already known."""
    hits = index.match(
        text=f"{item.title}\n{item.summary}",
        party_keys=[name_key(party.name) for party in extraction.defendants],
        docket_keys=extraction.docket_keys,
        case_id=None,
    )
    return bool(hits) or find_case(db, extraction) is not None


def default_matcher() -> Matcher:
    return Matcher(watch_version, matchable_watches)


def poll_feeds(
    databases: DatabaseSource, fetcher: Fetcher, feeds: list[Feed], matcher: Matcher, *, workers: int = 4
) -> list[PollOutcome]:
    """Poll ``feeds`` concurrently on a small bounded pool (each worker thread
    with its own connection from ``databases``); news feeds last, since news
    only joins the cases that regulators and courts open. Outcomes in feed order.

    Feeds of one host are polled one after the other, and a feed whose host is
    busy waits in the queue, not on a worker: feeds of other hosts go first.
    (A request to the host from outside the round, such as ``/feeds poll``,
    is waited for on the worker, at most one fetch deadline.)"""

    def poll(feed: Feed) -> PollOutcome:
        try:
            return poll_feed(databases.get(), fetcher, feed, matcher)
        except Exception as error:  # e.g. the database cannot even be opened
            log.warning("feed %r failed: %s", feed.name, failure_reason(error))
            return PollOutcome(feed.name, "error", error=failure_reason(error))

    outcomes: dict[int, PollOutcome] = {}
    workers = max(1, min(workers, len(feeds) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for wave in ([f for f in feeds if f.kind != "news"], [f for f in feeds if f.kind == "news"]):
            outcomes.update(_poll_wave(pool, workers, wave, poll))
    return [outcomes[feed.id] for feed in feeds]


def _poll_wave(
    pool: ThreadPoolExecutor, workers: int, wave: list[Feed], poll: Callable[[Feed], PollOutcome]
) -> dict[int, PollOutcome]:
    waiting = list(wave)
    running: dict[Future[PollOutcome], Feed] = {}
    outcomes: dict[int, PollOutcome] = {}
    while waiting or running:
        busy_hosts = {host_key(feed.url) for feed in running.values()}
        for feed in list(waiting):
            if len(running) >= workers:
                break
            if host_key(feed.url) not in busy_hosts:
                waiting.remove(feed)
                busy_hosts.add(host_key(feed.url))
                running[pool.submit(poll, feed)] = feed
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            outcomes[running.pop(future).id] = future.result()
    return outcomes
