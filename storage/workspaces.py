"""Workspaces paused while the app is not installed in them.

A workspace that uninstalls the app (or revokes its bot token) keeps its
watches and its alerts: its watches go on matching, and its alerts (those
pending at the uninstall and those made since) wait, unsent, until the app is
installed there again; then every one of them is sent, once.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage import audit
from storage.database import now_iso, write_transaction

PAUSED_TEAMS = "SELECT team_id FROM paused_workspaces"


def pause(db: Database, team_id: str, reason: str) -> bool:
    """Pause ``team_id`` (``reason``: "app uninstalled", "bot token revoked",
    "not installed"). Returns False if it was paused already."""
    with write_transaction(db):
        paused = db.execute(
            "INSERT INTO paused_workspaces (team_id, paused_at, reason) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [team_id, now_iso(), reason],
        ).rowcount
        if paused:
            audit.record(db, team_id=team_id, actor="slack", action="workspace paused", detail=reason)
    return bool(paused)


def resume(db: Database, team_id: str, *, held_errors: frozenset[str]) -> int:
    """The app is installed in ``team_id`` again: its waiting alerts are sent,
    with those that failed for a token error (``held_errors``) while it was
    being uninstalled. Returns the alerts released."""
    marks = ", ".join("?" for _ in held_errors) or "NULL"  # IN () is SQLite's only
    codes = sorted(held_errors)
    with write_transaction(db):
        resumed = db.execute("DELETE FROM paused_workspaces WHERE team_id = ?", [team_id]).rowcount
        released = db.execute(
            f"UPDATE alerts SET status = 'pending', next_attempt_at = ?, last_error = NULL "
            f"WHERE team_id = ? AND status = 'failed' AND last_error IN ({marks})",
            [now_iso(), team_id, *codes],
        ).rowcount
        db.execute(
            f"UPDATE watches SET last_error = NULL, last_error_at = NULL WHERE team_id = ? AND last_error IN ({marks})",
            [team_id, *codes],
        )
        if resumed:
            audit.record(db, team_id=team_id, actor="slack", action="workspace resumed", detail="app installed")
    return released


def is_paused(db: Database, team_id: str) -> bool:
    return db.execute("SELECT 1 FROM paused_workspaces WHERE team_id = ?", [team_id]).fetchone() is not None
