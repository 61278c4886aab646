"""The outbox: alerts written with the items that cause them, then delivered.

States: ``pending`` (due at ``next_attempt_at``) → ``sending`` (claimed by one
sender) → ``sent`` (with the message ``ts``), or ``failed`` after a permanent
Slack error, or ``cancelled`` when the watch is removed first. One alert per
channel and event (unique), so an event is never posted twice to a channel.
A pending alert whose last attempt may have reached Slack (a timeout, a
dropped connection, a 5xx) is *maybe posted* (its ``maybe_posted`` flag) and
it keeps that attempt's ``claimed_at``, so the sender looks for it in the
channel before posting it again.

Only these moves happen; any other asked of a function changes nothing, so a
claimed alert is not claimed twice and a sent one is never sent again:
pending → sending (``claim``); sending → pending (``reschedule``,
``release_stale``); sending → failed (``mark_failed``); failed → pending
(``requeue_failed``, ``requeue_failed_with``); pending → cancelled (the watch
removed); any but sent → sent (``mark_sent``: Slack has the message, even when
another sender released the claim meanwhile).

A sent alert's message is edited when its event gains a source.
``needs_update`` counts the changes its message does not show yet: each new
source adds one (to pending and sending alerts too, for a message being posted
from an older view), the claim starts it at 0 (the view is read after), and an
edit takes away only what it had counted before reading its view, so a source
joining during an edit is shown by the next. One sender edits an alert at a
time (``edit_claimed_at``, taken again after a crash once stale).

Senders in any number of processes take turns per channel (``channel_turns``,
:func:`claim_next`): a channel has at most one alert in flight, and its next is
claimed no sooner than its turn is free again, paced from the last post (or a
429's Retry-After). The turn is freed in the same transaction that records the
outcome, so a case's first alert is recorded with its thread before the
channel's next alert can be claimed: replies always find their thread.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlite_utils import Database

from feeds.filters import AlertSubject, hiding_filter
from feeds.times import aware
from feeds.vocabulary import Action, AlertStatus, WatchMode
from storage import audit
from storage.cases import CaseView, case_view, entry_headline
from storage.database import now_iso, write_transaction
from storage.engine import indexed_by, skip_locked
from storage.related import RelatedCase, watched_related
from storage.watch_filters import HiddenHit, filters_of, record_hidden
from storage.workspaces import PAUSED_TEAMS

MAJOR_ACTIONS = frozenset(
    {
        Action.COMPLAINT,
        Action.INDICTMENT,
        Action.JUDGMENT,
        Action.SETTLEMENT,
        Action.RULING,
        Action.DISMISSAL,
        Action.PLEA,
        Action.VERDICT,
        Action.SENTENCING,
    }
)


class MatchedWatch(Protocol):
    """What the outbox needs of a watch the matcher found (``feeds.match.WatchTarget``)."""

    @property
    def id(self) -> int: ...
    @property
    def team_id(self) -> str: ...
    @property
    def channel_id(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def include_routine(self) -> bool: ...


class WatchHit(Protocol):
    """A watch an event matched and the term that matched (``feeds.match.Hit``)."""

    @property
    def watch(self) -> MatchedWatch: ...
    @property
    def matched(self) -> str: ...


def enqueue(
    db: Database,
    *,
    event_id: int,
    case_id: int | None,
    hits: Iterable[WatchHit],
    routine: bool,
    action: str = Action.CASE_UPDATE,
    text: str = "",
    filtered: Collection[int] | None = None,
) -> int:
    """Write one pending alert per channel for ``hits`` (inside the caller's
    transaction). A hit that its watch's filters hide (``feeds.filters``: routine
    docket entries unless the watch asks for all, then the kinds of action and
    phrases the channel hid; ``action`` and ``text``, the event's kind of action and
    the title and summary of the item that matched, are what they look at) is recorded as hidden instead,
    unless another watch brings the channel the alert. ``filtered``, if given,
    holds every watch that has filters (``filtered_watches``, read once a
    batch): the others' are not looked up. Returns how many alerts are new."""
    hits = list(hits)
    subject = AlertSubject(action=action, routine=routine, text=text)
    looked_up = [hit.watch.id for hit in hits if filtered is None or hit.watch.id in filtered]
    filters = filters_of(db, looked_up) if looked_up else {}
    hidden: list[HiddenHit] = []
    created = 0
    now = now_iso()
    for hit in hits:
        watch = hit.watch
        rule = hiding_filter(filters.get(watch.id, ()), subject, include_routine=watch.include_routine)
        if rule is not None:
            hidden.append(HiddenHit(watch.team_id, watch.channel_id, watch.id, hit.matched, rule))
            continue
        inserted = db.execute(
            """
            INSERT INTO alerts (team_id, channel_id, event_id, case_id, watch_id, matched_term, mode, status,
                                next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
            ON CONFLICT (team_id, channel_id, event_id) DO NOTHING
            """,
            [watch.team_id, watch.channel_id, event_id, case_id, watch.id, hit.matched, watch.mode, now, now],
        ).rowcount
        if inserted:
            created += 1
            continue
        # Another watch of this channel already asked for this event's alert: name this one's term too.
        db.execute(
            """
            UPDATE alerts SET
                matched_term = CASE WHEN instr(', ' || matched_term || ', ', ', ' || ? || ', ') > 0
                                    THEN matched_term ELSE matched_term || ', ' || ? END,
                mode = CASE WHEN ? = 'instant' THEN 'instant' ELSE mode END
            WHERE team_id = ? AND channel_id = ? AND event_id = ? AND status = 'pending'
            """,
            [hit.matched, hit.matched, watch.mode, watch.team_id, watch.channel_id, event_id],
        )
    if hidden:
        record_hidden(db, event_id=event_id, case_id=case_id, hidden=hidden)
    return created


_NEW_SOURCE = (
    "UPDATE alerts SET needs_update = needs_update + 1 "
    "WHERE event_id = ? AND mode = 'instant' AND status IN ('pending', 'sending', 'sent')"
)


def mark_event_changed(db: Database, event_id: int) -> None:
    """A new source joined an event: its messages, posted or being posted, should show it too."""
    db.execute(_NEW_SOURCE, [event_id])


@dataclass(frozen=True)
class Alert:
    id: int
    team_id: str
    channel_id: str
    event_id: int
    case_id: int | None
    watch_id: int
    matched_term: str
    mode: WatchMode
    status: AlertStatus
    attempts: int
    message_ts: str | None
    thread_ts: str | None
    claimed_at: str | None
    last_error: str | None = None
    maybe_posted: bool = False  # the last attempt may have reached Slack: look in the channel before posting again


_ALERT_COLUMNS = (
    "id, team_id, channel_id, event_id, case_id, watch_id, matched_term, mode, status, attempts, message_ts, "
    "thread_ts, claimed_at, last_error, maybe_posted"
)


def _alerts(db: Database, where: str, params: list, *, joined: str = "", table: str = "alerts") -> list[Alert]:
    """The alerts ``where`` selects (of ``table``, or ``table`` + ``joined`` with its columns qualified)."""
    columns = ", ".join(f"alerts.{column}" for column in _ALERT_COLUMNS.split(", ")) if joined else _ALERT_COLUMNS
    return [
        Alert(
            **{
                **row,
                "mode": WatchMode(row["mode"]),
                "status": AlertStatus(row["status"]),
                "maybe_posted": bool(row["maybe_posted"]),
            }
        )
        for row in db.query(f"SELECT {columns} FROM {table} {joined} WHERE {where}", params)
    ]


def due_alerts(
    db: Database, *, now: str | None = None, skip_channels: frozenset[str] = frozenset(), limit: int = 20
) -> list[Alert]:
    """Instant alerts due at ``now`` (ISO time; default: the clock), oldest
    first, leaving out ``skip_channels`` (channels waiting for their turn) and
    paused workspaces (storage.workspaces)."""
    skipped = f"AND channel_id NOT IN ({', '.join('?' for _ in skip_channels)}) " if skip_channels else ""
    return _alerts(
        db,
        f"status = 'pending' AND mode = 'instant' AND next_attempt_at <= ? {skipped}"
        f"AND team_id NOT IN ({PAUSED_TEAMS}) ORDER BY id LIMIT ?",
        [now or now_iso(), *sorted(skip_channels), limit],
    )


def digest_channels(db: Database, modes: tuple[WatchMode, ...]) -> list[tuple[str, str]]:
    marks = ", ".join("?" for _ in modes)
    return [
        (team, channel)
        for team, channel in db.execute(
            f"SELECT DISTINCT team_id, channel_id FROM alerts WHERE status = 'pending' AND mode IN ({marks}) "
            f"AND team_id NOT IN ({PAUSED_TEAMS})",
            list(modes),
        )
    ]


def start_digest_run(db: Database, team_id: str, channel_id: str, period: WatchMode, period_start: str) -> bool:
    """Record that the channel's ``period`` digest starting at ``period_start``
    is being posted; False if a process already did (``digest_runs``): each
    channel gets one scheduled digest a period, whichever process runs it."""
    started = db.execute(
        "INSERT INTO digest_runs (team_id, channel_id, period, period_start, started_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING RETURNING period",
        [team_id, channel_id, period, period_start, now_iso()],
    ).fetchone()
    return started is not None


def digest_alerts(db: Database, team_id: str, channel_id: str, modes: tuple[WatchMode, ...]) -> list[Alert]:
    marks = ", ".join("?" for _ in modes)
    return _alerts(
        db,
        f"team_id = ? AND channel_id = ? AND status = 'pending' AND mode IN ({marks}) ORDER BY id",
        [team_id, channel_id, *modes],
    )


def claim_stale_sends(db: Database, *, older_than: timedelta, now: datetime | None = None) -> list[Alert]:
    """Alerts claimed by a sender that never recorded the outcome (it crashed),
    ``older_than`` before ``now`` (an aware time; default: the clock), each taken
    for recovery by this caller only: another process passes over it until it is
    stale again (``recovery_at``). ``claimed_at`` is kept, so the search for the
    message it may have posted still starts before that first claim."""
    at, cutoff = _now_and_cutoff(now, older_than)
    stale_where = "status = 'sending' AND coalesce(recovery_at, claimed_at) < ? ORDER BY id"
    if not _alerts(db, stale_where, [cutoff]):
        return []  # read first: an idle sender never asks for the write lock
    with write_transaction(db, exclusive=False):
        stale = _alerts(db, stale_where + skip_locked(db, "alerts"), [cutoff])
        db.conn.executemany("UPDATE alerts SET recovery_at = ? WHERE id = ?", [(at, a.id) for a in stale])
    return stale


def give_up_recovery(db: Database, alert_id: int) -> None:
    """Slack could not say whether a stale send was posted: any sender may check it again."""
    db.execute("UPDATE alerts SET recovery_at = NULL WHERE id = ? AND status = 'sending'", [alert_id])


# A digest's alerts share one message: theirs are not edited.
_EDITABLE = (
    "needs_update > 0 AND status = 'sent' AND mode = 'instant' AND (edit_claimed_at IS NULL OR edit_claimed_at < ?)"
)


def alerts_to_update(
    db: Database, *, stale_after: timedelta = timedelta(seconds=60), now: datetime | None = None, limit: int = 20
) -> list[Alert]:
    """Sent alerts whose messages miss a source, oldest first, leaving out those
    another sender is editing (claimed less than ``stale_after`` before ``now``)."""
    _, cutoff = _now_and_cutoff(now, stale_after)
    return _alerts(db, _EDITABLE + " ORDER BY id LIMIT ?", [cutoff, limit], table=editable_alerts(db))


def editable_alerts(db: Database) -> str:
    """The alerts table read through its small index of messages to edit (SQLite's
    planner would read every sent alert through ``alerts_due`` instead)."""
    return "alerts" + indexed_by(db, "alerts_update")


def claim_edit(
    db: Database, alert_id: int, *, stale_after: timedelta = timedelta(seconds=60), now: datetime | None = None
) -> int | None:
    """Take the edit of a sent alert's message for this sender. Returns the
    changes that the edit shows (counted before its view is read, and passed to
    :func:`finish_edit`), or None when the message is current or another
    sender edits it."""
    at, cutoff = _now_and_cutoff(now, stale_after)
    with write_transaction(db, exclusive=False):
        row = db.execute(
            f"UPDATE alerts SET edit_claimed_at = ? WHERE id = ? AND {_EDITABLE} RETURNING needs_update",
            [at, alert_id, cutoff],
        ).fetchone()
    return row[0] if row else None


def finish_edit(db: Database, alert_id: int, *, shown: int) -> None:
    """The message now shows the ``shown`` changes that :func:`claim_edit` counted
    (or never will: Slack refused the edit); those counted since stay to show."""
    db.execute(
        "UPDATE alerts SET needs_update = CASE WHEN needs_update > ? THEN needs_update - ? ELSE 0 END, "
        "edit_claimed_at = NULL WHERE id = ?",
        [shown, shown, alert_id],
    )


def release_edit(db: Database, alert_id: int) -> None:
    """An edit was not made (Slack unreachable or unsure): any sender may try it again."""
    db.execute("UPDATE alerts SET edit_claimed_at = NULL WHERE id = ?", [alert_id])


def _now_and_cutoff(now: datetime | None, stale_after: timedelta) -> tuple[str, str]:
    """``now`` (an aware time; default: the clock) and the time ``stale_after``
    before it, as the outbox stores and compares times (UTC, to the second)."""
    now = (aware(now, "now") if now is not None else datetime.now(UTC)).astimezone(UTC)
    return now.isoformat(timespec="seconds"), (now - stale_after).isoformat(timespec="seconds")


def claim(db: Database, alert_id: int) -> bool:
    """Take an alert for sending; False if another sender has it."""
    cursor = db.execute(
        "UPDATE alerts SET status = 'sending', claimed_at = ?, attempts = attempts + 1, needs_update = 0 "
        "WHERE id = ? AND status = 'pending'",
        [now_iso(), alert_id],
    )
    return cursor.rowcount == 1


def release_stale(db: Database, alert_id: int) -> None:
    """A stale send was not posted: pending again, and its channel's turn free."""
    with write_transaction(db, exclusive=False):
        db.execute(
            "UPDATE alerts SET status = 'pending', claimed_at = NULL, recovery_at = NULL "
            "WHERE id = ? AND status = 'sending'",
            [alert_id],
        )
        _free_turn(db, alert_id, None)


# --- channel turns: one alert in flight per channel, paced, across processes ----------
# Every move out of 'sending' (mark_sent, reschedule, mark_failed, release_stale, unclaim)
# frees the turn in its transaction. The claim tests the turn row's own columns, which
# PostgreSQL rechecks on the new version of a row another sender claimed meanwhile; the
# alert it read may be stale then, and ``claim`` (status = 'pending') says so.

# The oldest due instant alert (the queue's order, as due_alerts) of a channel whose turn is free.
_TURN_JOIN = "JOIN channel_turns AS turns ON turns.team_id = alerts.team_id AND turns.channel_id = alerts.channel_id"
_NEXT_DUE_WITH_TURN = (
    "alerts.status = 'pending' AND alerts.mode = 'instant' AND alerts.next_attempt_at <= ?1 "
    f"AND turns.free_at <= ?1 AND turns.sending_alert IS NULL AND alerts.team_id NOT IN ({PAUSED_TEAMS}) "
    "ORDER BY alerts.id LIMIT 1"
)


_CLAIM_ATTEMPTS = 3


def turn_time(unix_time: float) -> str:
    """A turn's time: ISO to the microsecond (sorts with the outbox's times to the second)."""
    return datetime.fromtimestamp(unix_time, UTC).isoformat(timespec="microseconds")


_DUE_WITHOUT_TURN = """
FROM alerts WHERE status = 'pending' AND mode = 'instant' AND next_attempt_at <= ? AND NOT EXISTS (
    SELECT 1 FROM channel_turns AS turns WHERE turns.team_id = alerts.team_id AND turns.channel_id = alerts.channel_id)
"""


def open_turns(db: Database, *, now: float) -> None:
    """Make the turn of each channel that has a due instant alert and none yet
    (so that enqueueing alerts never writes one). Reads first: an idle sender
    never asks for the write lock."""
    at = turn_time(now)
    if db.execute(f"SELECT 1 {_DUE_WITHOUT_TURN} LIMIT 1", [at]).fetchone() is None:
        return
    db.execute(
        f"INSERT INTO channel_turns (team_id, channel_id) SELECT DISTINCT team_id, channel_id {_DUE_WITHOUT_TURN} "
        "ON CONFLICT DO NOTHING",
        [at],
    )


def claim_next(db: Database, *, now: float, interval: float) -> Alert | None:
    """Claim the oldest due instant alert of a channel whose turn is free (none
    in flight, paced, workspace not paused), and the turn with it, in one short
    transaction: on PostgreSQL senders in other processes skip that turn and
    take other channels' alerts. Returns the alert as it was before the claim
    (its earlier ``claimed_at`` bounds the search for a maybe-posted message), or
    None when no channel may be posted to now. :func:`open_turns` first."""
    at = turn_time(now)
    for _ in range(_CLAIM_ATTEMPTS):
        if not _alerts(db, _NEXT_DUE_WITH_TURN, [at], joined=_TURN_JOIN):
            return None  # read first: an idle sender never asks for the write lock
        with write_transaction(db, exclusive=False):
            oldest = _alerts(db, _NEXT_DUE_WITH_TURN + skip_locked(db, "turns"), [at], joined=_TURN_JOIN)
            if oldest and claim(db, oldest[0].id):
                db.execute(
                    "UPDATE channel_turns SET sending_alert = ?, free_at = ? WHERE team_id = ? AND channel_id = ?",
                    [oldest[0].id, turn_time(now + interval), oldest[0].team_id, oldest[0].channel_id],
                )
                return oldest[0]
        # On PostgreSQL: another sender took that alert after this statement's snapshot; look again.
    return None


def unclaim(db: Database, alert: Alert) -> None:
    """Put back a claimed alert that was not tried (its workspace has no poster):
    as it was, its attempt not counted, its channel's turn free."""
    with write_transaction(db, exclusive=False):
        db.execute(
            "UPDATE alerts SET status = 'pending', claimed_at = ?, attempts = ? WHERE id = ? AND status = 'sending'",
            [alert.claimed_at, alert.attempts, alert.id],
        )
        _free_turn(db, alert.id, None)


def hold_turn(db: Database, team_id: str, channel_id: str, *, until: float) -> None:
    """Nothing more is posted to the channel before ``until`` (Unix time): after a
    digest, or a 429 answering an edit."""
    at = turn_time(until)
    db.execute(
        "INSERT INTO channel_turns (team_id, channel_id, free_at) VALUES (?, ?, ?) "
        "ON CONFLICT (team_id, channel_id) DO UPDATE SET free_at = excluded.free_at "
        "WHERE channel_turns.free_at < excluded.free_at",
        [team_id, channel_id, at],
    )


def channel_free_at(db: Database, team_id: str, channel_id: str) -> float:
    """When the channel's turn is free (Unix time; 0 if it has none yet)."""
    row = db.execute(
        "SELECT free_at FROM channel_turns WHERE team_id = ? AND channel_id = ?", [team_id, channel_id]
    ).fetchone()
    return datetime.fromisoformat(row[0]).timestamp() if row and row[0] else 0.0


def next_turn_free_at(db: Database, *, now: float) -> float | None:
    """The earliest time after ``now`` at which a turn comes free (Unix time), if any."""
    (earliest,) = db.execute("SELECT min(free_at) FROM channel_turns WHERE free_at > ?", [turn_time(now)]).fetchone()
    return datetime.fromisoformat(earliest).timestamp() if earliest else None


def _free_turn(db: Database, alert_id: int, free_at: float | None) -> None:
    """The turn that ``alert_id`` held is free again, not before ``free_at`` (Unix
    time; None: when the claim said). Inside the caller's transaction."""
    at = turn_time(free_at) if free_at is not None else ""
    db.execute(
        "UPDATE channel_turns SET sending_alert = NULL, free_at = CASE WHEN ? > free_at THEN ? ELSE free_at END "
        "WHERE sending_alert = ?",
        [at, at, alert_id],
    )


def thread_for(db: Database, team_id: str, channel_id: str, case_id: int | None) -> str | None:
    if case_id is None:
        return None
    row = db.execute(
        "SELECT thread_ts FROM case_threads WHERE team_id = ? AND channel_id = ? AND case_id = ?",
        [team_id, channel_id, case_id],
    ).fetchone()
    return row[0] if row else None


def mark_sent(
    db: Database,
    alert: Alert,
    *,
    ts: str,
    thread_ts: str | None,
    record_thread: bool = True,
    turn_free_at: float | None = None,
    posted_earlier: bool = False,
) -> None:
    """Record delivery, the case's thread, the watch's counters and the audit row,
    and free the channel's turn (not before ``turn_free_at``, Unix time),
    atomically, once (an alert already recorded as sent is left as it is).
    ``posted_earlier``: an earlier attempt posted the message, from a view that
    may miss sources since; it is edited once to be sure."""
    now = now_iso()
    with write_transaction(db, exclusive=False):
        _free_turn(db, alert.id, turn_free_at)
        recorded = db.execute(
            "UPDATE alerts SET status = 'sent', message_ts = ?, thread_ts = ?, sent_at = ?, last_error = NULL, maybe_posted = 0, "
            "needs_update = needs_update + ?, recovery_at = NULL WHERE id = ? AND status != 'sent'",
            [ts, thread_ts, now, int(posted_earlier), alert.id],
        ).rowcount
        if not recorded:
            return
        if record_thread and alert.case_id is not None and thread_ts is None:
            db.execute(
                "INSERT INTO case_threads (team_id, channel_id, case_id, thread_ts) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [alert.team_id, alert.channel_id, alert.case_id, ts],
            )
        _count_delivery(db, alert, now)
        audit.record(
            db,
            team_id=alert.team_id,
            channel_id=alert.channel_id,
            actor="casewatch",
            action="alert delivered",
            detail=json.dumps({"alert": alert.id, "event": alert.event_id, "ts": ts, "thread_ts": thread_ts}),
        )


def _count_delivery(db: Database, alert: Alert, now: str) -> None:
    """Count a delivered alert for every watch of its channel that asked for
    it: the one that made it, and each whose term :func:`enqueue` added to its
    ``matched_term`` (``binance, Changpeng Zhao``)."""
    db.execute(
        "UPDATE watches SET alerts_sent = alerts_sent + 1, last_alert_at = ?, last_error = NULL, last_error_at = NULL "
        "WHERE team_id = ? AND channel_id = ? AND (id = ? OR instr(', ' || ? || ', ', ', ' || term || ', ') > 0)",
        [now, alert.team_id, alert.channel_id, alert.watch_id, alert.matched_term],
    )


def reschedule(
    db: Database,
    alert_id: int,
    *,
    at: str,
    error: str,
    maybe_posted: bool = False,
    turn_free_at: float | None = None,
) -> None:
    """Try the claimed alert again at ``at`` (ISO time), its channel's turn free
    (not before ``turn_free_at``, Unix time). ``maybe_posted``: the attempt may have
    reached Slack, so keep its claim time and say so (see module doc)."""
    with write_transaction(db, exclusive=False):
        db.execute(
            "UPDATE alerts SET status = 'pending', next_attempt_at = ?, last_error = ?, maybe_posted = ?, "
            "claimed_at = CASE WHEN ? = 1 THEN claimed_at END, recovery_at = NULL WHERE id = ? AND status = 'sending'",
            [at, error[:300], int(maybe_posted), int(maybe_posted), alert_id],
        )
        _free_turn(db, alert_id, turn_free_at)


def mark_failed(db: Database, alert: Alert, error: str, *, turn_free_at: float | None = None) -> None:
    """The claimed alert failed for good (a permanent Slack error); the channel's
    watches show why, and its turn is free (not before ``turn_free_at``)."""
    with write_transaction(db, exclusive=False):
        _free_turn(db, alert.id, turn_free_at)
        failed = db.execute(
            "UPDATE alerts SET status = 'failed', claimed_at = NULL, recovery_at = NULL, last_error = ? "
            "WHERE id = ? AND status = 'sending'",
            [error[:300], alert.id],
        ).rowcount
        if not failed:
            return
        db.execute(
            "UPDATE watches SET last_error = ?, last_error_at = ? WHERE team_id = ? AND channel_id = ?",
            [error[:300], now_iso(), alert.team_id, alert.channel_id],
        )


def requeue_failed(db: Database, team_id: str, channel_id: str) -> int:
    """After the cause is fixed (the bot was invited, say): try the channel's failed alerts again."""
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE alerts SET status = 'pending', next_attempt_at = ?, last_error = NULL "
            "WHERE team_id = ? AND channel_id = ? AND status = 'failed'",
            [now_iso(), team_id, channel_id],
        )
        db.execute(
            "UPDATE watches SET last_error = NULL, last_error_at = NULL WHERE team_id = ? AND channel_id = ?",
            [team_id, channel_id],
        )
    return cursor.rowcount


def requeue_failed_with(db: Database, errors: frozenset[str], *, team_id: str | None = None) -> int:
    """After the cause is fixed (the token works again): try the alerts that
    failed with one of ``errors`` again, and only those (only ``team_id``'s when given)."""
    marks = ", ".join("?" for _ in errors)
    codes = sorted(errors)
    team, team_params = ("AND team_id = ?", [team_id]) if team_id is not None else ("", [])
    with write_transaction(db):
        cursor = db.execute(
            f"UPDATE alerts SET status = 'pending', next_attempt_at = ?, last_error = NULL "
            f"WHERE status = 'failed' AND last_error IN ({marks}) {team}",
            [now_iso(), *codes, *team_params],
        )
        db.execute(
            f"UPDATE watches SET last_error = NULL, last_error_at = NULL WHERE last_error IN ({marks}) {team}",
            [*codes, *team_params],
        )
    return cursor.rowcount


def teams_holding(db: Database, errors: frozenset[str]) -> list[str]:
    """The workspaces with alerts that failed with one of ``errors``."""
    marks = ", ".join("?" for _ in errors)
    query = f"SELECT DISTINCT team_id FROM alerts WHERE status = 'failed' AND last_error IN ({marks}) ORDER BY team_id"
    return [team_id for (team_id,) in db.execute(query, sorted(errors))]


# --- what an alert says -----------------------------------------------------


@dataclass(frozen=True)
class Source:
    feed: str
    title: str
    link: str | None


@dataclass(frozen=True)
class AlertView:
    alert_id: int
    action: str
    event_day: str
    headline: str
    matched_term: str
    major: bool
    routine: bool
    case: CaseView | None
    sources: list[Source]
    amounts: list[int]
    related: list[RelatedCase] = field(default_factory=list)  # related cases this channel also watches
    related_total: int = 0
    note: str | None = None  # the watch's note, on the first alert of a case in the channel (its thread's parent)


def alert_view(db: Database, alert: Alert) -> AlertView:
    action, event_day, routine = db.execute(
        "SELECT action, event_day, routine FROM events WHERE id = ?", [alert.event_id]
    ).fetchone()
    rows = list(
        db.query(
            "SELECT items.title, items.summary, items.link, items.docket_entry, items.amounts, feeds.name AS feed "
            "FROM items JOIN feeds ON feeds.id = items.feed_id WHERE items.event_id = ? ORDER BY items.id",
            [alert.event_id],
        )
    )
    case = case_view(db, alert.case_id, timeline_limit=0) if alert.case_id is not None else None
    related, related_total = (
        watched_related(db, alert.team_id, alert.channel_id, alert.case_id) if alert.case_id is not None else ([], 0)
    )
    first = rows[0]
    headline = entry_headline(first["title"], first["summary"], first["docket_entry"])
    amounts: set[int] = set()
    for row in rows:
        amounts.update(json.loads(row["amounts"]))
    return AlertView(
        alert_id=alert.id,
        action=action,
        event_day=event_day,
        headline=headline,
        matched_term=alert.matched_term,
        major=action in MAJOR_ACTIONS,
        routine=bool(routine),
        case=case,
        sources=[Source(row["feed"], row["title"], row["link"]) for row in rows],
        amounts=sorted(amounts, reverse=True),
        related=related,
        related_total=related_total,
        note=_note_if_first(db, alert),
    )


def _note_if_first(db: Database, alert: Alert) -> str | None:
    """The note of the alert's watch if the alert is (or will be posted as)
    the top-level message of its case in the channel: the thread's parent."""
    if alert.thread_ts is not None:
        return None
    if alert.message_ts is None and thread_for(db, alert.team_id, alert.channel_id, alert.case_id) is not None:
        return None
    row = db.execute("SELECT note FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    return row[0] if row else None


# --- what users see of their alerts --------------------------------------------


@dataclass(frozen=True)
class SentAlert:
    channel_id: str
    sent_at: str
    action: str
    caption: str | None
    matched_term: str
    headline: str  # the title of the event's first item: what an alert without a case is about


def latest_alerts(db: Database, team_id: str, channel_ids: list[str], *, limit: int = 10) -> list[SentAlert]:
    if not channel_ids:
        return []
    marks = ", ".join("?" for _ in channel_ids)
    rows = db.execute(
        f"""
        SELECT alerts.channel_id, alerts.sent_at, events.action, cases.caption, alerts.matched_term,
               coalesce(items.title, '')
        FROM alerts JOIN events ON events.id = alerts.event_id LEFT JOIN cases ON cases.id = alerts.case_id
        LEFT JOIN items ON items.id = events.first_item_id
        WHERE alerts.team_id = ? AND alerts.channel_id IN ({marks}) AND alerts.status = 'sent'
        ORDER BY alerts.sent_at DESC, alerts.id DESC LIMIT ?
        """,
        [team_id, *channel_ids, limit],
    )
    return [SentAlert(*row) for row in rows]
