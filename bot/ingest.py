"""The ingest pipeline, one feed at a time, and the polling round.

fetch → parse → extract → plan (pure: which items are new, in which order, which a busy court feed keeps, the health to record) → store the plan and the feed's health in one transaction.

``feeds/`` does the pure steps and never imports ``storage/``; ``storage/``
applies the plan in one call (``storage.batch.store_plan``: items, cases,
events, the alerts of new events, matched by the pure matcher passed in, and
the feed's health). Whatever goes wrong becomes the feed's recorded,
human-readable failure, so one bad feed never stops the others, and one bad
item costs only itself: it is left out, logged in one line and named in the
feed's health, and the other items are stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlite_utils import Database

from bot.read_workers import ReadWorkers
from feeds.errors import FeedError
from feeds.extract import Extraction
from feeds.fetch import Fetcher, FetchResult, HostBusy, host_key
from feeds.health import backoff
from feeds.match import Matcher, WatchIndex
from feeds.parse import parse_feed
from feeds.record import extract_or_skip
from feeds.text import name_key
from feeds.types import (
    FeedPlan,
    FeedSource,
    HealthPlan,
    ParsedFeed,
    PlannedItem,
    PollOutcome,
    StoredBatch,
    describe_error,
)
from storage.batch import store_plan
from storage.database import storage_reason
from storage.feeds import Feed, record_failure, record_success
from storage.items import unseen_keys
from storage.watches import WatchesChanged, matchable_watches, watch_version

log = logging.getLogger(__name__)
FEED_FAILED = "feed %r failed: %s"  # the log line of a feed's failure (`poll --once` says it in its outcome instead)
BACKLOG_ALERT_WINDOW = timedelta(hours=48)
PLAN_ATTEMPTS = 3  # watches changing under every attempt fail the feed's round: it is read again next time
# The poll threads of one process fetch side by side but process (parse,
# extract, plan, store) one feed at a time: they queue here, in turn. Storing
# one at a time spares them SQLite's busy handler, which polls with sleeps and
# can starve one writer past its timeout while the others take turns; parsing
# and extracting could not run side by side anyway (the GIL), and threads
# taking the GIL from each other at every SQLite step cost ~10 % more CPU.
_PROCESSING = threading.Lock()


class PollWatcher(Protocol):
    """Told, on the thread that called :func:`poll_feeds`, when each feed's poll starts and ends."""

    def started(self, feed: Feed) -> None: ...

    def finished(self, feed: Feed, outcome: PollOutcome) -> None: ...


class DatabaseSource(Protocol):
    """Hands each thread its own connection (``storage.database.ThreadDatabases``)."""

    def get(self) -> Database: ...


def default_matcher() -> Matcher:
    return Matcher(watch_version, matchable_watches)


def _later(now: datetime, delay: timedelta) -> str:
    return (now + delay).isoformat(timespec="seconds")


def failure_reason(error: BaseException) -> str:
    """What to tell people about an error no step turned into a reason."""
    reason = storage_reason(error)
    if reason is not None:
        return f"storage: {reason}"
    return f"unexpected error ({describe_error(error)})"


# --- one feed -------------------------------------------------------------------


def poll_feed(
    db: Database,
    fetcher: Fetcher,
    feed: Feed,
    matcher: Matcher,
    *,
    host_wait: float | None = None,
    readers: ReadWorkers | None = None,
) -> PollOutcome:
    """Run the pipeline for one feed and record its health and when to poll
    it next (its interval, or a backoff after a failure). Never raises:
    whatever goes wrong is the feed's recorded failure. With ``host_wait`` 0
    a feed whose host is busy is not polled (status "busy"). With ``readers``,
    a worker process parses the feed and extracts its items (see :mod:`bot.read_workers`)."""
    now = datetime.now(UTC)
    try:
        return _poll(db, fetcher, feed, matcher, now, host_wait, readers)
    except HostBusy as busy:
        return PollOutcome(feed.name, "busy", error=str(busy))
    except Exception as error:  # the feed fails, the round goes on
        reason = failure_reason(error)
        log.warning(FEED_FAILED, feed.name, reason, extra={"feed_id": feed.id})
        _record_failure(db, feed, reason, now)
        return PollOutcome(feed.name, "error", error=reason)


def _failed(db: Database, feed: Feed, error: FeedError, now: datetime) -> PollOutcome:
    """Record a feed's failure to fetch or parse, and say so."""
    reason = str(error)
    log.warning(FEED_FAILED, feed.name, reason, extra={"feed_id": feed.id})
    _record_failure(db, feed, reason, now, error.retry_after)
    return PollOutcome(feed.name, "error", error=reason, retry_after=error.retry_after)


def _record_failure(db: Database, feed: Feed, reason: str, now: datetime, retry_after: float | None = None) -> None:
    """Mark the feed failing; if even that cannot be written, say so and leave it to the next poll."""
    try:
        record_failure(db, feed.id, reason, next_poll_at=_retry_at(feed, now, retry_after))
    except Exception as error:
        log.warning(
            "feed %r: could not record its failure (%s); it is polled again next round",
            feed.name,
            error,
            extra={"feed_id": feed.id},
        )


def _retry_at(feed: Feed, now: datetime, retry_after: float | None = None) -> str:
    delay = backoff(timedelta(minutes=feed.interval_minutes), feed.consecutive_failures + 1, retry_after)
    return _later(now, delay)


def _poll(
    db: Database,
    fetcher: Fetcher,
    feed: Feed,
    matcher: Matcher,
    now: datetime,
    host_wait: float | None,
    readers: ReadWorkers | None,
) -> PollOutcome:
    try:
        fetched = fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified, host_wait=host_wait)
        if fetched.not_modified:
            next_poll_at = _later(now, timedelta(minutes=feed.interval_minutes))
            record_success(
                db, feed.id, etag=feed.etag, last_modified=feed.last_modified, new_items=0, next_poll_at=next_poll_at
            )
            return PollOutcome(feed.name, "unchanged")
    except HostBusy:
        raise
    except FeedError as error:
        return _failed(db, feed, error, now)
    try:  # outside the lock: a worker process reads this feed while this process stores another
        read = (
            readers.read(fetched.body, base_url=fetched.url, source=_source(feed), fetched_at=now) if readers else None
        )
    except FeedError as error:
        return _failed(db, feed, error, now)
    with _PROCESSING:
        try:
            parsed = read.parsed if read else _parse(fetched, feed, now)
        except FeedError as error:
            return _failed(db, feed, error, now)
        plan, batch = _plan_and_store(db, feed, fetched, parsed, matcher, now, read.extractions if read else None)
    for reason in (*plan.health.skipped[len(parsed.skipped) :], *batch.skipped):  # parse logs its own
        log.warning("feed %r: skipped item %s", feed.name, reason, extra={"feed_id": feed.id})
    seen = len(parsed.items) + len(parsed.skipped)
    skipped = len(plan.health.skipped) + len(batch.skipped)
    if parsed.problem:  # the feed is failing, though its readable items were stored
        error = batch.health.reason
        return PollOutcome(feed.name, "error", batch.new_items, seen, error, alerts=batch.alerts, skipped=skipped)
    status = "new" if batch.new_items else "unchanged"
    return PollOutcome(feed.name, status, batch.new_items, seen, alerts=batch.alerts, skipped=skipped)


def _plan_and_store(
    db: Database,
    feed: Feed,
    fetched: FetchResult,
    parsed: ParsedFeed,
    matcher: Matcher,
    now: datetime,
    extractions: Sequence[Extraction | str] | None,
) -> tuple[FeedPlan, StoredBatch]:
    """Plan with the current watches and store; plan again if a watch was added
    or changed before the store took the write lock (``/watch`` meanwhile, in any
    process), so that it hears of these items. Raises WatchesChanged (the feed's
    failure this round) if the watches changed at every attempt."""
    attempts = 0
    while True:
        attempts += 1
        index = matcher.index(db)
        fresh = unseen_keys(db, feed.id, [item.key for item in parsed.items])
        plan = plan_feed(feed, fetched, parsed, fresh, index, now, extractions)
        try:
            return plan, store_plan(db, plan, match=index.match, watch_version=index.version)
        except WatchesChanged:
            if attempts == PLAN_ATTEMPTS:
                raise
            log.info("feed %r: the watches changed during its poll; matching its items again", feed.name)


# --- the plan (pure) ----------------------------------------------------------------


def plan_feed(
    feed: Feed,
    fetched: FetchResult,
    parsed: ParsedFeed,
    fresh: set[str],
    index: WatchIndex,
    now: datetime,
    extractions: Sequence[Extraction | str] | None = None,
) -> FeedPlan:
    """What storing this poll must do, decided without the database: extract
    the items not stored before (``fresh``), oldest first (feeds list the
    newest first, and an earlier release must name its case before a later
    one joins it); on a busy court feed, mark the entries that name no watch
    (kept only if their case is known); alert only on the last 48 hours of a
    first poll's backlog; and the health to record. ``extractions``: the
    items' extractions made already (in a worker: :class:`bot.read_workers.ReadFeed`),
    else each fresh item is extracted here."""
    skipped = list(parsed.skipped)
    source = _source(feed)
    planned = []
    for position, item in enumerate(parsed.items):
        if item.key not in fresh:
            continue
        extraction = extractions[position] if extractions is not None else extract_or_skip(item, source, parsed)
        if isinstance(extraction, str):  # it could not be extracted: costs this item only
            skipped.append(extraction)
            continue
        keep_if_known = feed.only_watched and not _watched(index, extraction)
        planned.append(PlannedItem(item, extraction, keep_if_known=keep_if_known))
    planned.sort(key=lambda entry: entry.item.published_at or "")  # stable: same-time items keep feed order
    problem = f"{parsed.problem}; kept the {len(parsed.items)} readable items" if parsed.problem else None
    return FeedPlan(
        feed_id=feed.id,
        items=tuple(planned),
        opens_cases=feed.kind != "news",
        alert_since=(now - BACKLOG_ALERT_WINDOW).isoformat(timespec="seconds") if feed.first_poll else None,
        health=HealthPlan(
            next_poll_at=_later(now, timedelta(minutes=feed.interval_minutes)),
            retry_at=_retry_at(feed, now),
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            problem=problem,
            skipped=tuple(skipped),
        ),
    )


def _parse(fetched: FetchResult, feed: Feed, now: datetime) -> ParsedFeed:
    return parse_feed(fetched.body, base_url=fetched.url, court_feed=feed.kind == "court", fetched_at=now)


def _source(feed: Feed) -> FeedSource:
    return FeedSource(feed.url, feed.kind, feed.agency)


def _watched(index: WatchIndex, extraction: Extraction) -> bool:
    """Whether an entry names a watched docket or name (by its own text and parties)."""
    hits = index.match(
        folded_text=extraction.folded_text,
        party_keys=[name_key(party.name) for party in extraction.defendants],
        docket_keys=extraction.docket_keys,
        case_id=None,
    )
    return bool(hits)


# --- the round ----------------------------------------------------------------------


def poll_feeds(
    databases: DatabaseSource,
    fetcher: Fetcher,
    feeds: list[Feed],
    matcher: Matcher,
    *,
    workers: int = 4,
    watcher: PollWatcher | None = None,
    readers: ReadWorkers | None = None,
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
            return poll_feed(databases.get(), fetcher, feed, matcher, readers=readers)
        except Exception as error:  # e.g. the database cannot even be opened
            log.warning(FEED_FAILED, feed.name, failure_reason(error), extra={"feed_id": feed.id})
            return PollOutcome(feed.name, "error", error=failure_reason(error))

    outcomes: dict[int, PollOutcome] = {}
    workers = max(1, min(workers, len(feeds) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for wave in ([f for f in feeds if f.kind != "news"], [f for f in feeds if f.kind == "news"]):
            outcomes.update(_poll_wave(pool, workers, wave, poll, watcher))
    return [outcomes[feed.id] for feed in feeds]


def _poll_wave(
    pool: ThreadPoolExecutor,
    workers: int,
    wave: list[Feed],
    poll: Callable[[Feed], PollOutcome],
    watcher: PollWatcher | None,
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
                if watcher:
                    watcher.started(feed)
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            feed = running.pop(future)
            outcomes[feed.id] = future.result()
            if watcher:
                watcher.finished(feed, outcomes[feed.id])
    return outcomes
