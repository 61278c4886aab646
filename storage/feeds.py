"""The feeds table: the catalog's feeds, those added by command, and their
polling state (conditional-GET validators, health, next poll)."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Protocol

from sqlite_utils import Database

from feeds.health import Health, health
from feeds.times import from_iso
from feeds.types import FeedHealth
from feeds.vocabulary import FeedKind, FeedSource
from storage import audit
from storage.database import now_iso, write_transaction


class FeedDefinition(Protocol):
    name: str
    url: str
    agency: str
    kind: FeedKind
    interval_minutes: int
    enabled: bool
    only_watched: bool


@dataclass(frozen=True)
class Feed:
    id: int
    name: str
    url: str
    agency: str
    kind: FeedKind
    interval_minutes: int
    enabled: bool
    source: FeedSource
    paused: bool
    etag: str | None
    last_modified: str | None
    last_polled_at: str | None
    last_success_at: str | None
    last_new_item_at: str | None
    last_error: str | None
    last_error_at: str | None
    failing_since: str | None
    consecutive_failures: int
    next_poll_at: str | None
    created_at: str
    only_watched: bool = False
    items_stored: int = 0

    @property
    def first_poll(self) -> bool:
        return self.last_success_at is None


_COLUMNS = ", ".join(f.name for f in fields(Feed) if f.name != "items_stored")
_ACTIVE = "enabled = 1 AND paused = 0 AND removed = 0"  # flags are 0/1 integers on both engines


def _feed(row: dict) -> Feed:
    flags = {flag: bool(row[flag]) for flag in ("enabled", "paused", "only_watched")}
    return Feed(**{**row, **flags, "kind": FeedKind(row["kind"]), "source": FeedSource(row["source"])})


def sync_catalog(db: Database, specs: list[FeedDefinition]) -> None:
    """Insert the catalog's feeds and update their settings by name; polling
    state is kept. Catalog feeds no longer in the catalog are disabled. Feeds
    an admin paused or removed by command stay so."""
    with write_transaction(db):
        for spec in specs:
            db.execute(
                """
                INSERT INTO feeds (name, url, agency, kind, interval_minutes, enabled, only_watched, source, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'catalog', ?)
                ON CONFLICT (name) DO UPDATE SET
                    url = excluded.url, agency = excluded.agency, kind = excluded.kind,
                    interval_minutes = excluded.interval_minutes, enabled = excluded.enabled,
                    only_watched = excluded.only_watched, source = 'catalog',
                    etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,
                    last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END
                """,
                [
                    spec.name,
                    spec.url,
                    spec.agency,
                    spec.kind,
                    spec.interval_minutes,
                    int(spec.enabled),
                    int(spec.only_watched),
                    now_iso(),
                ],
            )
        names = [spec.name for spec in specs]
        marks = ", ".join("?" for _ in names) or "''"
        db.execute(f"UPDATE feeds SET enabled = 0 WHERE source = 'catalog' AND name NOT IN ({marks})", names)


def enabled_feeds(db: Database) -> list[Feed]:
    """Feeds to poll: enabled in the catalog, not paused, not removed."""
    return [_feed(row) for row in db.query(f"SELECT {_COLUMNS} FROM feeds WHERE {_ACTIVE} ORDER BY id")]


def get_feed(db: Database, feed_id: int) -> Feed | None:
    rows = list(db.query(f"SELECT {_COLUMNS} FROM feeds WHERE id = ?", [feed_id]))
    return _feed(rows[0]) if rows else None


def listed_feeds(db: Database, *, count_items: bool = True) -> list[Feed]:
    """Every feed not removed, in list order, with how many items it brought
    (``count_items``: a count over the items, costly with millions)."""
    counted = "(SELECT count(*) FROM items WHERE items.feed_id = feeds.id)" if count_items else "0"
    rows = db.query(f"SELECT {_COLUMNS}, {counted} AS items_stored FROM feeds WHERE removed = 0 ORDER BY id")
    return [_feed(row) for row in rows]


def feed_health(db: Database, feed: Feed, now: datetime) -> Health:
    """The feed's health as /feeds shows it (and /metrics counts it)."""
    return health(
        paused=feed.paused or not feed.enabled,
        failing_since=feed.failing_since,
        last_error=feed.last_error,
        last_new_item_at=feed.last_new_item_at,
        created_at=feed.created_at,
        item_times=recent_item_times(db, feed.id),
        now=now,
        never_polled=feed.last_polled_at is None,
    )


def recent_item_times(db: Database, feed_id: int, limit: int = 30) -> list[datetime]:
    return [
        from_iso(event_at)
        for (event_at,) in db.execute(
            "SELECT event_at FROM items WHERE feed_id = ? ORDER BY event_at DESC LIMIT ?", [feed_id, limit]
        )
    ]


def record_success(
    db: Database, feed_id: int, *, etag: str | None, last_modified: str | None, new_items: int, next_poll_at: str
) -> None:
    now = now_iso()
    with write_transaction(db):
        db.execute(
            """
            UPDATE feeds SET etag = ?, last_modified = ?, last_polled_at = ?, last_success_at = ?,
                   last_new_item_at = CASE WHEN ? > 0 THEN ? ELSE last_new_item_at END,
                   last_error = NULL, failing_since = NULL, consecutive_failures = 0, next_poll_at = ?
            WHERE id = ?
            """,
            [etag, last_modified, now, now, new_items, now, next_poll_at, feed_id],
        )


def record_failure(db: Database, feed_id: int, reason: str, *, next_poll_at: str) -> None:
    """Mark the feed failing; raises StorageUnavailable when even that cannot be written."""
    now = now_iso()
    with write_transaction(db):
        db.execute(
            """
            UPDATE feeds SET last_polled_at = ?, last_error = ?, last_error_at = ?,
                   failing_since = coalesce(failing_since, ?), consecutive_failures = consecutive_failures + 1,
                   next_poll_at = ?
            WHERE id = ?
            """,
            [now, reason[:500], now, now, next_poll_at, feed_id],
        )


def record_health(db: Database, feed_id: int, health: FeedHealth, *, new_items: int) -> None:
    """Record a poll's outcome (inside the caller's transaction, if any)."""
    if health.ok:
        record_success(
            db,
            feed_id,
            etag=health.etag,
            last_modified=health.last_modified,
            new_items=new_items,
            next_poll_at=health.next_poll_at,
        )
    else:
        record_failure(db, feed_id, health.reason or "failed", next_poll_at=health.next_poll_at)


# --- changes by command ---------------------------------------------------------


def add_feed(
    db: Database, *, name: str, url: str, agency: str, kind: FeedKind, interval_minutes: int, actor: str, team_id: str
) -> Feed:
    """Add a feed (or bring back a removed one with the same URL)."""
    with write_transaction(db):
        removed = db.execute("SELECT id FROM feeds WHERE url = ? AND removed = 1", [url]).fetchone()
        if removed:
            db.execute(
                "UPDATE feeds SET removed = 0, paused = 0, enabled = 1, next_poll_at = NULL WHERE id = ?", [removed[0]]
            )
            feed_id = removed[0]
        else:
            (feed_id,) = db.execute(
                "INSERT INTO feeds (name, url, agency, kind, interval_minutes, enabled, source, created_at) "
                "VALUES (?, ?, ?, ?, ?, 1, 'command', ?) RETURNING id",
                [name, url, agency, kind, interval_minutes, now_iso()],
            ).fetchone()
        audit.record(
            db, team_id=team_id, actor=actor, action="feed added", detail=json.dumps({"name": name, "url": url})
        )
    feed = get_feed(db, feed_id)
    assert feed is not None
    return feed


def change_feed(db: Database, feed: Feed, *, change: str, actor: str, team_id: str) -> None:
    """``pause``, ``resume`` or ``remove`` a feed, with an audit row."""
    statements = {
        "pause": "UPDATE feeds SET paused = 1 WHERE id = ?",
        "resume": "UPDATE feeds SET paused = 0, next_poll_at = NULL WHERE id = ?",
        "remove": "UPDATE feeds SET removed = 1, paused = 0 WHERE id = ?",
    }
    with write_transaction(db):
        db.execute(statements[change], [feed.id])
        audit.record(
            db,
            team_id=team_id,
            actor=actor,
            action=f"feed {change}d",
            detail=json.dumps({"name": feed.name, "url": feed.url}),
        )


def name_taken(db: Database, name: str) -> bool:
    return db.execute("SELECT 1 FROM feeds WHERE name = ?", [name]).fetchone() is not None


def follow_news_search(db: Database, *, term: str, url: str, team_id: str) -> bool:
    """Make sure a news search feed follows ``term``; True if it was added."""
    with write_transaction(db):
        existing = db.execute("SELECT id, removed FROM feeds WHERE url = ?", [url]).fetchone()
        if existing and not existing[1]:
            return False
        if existing:
            db.execute("UPDATE feeds SET removed = 0, paused = 0, enabled = 1 WHERE id = ?", [existing[0]])
        else:
            name, number = f"News: {term}"[:120], 2
            while db.execute("SELECT 1 FROM feeds WHERE name = ?", [name]).fetchone():
                name, number = f"News: {term} ({number})"[:120], number + 1
            db.execute(
                "INSERT INTO feeds (name, url, agency, kind, interval_minutes, enabled, source, created_at) "
                "VALUES (?, ?, 'News', 'news', 30, 1, 'watch', ?)",
                [name, url, now_iso()],
            )
        audit.record(
            db, team_id=team_id, actor="casewatch", action="feed added", detail=json.dumps({"name": term, "url": url})
        )
    return True


def retire_news_search(db: Database, *, url: str, still_watched: bool) -> bool:
    """Stop a watch's news search feed once no watch needs it; True if retired."""
    if still_watched:
        return False
    cursor = db.execute("UPDATE feeds SET removed = 1 WHERE url = ? AND source = 'watch' AND removed = 0", [url])
    return cursor.rowcount > 0


def set_aside_feed_names(db: Database) -> set[str]:
    """The names of the feeds an admin paused or removed with ``/feeds`` (polling skips them)."""
    return {name for (name,) in db.execute("SELECT name FROM feeds WHERE paused = 1 OR removed = 1")}
