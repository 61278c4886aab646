"""The outbox's state machine (storage.alerts), driven directly on a migrated
in-memory database: enqueue → due → claim → sent, rescheduled, maybe posted,
failed and requeued, stale sends; and the transitions that must do nothing
(a claimed alert is not claimed again, a sent one is never requeued, so no
alert is ever posted twice). The sender's use of it is tested in
test_sender.py, and end to end in test_alerts_e2e.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlite_utils import Database

from feeds.match import Hit
from feeds.vocabulary import AlertStatus, FeedKind, WatchMode
from storage import alerts as outbox
from storage.alerts import Alert
from storage.database import write_transaction
from storage.watches import remove_watch
from tests import factories
from tests.factories import CHANNEL, TEAM, USER, alert_state
from tests.reliability import Observed


def due_ids(db: Database, **options: object) -> list[int]:
    return [found.id for found in outbox.due_alerts(db, **options)]


def claimed(db: Database, alert_id: int) -> Alert:
    """The alert as the sender holds it after claiming it (taken from the due list, as the sender does)."""
    (found,) = [due for due in outbox.due_alerts(db) if due.id == alert_id]
    assert outbox.claim(db, alert_id)
    return found


def sent(db: Database, alert_id: int, ts: str = "1700000001.000100") -> Alert:
    found = claimed(db, alert_id)
    outbox.mark_sent(db, found, ts=ts, thread_ts=None)
    return found


def in_seconds(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def test_an_enqueued_instant_alert_is_due_at_once(memory_db: Database) -> None:
    alert_id = factories.alert(memory_db)
    assert alert_state(memory_db, alert_id)["status"] == AlertStatus.PENDING
    assert due_ids(memory_db) == [alert_id]


def test_one_alert_per_channel_and_event_naming_every_watched_term(memory_db: Database) -> None:
    source = factories.feed(memory_db)
    what = factories.extraction(caption="SEC v. Acme Widgets Inc.", plaintiffs=["SEC"], defendants=["Acme Widgets"])
    stored, event_id, _ = factories.event(memory_db, source, what)
    daily = factories.watch_target(memory_db, factories.watch(memory_db, "Acme", mode=WatchMode.DAILY))
    instant = factories.watch_target(memory_db, factories.watch(memory_db, "Acme Widgets"))
    with write_transaction(memory_db):
        first = outbox.enqueue(
            memory_db, event_id=event_id, case_id=stored.case_id, hits=[Hit(daily, "Acme")], routine=False
        )
        again = outbox.enqueue(
            memory_db,
            event_id=event_id,
            case_id=stored.case_id,
            hits=[Hit(daily, "Acme"), Hit(instant, "Acme Widgets")],
            routine=False,
        )
    assert (first, again) == (1, 0)
    (only,) = outbox.due_alerts(memory_db)
    assert only.matched_term == "Acme, Acme Widgets"
    assert only.mode == WatchMode.INSTANT  # one instant watch is enough to alert at once


def test_a_routine_entry_alerts_only_watches_that_ask_for_all(memory_db: Database) -> None:
    source = factories.feed(memory_db, FeedKind.COURT, agency="PACER D.D.C.")
    what = factories.extraction(caption="SEC v. Acme Widgets Inc.", plaintiffs=["SEC"], defendants=["Acme Widgets"])
    stored, event_id, _ = factories.event(memory_db, source, what)
    quiet = factories.watch_target(memory_db, factories.watch(memory_db, "Acme Widgets", channel="C_QUIET"))
    everything = factories.watch_target(
        memory_db, factories.watch(memory_db, "Acme Widgets", channel="C_ALL", include_routine=True)
    )
    hits = [Hit(quiet, quiet.term), Hit(everything, everything.term)]
    with write_transaction(memory_db):
        created = outbox.enqueue(memory_db, event_id=event_id, case_id=stored.case_id, hits=hits, routine=True)
    assert created == 1
    assert [found.channel_id for found in outbox.due_alerts(memory_db)] == ["C_ALL"]


@pytest.mark.parametrize("mode", [WatchMode.DAILY, WatchMode.WEEKLY])
def test_digest_alerts_wait_for_their_digest(memory_db: Database, mode: WatchMode) -> None:
    alert_id = factories.alert(memory_db, mode=mode)
    assert due_ids(memory_db) == []
    assert outbox.digest_channels(memory_db, (mode,)) == [(TEAM, CHANNEL)]
    assert [found.id for found in outbox.digest_alerts(memory_db, TEAM, CHANNEL, (mode,))] == [alert_id]


def test_a_claimed_alert_cannot_be_claimed_again(memory_db: Database) -> None:
    alert_id = factories.alert(memory_db)
    assert outbox.claim(memory_db, alert_id)
    assert not outbox.claim(memory_db, alert_id)
    state = alert_state(memory_db, alert_id)
    assert (state["status"], state["attempts"]) == (AlertStatus.SENDING, 1)
    assert due_ids(memory_db) == []


def test_sent_records_the_message_the_thread_the_watch_and_the_audit(memory_db: Database) -> None:
    alert_id = factories.alert(memory_db)
    alert = sent(memory_db, alert_id, ts="1700000001.000100")
    state = alert_state(memory_db, alert_id)
    assert (state["status"], state["message_ts"]) == (AlertStatus.SENT, "1700000001.000100")
    assert outbox.thread_for(memory_db, TEAM, CHANNEL, alert.case_id) == "1700000001.000100"
    (alerts_sent,) = memory_db.execute("SELECT alerts_sent FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    assert alerts_sent == 1
    (delivered,) = memory_db.execute("SELECT count(*) FROM audit WHERE action = 'alert delivered'").fetchone()
    assert delivered == 1


@pytest.mark.reliability(
    "a late sender reports a timeout or a refusal for an alert another sender already delivered", kind="slack fault"
)
def test_a_sent_alert_is_never_claimed_requeued_or_failed(memory_db: Database, observed: Observed) -> None:
    alert_id = factories.alert(memory_db)
    alert = sent(memory_db, alert_id)
    assert not outbox.claim(memory_db, alert_id)
    outbox.reschedule(memory_db, alert_id, at=in_seconds(0), error="timeout", maybe_posted=True)
    outbox.mark_failed(memory_db, alert, "channel_not_found")
    assert outbox.requeue_failed(memory_db, TEAM, CHANNEL) == 0
    assert outbox.requeue_failed_with(memory_db, frozenset({"channel_not_found"})) == 0
    outbox.release_stale(memory_db, alert_id)
    observed.record(alerts_duplicated=len(due_ids(memory_db)))  # a due alert is posted again
    state = alert_state(memory_db, alert_id)
    assert (state["status"], state["last_error"]) == (AlertStatus.SENT, None)
    assert due_ids(memory_db) == []
    (watch_error,) = memory_db.execute("SELECT last_error FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    assert watch_error is None


def test_a_sent_alert_is_recorded_once(memory_db: Database) -> None:
    """A second report of the same delivery (a stale send found in the channel) counts nothing twice."""
    alert_id = factories.alert(memory_db)
    alert = sent(memory_db, alert_id, ts="1700000001.000100")
    outbox.mark_sent(memory_db, alert, ts="1700000001.000100", thread_ts=None)
    (alerts_sent,) = memory_db.execute("SELECT alerts_sent FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    (delivered,) = memory_db.execute("SELECT count(*) FROM audit WHERE action = 'alert delivered'").fetchone()
    assert (alerts_sent, delivered) == (1, 1)


def test_a_rescheduled_alert_is_due_again_at_its_time(memory_db: Database) -> None:
    alert_id = factories.alert(memory_db)
    claimed(memory_db, alert_id)
    later = in_seconds(120)
    outbox.reschedule(memory_db, alert_id, at=later, error="rate limited (429)")
    state = alert_state(memory_db, alert_id)
    assert (state["status"], state["last_error"], state["claimed_at"]) == (
        AlertStatus.PENDING,
        "rate limited (429)",
        None,
    )
    assert due_ids(memory_db) == []
    assert due_ids(memory_db, now=later) == [alert_id]


def test_a_maybe_posted_alert_keeps_its_claim_time_so_the_channel_is_searched_first(memory_db: Database) -> None:
    alert_id = factories.alert(memory_db)
    claimed(memory_db, alert_id)
    claimed_at = alert_state(memory_db, alert_id)["claimed_at"]
    outbox.reschedule(memory_db, alert_id, at=in_seconds(0), error="timeout", maybe_posted=True)
    (again,) = outbox.due_alerts(memory_db)
    assert again.maybe_posted and again.claimed_at == claimed_at
    assert outbox.claim(memory_db, alert_id)


def test_a_failed_alert_waits_until_its_channel_is_fixed(memory_db: Database) -> None:
    alert_id = factories.alert(memory_db)
    other_id = factories.alert(memory_db, channel="C_OTHER")
    alert = claimed(memory_db, alert_id)
    outbox.mark_failed(memory_db, alert, "not_in_channel")
    assert alert_state(memory_db, alert_id)["status"] == AlertStatus.FAILED
    assert due_ids(memory_db) == [other_id]
    (watch_error,) = memory_db.execute("SELECT last_error FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    assert watch_error == "not_in_channel"
    assert not outbox.claim(memory_db, alert_id)
    assert outbox.requeue_failed(memory_db, TEAM, "C_OTHER") == 0
    assert outbox.requeue_failed(memory_db, TEAM, CHANNEL) == 1
    assert due_ids(memory_db) == [alert_id, other_id]
    (watch_error,) = memory_db.execute("SELECT last_error FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    assert watch_error is None


def test_only_alerts_held_by_the_fixed_error_are_requeued(memory_db: Database) -> None:
    token_id, archived_id = factories.alert(memory_db), factories.alert(memory_db, channel="C_ARCHIVED")
    outbox.mark_failed(memory_db, claimed(memory_db, token_id), "invalid_auth")
    outbox.mark_failed(memory_db, claimed(memory_db, archived_id), "is_archived")
    assert outbox.requeue_failed_with(memory_db, frozenset({"invalid_auth", "token_revoked"})) == 1
    assert due_ids(memory_db) == [token_id]
    assert alert_state(memory_db, archived_id)["status"] == AlertStatus.FAILED


def test_a_pending_alert_cannot_be_failed_or_rescheduled_by_a_sender_that_does_not_hold_it(
    memory_db: Database,
) -> None:
    alert_id = factories.alert(memory_db)
    (alert,) = outbox.due_alerts(memory_db)
    outbox.mark_failed(memory_db, alert, "channel_not_found")
    outbox.reschedule(memory_db, alert_id, at=in_seconds(3600), error="timeout")
    assert due_ids(memory_db) == [alert_id]


def test_a_send_claimed_too_long_ago_is_stale_and_can_be_released(memory_db: Database) -> None:
    alert_id = factories.alert(memory_db)
    claimed(memory_db, alert_id)
    minute = timedelta(seconds=60)
    assert outbox.claim_stale_sends(memory_db, older_than=minute) == []
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert [found.id for found in outbox.claim_stale_sends(memory_db, older_than=minute, now=later)] == [alert_id]
    assert outbox.claim_stale_sends(memory_db, older_than=minute, now=later) == []  # claimed once
    outbox.release_stale(memory_db, alert_id)
    assert due_ids(memory_db) == [alert_id]
    outbox.release_stale(memory_db, alert_id)  # not sending any more: nothing changes
    assert alert_state(memory_db, alert_id)["status"] == AlertStatus.PENDING


def test_stale_sends_are_judged_on_an_aware_clock(memory_db: Database) -> None:
    with pytest.raises(ValueError, match="aware"):
        outbox.claim_stale_sends(memory_db, older_than=timedelta(seconds=60), now=datetime.now())  # noqa: DTZ005


def test_removing_the_watch_cancels_its_pending_alert(memory_db: Database) -> None:
    alert_id = factories.alert(memory_db)
    (watch_id,) = memory_db.execute("SELECT watch_id FROM alerts WHERE id = ?", [alert_id]).fetchone()
    remove_watch(memory_db, team_id=TEAM, channel_id=CHANNEL, watch_id=watch_id, user_id=USER)
    assert alert_state(memory_db, alert_id)["status"] == AlertStatus.CANCELLED
    assert not outbox.claim(memory_db, alert_id)
    assert due_ids(memory_db) == []


def test_a_new_source_marks_delivered_alerts_for_an_update(memory_db: Database) -> None:
    alert_id = factories.alert(memory_db)
    pending_id = factories.alert(memory_db, channel="C_LATER")
    sent(memory_db, alert_id)
    for event_id in {alert_state(memory_db, a)["event_id"] for a in (alert_id, pending_id)}:
        outbox.mark_event_changed(memory_db, event_id)
    assert [found.id for found in outbox.alerts_to_update(memory_db)] == [alert_id]
    outbox.mark_updated(memory_db, alert_id)
    assert outbox.alerts_to_update(memory_db) == []
