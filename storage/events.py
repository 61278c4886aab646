"""Events: one happening in a case, however many feeds report it.

A new item joins an existing event of the same case with the same kind of
action reported within a day of it (the court's entry, the agency's release
and the next morning's news are one event), unless their docket entry
(document) numbers or their release numbers of one series differ: an order to
seal (doc. 10) and a ruling on the motion to dismiss (doc. 12) of one day are
two events. An item with the docket entry number or the release number of an
event joins it whatever its day or kind, so re-published or edited items
alert no one again. Docket filings without a number are told apart by their
text, since one case can have several filings a day.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from feeds.text import fold
from feeds.types import StoredItem
from feeds.vocabulary import Action
from storage.database import now_iso
from storage.engine import Cursor, each_int, insert_id

SAME_EVENT_DAYS = 1


@dataclass(frozen=True)
class EventKey:
    """What an item says about which happening it reports."""

    case_id: int | None
    action: str
    day: date
    identity: str
    entry_no: str | None
    release_no: str | None
    detail: str | None


def _entry_of_docket(stored: StoredItem) -> str | None:
    """The entry number, qualified by the item's docket (``23-cv-01599#12``), since
    a case's district and appellate dockets number their entries each from 1."""
    extraction = stored.extraction
    number = extraction.entry_number
    if number is None:
        return None
    return f"{extraction.dockets[0].key}#{number}" if extraction.dockets else number


def _identity(stored: StoredItem, entry_no: str | None) -> str:
    """What tells two events of one case, kind and day apart when no number
    does: the entry's text for unnumbered docket filings; nothing for a
    complaint, ruling …, so the court's entry, the agency's release and the
    news report are one event."""
    extraction = stored.extraction
    if extraction.action == Action.FILING and extraction.docket_entry and not entry_no:
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


def event_key(stored: StoredItem) -> EventKey:
    extraction = stored.extraction
    action = extraction.action or Action.CASE_UPDATE
    entry_no = _entry_of_docket(stored)
    detail = extraction.action_detail
    return EventKey(
        case_id=stored.case_id,
        action=action,
        day=_event_day(stored.event_at),
        identity=_identity(stored, entry_no),
        entry_no=entry_no,
        release_no=extraction.release_no,
        detail=detail,
    )


def _other_release(known: str | None, new: str | None) -> bool:
    """Two different releases of one series (``LR-26039``, ``LR-26040``); an
    LR and an AAER number may name one release."""
    return bool(known and new and known != new and known.split("-")[0] == new.split("-")[0])


def _same_number(db: Database, key: EventKey) -> int | None:
    """The event already reported under this docket entry or release number."""
    if key.case_id is None:
        return None
    for column, value in (("entry_no", key.entry_no), ("release_no", key.release_no)):
        if value:
            found = db.execute(
                f"SELECT id FROM events WHERE case_id = ? AND {column} = ? ORDER BY id LIMIT 1", [key.case_id, value]
            ).fetchone()
            if found:
                return found[0]
    return None


# The events of one case (or of none), kind and identity within the days: two statements, since
# ``case_id IS ?`` would not use the index on PostgreSQL (IS NOT DISTINCT FROM reads every event).
_SAME_KIND = (
    "SELECT id, entry_no, release_no, action_detail FROM events WHERE case_id = ? AND action = ? "
    "AND identity = ? AND event_day BETWEEN ? AND ? ORDER BY id"
)
_SAME_KIND_CASELESS = _SAME_KIND.replace("case_id = ?", "case_id IS NULL")


def find_event(db: Database, key: EventKey) -> int | None:
    """The existing event an item reports, if any (see the module's doc)."""
    numbered = _same_number(db, key)
    if numbered is not None:
        return numbered
    days = [
        (key.day - timedelta(days=SAME_EVENT_DAYS)).isoformat(),
        (key.day + timedelta(days=SAME_EVENT_DAYS)).isoformat(),
    ]
    if key.case_id is None:
        rows = db.execute(_SAME_KIND_CASELESS, [key.action, key.identity, *days]).fetchall()
    else:
        rows = db.execute(_SAME_KIND, [key.case_id, key.action, key.identity, *days]).fetchall()
    candidates = [
        (event_id, detail)
        for event_id, entry_no, release_no, detail in rows
        if not (entry_no and key.entry_no and entry_no != key.entry_no)
        and not _other_release(release_no, key.release_no)
    ]
    # Of two same-day rulings, a report joins the one that decided the same thing.
    candidates.sort(key=lambda candidate: candidate[1] != key.detail)
    return candidates[0][0] if candidates else None


def record_event(db: Database, stored: StoredItem) -> tuple[int, bool]:
    """Attach a newly stored item to its event; returns (event id, whether the event is new)."""
    event_id, is_new = join_event(db, event_key(stored), first_item_id=stored.id, routine=stored.extraction.routine)
    db.execute("UPDATE items SET event_id = ? WHERE id = ?", [event_id, stored.id])
    return event_id, is_new


# An item joined the event: its day is the earlier of the two (SQLite's scalar min(), written as both engines read it).
_JOINED_EVENT = (
    "UPDATE events SET event_day = CASE WHEN event_day > ?1 THEN ?1 ELSE event_day END, "
    "entry_no = coalesce(entry_no, ?2), release_no = coalesce(release_no, ?3), "
    "action_detail = coalesce(action_detail, ?4) WHERE id = ?5"
)
# A new event, numbered as a batch numbers its own (BatchEvents: the highest id + 1, under the
# write lock): on PostgreSQL an identity column would not know of the ids a batch gave. Its id: insert_id.
_NEW_EVENT = (
    "INSERT INTO events (id, case_id, action, event_day, identity, routine, first_item_id, created_at, entry_no, "
    "release_no, action_detail) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM events), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def join_event(db: Database, key: EventKey, *, first_item_id: int, routine: bool) -> tuple[int, bool]:
    """The event an item reports, found (and told of the item's numbers and
    day) or created with ``first_item_id``; returns (event id, whether it is new).
    The item's own ``event_id`` is the caller's to set."""
    event_id = find_event(db, key)
    if event_id is not None:
        db.execute(_JOINED_EVENT, [key.day.isoformat(), key.entry_no, key.release_no, key.detail, event_id])
        return event_id, False
    event_id = insert_id(
        db,
        _NEW_EVENT,
        [
            key.case_id,
            key.action,
            key.day.isoformat(),
            key.identity,
            int(routine),
            first_item_id,
            now_iso(),
            key.entry_no,
            key.release_no,
            key.detail,
        ],
    )
    return event_id, True


_INSERT_EVENT = (
    "INSERT INTO events (id, case_id, action, event_day, identity, routine, first_item_id, created_at, entry_no, "
    "release_no, action_detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_WRITE_EVENT = "UPDATE events SET event_day = ?, entry_no = ?, release_no = ?, action_detail = ? WHERE id = ?"
_CASES_EVENTS = (
    "SELECT id, case_id, action, event_day, identity, routine, first_item_id, created_at, entry_no, release_no, "
    "action_detail FROM events WHERE case_id IN ({wanted}) ORDER BY id"
)


def _cases_events(db: Database, case_ids: list[int]) -> Cursor:
    """The events of ``case_ids`` (see :data:`_CASES_EVENTS`)."""
    return db.execute(_CASES_EVENTS.format(wanted=each_int(db, "?")), [json.dumps(case_ids)])


@dataclass(slots=True)
class _Event:
    """An event's row (see :data:`_INSERT_EVENT`)."""

    id: int
    case_id: int | None
    action: str
    day: str
    identity: str
    routine: int
    first_item_id: int
    created_at: str
    entry_no: str | None
    release_no: str | None
    detail: str | None

    def row(self) -> tuple:
        return (
            self.id,
            self.case_id,
            self.action,
            self.day,
            self.identity,
            self.routine,
            self.first_item_id,
            self.created_at,
            self.entry_no,
            self.release_no,
            self.detail,
        )


@dataclass
class _CaseEvents:
    """A case's events, as :func:`find_event` looks them up: the first with
    each docket entry and release number, and those of each action and identity, in id order."""

    by_entry: dict[str, int] = field(default_factory=dict)
    by_release: dict[str, int] = field(default_factory=dict)
    by_identity: dict[tuple[str, str], list[_Event]] = field(default_factory=dict)

    def add(self, event: _Event) -> None:
        self.by_identity.setdefault((event.action, event.identity), []).append(event)
        if event.entry_no or event.release_no:
            self.numbered(event)

    def numbered(self, event: _Event) -> None:
        """Index the event's numbers (the first event with a number keeps it)."""
        for value, index in ((event.entry_no, self.by_entry), (event.release_no, self.by_release)):
            if value and index.get(value, event.id) >= event.id:
                index[value] = event.id

    def find(self, key: EventKey) -> int | None:
        """:func:`find_event`, from memory."""
        for value, index in ((key.entry_no, self.by_entry), (key.release_no, self.by_release)):
            if value and value in index:
                return index[value]
        low = (key.day - timedelta(days=SAME_EVENT_DAYS)).isoformat()
        high = (key.day + timedelta(days=SAME_EVENT_DAYS)).isoformat()
        candidates = [
            event
            for event in self.by_identity.get((key.action, key.identity), ())
            if low <= event.day <= high
            and not (event.entry_no and key.entry_no and event.entry_no != key.entry_no)
            and not _other_release(event.release_no, key.release_no)
        ]
        candidates.sort(key=lambda event: event.detail != key.detail)
        return candidates[0].id if candidates else None


@dataclass
class BatchEvents:
    """The events of a batch's cases, read once per case (the cases its
    docket numbers name up front, in one query; a case it opens has none),
    found and made in memory as its items join them (:func:`join_event`'s
    rules), and written at its end or before an alert needs them
    (:meth:`write`). An item about no case looks its event up in the
    database, the batch's written first."""

    cases: dict[int, _CaseEvents] = field(default_factory=dict)
    events: dict[int, _Event] = field(default_factory=dict)
    next_id: int | None = None
    new: dict[int, None] = field(default_factory=dict)
    changed: dict[int, None] = field(default_factory=dict)

    @classmethod
    def read(cls, db: Database, case_ids: Iterable[int]) -> BatchEvents:
        """The events of ``case_ids``, in one query."""
        batch = cls()
        wanted = sorted(set(case_ids))
        batch.cases = {case_id: _CaseEvents() for case_id in wanted}
        if wanted:
            for row in _cases_events(db, wanted):
                batch._known(_Event(*row))
        return batch

    def _known(self, event: _Event) -> None:
        self.events[event.id] = event
        self.cases[event.case_id].add(event)  # type: ignore[index]

    def opened(self, case_id: int) -> None:
        """The batch opened this case: it has no events yet."""
        self.cases.setdefault(case_id, _CaseEvents())

    def _of_case(self, db: Database, case_id: int) -> _CaseEvents:
        events = self.cases.get(case_id)
        if events is None:
            self.cases[case_id] = events = _CaseEvents()
            for row in _cases_events(db, [case_id]):
                self._known(_Event(*row))
        return events

    def join(self, db: Database, key: EventKey, *, first_item_id: int, routine: bool) -> tuple[int, bool]:
        """:func:`join_event`, in memory for an item of a case."""
        if key.case_id is None:
            self.write(db)
            event_id, is_new = join_event(db, key, first_item_id=first_item_id, routine=routine)
            self.next_id = None  # read again: the database gave one
            return event_id, is_new
        events = self._of_case(db, key.case_id)
        event_id = events.find(key)
        if event_id is not None:
            self._joined(events, self.events[event_id], key)
            return event_id, False
        if self.next_id is None:
            (self.next_id,) = db.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()
        event = _Event(
            self.next_id,
            key.case_id,
            key.action,
            key.day.isoformat(),
            key.identity,
            int(routine),
            first_item_id,
            now_iso(),
            key.entry_no,
            key.release_no,
            key.detail,
        )
        self.next_id += 1
        self._known(event)
        self.new[event.id] = None
        return event.id, True

    def _joined(self, events: _CaseEvents, event: _Event, key: EventKey) -> None:
        """An item joined ``event``: its day, numbers and detail as :func:`join_event` leaves them."""
        before = (event.day, event.entry_no, event.release_no, event.detail)
        event.day = min(event.day, key.day.isoformat())
        event.entry_no = key.entry_no if event.entry_no is None else event.entry_no
        event.release_no = key.release_no if event.release_no is None else event.release_no
        event.detail = key.detail if event.detail is None else event.detail
        if (event.day, event.entry_no, event.release_no, event.detail) != before:
            events.numbered(event)
            if event.id not in self.new:
                self.changed[event.id] = None

    def write(self, db: Database) -> None:
        """Write the batch's new events and what changed of the others (one ``executemany`` each)."""
        if self.new:
            db.conn.executemany(_INSERT_EVENT, [self.events[event_id].row() for event_id in self.new])
            self.new.clear()
        if self.changed:
            db.conn.executemany(
                _WRITE_EVENT,
                [
                    (event.day, event.entry_no, event.release_no, event.detail, event.id)
                    for event in (self.events[event_id] for event_id in self.changed)
                ],
            )
            self.changed.clear()
