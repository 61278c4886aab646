"""The audit trail: who watched, unwatched or changed what, and every alert delivered."""

from __future__ import annotations

from collections.abc import Iterator

from sqlite_utils import Database

from storage.database import now_iso

AUDIT_COLUMNS = ("at", "team_id", "channel_id", "actor", "action", "detail")


def record(
    db: Database, *, team_id: str, actor: str, action: str, channel_id: str | None = None, detail: str = ""
) -> None:
    db.execute(
        "INSERT INTO audit (at, team_id, channel_id, actor, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
        [now_iso(), team_id, channel_id, actor, action, detail[:1000]],
    )


def audit_rows(db: Database, team_id: str | None = None) -> Iterator[tuple]:
    """Every audit row, oldest first (one workspace's when ``team_id`` is given)."""
    where, params = ("WHERE team_id = ?", [team_id]) if team_id else ("", [])
    yield from db.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit {where} ORDER BY id", params)
