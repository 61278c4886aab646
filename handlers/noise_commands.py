"""``/watch <watch> hide|unhide|note …`` and ``/watchlist hidden``: a
channel's noise control on its watches (see :mod:`handlers.watch_changes`).
Answered in the acknowledgement, like every command; ephemeral."""

from __future__ import annotations

from sqlite_utils import Database

from handlers.interactive import could_not, request_database
from handlers.watch_answer import ephemeral
from handlers.watch_changes import (
    WatchChange,
    hidden_list,
    hidden_now,
    not_watched,
    note_removed,
    note_set,
    unhidden,
)
from storage.database import StorageUnavailable, ThreadDatabases
from storage.watch_filters import TooManyFilters, add_filters, hidden_in_channel, remove_filters, set_note
from storage.watches import Watch, channel_watches


def _channel_watch(db: Database, team_id: str, channel_id: str, change: WatchChange) -> Watch | None:
    for watch in channel_watches(db, team_id, channel_id):
        if watch.id == change.target or (watch.kind, watch.term_key) == change.target:
            return watch
    return None


def _apply(db: Database, command: dict, watch: Watch, change: WatchChange) -> str:
    """Make the change on ``watch``; the answer. KeyError if the watch went meanwhile."""
    where = {
        "team_id": command["team_id"],
        "channel_id": command["channel_id"],
        "watch_id": watch.id,
        "user_id": command["user_id"],
    }
    if change.verb == "hide":
        return hidden_now(watch, add_filters(db, **where, filters=list(change.filters)), change.filters)
    if change.verb == "unhide":
        removed = remove_filters(db, **where, filters=list(change.filters))
        return unhidden(watch, removed, change.filters)
    set_note(db, **where, note=change.note)
    return note_set(watch, change.note) if change.note else note_removed(watch)


def change_watch(databases: ThreadDatabases, command: dict, change: WatchChange) -> dict:
    """The ack of a ``/watch`` that changes one of the channel's watches."""
    try:
        with request_database(databases) as db:
            watch = _channel_watch(db, command["team_id"], command["channel_id"], change)
            if watch is None:
                return ephemeral(not_watched(change))
            return ephemeral(_apply(db, command, watch, change))
    except KeyError:
        return ephemeral(not_watched(change))  # removed meanwhile
    except TooManyFilters as error:
        return ephemeral(f"Nothing was hidden: {error}. Remove some with `unhide`.")
    except StorageUnavailable as error:
        return could_not("change the watch", error)


def hidden_alerts(databases: ThreadDatabases, command: dict) -> dict:
    """The ack of ``/watchlist hidden``."""
    db, team_id, channel_id = databases.get(), command["team_id"], command["channel_id"]
    hidden, total = hidden_in_channel(db, team_id, channel_id)
    return ephemeral(hidden_list(hidden, total, channel_watches(db, team_id, channel_id) if not total else ()))
