"""Events: one happening in a case, however many feeds report it.

A new item joins an existing event of the same case with the same kind of
action reported within a day of it (a litigation release, a press release and
the next morning's news are one event); re-published or edited items join
their event too, so they alert no one again. Unclassified docket filings are
told apart by their text, since one case can have several filings a day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from feeds.text import fold
from storage.database import now_iso
from storage.items import StoredItem

SAME_EVENT_DAYS = 1


def _identity(stored: StoredItem) -> str:
    """What tells two events of one case, kind and day apart: the entry's text
    for unclassified docket filings; nothing for a complaint, ruling …, so the
    court's entry, the agency's release and the news report are one event."""
    extraction = stored.extraction
    if extraction.action == "filing" and extraction.docket_entry:
        return fold(extraction.docket_entry)[:120]
    if stored.case_id is None:
        return fold(stored.item.title)[:200]
    return ""


def _event_day(event_at: str) -> date:
    """The day of an item's time, which the feed parser keeps within 1900 and
    tomorrow; the day it was stored if that is somehow not so."""
    try:
        day = date.fromisoformat(event_at[:10])
    except ValueError:
        day = datetime.now(UTC).date()
    return min(max(day, date.min + timedelta(days=SAME_EVENT_DAYS)), date.max - timedelta(days=SAME_EVENT_DAYS))


def record_event(db: Database, stored: StoredItem) -> tuple[int, bool]:
    """Attach a newly stored item to its event; returns (event id, whether the event is new)."""
    action = stored.extraction.action or "update"
    identity = _identity(stored)
    day = _event_day(stored.event_at)
    found = db.execute(
        "SELECT id FROM events WHERE case_id IS ? AND action = ? AND identity = ? AND event_day BETWEEN ? AND ? "
        "ORDER BY id LIMIT 1",
        [
            stored.case_id,
            action,
            identity,
            (day - timedelta(days=SAME_EVENT_DAYS)).isoformat(),
            (day + timedelta(days=SAME_EVENT_DAYS)).isoformat(),
        ],
    ).fetchone()
    if found:
        event_id, is_new = found[0], False
        db.execute("UPDATE events SET event_day = min(event_day, ?) WHERE id = ?", [day.isoformat(), event_id])
    else:
        event_id = db.execute(
            "INSERT INTO events (case_id, action, event_day, identity, routine, first_item_id, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [stored.case_id, action, day.isoformat(), identity, int(stored.extraction.routine), stored.id, now_iso()],
        ).lastrowid
        is_new = True
    db.execute("UPDATE items SET event_id = ? WHERE id = ?", [event_id, stored.id])
    return event_id, is_new
