"""Storing feed items: each once, with its extraction, in its case."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlite_utils import Database

from feeds.extract import Extraction
from feeds.types import FeedItem, StoredItem
from storage.cases import INSERT_TERM, BatchCases, CaseJoin, assign_case, join_case, refresh_cases
from storage.database import now_iso, write_transaction
from storage.engine import schema_objects
from storage.events import BatchEvents, event_key, join_event
from storage.fts_text import search_text
from storage.fulltext import full_text
from storage.joins import record_mentions

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
    stored = insert_item(db, feed_id, item, extraction, case_id=case_id, event_at=event_at, seen_at=seen_at)
    record_mentions(db, stored.id, extraction, case_id)
    return stored


@dataclass
class DeferredWrites:
    """What a batch writes at its end, where order does not matter: the
    items' rows and their full-text rows (see :func:`index_items`), the search terms of the
    cases' new names, and the cases due a refresh (search row, related cases:
    once per batch, however many of its items renamed them)."""

    item_rows: list[tuple] = field(default_factory=list)
    """The items' rows (see :data:`INSERT_ITEM`): nothing in a batch reads them back."""
    search_rows: list[tuple[int, str, str]] = field(default_factory=list)
    loose_rows: list[tuple[int, str, str]] = field(default_factory=list)
    """The full-text rows of the items that belong to no case (also in ``search_rows``)."""
    terms: set[str] = field(default_factory=set)
    renamed: dict[int, None] = field(default_factory=dict)
    docketless_renamed: set[int] = field(default_factory=set)
    """The renamed cases that had no docket then: only those can be found by
    a surname (see :func:`storage.joins.find_release_case`), which must not
    trust their search rows until they are refreshed."""
    cases: BatchCases | None = None
    """What the batch read of its cases up front (see
    :class:`storage.cases.BatchCases`); None: each item reads its own."""
    events: BatchEvents | None = None
    """The events of the batch's cases (see :class:`storage.events.BatchEvents`); None: each item reads its own."""

    def write(self, db: Database) -> None:
        if self.cases is not None:
            self.cases.write(db)  # first: a case's search row reads its caption
        if self.events is not None:
            self.events.write(db)  # before the items' rows, which name them
        refresh_cases(db, list(self.renamed))
        if self.terms:
            db.conn.executemany(INSERT_TERM, [(term,) for term in sorted(self.terms)])
        db.conn.executemany(INSERT_ITEM, self.item_rows)
        index_items(db, self.search_rows, self.loose_rows)  # last: see index_items


def next_item_id(db: Database) -> int:
    """The row id SQLite would give the next item (read inside the write transaction, which holds the lock)."""
    (item_id,) = db.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchone()
    return item_id


def store_new_item(
    db: Database,
    feed_id: int,
    item: FeedItem,
    extraction: Extraction,
    *,
    opens_cases: bool,
    seen_at: str,
    item_id: int,
    deferred: DeferredWrites,
) -> tuple[StoredItem, int, bool, CaseJoin]:
    """Store an item known to be new, as row ``item_id`` (see :func:`next_item_id`),
    with its case and its event, inside the caller's transaction, leaving to
    the caller what ``deferred`` collects: its full-text row, the search
    terms of its case's new names and its case's refresh (see
    :func:`storage.cases.join_case`). The event is found or made first, so
    the item's row is written once, with its event. Returns the item, its
    event, whether the event is new, and the case it joined (with its match keys)."""
    event_at = item.published_at or seen_at
    joined = join_case(
        db,
        extraction,
        event_at,
        may_open=opens_cases,
        terms=deferred.terms,
        unindexed=deferred.docketless_renamed,
        batch=deferred.cases,
    )
    stored = StoredItem(item_id, joined.case_id, event_at, item, extraction)
    if deferred.events is None:
        event_id, is_new = join_event(db, event_key(stored), first_item_id=item_id, routine=extraction.routine)
    else:
        if joined.opened:
            deferred.events.opened(joined.case_id)  # type: ignore[arg-type]
        event_id, is_new = deferred.events.join(
            db, event_key(stored), first_item_id=item_id, routine=extraction.routine
        )
    insert_item(
        db,
        feed_id,
        item,
        extraction,
        case_id=joined.case_id,
        event_at=event_at,
        seen_at=seen_at,
        ids=(item_id, event_id),
        deferred=deferred,
    )
    record_mentions(db, item_id, extraction, joined.case_id, deferred.cases)
    if joined.refresh_due and joined.case_id is not None:
        deferred.renamed[joined.case_id] = None
        if not joined.docket_keys:
            deferred.docketless_renamed.add(joined.case_id)
    return stored, event_id, is_new, joined


def index_items(db: Database, rows: list[tuple[int, str, str]], loose: list[tuple[int, str, str]]) -> None:
    """The full-text rows (item id, title, summary) of items just stored (after
    their rows), and of those among them that belong to no case (``loose``): see
    :meth:`storage.fulltext.FullText.index_items` (a batch writes them together at its end)."""
    full_text(db).index_items(db, rows, loose)


def loose_index_written_by_store(db: Database) -> bool:
    """Whether the items that belong to no case are indexed by whoever stores
    them (schema ``m015`` on): not in a database at an older schema, which
    has no such index or keeps it by trigger (the migration tests store items
    in one)."""
    found = schema_objects(db, ("loose_item_search", "items_loose_insert"))
    return found == {"loose_item_search"}  # the index, without the trigger


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
        json.dumps(extraction.amounts) if extraction.amounts else "[]",
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
    deferred: DeferredWrites | None = None,
) -> StoredItem:
    """The item's row and its full-text rows (the loose items' too if it
    belongs to no case); ``ids``: the row id to use and the item's event
    (default: the next id, see :func:`next_item_id`, and none);
    ``deferred``: where to leave them for the caller to write (with ``ids``
    given) instead of writing them."""
    item_id, event_id = ids or (next_item_id(db), None)
    row = item_row(
        item_id, feed_id, item, extraction, seen_at=seen_at, event_at=event_at, case_id=case_id, event_id=event_id
    )
    if deferred is None:
        db.execute(INSERT_ITEM, row)
    search_row = (item_id, search_text(item.title), search_text(item.summary))
    loose = [search_row] if case_id is None else []
    if deferred is None:
        index_items(db, [search_row], loose)
    else:
        deferred.item_rows.append(row)
        deferred.search_rows.append(search_row)
        deferred.loose_rows.extend(loose)
    return StoredItem(item_id, case_id, event_at, item, extraction)
