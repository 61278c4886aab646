"""The outbox's state machine (storage.alerts), driven directly on a migrated
in-memory database: enqueue → due → claim → sent, rescheduled, maybe posted,
failed and requeued, stale sends; and the transitions that must do nothing
(a claimed alert is not claimed again, a sent one is never requeued, so no
alert is ever posted twice). The sender's use of it is tested in
test_sender.py, and end to end in test_alerts_e2e.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feeds.match import Hit
from feeds.vocabulary import AlertStatus, FeedKind, WatchMode
from storage import alerts as outbox
from storage.alerts import Alert
from storage.database import write_transaction
from storage.engine import Connection
from storage.watches import remove_watch
from tests import factories
from tests.factories import CHANNEL, TEAM, USER, alert_state
from tests.reliability import Observed


def due_ids(db: Connection, **options: object) -> list[int]:
    return [found.id for found in outbox.due_alerts(db, **options)]


def claimed(db: Connection, alert_id: int) -> Alert:
    """The alert as the sender holds it after claiming it (taken from the due list, as the sender does)."""
    (found,) = [due for due in outbox.due_alerts(db) if due.id == alert_id]
    assert outbox.claim(db, alert_id)
    return found


def sent(db: Connection, alert_id: int, ts: str = "1700000001.000100") -> Alert:
    found = claimed(db, alert_id)
    outbox.mark_sent(db, found, ts=ts, thread_ts=None)
    return found


def in_seconds(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def test_an_enqueued_instant_alert_is_due_at_once(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    assert alert_state(stored_db, alert_id)["status"] == AlertStatus.PENDING
    assert due_ids(stored_db) == [alert_id]


def test_one_alert_per_channel_and_event_naming_every_watched_term(stored_db: Connection) -> None:
    source = factories.feed(stored_db)
    what = factories.extraction(caption="SEC v. Acme Widgets Inc.", plaintiffs=["SEC"], defendants=["Acme Widgets"])
    stored, event_id, _ = factories.event(stored_db, source, what)
    daily = factories.watch_target(stored_db, factories.watch(stored_db, "Acme", mode=WatchMode.DAILY))
    instant = factories.watch_target(stored_db, factories.watch(stored_db, "Acme Widgets"))
    with write_transaction(stored_db):
        first = outbox.enqueue(
            stored_db, event_id=event_id, case_id=stored.case_id, hits=[Hit(daily, "Acme")], routine=False
        )
        again = outbox.enqueue(
            stored_db,
            event_id=event_id,
            case_id=stored.case_id,
            hits=[Hit(daily, "Acme"), Hit(instant, "Acme Widgets")],
            routine=False,
        )
    assert (first, again) == (1, 0)
    (only,) = outbox.due_alerts(stored_db)
    assert only.matched_term == "Acme, Acme Widgets"
    assert only.mode == WatchMode.INSTANT  # one instant watch is enough to alert at once


def test_a_routine_entry_alerts_only_watches_that_ask_for_all(stored_db: Connection) -> None:
    source = factories.feed(stored_db, FeedKind.COURT, agency="PACER D.D.C.")
    what = factories.extraction(caption="SEC v. Acme Widgets Inc.", plaintiffs=["SEC"], defendants=["Acme Widgets"])
    stored, event_id, _ = factories.event(stored_db, source, what)
    quiet = factories.watch_target(stored_db, factories.watch(stored_db, "Acme Widgets", channel="C_QUIET"))
    everything = factories.watch_target(
        stored_db, factories.watch(stored_db, "Acme Widgets", channel="C_ALL", include_routine=True)
    )
    hits = [Hit(quiet, quiet.term), Hit(everything, everything.term)]
    with write_transaction(stored_db):
        created = outbox.enqueue(stored_db, event_id=event_id, case_id=stored.case_id, hits=hits, routine=True)
    assert created == 1
    assert [found.channel_id for found in outbox.due_alerts(stored_db)] == ["C_ALL"]


@pytest.mark.parametrize("mode", [WatchMode.DAILY, WatchMode.WEEKLY])
def test_digest_alerts_wait_for_their_digest(stored_db: Connection, mode: WatchMode) -> None:
    alert_id = factories.alert(stored_db, mode=mode)
    assert due_ids(stored_db) == []
    assert outbox.digest_channels(stored_db, (mode,)) == [(TEAM, CHANNEL)]
    assert [found.id for found in outbox.digest_alerts(stored_db, TEAM, CHANNEL, (mode,))] == [alert_id]


def test_a_claimed_alert_cannot_be_claimed_again(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    assert outbox.claim(stored_db, alert_id)
    assert not outbox.claim(stored_db, alert_id)
    state = alert_state(stored_db, alert_id)
    assert (state["status"], state["attempts"]) == (AlertStatus.SENDING, 1)
    assert due_ids(stored_db) == []


def test_sent_records_the_message_the_thread_the_watch_and_the_audit(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    alert = sent(stored_db, alert_id, ts="1700000001.000100")
    state = alert_state(stored_db, alert_id)
    assert (state["status"], state["message_ts"]) == (AlertStatus.SENT, "1700000001.000100")
    assert outbox.thread_for(stored_db, TEAM, CHANNEL, alert.case_id) == "1700000001.000100"
    (alerts_sent,) = stored_db.execute("SELECT alerts_sent FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    assert alerts_sent == 1
    (delivered,) = stored_db.execute("SELECT count(*) FROM audit WHERE action = 'alert delivered'").fetchone()
    assert delivered == 1


@pytest.mark.reliability(
    "a late sender reports a timeout or a refusal for an alert another sender already delivered", kind="slack fault"
)
def test_a_sent_alert_is_never_claimed_requeued_or_failed(stored_db: Connection, observed: Observed) -> None:
    alert_id = factories.alert(stored_db)
    alert = sent(stored_db, alert_id)
    assert not outbox.claim(stored_db, alert_id)
    outbox.reschedule(stored_db, alert_id, at=in_seconds(0), error="timeout", maybe_posted=True)
    outbox.mark_failed(stored_db, alert, "channel_not_found")
    assert outbox.requeue_failed(stored_db, TEAM, CHANNEL) == 0
    assert outbox.requeue_failed_with(stored_db, frozenset({"channel_not_found"})) == 0
    outbox.release_stale(stored_db, alert_id)
    observed.record(alerts_duplicated=len(due_ids(stored_db)))  # a due alert is posted again
    state = alert_state(stored_db, alert_id)
    assert (state["status"], state["last_error"]) == (AlertStatus.SENT, None)
    assert due_ids(stored_db) == []
    (watch_error,) = stored_db.execute("SELECT last_error FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    assert watch_error is None


def test_a_sent_alert_is_recorded_once(stored_db: Connection) -> None:
    """A second report of the same delivery (a stale send found in the channel) counts nothing twice."""
    alert_id = factories.alert(stored_db)
    alert = sent(stored_db, alert_id, ts="1700000001.000100")
    outbox.mark_sent(stored_db, alert, ts="1700000001.000100", thread_ts=None)
    (alerts_sent,) = stored_db.execute("SELECT alerts_sent FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    (delivered,) = stored_db.execute("SELECT count(*) FROM audit WHERE action = 'alert delivered'").fetchone()
    assert (alerts_sent, delivered) == (1, 1)


def test_a_rescheduled_alert_is_due_again_at_its_time(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    claimed(stored_db, alert_id)
    later = in_seconds(120)
    outbox.reschedule(stored_db, alert_id, at=later, error="rate limited (429)")
    state = alert_state(stored_db, alert_id)
    assert (state["status"], state["last_error"], state["claimed_at"]) == (
        AlertStatus.PENDING,
        "rate limited (429)",
        None,
    )
    assert due_ids(stored_db) == []
    assert due_ids(stored_db, now=later) == [alert_id]


def test_a_maybe_posted_alert_keeps_its_claim_time_so_the_channel_is_searched_first(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    claimed(stored_db, alert_id)
    claimed_at = alert_state(stored_db, alert_id)["claimed_at"]
    outbox.reschedule(stored_db, alert_id, at=in_seconds(0), error="timeout", maybe_posted=True)
    (again,) = outbox.due_alerts(stored_db)
    assert again.maybe_posted and again.claimed_at == claimed_at
    assert outbox.claim(stored_db, alert_id)


def test_a_failed_alert_waits_until_its_channel_is_fixed(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    other_id = factories.alert(stored_db, channel="C_OTHER")
    alert = claimed(stored_db, alert_id)
    outbox.mark_failed(stored_db, alert, "not_in_channel")
    assert alert_state(stored_db, alert_id)["status"] == AlertStatus.FAILED
    assert due_ids(stored_db) == [other_id]
    (watch_error,) = stored_db.execute("SELECT last_error FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    assert watch_error == "not_in_channel"
    assert not outbox.claim(stored_db, alert_id)
    assert outbox.requeue_failed(stored_db, TEAM, "C_OTHER") == 0
    assert outbox.requeue_failed(stored_db, TEAM, CHANNEL) == 1
    assert due_ids(stored_db) == [alert_id, other_id]
    (watch_error,) = stored_db.execute("SELECT last_error FROM watches WHERE id = ?", [alert.watch_id]).fetchone()
    assert watch_error is None


def test_only_alerts_held_by_the_fixed_error_are_requeued(stored_db: Connection) -> None:
    token_id, archived_id = factories.alert(stored_db), factories.alert(stored_db, channel="C_ARCHIVED")
    outbox.mark_failed(stored_db, claimed(stored_db, token_id), "invalid_auth")
    outbox.mark_failed(stored_db, claimed(stored_db, archived_id), "is_archived")
    assert outbox.requeue_failed_with(stored_db, frozenset({"invalid_auth", "token_revoked"})) == 1
    assert due_ids(stored_db) == [token_id]
    assert alert_state(stored_db, archived_id)["status"] == AlertStatus.FAILED


def test_a_pending_alert_cannot_be_failed_or_rescheduled_by_a_sender_that_does_not_hold_it(
    stored_db: Connection,
) -> None:
    alert_id = factories.alert(stored_db)
    (alert,) = outbox.due_alerts(stored_db)
    outbox.mark_failed(stored_db, alert, "channel_not_found")
    outbox.reschedule(stored_db, alert_id, at=in_seconds(3600), error="timeout")
    assert due_ids(stored_db) == [alert_id]


def test_a_send_claimed_too_long_ago_is_stale_and_can_be_released(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    claimed(stored_db, alert_id)
    minute = timedelta(seconds=60)
    assert outbox.claim_stale_sends(stored_db, older_than=minute) == []
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert [found.id for found in outbox.claim_stale_sends(stored_db, older_than=minute, now=later)] == [alert_id]
    assert outbox.claim_stale_sends(stored_db, older_than=minute, now=later) == []  # claimed once
    outbox.release_stale(stored_db, alert_id)
    assert due_ids(stored_db) == [alert_id]
    outbox.release_stale(stored_db, alert_id)  # not sending any more: nothing changes
    assert alert_state(stored_db, alert_id)["status"] == AlertStatus.PENDING


def test_stale_sends_are_judged_on_an_aware_clock(stored_db: Connection) -> None:
    with pytest.raises(ValueError, match="aware"):
        outbox.claim_stale_sends(stored_db, older_than=timedelta(seconds=60), now=datetime.now())  # noqa: DTZ005


def test_removing_the_watch_cancels_its_pending_alert(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    (watch_id,) = stored_db.execute("SELECT watch_id FROM alerts WHERE id = ?", [alert_id]).fetchone()
    remove_watch(stored_db, team_id=TEAM, channel_id=CHANNEL, watch_id=watch_id, user_id=USER)
    assert alert_state(stored_db, alert_id)["status"] == AlertStatus.CANCELLED
    assert not outbox.claim(stored_db, alert_id)
    assert due_ids(stored_db) == []


def test_a_new_source_marks_delivered_alerts_for_an_update(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    pending_id = factories.alert(stored_db, channel="C_LATER")
    sent(stored_db, alert_id)
    for event_id in {alert_state(stored_db, a)["event_id"] for a in (alert_id, pending_id)}:
        outbox.mark_event_changed(stored_db, event_id)
    assert [found.id for found in outbox.alerts_to_update(stored_db)] == [alert_id]
    shown = outbox.claim_edit(stored_db, alert_id)
    assert shown == 1
    outbox.finish_edit(stored_db, alert_id, shown=shown)
    assert outbox.alerts_to_update(stored_db) == []


def event_of(db: Connection, alert_id: int) -> int:
    return alert_state(db, alert_id)["event_id"]


def test_a_source_joining_during_an_edit_is_left_for_the_next(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    sent(stored_db, alert_id)
    outbox.mark_event_changed(stored_db, event_of(stored_db, alert_id))
    shown = outbox.claim_edit(stored_db, alert_id)
    outbox.mark_event_changed(stored_db, event_of(stored_db, alert_id))  # after the edit read its view
    outbox.finish_edit(stored_db, alert_id, shown=shown)
    assert [found.id for found in outbox.alerts_to_update(stored_db)] == [alert_id]


def test_a_source_joining_while_the_alert_is_posted_is_left_for_an_edit(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    outbox.mark_event_changed(stored_db, event_of(stored_db, alert_id))  # before the claim: the post shows it
    found = claimed(stored_db, alert_id)
    outbox.mark_event_changed(stored_db, event_of(stored_db, alert_id))  # after the post read its view
    outbox.mark_sent(stored_db, found, ts="1700000001.000100", thread_ts=None)
    assert outbox.claim_edit(stored_db, alert_id) == 1


def test_a_message_found_posted_by_an_earlier_attempt_is_edited_once(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    found = claimed(stored_db, alert_id)
    outbox.mark_sent(stored_db, found, ts="1700000001.000100", thread_ts=None, posted_earlier=True)
    assert [found.id for found in outbox.alerts_to_update(stored_db)] == [alert_id]


def test_one_sender_at_a_time_edits_an_alert_until_its_claim_is_stale(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    sent(stored_db, alert_id)
    outbox.mark_event_changed(stored_db, event_of(stored_db, alert_id))
    assert outbox.claim_edit(stored_db, alert_id) == 1
    assert outbox.claim_edit(stored_db, alert_id) is None  # another sender edits it
    assert outbox.alerts_to_update(stored_db) == []
    later = datetime.now(UTC) + timedelta(seconds=61)  # that sender died mid-edit
    assert [found.id for found in outbox.alerts_to_update(stored_db, now=later)] == [alert_id]
    assert outbox.claim_edit(stored_db, alert_id, now=later) == 1


def test_an_edit_not_made_is_tried_again(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db)
    sent(stored_db, alert_id)
    outbox.mark_event_changed(stored_db, event_of(stored_db, alert_id))
    outbox.claim_edit(stored_db, alert_id)
    outbox.release_edit(stored_db, alert_id)
    assert outbox.claim_edit(stored_db, alert_id) == 1


def test_a_digested_alert_is_never_edited_into_a_single_alert(stored_db: Connection) -> None:
    alert_id = factories.alert(stored_db, mode=WatchMode.DAILY)
    (found,) = outbox.digest_alerts(stored_db, TEAM, CHANNEL, (WatchMode.DAILY,))
    assert outbox.claim(stored_db, alert_id)
    outbox.mark_sent(stored_db, found, ts="1700000001.000100", thread_ts=None, record_thread=False)
    outbox.mark_event_changed(stored_db, event_of(stored_db, alert_id))
    assert outbox.alerts_to_update(stored_db) == []  # the digest's message lists other alerts too
