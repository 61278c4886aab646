"""Leases: which process does a job that must run in only one (polling).

A holder keeps its lease by renewing it before it expires; when the holder
dies, the lease expires and another process takes it over. Taking, renewing
and the expiry check are one statement timed by the database's clock, so two
processes never both hold a lease, whichever engine and whatever their own
clocks say.
"""

from __future__ import annotations

from datetime import timedelta

from storage.database import write_transaction
from storage.engine import Connection, database_clock


def hold(db: Connection, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False if another holds it."""
    clock = database_clock(db)
    with write_transaction(db, exclusive=False):  # the database's refusals as StorageUnavailable
        taken = db.execute(
            f"INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, {clock}) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
            f"WHERE leases.holder = excluded.holder OR leases.expires_at <= {clock} RETURNING holder",
            [name, holder, ttl.total_seconds(), 0],
        ).fetchall()  # every row read, so the statement is done before the commit
    return bool(taken)


def release(db: Connection, name: str, holder: str) -> None:
    db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder])
