"""Watches: a channel's subscriptions to names, docket numbers and cases.

Every query is scoped by workspace (``team_id``): nothing of one workspace's
watches reaches another's answers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlite_utils import Database

from feeds.filters import HideFilter
from feeds.match import WatchTarget
from feeds.vocabulary import WatchKind, WatchMode
from storage import audit
from storage.database import now_iso, write_transaction
from storage.watch_filters import delete_filters, filters_of

MAX_WATCHES_PER_CHANNEL = 500


@dataclass(frozen=True)
class WatchSpec:
    """What a user asked to watch, already normalised."""

    kind: WatchKind
    term: str
    term_key: str
    case_id: int | None = None
    aliases: tuple[tuple[str, str], ...] = ()  # (alias, alias_key)
    mode: WatchMode = WatchMode.INSTANT
    include_routine: bool = False


@dataclass
class Watch:
    id: int
    team_id: str
    channel_id: str
    kind: WatchKind
    term: str
    term_key: str
    case_id: int | None
    mode: WatchMode
    include_routine: bool
    created_by: str
    created_at: str
    last_alert_at: str | None
    alerts_sent: int
    last_error: str | None
    last_error_at: str | None
    aliases: list[str] = field(default_factory=list)
    note: str | None = None  # why the channel follows it, in its own words
    filters: list[HideFilter] = field(default_factory=list)  # what it hides (feeds.filters)


class TooManyWatches(Exception):
    pass


_COLUMNS = (
    "id, team_id, channel_id, kind, term, term_key, case_id, mode, include_routine, created_by, created_at, "
    "last_alert_at, alerts_sent, last_error, last_error_at, note"
)


def _watches(db: Database, where: str, params: list) -> list[Watch]:
    watches = [
        Watch(
            **{
                **row,
                "kind": WatchKind(row["kind"]),
                "mode": WatchMode(row["mode"]),
                "include_routine": bool(row["include_routine"]),
            }
        )
        for row in db.query(f"SELECT {_COLUMNS} FROM watches WHERE {where} ORDER BY id", params)
    ]
    by_id = {watch.id: watch for watch in watches}
    if by_id:
        marks = ", ".join("?" for _ in by_id)
        for watch_id, alias in db.execute(
            f"SELECT watch_id, alias FROM watch_aliases WHERE watch_id IN ({marks}) ORDER BY rowid", list(by_id)
        ):
            by_id[watch_id].aliases.append(alias)
        for watch_id, filters in filters_of(db, by_id).items():
            by_id[watch_id].filters = filters
    return watches


def _bump_version(db: Database) -> None:
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'watch_version'")


def watch_version(db: Database) -> int:
    (value,) = db.execute("SELECT value FROM meta WHERE key = 'watch_version'").fetchone()
    return int(value)


class WatchesChanged(Exception):
    """The watches changed after a poll matched what it read against them."""


def require_watch_version(db: Database, version: int | None) -> None:
    """Raise :class:`WatchesChanged` unless the watches are still at ``version``
    (None: any). Called first in a write transaction, it holds until the commit:
    a watch added later waits for the write lock, and then sees what was stored."""
    if version is not None and watch_version(db) != version:
        raise WatchesChanged(f"the watches changed since version {version}")


def _new_watch_id(db: Database) -> int:
    """One more than the highest watch id ever given, so that a number is never
    reused: people remove watches by number, and a replayed ``/unwatch 5``
    must not remove a newer watch that took the number of a removed one."""
    (highest,) = db.execute("SELECT coalesce(max(id), 0) FROM watches").fetchone()
    given = db.execute("SELECT value FROM meta WHERE key = 'last_watch_id'").fetchone()
    watch_id = max(highest, int(given[0]) if given else 0) + 1
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('last_watch_id', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [str(watch_id)],
    )
    return watch_id


def add_watch(db: Database, *, team_id: str, channel_id: str, user_id: str, spec: WatchSpec) -> tuple[Watch, bool]:
    """Create the watch, or update the mode and aliases of the same watch.
    Returns the watch and whether it is new."""
    with write_transaction(db):
        existing = db.execute(
            "SELECT id FROM watches WHERE team_id = ? AND channel_id = ? AND kind = ? AND term_key = ?",
            [team_id, channel_id, spec.kind, spec.term_key],
        ).fetchone()
        if existing:
            watch_id = existing[0]
            db.execute(
                "UPDATE watches SET mode = ?, include_routine = ?, term = ? WHERE id = ?",
                [spec.mode, int(spec.include_routine), spec.term, watch_id],
            )
            action = "watch changed"
        else:
            (count,) = db.execute(
                "SELECT count(*) FROM watches WHERE team_id = ? AND channel_id = ?", [team_id, channel_id]
            ).fetchone()
            if count >= MAX_WATCHES_PER_CHANNEL:
                raise TooManyWatches(f"this channel already has {count} watches, the most allowed")
            watch_id = _new_watch_id(db)
            db.execute(
                "INSERT INTO watches (id, team_id, channel_id, kind, term, term_key, case_id, mode, include_routine, "
                "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    watch_id,
                    team_id,
                    channel_id,
                    spec.kind,
                    spec.term,
                    spec.term_key,
                    spec.case_id,
                    spec.mode,
                    int(spec.include_routine),
                    user_id,
                    now_iso(),
                ],
            )
            action = "watch added"
        for alias, alias_key in spec.aliases:
            db.execute(
                "INSERT INTO watch_aliases (watch_id, alias, alias_key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [watch_id, alias, alias_key],
            )
        _bump_version(db)
        audit.record(
            db,
            team_id=team_id,
            channel_id=channel_id,
            actor=user_id,
            action=action,
            detail=json.dumps(
                {"term": spec.term, "kind": spec.kind, "mode": spec.mode, "aliases": [a for a, _ in spec.aliases]}
            ),
        )
    (watch,) = _watches(db, "id = ?", [watch_id])
    return watch, not existing


def remove_watch(db: Database, *, team_id: str, channel_id: str, watch_id: int, user_id: str) -> Watch | None:
    """Delete one of this channel's watches; its undelivered alerts are cancelled."""
    with write_transaction(db):
        found = _watches(db, "id = ? AND team_id = ? AND channel_id = ?", [watch_id, team_id, channel_id])
        if not found:
            return None
        db.execute("DELETE FROM watch_aliases WHERE watch_id = ?", [watch_id])
        delete_filters(db, watch_id)
        db.execute("DELETE FROM watches WHERE id = ?", [watch_id])
        db.execute(
            "UPDATE alerts SET status = 'cancelled' WHERE watch_id = ? AND status = 'pending'",
            [watch_id],
        )
        _bump_version(db)
        audit.record(
            db,
            team_id=team_id,
            channel_id=channel_id,
            actor=user_id,
            action="watch removed",
            detail=json.dumps({"term": found[0].term, "kind": found[0].kind}),
        )
    return found[0]


def channel_watches(db: Database, team_id: str, channel_id: str) -> list[Watch]:
    return _watches(db, "team_id = ? AND channel_id = ?", [team_id, channel_id])


def watches_in_channels(db: Database, team_id: str, channel_ids: list[str]) -> list[Watch]:
    if not channel_ids:
        return []
    marks = ", ".join("?" for _ in channel_ids)
    return _watches(db, f"team_id = ? AND channel_id IN ({marks})", [team_id, *channel_ids])


def other_channels_watching(db: Database, team_id: str, kind: WatchKind, term_key: str, channel_id: str) -> list[str]:
    return [
        channel
        for (channel,) in db.execute(
            "SELECT DISTINCT channel_id FROM watches WHERE team_id = ? AND kind = ? AND term_key = ? AND channel_id != ?",
            [team_id, kind, term_key, channel_id],
        )
    ]


def is_watched_anywhere(db: Database, kind: WatchKind, term_key: str) -> bool:
    """Whether any channel of any workspace still watches this term."""
    return (
        db.execute("SELECT 1 FROM watches WHERE kind = ? AND term_key = ? LIMIT 1", [kind, term_key]).fetchone()
        is not None
    )


def case_watch_in_channel(db: Database, team_id: str, channel_id: str, case_id: int) -> Watch | None:
    """This channel's watch that follows exactly this case (by case or docket), if any."""
    found = _watches(
        db,
        "team_id = ? AND channel_id = ? AND ((kind = 'case' AND case_id = ?) OR (kind = 'docket' AND term_key IN "
        "(SELECT docket_key FROM case_dockets WHERE case_id = ? UNION SELECT docket_short FROM case_dockets "
        "WHERE case_id = ?)))",
        [team_id, channel_id, case_id, case_id, case_id],
    )
    return found[0] if found else None


def matchable_watches(db: Database) -> Iterator[WatchTarget]:
    """Every watch with all its keys, for building the matcher. Workspace,
    channel, kind and mode are shared strings (interned): 100,000 watches
    repeat a few thousand of them."""
    aliases: dict[int, list[str]] = {}
    for watch_id, alias_key in db.execute("SELECT watch_id, alias_key FROM watch_aliases"):
        aliases.setdefault(watch_id, []).append(alias_key)
    for row in db.execute(
        "SELECT id, team_id, channel_id, kind, term, term_key, case_id, mode, include_routine FROM watches"
    ):
        watch_id, team_id, channel_id, kind, term, term_key, case_id, mode, include_routine = row
        yield WatchTarget(
            id=watch_id,
            team_id=sys.intern(team_id),
            channel_id=sys.intern(channel_id),
            kind=sys.intern(kind),
            term=term,
            keys=(term_key, *aliases.pop(watch_id, ())),
            case_id=case_id,
            mode=sys.intern(mode),
            include_routine=bool(include_routine),
        )


def cases_watched_in_channel(db: Database, team_id: str, channel_id: str, case_ids: list[int]) -> set[int]:
    """Which of ``case_ids`` this channel follows exactly (by case or docket):
    those :func:`case_watch_in_channel` finds a watch for, in one statement
    (a ``/case`` answer's Watch or Unwatch buttons)."""
    if not case_ids:
        return set()
    marks = ", ".join("?" for _ in case_ids)
    dockets_watched = "SELECT term_key FROM watches WHERE team_id = ? AND channel_id = ? AND kind = 'docket'"
    rows = db.execute(
        f"SELECT case_id FROM watches WHERE team_id = ? AND channel_id = ? AND kind = 'case' AND case_id IN ({marks}) "
        f"UNION SELECT case_id FROM case_dockets WHERE case_id IN ({marks}) "
        f"AND (docket_key IN ({dockets_watched}) OR docket_short IN ({dockets_watched}))",
        [team_id, channel_id, *case_ids, *case_ids, team_id, channel_id, team_id, channel_id],
    )
    return {case_id for (case_id,) in rows}
