"""Small factories for tests below the end-to-end ones: a migrated in-memory
database, feeds, extractions, stored items, events, watches and alerts, each
made through Casewatch's own storage functions (never rows that the code
could not have written), with defaults that say only what a test cares about.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Iterable

from sqlite_utils import Database

from feeds.extract import Extraction, Party, extract, find_dockets
from feeds.match import Hit, WatchTarget
from feeds.parse import FeedItem
from feeds.text import name_key
from feeds.vocabulary import Action, FeedKind, WatchKind, WatchMode
from storage.alerts import enqueue
from storage.database import open_database, write_transaction
from storage.events import record_event
from storage.feeds import Feed, add_feed
from storage.items import StoredItem, store_items
from storage.watches import Watch, WatchSpec, add_watch, matchable_watches

TEAM = "T0001"
CHANNEL = "C0001"
USER = "U0001"
_numbers = itertools.count(1)


@functools.cache
def _migrated_template() -> sqlite3.Connection:
    return open_database(":memory:").conn


def memory_database() -> Database:
    """A fresh in-memory database with every migration applied: a copy of one
    migrated once per test run (migrating takes ~50 ms, copying ~1 ms). SQLite
    in both passes: Hypothesis tests call it once an example (use ``memory_db``)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    _migrated_template().backup(conn)
    db = Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    return db


def feed(
    db: Database,
    kind: FeedKind = FeedKind.REGULATOR,
    *,
    agency: str = "SEC",
    name: str | None = None,
    url: str | None = None,
) -> Feed:
    number = next(_numbers)
    return add_feed(
        db,
        name=name or f"{agency} {kind} feed {number}",
        url=url or f"https://feeds.example.org/{kind}/{number}.xml",
        agency=agency,
        kind=kind,
        interval_minutes=10,
        actor=USER,
        team_id=TEAM,
    )


def extraction(
    *,
    caption: str | None = None,
    plaintiffs: Iterable[str] = (),
    defendants: Iterable[str | Party] = (),
    dockets: Iterable[str] = (),
    court: str | None = None,
    agency: str | None = None,
    action: Action | None = Action.COMPLAINT,
    action_detail: str | None = None,
    release_no: str | None = None,
    docket_entry: str | None = None,
    entry_number: str | None = None,
) -> Extraction:
    """What an item says, written by hand (dockets in any form, e.g. ``Civil Action No. 23-1599``)."""
    return Extraction(
        agency=agency,
        caption=caption,
        plaintiffs=list(plaintiffs),
        defendants=[party if isinstance(party, Party) else Party(party) for party in defendants],
        dockets=[docket for text in dockets for docket in find_dockets(text)],
        court=court,
        action=action,
        action_detail=action_detail,
        release_no=release_no,
        docket_entry=docket_entry,
        entry_number=entry_number,
    )


def news_extraction(headline: str, body: str = "") -> Extraction:
    """A news story as Casewatch reads it (the real extractor: a story's case is read from its headline)."""
    return extract(title=headline, summary=body, author=None, feed_agency="News", feed_kind=FeedKind.NEWS, feed_url="")


def feed_item(
    title: str = "SEC charges Acme Widgets Inc.",
    *,
    summary: str = "",
    published_at: str | None = "2024-06-28T15:00:00+00:00",
    key: str | None = None,
    link: str | None = None,
    author: str | None = None,
) -> FeedItem:
    key = key or f"item-{next(_numbers)}"
    return FeedItem(
        key=key,
        guid=key,
        link=link or f"https://www.example.org/{key}",
        title=title,
        summary=summary,
        author=author,
        published_at=published_at,
    )


def stored_item(db: Database, source: Feed, what: Extraction, item: FeedItem | None = None) -> StoredItem:
    """``item`` (a default one if not given) stored from ``source`` with ``what``
    it says, in its case, as polling stores it (news opens no case)."""
    (stored,) = store_items(db, source.id, [(item or feed_item(), what)], opens_cases=source.kind != FeedKind.NEWS)
    return stored


def event(db: Database, source: Feed, what: Extraction, item: FeedItem | None = None) -> tuple[StoredItem, int, bool]:
    """An item stored and joined to its event: (the item, the event id, whether the event is new)."""
    with write_transaction(db):
        stored = stored_item(db, source, what, item)
        event_id, is_new = record_event(db, stored)
    return stored, event_id, is_new


def watch(
    db: Database,
    term: str = "Acme Widgets",
    *,
    term_key: str | None = None,
    kind: WatchKind = WatchKind.NAME,
    mode: WatchMode = WatchMode.INSTANT,
    channel: str = CHANNEL,
    include_routine: bool = False,
) -> Watch:
    """A channel's watch, keyed as ``/watch`` keys it (a name by its folded key)."""
    key = term_key or (name_key(term) if kind == WatchKind.NAME else term)
    spec = WatchSpec(kind=kind, term=term, term_key=key, mode=mode, include_routine=include_routine)
    made, _ = add_watch(db, team_id=TEAM, channel_id=channel, user_id=USER, spec=spec)
    return made


def watch_target(db: Database, made: Watch) -> WatchTarget:
    """What the matcher knows of a watch."""
    return next(target for target in matchable_watches(db) if target.id == made.id)


def alert(db: Database, *, channel: str = CHANNEL, mode: WatchMode = WatchMode.INSTANT, routine: bool = False) -> int:
    """A pending alert of a new event (its own case, item and watch) in ``channel``; its id."""
    number = next(_numbers)
    name = f"Acme Widgets {number} Inc."
    source = feed(db)
    _, event_id, _ = event(
        db, source, extraction(caption=f"SEC v. {name}", plaintiffs=["SEC"], defendants=[name], agency="SEC")
    )
    target = watch_target(db, watch(db, name, channel=channel, mode=mode, include_routine=True))
    (case_id,) = db.execute("SELECT case_id FROM events WHERE id = ?", [event_id]).fetchone()
    with write_transaction(db):
        enqueue(db, event_id=event_id, case_id=case_id, hits=[Hit(target, target.term)], routine=routine)
    (alert_id,) = db.execute(
        "SELECT id FROM alerts WHERE event_id = ? AND channel_id = ?", [event_id, channel]
    ).fetchone()
    return alert_id


def alert_state(db: Database, alert_id: int) -> dict:
    """The alert's row as the outbox holds it now (status, attempts, times, error, message)."""
    (row,) = db.query("SELECT * FROM alerts WHERE id = ?", [alert_id])
    return row
