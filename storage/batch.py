"""Storing one feed's poll in one call and one transaction: its new items,
their cases and events, the alerts of new events, and the feed's health.

The plan (``feeds.types.FeedPlan``) was decided without the database; this
applies it. An item that fails is undone alone and named in the feed's
health (the others are stored again, each in a savepoint of its own); SQLite
refusing the write (locked, disk full) undoes it all and raises. Matching is the caller's
pure function (``feeds.match.WatchIndex.match``), passed in, so storage
never imports the matcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Protocol

from sqlite_utils import Database

from feeds.types import FeedPlan, PlannedItem, StoredBatch, StoredItem, skipped_item
from storage.alerts import WatchHit, enqueue, mark_event_changed
from storage.cases import find_case, match_keys, refresh_case
from storage.database import now_iso, savepoint, storage_reason, write_transaction
from storage.feeds import record_health
from storage.items import known_keys, store_new_item


class MatchFunction(Protocol):
    """The watches an item alerts (``feeds.match.WatchIndex.match``)."""

    def __call__(
        self, *, text: str, party_keys: Iterable[str], docket_keys: Iterable[str], case_id: int | None
    ) -> Sequence[WatchHit]: ...


def store_plan(db: Database, plan: FeedPlan, *, match: MatchFunction) -> StoredBatch:
    """Apply ``plan`` in one transaction, the feed's health included."""
    with write_transaction(db):
        stored, alerts, skipped = _store_items(db, plan, match, now_iso())
        health = plan.health.after(skipped)
        record_health(db, plan.feed_id, health, new_items=stored)
    return StoredBatch(stored, alerts, tuple(skipped), health)


def _store_items(db: Database, plan: FeedPlan, match: MatchFunction, seen_at: str) -> tuple[int, int, list[str]]:
    """Store the plan's items: (items stored, alerts written, items skipped).
    All in one savepoint first; should an item fail, that is undone and the
    items are stored again, each in a savepoint of its own, so that the item
    costs only itself (two statements an item that almost never pay off)."""
    try:
        with savepoint(db, "feed_batch"):
            return _store_each(db, plan, match, seen_at, item_by_item=False)
    except Exception as error:
        if storage_reason(error) is not None:
            raise
    return _store_each(db, plan, match, seen_at, item_by_item=True)


def _store_each(
    db: Database, plan: FeedPlan, match: MatchFunction, seen_at: str, *, item_by_item: bool
) -> tuple[int, int, list[str]]:
    """Store the items in order (each in its own savepoint if ``item_by_item``:
    one that fails is skipped); a case is refreshed once (search row, related
    cases), after its items."""
    known = known_keys(db, plan.feed_id, [planned.item.key for planned in plan.items])
    renamed: dict[int, None] = {}
    stored = alerts = 0
    skipped: list[str] = []
    for planned in plan.items:
        if planned.item.key in known:
            continue  # stored meanwhile by another process, or twice in this feed
        try:
            with savepoint(db) if item_by_item else nullcontext():
                kept = _store_one(db, plan, planned, match, seen_at)
        except Exception as error:
            if not item_by_item or storage_reason(error) is not None:
                raise
            skipped.append(skipped_item(planned.item, error))
            continue
        if kept is None:
            continue
        item, written, refresh_due = kept
        known.add(planned.item.key)
        stored += 1
        alerts += written
        if refresh_due and item.case_id is not None:
            renamed[item.case_id] = None
    for case_id in renamed:
        refresh_case(db, case_id)
    return stored, alerts, skipped


def _store_one(
    db: Database, plan: FeedPlan, planned: PlannedItem, match: MatchFunction, seen_at: str
) -> tuple[StoredItem, int, bool] | None:
    if planned.keep_if_known and find_case(db, planned.extraction) is None:
        return None  # a busy court feed's entry of no watched and no known case
    item, event_id, is_new, refresh_due = store_new_item(
        db, plan.feed_id, planned.item, planned.extraction, opens_cases=plan.opens_cases, seen_at=seen_at
    )
    return item, route_event(db, match, item, event_id, is_new, alert_since=plan.alert_since), refresh_due


def route_event(
    db: Database, match: MatchFunction, stored: StoredItem, event_id: int, is_new: bool, *, alert_since: str | None
) -> int:
    """Write an alert for every watch a new item's event matches, if the event
    is new (inside the caller's transaction), unless it is older than
    ``alert_since``; a known event is marked changed instead (delivered alerts
    show the new source). Returns alerts written."""
    if not is_new:
        mark_event_changed(db, event_id)
        return 0
    if alert_since and stored.event_at < alert_since:
        return 0
    party_keys, docket_keys = match_keys(db, stored.case_id)
    docket_keys.update(stored.extraction.docket_keys)
    hits = match(
        text=f"{stored.item.title}\n{stored.item.summary}",
        party_keys=party_keys,
        docket_keys=docket_keys,
        case_id=stored.case_id,
    )
    if not hits:
        return 0
    return enqueue(db, event_id=event_id, case_id=stored.case_id, hits=hits, routine=stored.extraction.routine)
