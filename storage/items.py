"""Storing feed items: each once, with its extraction, in its case."""

from __future__ import annotations

import json

from sqlite_utils import Database

from feeds.extract import Extraction
from feeds.types import FeedItem, StoredItem
from storage.cases import assign_case, join_case
from storage.database import now_iso, write_transaction
from storage.events import event_key, join_event

__all__ = ["StoredItem", "insert_item", "known_keys", "store_item", "store_items", "unseen_keys"]


def known_keys(db: Database, feed_id: int, keys: list[str]) -> set[str]:
    """Which of these item keys this feed has stored already."""
    seen: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        seen.update(
            key
            for (key,) in db.execute(
                f"SELECT item_key FROM items WHERE feed_id = ? AND item_key IN ({marks})", [feed_id, *chunk]
            )
        )
    return seen


def unseen_keys(db: Database, feed_id: int, keys: list[str]) -> set[str]:
    """Which of these item keys this feed has not stored yet."""
    return set(keys) - known_keys(db, feed_id, keys)


def store_items(
    db: Database, feed_id: int, entries: list[tuple[FeedItem, Extraction]], *, opens_cases: bool = True
) -> list[StoredItem]:
    """Store the entries not seen before from this feed, in one transaction
    (or inside the caller's). Returns the new items, in feed order. Items of a
    feed that ``opens_cases`` false (news) only join cases that exist."""
    seen_at = now_iso()
    with write_transaction(db):
        stored = (
            store_item(db, feed_id, item, extraction, opens_cases=opens_cases, seen_at=seen_at)
            for item, extraction in entries
        )
        return [item for item in stored if item is not None]


def store_item(
    db: Database, feed_id: int, item: FeedItem, extraction: Extraction, *, opens_cases: bool, seen_at: str
) -> StoredItem | None:
    """Store one item inside the caller's transaction, unless this feed brought
    it before (then None). An item without a date happened when it was seen."""
    known = db.execute("SELECT 1 FROM items WHERE feed_id = ? AND item_key = ?", [feed_id, item.key]).fetchone()
    if known:
        return None
    event_at = item.published_at or seen_at
    case_id = assign_case(db, extraction, event_at, may_open=opens_cases)
    return insert_item(db, feed_id, item, extraction, case_id=case_id, event_at=event_at, seen_at=seen_at)


def store_new_item(
    db: Database, feed_id: int, item: FeedItem, extraction: Extraction, *, opens_cases: bool, seen_at: str
) -> tuple[StoredItem, int, bool, bool]:
    """Store an item known to be new, with its case and its event, inside the
    caller's transaction, leaving its case's refresh to the caller (see
    :func:`storage.cases.join_case`). The event is found or made first, so
    the item's row is written once, with its event. Returns the item, its
    event, whether the event is new, and whether its case is due a refresh."""
    event_at = item.published_at or seen_at
    case_id, refresh_due = join_case(db, extraction, event_at, may_open=opens_cases)
    # The row id SQLite would give: this transaction holds the write lock.
    (item_id,) = db.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchone()
    stored = StoredItem(item_id, case_id, event_at, item, extraction)
    event_id, is_new = join_event(db, event_key(stored), first_item_id=item_id, routine=extraction.routine)
    insert_item(
        db, feed_id, item, extraction, case_id=case_id, event_at=event_at, seen_at=seen_at, ids=(item_id, event_id)
    )
    return stored, event_id, is_new, refresh_due


INSERT_ITEM = (
    "INSERT INTO items (id, feed_id, item_key, link, title, summary, author, published_at, seen_at, event_at, agency, "
    "action, court, release_no, docket_entry, amounts, case_id, event_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def item_row(
    item_id: int | None,
    feed_id: int,
    item: FeedItem,
    extraction: Extraction,
    *,
    seen_at: str,
    event_at: str,
    case_id: int | None,
    event_id: int | None,
) -> tuple:
    """The values of :data:`INSERT_ITEM` for ``item`` (``bench.generate`` writes the same rows in bulk)."""
    return (
        item_id,
        feed_id,
        item.key,
        item.link,
        item.title,
        item.summary,
        item.author,
        item.published_at,
        seen_at,
        event_at,
        extraction.agency,
        extraction.action,
        extraction.court,
        extraction.release_no,
        extraction.docket_entry,
        json.dumps(extraction.amounts),
        case_id,
        event_id,
    )


def insert_item(
    db: Database,
    feed_id: int,
    item: FeedItem,
    extraction: Extraction,
    *,
    case_id: int | None,
    event_at: str,
    seen_at: str,
    ids: tuple[int, int] | None = None,
) -> StoredItem:
    """The item's row and its full-text row; ``ids``: the row id to use and the item's event."""
    item_id, event_id = ids or (None, None)
    row = item_row(
        item_id, feed_id, item, extraction, seen_at=seen_at, event_at=event_at, case_id=case_id, event_id=event_id
    )
    item_id = db.execute(INSERT_ITEM, row).lastrowid
    assert item_id is not None
    db.execute("INSERT INTO item_search (rowid, title, summary) VALUES (?, ?, ?)", [item_id, item.title, item.summary])
    return StoredItem(item_id, case_id, event_at, item, extraction)
