"""A watch's hide filters and note, and the record of the alerts filters hid.

A hidden alert is written here instead of to the outbox (``storage.alerts``),
one per channel and event like an alert, so that ``/watchlist hidden`` can
list what each channel did not hear of and which filter kept it out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from feeds.filters import HideFilter
from feeds.vocabulary import FilterKind
from storage import audit
from storage.cases import entry_headline
from storage.database import now_iso, write_transaction

MAX_FILTERS_PER_WATCH = 20
HIDDEN_SHOWN = 50
HIDDEN_DAYS = 7  # how far back /watchlist hidden looks


class TooManyFilters(Exception):
    pass


def filters_of(db: Database, watch_ids: Iterable[int]) -> dict[int, list[HideFilter]]:
    """Each watch's filters, in the order they were added (watches without any are left out)."""
    ids = list(dict.fromkeys(watch_ids))
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    found: dict[int, list[HideFilter]] = {}
    for watch_id, kind, key, text in db.execute(
        f"SELECT watch_id, kind, key, text FROM watch_filters WHERE watch_id IN ({marks}) ORDER BY id", ids
    ):
        found.setdefault(watch_id, []).append(HideFilter(FilterKind(kind), key, text))
    return found


def filtered_watches(db: Database) -> frozenset[int]:
    """The watches that have any filter: a batch reads them once, and looks
    up the filters of only those of its hits (most watches have none)."""
    return frozenset(watch_id for (watch_id,) in db.execute("SELECT DISTINCT watch_id FROM watch_filters"))


def _audit_change(db: Database, team_id: str, channel_id: str, user_id: str, term: str, change: dict) -> None:
    audit.record(
        db,
        team_id=team_id,
        channel_id=channel_id,
        actor=user_id,
        action="watch changed",
        detail=json.dumps({"term": term, **change}),
    )


def _channel_watch_term(db: Database, team_id: str, channel_id: str, watch_id: int) -> str | None:
    row = db.execute(
        "SELECT term FROM watches WHERE id = ? AND team_id = ? AND channel_id = ?", [watch_id, team_id, channel_id]
    ).fetchone()
    return row[0] if row else None


def add_filters(
    db: Database, *, team_id: str, channel_id: str, watch_id: int, user_id: str, filters: list[HideFilter]
) -> list[HideFilter]:
    """Add ``filters`` to this channel's watch; returns those it did not have
    yet. Raises :class:`TooManyFilters` (adding none) past the limit, and
    KeyError if the watch is not this channel's."""
    with write_transaction(db):
        term = _channel_watch_term(db, team_id, channel_id, watch_id)
        if term is None:
            raise KeyError(watch_id)
        have = {(rule.kind, rule.key) for rule in filters_of(db, [watch_id]).get(watch_id, [])}
        new = list({(rule.kind, rule.key): rule for rule in filters if (rule.kind, rule.key) not in have}.values())
        if len(have) + len(new) > MAX_FILTERS_PER_WATCH:
            raise TooManyFilters(f"a watch can hide at most {MAX_FILTERS_PER_WATCH} things; this one has {len(have)}")
        now = now_iso()
        for rule in new:
            db.execute(
                "INSERT INTO watch_filters (watch_id, kind, key, text, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [watch_id, rule.kind, rule.key, rule.text, user_id, now],
            )
        if new:
            _audit_change(db, team_id, channel_id, user_id, term, {"hide": [rule.text for rule in new]})
    return new


def remove_filters(
    db: Database, *, team_id: str, channel_id: str, watch_id: int, user_id: str, filters: list[HideFilter]
) -> list[HideFilter]:
    """Remove ``filters`` (compared as they are matched: kind and folded key)
    from this channel's watch; returns the ones it had, as they were written."""
    with write_transaction(db):
        term = _channel_watch_term(db, team_id, channel_id, watch_id)
        if term is None:
            raise KeyError(watch_id)
        wanted = {(rule.kind, rule.key) for rule in filters}
        removed = [rule for rule in filters_of(db, [watch_id]).get(watch_id, []) if (rule.kind, rule.key) in wanted]
        for rule in removed:
            db.execute(
                "DELETE FROM watch_filters WHERE watch_id = ? AND kind = ? AND key = ?", [watch_id, rule.kind, rule.key]
            )
        if removed:
            _audit_change(db, team_id, channel_id, user_id, term, {"unhide": [rule.text for rule in removed]})
    return removed


def set_note(db: Database, *, team_id: str, channel_id: str, watch_id: int, user_id: str, note: str | None) -> None:
    """Set (or with None, remove) the note on this channel's watch."""
    with write_transaction(db):
        term = _channel_watch_term(db, team_id, channel_id, watch_id)
        if term is None:
            raise KeyError(watch_id)
        db.execute("UPDATE watches SET note = ? WHERE id = ?", [note, watch_id])
        _audit_change(db, team_id, channel_id, user_id, term, {"note": note})


def delete_filters(db: Database, watch_id: int) -> None:
    """A removed watch's filters (inside the caller's transaction); what they hid stays recorded."""
    db.execute("DELETE FROM watch_filters WHERE watch_id = ?", [watch_id])


# --- what filters hid -----------------------------------------------------------


@dataclass(frozen=True)
class HiddenHit:
    """A watch's hit on an event that a filter hid."""

    team_id: str
    channel_id: str
    watch_id: int
    matched_term: str
    rule: HideFilter


def record_hidden(db: Database, *, event_id: int, case_id: int | None, hidden: Iterable[HiddenHit]) -> int:
    """Record the hits a filter hid (inside the caller's transaction), one per
    channel and event, unless the channel gets the event's alert anyway
    (another of its watches let it through). Returns how many were recorded."""
    recorded = 0
    now = now_iso()
    for hit in hidden:
        recorded += db.execute(
            """
            INSERT INTO hidden_alerts (team_id, channel_id, event_id, case_id, watch_id, matched_term, filter_kind,
                                       filter_text, by_default, hidden_at)
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
            WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE team_id = ? AND channel_id = ? AND event_id = ?)
            ON CONFLICT (team_id, channel_id, event_id) DO NOTHING
            """,
            [
                hit.team_id,
                hit.channel_id,
                event_id,
                case_id,
                hit.watch_id,
                hit.matched_term,
                hit.rule.kind,
                hit.rule.text,
                int(hit.rule.by_default),
                now,
                hit.team_id,
                hit.channel_id,
                event_id,
            ],
        ).rowcount
    return recorded


@dataclass(frozen=True)
class HiddenAlert:
    hidden_at: str
    event_day: str
    action: str
    headline: str
    link: str | None
    caption: str | None
    matched_term: str
    rule: HideFilter


def _since(days: int, now: datetime | None) -> str:
    return ((now or datetime.now(UTC)) - timedelta(days=days)).astimezone(UTC).isoformat(timespec="seconds")


def hidden_in_channel(
    db: Database,
    team_id: str,
    channel_id: str,
    *,
    days: int = HIDDEN_DAYS,
    limit: int = HIDDEN_SHOWN,
    now: datetime | None = None,
) -> tuple[list[HiddenAlert], int]:
    """The alerts hidden in this channel in the ``days`` before ``now`` (an
    aware time; default: the clock), newest first (at most ``limit``), and
    how many there were in all."""
    since = _since(days, now)
    where = "hidden_alerts.team_id = ? AND hidden_alerts.channel_id = ? AND hidden_alerts.hidden_at >= ?"
    (total,) = db.execute(f"SELECT count(*) FROM hidden_alerts WHERE {where}", [team_id, channel_id, since]).fetchone()
    rows = db.execute(
        f"""
        SELECT hidden_alerts.hidden_at, events.event_day, events.action, items.title, items.summary,
               items.docket_entry, items.link, cases.caption, hidden_alerts.matched_term, hidden_alerts.filter_kind,
               hidden_alerts.filter_text, hidden_alerts.by_default
        FROM hidden_alerts
        JOIN events ON events.id = hidden_alerts.event_id
        JOIN items ON items.id = events.first_item_id
        LEFT JOIN cases ON cases.id = hidden_alerts.case_id
        WHERE {where} ORDER BY hidden_alerts.id DESC LIMIT ?
        """,
        [team_id, channel_id, since, limit],
    ).fetchall()
    return [
        HiddenAlert(
            hidden_at=hidden_at,
            event_day=event_day,
            action=action,
            headline=entry_headline(title, summary, docket_entry),
            link=link,
            caption=caption,
            matched_term=matched,
            rule=HideFilter(FilterKind(kind), "", text, by_default=bool(by_default)),
        )
        for hidden_at, event_day, action, title, summary, docket_entry, link, caption, matched, kind, text, by_default in rows
    ], total


def hidden_counts(
    db: Database, team_id: str, channel_id: str, *, days: int = HIDDEN_DAYS, now: datetime | None = None
) -> dict[int, int]:
    """How many alerts each of this channel's watches had hidden in the ``days`` before ``now``."""
    since = _since(days, now)
    return dict(
        db.execute(
            "SELECT watch_id, count(*) FROM hidden_alerts WHERE team_id = ? AND channel_id = ? AND hidden_at >= ? "
            "GROUP BY watch_id",
            [team_id, channel_id, since],
        ).fetchall()
    )
