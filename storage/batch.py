"""Storing one feed's poll in one call and one transaction: its new items,
their cases and events, the alerts of new events, and the feed's health.

The plan (``feeds.types.FeedPlan``) was decided without the database; this
applies it. An item that fails is undone alone and named in the feed's
health (the others are stored again, each in a savepoint of its own, in a
second transaction); SQLite refusing the write (locked, disk full) undoes
it all and raises. Matching is the caller's pure function (``feeds.match.WatchIndex.match``), passed in, so storage
never imports the matcher.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

from sqlite_utils import Database

from feeds.types import FeedPlan, PlannedItem, StoredBatch, StoredItem, skipped_item
from feeds.vocabulary import Action
from storage.adopt import adopt_waiting_news
from storage.alerts import WatchHit, enqueue, mark_event_changed
from storage.cases import BatchCases, CaseJoin, find_case
from storage.database import now_iso, savepoint, storage_reason, write_transaction
from storage.events import BatchEvents
from storage.feeds import record_health
from storage.items import DeferredWrites, known_keys, next_item_id, store_new_item
from storage.watch_filters import filtered_watches
from storage.watches import WatchesChanged, require_watch_version


class MatchFunction(Protocol):
    """The watches an item alerts (``feeds.match.WatchIndex.match``)."""

    def __call__(
        self, *, folded_text: str, party_keys: Iterable[str], docket_keys: Iterable[str], case_id: int | None
    ) -> Sequence[WatchHit]: ...


def store_plan(db: Database, plan: FeedPlan, *, match: MatchFunction, watch_version: int | None = None) -> StoredBatch:
    """Apply ``plan`` in one transaction, the feed's health included.
    ``watch_version``: the watches' version that ``match`` and the plan were made
    with; if they have changed since, nothing is stored and
    :class:`storage.watches.WatchesChanged` is raised (plan again: a watch added
    meanwhile must hear of these items).

    The items are stored together, in the transaction itself: no savepoint
    around them, since SQLite copies every page a savepoint's statements
    first change into its journal (and flushes the full-text tables' pending
    words at each statement that opens one), ~0.1 ms an item on the ingest
    bench. Should an item fail, that transaction is rolled back and a second
    one stores the items each in a savepoint of its own, so that the item
    costs only itself."""
    seen_at = now_iso()
    try:
        with write_transaction(db):
            require_watch_version(db, watch_version)
            return _store_batch(db, plan, match, seen_at, item_by_item=False)
    except WatchesChanged:
        raise
    except Exception as error:
        if storage_reason(error) is not None:
            raise
    with write_transaction(db):
        require_watch_version(db, watch_version)
        return _store_batch(db, plan, match, seen_at, item_by_item=True)


def _store_batch(
    db: Database, plan: FeedPlan, match: MatchFunction, seen_at: str, *, item_by_item: bool
) -> StoredBatch:
    """The plan's items, then the news they let join and the feed's health (inside the caller's transaction)."""
    stored, alerts, skipped = _store_each(db, plan, match, seen_at, item_by_item=item_by_item)
    health = plan.health.after(skipped)
    adopt_waiting_news(db, plan)
    record_health(db, plan.feed_id, health, new_items=stored)
    return StoredBatch(stored, alerts, tuple(skipped), health)


def _store_each(
    db: Database, plan: FeedPlan, match: MatchFunction, seen_at: str, *, item_by_item: bool
) -> tuple[int, int, list[str]]:
    """Store the items in order, then what they leave for the end (see
    :class:`storage.items.DeferredWrites`: a case is refreshed once, after its
    items). If ``item_by_item``, each item is stored with what it leaves in a
    savepoint of its own: one that fails is skipped, with all it wrote."""
    known = known_keys(db, plan.feed_id, [planned.item.key for planned in plan.items])
    deferred = DeferredWrites()
    if not item_by_item:  # an item undone in its savepoint would leave what it read here behind
        deferred.cases = BatchCases.read(db, (planned.extraction for planned in plan.items))
        deferred.events = BatchEvents.read(db, deferred.cases.last_event_at_of)
    item_id = next_item_id(db)
    filtered = filtered_watches(db)
    stored = alerts = 0
    skipped: list[str] = []
    for planned in plan.items:
        if planned.item.key in known:
            continue  # stored meanwhile by another process, or twice in this feed
        try:
            if item_by_item:
                with savepoint(db):
                    own = DeferredWrites()
                    kept = _store_one(db, plan, planned, match, seen_at, item_id, own, filtered)
                    own.write(db)
            else:
                kept = _store_one(db, plan, planned, match, seen_at, item_id, deferred, filtered)
        except Exception as error:
            if not item_by_item or storage_reason(error) is not None:
                raise
            skipped.append(skipped_item(planned.item, error))
            continue
        if kept is None:
            continue
        known.add(planned.item.key)
        item_id += 1
        stored += 1
        alerts += kept
    deferred.write(db)
    return stored, alerts, skipped


def _store_one(
    db: Database,
    plan: FeedPlan,
    planned: PlannedItem,
    match: MatchFunction,
    seen_at: str,
    item_id: int,
    deferred: DeferredWrites,
    filtered: Collection[int],
) -> int | None:
    """Store one item as row ``item_id`` (None if a busy court feed's entry
    is not kept); returns the alerts written."""
    if planned.keep_if_known and find_case(db, planned.extraction, deferred.docketless_renamed, deferred.cases) is None:
        return None  # a busy court feed's entry of no watched and no known case
    item, event_id, is_new, joined = store_new_item(
        db,
        plan.feed_id,
        planned.item,
        planned.extraction,
        opens_cases=plan.opens_cases,
        seen_at=seen_at,
        item_id=item_id,
        deferred=deferred,
    )
    return route_event(
        db,
        match,
        item,
        joined,
        event_id,
        is_new,
        alert_since=plan.alert_since,
        filtered=filtered,
        events=deferred.events,
    )


def route_event(
    db: Database,
    match: MatchFunction,
    stored: StoredItem,
    joined: CaseJoin,
    event_id: int,
    is_new: bool,
    *,
    alert_since: str | None,
    filtered: Collection[int] | None = None,
    events: BatchEvents | None = None,
) -> int:
    """Write an alert for every watch a new item matches (by its text, and
    its case's names and docket numbers as ``joined`` found them) on the
    item's event (inside the caller's transaction), unless the item is older
    than ``alert_since``. An item that joins a known event first marks it
    changed (delivered alerts show the new source); a channel already alerted
    of the event is not alerted again (one alert a channel and event), but one
    whose watch only this source names is: a release may name a defendant the
    court's entry of the same complaint did not. ``filtered``: the watches
    that have hide filters (see :func:`storage.alerts.enqueue`); ``events``:
    the batch's events, written before the alerts that name them. Returns
    alerts written."""
    if not is_new:
        mark_event_changed(db, event_id)
    if alert_since and stored.event_at < alert_since:
        return 0
    hits = match(
        folded_text=stored.extraction.folded_text,
        party_keys=joined.party_keys,
        docket_keys=joined.docket_keys | set(stored.extraction.docket_keys),
        case_id=stored.case_id,
    )
    if not hits:
        return 0
    if events is not None:
        events.write(db)
    return enqueue(
        db,
        event_id=event_id,
        case_id=stored.case_id,
        hits=hits,
        routine=stored.extraction.routine,
        action=stored.extraction.action or Action.CASE_UPDATE,
        text=f"{stored.item.title}\n{stored.item.summary}",
        filtered=filtered,
    )
