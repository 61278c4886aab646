"""Leases: which process does a job that must run in only one (polling).

A holder keeps its lease by renewing it before it expires; when the holder
dies, the lease expires and another process takes it over.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from feeds.times import from_iso
from storage.database import write_transaction


def hold(db: Database, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False if another holds it."""
    now = datetime.now(UTC)
    with write_transaction(db):
        row = db.execute("SELECT holder, expires_at FROM leases WHERE name = ?", [name]).fetchone()
        if row and row[0] != holder and from_iso(row[1]) > now:
            return False
        db.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
            [name, holder, (now + ttl).isoformat(timespec="milliseconds")],
        )
    return True


def release(db: Database, name: str, holder: str) -> None:
    db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder])
