"""Read-only figures for operators: what ``/metrics`` reports from the
database (bot/metrics.py) and whether the database answers (``/healthz``,
bot/health.py). Nothing here writes.

Alert states as operators see them: ``pending`` (waiting to be sent, also
retrying after a failure), ``sending`` (claimed by a sender), ``sent``,
``failed`` (stopped by a permanent Slack error: sent once it is fixed) and
``held`` (pending in a workspace where the app is not installed: sent once it
is installed again). Cancelled alerts are not counted.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from feeds.times import from_iso
from feeds.vocabulary import FeedSource
from storage.engine import SQLITE, parse_url, scrub
from storage.feeds import feed_health, listed_feeds
from storage.workspaces import PAUSED_TEAMS

FEED_HEALTHS = ("ok", "failing", "quiet", "paused", "pending")
ALERT_STATES = ("pending", "sending", "sent", "failed", "held")
PROBE_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class FeedVitals:
    id: int
    name: str
    health: str  # one of FEED_HEALTHS
    seconds_since_success: float | None  # None: never polled successfully
    operator_chosen: bool  # in the catalog or added by /feeds add (not a watch's news search)


@dataclass(frozen=True)
class Vitals:
    feeds: list[FeedVitals]
    items: int
    alerts: dict[str, int]  # every one of ALERT_STATES
    oldest_pending_seconds: float  # 0 when nothing waits


def feed_vitals(db: Database, now: datetime) -> list[FeedVitals]:
    """Every feed /feeds lists, with its health as /feeds shows it."""
    return [
        FeedVitals(
            id=feed.id,
            name=feed.name,
            health=feed_health(db, feed, now).state,
            seconds_since_success=(now - from_iso(feed.last_success_at)).total_seconds()
            if feed.last_success_at
            else None,
            operator_chosen=feed.source != FeedSource.WATCH,
        )
        for feed in listed_feeds(db, count_items=False)
    ]


def alert_counts(db: Database) -> dict[str, int]:
    counts = dict.fromkeys(ALERT_STATES, 0)
    rows = db.execute(
        f"""
        SELECT CASE WHEN status = 'pending' AND team_id IN ({PAUSED_TEAMS}) THEN 'held' ELSE status END, count(*)
        FROM alerts WHERE status != 'cancelled' GROUP BY 1
        """
    )
    for state, number in rows:
        counts[state] = number
    return counts


def oldest_pending_seconds(db: Database, now: datetime) -> float:
    """How long the oldest alert still to be sent (pending, not held) has waited."""
    (oldest,) = db.execute(
        f"SELECT min(created_at) FROM alerts WHERE status = 'pending' AND team_id NOT IN ({PAUSED_TEAMS})"
    ).fetchone()
    return max(0.0, (now - from_iso(oldest)).total_seconds()) if oldest else 0.0


def items_stored(db: Database) -> int:
    (count,) = db.execute("SELECT count(*) FROM items").fetchone()
    return count


def vitals(db: Database, now: datetime) -> Vitals:
    return Vitals(
        feeds=feed_vitals(db, now),
        items=items_stored(db),
        alerts=alert_counts(db),
        oldest_pending_seconds=oldest_pending_seconds(db, now),
    )


def database_problem(url_or_path: str) -> str | None:
    """Why the database does not answer (None: it does). Asked on a fresh
    connection, read-only, so that what a long-open connection still holds in
    its cache cannot hide a file that was lost, replaced or damaged; it reads
    only the file's header (under a millisecond). On PostgreSQL: a new
    connection answers a trivial query within the probe's time."""
    url = parse_url(url_or_path)
    if url.engine != SQLITE:
        return _server_problem(url.target)
    try:
        read_only = f"{Path(url.target).resolve().as_uri()}?mode=ro"
        connection = sqlite3.connect(read_only, uri=True, timeout=PROBE_TIMEOUT_SECONDS)
    except sqlite3.Error as error:
        return str(error)
    try:
        connection.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as error:
        return str(error)
    finally:
        connection.close()
    return None


def _server_problem(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=max(1, round(PROBE_TIMEOUT_SECONDS)), autocommit=True) as probe:
            probe.execute("SELECT 1").fetchone()
    except psycopg.Error as error:
        return scrub(str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__, url)
    return None
