"""The feeds table: the catalog's feeds and their polling state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlite_utils import Database

from storage.database import now_iso, write_transaction


class FeedDefinition(Protocol):
    name: str
    url: str
    agency: str
    kind: str
    interval_minutes: int
    enabled: bool


@dataclass(frozen=True)
class Feed:
    id: int
    name: str
    url: str
    agency: str
    kind: str
    interval_minutes: int
    enabled: bool
    etag: str | None
    last_modified: str | None
    last_polled_at: str | None
    last_success_at: str | None
    last_error: str | None
    consecutive_failures: int
    items_stored: int = 0


_FEED_COLUMNS = (
    "id, name, url, agency, kind, interval_minutes, enabled, etag, last_modified, "
    "last_polled_at, last_success_at, last_error, consecutive_failures"
)


def _feed(row: dict) -> Feed:
    return Feed(**{**row, "enabled": bool(row["enabled"])})


def sync_catalog(db: Database, specs: list[FeedDefinition]) -> None:
    """Insert the catalog's feeds and update their settings by name; polling
    state (ETag, errors) is kept."""
    with write_transaction(db):
        for spec in specs:
            db.execute(
                """
                INSERT INTO feeds (name, url, agency, kind, interval_minutes, enabled, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET
                    url = excluded.url, agency = excluded.agency, kind = excluded.kind,
                    interval_minutes = excluded.interval_minutes, enabled = excluded.enabled,
                    etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,
                    last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END
                """,
                [spec.name, spec.url, spec.agency, spec.kind, spec.interval_minutes, int(spec.enabled), now_iso()],
            )


def enabled_feeds(db: Database) -> list[Feed]:
    return [_feed(row) for row in db.query(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE enabled ORDER BY id")]


def get_feed(db: Database, feed_id: int) -> Feed:
    row = next(db.query(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE id = ?", [feed_id]))
    return _feed(row)


def all_feeds_with_counts(db: Database) -> list[Feed]:
    rows = db.query(
        f"""
        SELECT {_FEED_COLUMNS},
               (SELECT count(*) FROM items WHERE items.feed_id = feeds.id) AS items_stored
        FROM feeds ORDER BY id
        """
    )
    return [_feed(row) for row in rows]


def record_success(db: Database, feed_id: int, *, etag: str | None, last_modified: str | None, new_items: int) -> None:
    now = now_iso()
    db.execute(
        """
        UPDATE feeds SET etag = ?, last_modified = ?, last_polled_at = ?, last_success_at = ?,
               last_new_item_at = CASE WHEN ? > 0 THEN ? ELSE last_new_item_at END,
               last_error = NULL, consecutive_failures = 0
        WHERE id = ?
        """,
        [etag, last_modified, now, now, new_items, now, feed_id],
    )


def record_failure(db: Database, feed_id: int, reason: str) -> None:
    now = now_iso()
    db.execute(
        """
        UPDATE feeds SET last_polled_at = ?, last_error = ?, last_error_at = ?,
               consecutive_failures = consecutive_failures + 1
        WHERE id = ?
        """,
        [now, reason[:500], now, feed_id],
    )
