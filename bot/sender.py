"""The alert sender: delivers the outbox to Slack.

It claims each due alert (so no two senders post it), posts it (threaded per
case), and records the outcome. Its rules:

- Posts to one channel are paced (one per ``post_interval`` seconds, about
  what Slack allows) and one at a time, in queue order, however many
  processes send: each channel has a turn in the database
  (``storage.alerts.claim_next``); other channels do not wait behind a busy one.
- A 429 holds the channel and the alert for its Retry-After.
- A failure after the request may have reached Slack (a timeout, a dropped
  connection, a 5xx, an unreadable answer) means *maybe posted*: before
  posting again, the sender looks for the alert's metadata in the channel,
  as it does for an alert whose sender died between posting and recording.
  Other network errors and 5xx back off exponentially.
- Slack refusing the message itself (``invalid_blocks``, ``msg_too_long``)
  gets one plain-text fallback, in the same thread with the same metadata.
- Permanent errors stop retrying and are shown on the channel's watches;
  alerts held by an auth error are released when ``auth.test`` passes again
  (checked at start and every ``auth_check_seconds``; with OAuth, per workspace).
- With OAuth each alert goes out with its own workspace's token
  (:mod:`bot.workspaces`); the alerts of a workspace where the app is not
  installed are not tried: the workspace is paused (storage.workspaces) and
  they wait for the app to be installed there again.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot import metrics
from bot.logs import alert_fields
from bot.slack_poster import SlackFailure, SlackPoster, alert_metadata
from bot.workspaces import OneWorkspace, Workspaces
from feeds.times import from_iso
from feeds.vocabulary import WatchMode
from handlers.alert_message import alert_fallback, alert_message, digest_fallback, digest_message
from storage import alerts as outbox
from storage.alerts import Alert
from storage.database import ThreadDatabases, storage_reason, write_transaction
from storage.workspaces import pause, resume

log = logging.getLogger(__name__)

AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})
TOO_BIG_ERRORS = frozenset({"invalid_blocks", "msg_too_long"})
PERMANENT_ERRORS = (
    AUTH_ERRORS
    | TOO_BIG_ERRORS
    | frozenset(
        {
            "channel_not_found",
            "not_in_channel",
            "is_archived",
            "no_permission",
            "missing_scope",
            "restricted_action",
            "ekm_access_denied",
            "team_access_not_granted",
        }
    )
)
MAX_BACKOFF_SECONDS = 300
RECENT_SECONDS = 5  # look this far before a claim for the message it may have posted
MAX_CLAIMS = 500  # alerts one pass may post before it refreshes edits and checks the token again


def backoff_seconds(attempts: int) -> float:
    return float(min(MAX_BACKOFF_SECONDS, 2 ** max(0, attempts - 1)))


def failure_outcome(failure: SlackFailure) -> str:
    """How ``/metrics`` counts a failed post (bot.metrics.SEND_OUTCOMES)."""
    if failure.retry_after is not None:
        return "rate_limited"
    return "permanent_error" if failure.code in PERMANENT_ERRORS else "retried"


def iso_time(unix_time: float) -> str:
    """An ISO time as the outbox stores it, rounded up to the second (so a wait is never cut short)."""
    return datetime.fromtimestamp(math.ceil(unix_time), UTC).isoformat(timespec="seconds")


class AlertSender:
    def __init__(
        self,
        databases: ThreadDatabases,
        slack: SlackPoster | Workspaces,
        *,
        stale_after: timedelta = timedelta(seconds=60),
        interval_seconds: float = 1.0,
        post_interval: float = 1.0,
        auth_check_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """``slack``: one poster for every alert, or :class:`Workspaces` (a
        poster per workspace). ``clock`` (Unix time) and ``sleep`` are
        injectable so that tests can measure pacing exactly without waiting."""
        self.databases = databases
        self.workspaces = slack if isinstance(slack, Workspaces) else OneWorkspace(slack)
        self.stale_after = stale_after
        self.interval_seconds = interval_seconds
        self.auth_check_seconds = auth_check_seconds
        self.clock = clock
        self.sleep = sleep
        self.post_interval = post_interval
        self.wake = threading.Event()
        self._next_auth_check = 0.0
        self._stopped = threading.Event()
        self.posting: int | None = None  # the alert being posted now, if any

    # --- the loop -------------------------------------------------------------

    def start(self, stop: threading.Event) -> threading.Thread:
        self._stopped = stop
        thread = threading.Thread(target=self._run, args=(stop,), name="alert-sender", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Claim no more alerts: the one being posted is finished and recorded, then the loop ends."""
        self._stopped.set()
        self.wake.set()

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            pause = self.interval_seconds
            try:
                self.deliver_due()
                pause = self.pause()  # reads the database too: a failure here must not end the thread
            except Exception as error:
                reason = storage_reason(error)  # locked by another process, or the disk is full
                if reason is None:
                    log.exception("alert sender pass failed; retrying")
                else:
                    log.warning("alert sender pass stopped (storage: %s); retrying", reason)
            self.wake.wait(pause)
            self.wake.clear()

    def pause(self) -> float:
        """How long the loop may sleep: until the next pass, or sooner when a
        channel's turn comes free (this process's or another's post)."""
        now = self.clock()
        free_at = outbox.next_turn_free_at(self.databases.get(), now=now)
        return self.interval_seconds if free_at is None else min(self.interval_seconds, max(0.0, free_at - now))

    def deliver_due(self) -> int:
        """One pass: check the token when due, recover crashed sends, post due
        alerts (each claimed with its channel's turn, so one at a time per
        channel across processes, paced), refresh changed ones. Returns alerts posted."""
        self._check_token_when_due()
        db = self.databases.get()
        for alert in outbox.claim_stale_sends(db, older_than=self.stale_after):
            self._recover(alert)
        outbox.open_turns(db, now=self.clock())
        sent = 0
        for _ in range(MAX_CLAIMS):
            if self._stopped.is_set():
                return sent  # stopping: nothing new is claimed or edited
            alert = outbox.claim_next(db, now=self.clock(), interval=self.post_interval)
            if alert is None:
                break
            slack = self._poster(alert.team_id)
            if slack is None:
                outbox.unclaim(db, alert)
                continue
            self.posting = alert.id
            try:
                sent += self._send(alert, slack)
            finally:
                self.posting = None
        for alert in outbox.alerts_to_update(db, stale_after=self.stale_after):
            self._refresh(alert)
        return sent

    def _poster(self, team_id: str) -> SlackPoster | None:
        """The poster of ``team_id``'s workspace; None (and the workspace
        paused, its alerts left waiting) if the app is not installed there."""
        slack = self.workspaces.poster(team_id)
        if slack is not None:
            return slack
        db = self.databases.get()
        if pause(db, team_id, "not installed"):
            if self.workspaces.poster(team_id) is not None:  # installed meanwhile, its resume maybe before this pause
                resume(db, team_id, held_errors=AUTH_ERRORS)
            else:
                log.warning(
                    "the app is not installed in workspace %s: its alerts wait until it is",
                    team_id,
                    extra={"team_id": team_id},
                )
        return None

    def _paced(self) -> float:
        """When a channel posted to now may be posted to again."""
        return self.clock() + self.post_interval

    def _check_token_when_due(self) -> None:
        """``auth.test`` at start and every ``auth_check_seconds``; when the
        token works, release the alerts an auth error held. With a token per
        workspace, each workspace holding such alerts is checked with its own."""
        if self.clock() < self._next_auth_check:
            return
        self._next_auth_check = self.clock() + self.auth_check_seconds
        db = self.databases.get()
        teams = outbox.teams_holding(db, AUTH_ERRORS) if self.workspaces.per_team else [None]
        for team_id in teams:
            slack = self.workspaces.poster(team_id or "")
            if slack is None:
                continue  # not installed: resumed when it is (storage.workspaces.resume)
            try:
                slack.check_auth()
            except SlackFailure as failure:
                log.warning(
                    "Slack token check failed%s: %s",
                    f" for {team_id}" if team_id else "",
                    failure.code,
                    extra={"team_id": team_id},
                )
                continue
            released = outbox.requeue_failed_with(db, AUTH_ERRORS, team_id=team_id)
            if released:
                log.info("the Slack token works again; released %d held alerts", released)

    # --- one alert --------------------------------------------------------------

    def _send(self, alert: Alert, slack: SlackPoster) -> int:
        """Post one claimed alert (first looking for it if it may be posted
        already); record the outcome. Returns 1 if it is now delivered."""
        db = self.databases.get()
        thread_ts = outbox.thread_for(db, alert.team_id, alert.channel_id, alert.case_id)
        if alert.maybe_posted:
            try:
                ts = self._earlier_post(slack, alert, thread_ts)
            except SlackFailure as failure:
                log.warning(
                    "cannot check yet whether alert %s was posted: %s",
                    alert.id,
                    failure.code,
                    extra=alert_fields(alert),
                )
                self._reschedule([alert], failure, maybe_posted=True)
                return 0
            if ts:
                log.info("alert %s had been posted after all; recorded ts %s", alert.id, ts, extra=alert_fields(alert))
                outbox.mark_sent(
                    db, alert, ts=ts, thread_ts=thread_ts if thread_ts != ts else None, posted_earlier=True
                )
                metrics.sent("ok")
                return 1
        view = outbox.alert_view(db, alert)
        common: dict = {
            "channel": alert.channel_id,
            "metadata": alert_metadata(alert.id),
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            common.update(thread_ts=thread_ts, reply_broadcast=view.major)
        try:
            ts = self._post_or_fallback(slack, {**common, **alert_message(view)}, {**common, **alert_fallback(view)})
        except SlackFailure as failure:
            self._failed([alert], failure)
            return 0
        outbox.mark_sent(db, alert, ts=ts, thread_ts=thread_ts, turn_free_at=self._paced())
        log.info("alert %s posted to %s (ts %s)", alert.id, alert.channel_id, ts, extra=alert_fields(alert))
        metrics.sent("ok")
        return 1

    def _post_or_fallback(self, slack: SlackPoster, message: dict, fallback: dict) -> str:
        """Post ``message``; if Slack refuses it for its size or its blocks,
        post ``fallback`` (plain text) once instead. Returns the ts."""
        try:
            return slack.post(message)
        except SlackFailure as failure:
            if failure.code not in TOO_BIG_ERRORS:
                raise
            log.warning("Slack refused a message (%s); posting it as plain text", failure.code)
        return slack.post(fallback)

    def _failed(self, alerts: list[Alert], failure: SlackFailure) -> None:
        """Record a failed post of ``alerts``: wait out a 429 (the channel too),
        hold them for a permanent error, else try again later (looking first if
        maybe posted). The channel's turn is free again, paced from the attempt."""
        db = self.databases.get()
        paced = self._paced()
        metrics.sent(failure_outcome(failure))
        if failure.retry_after is not None:
            until = self.clock() + failure.retry_after
            at = iso_time(until)
            for alert in alerts:
                outbox.reschedule(db, alert.id, at=at, error="rate limited (429)", turn_free_at=max(paced, until))
        elif failure.code in PERMANENT_ERRORS:
            log.warning(
                "alerts to %s failed for good: %s", alerts[0].channel_id, failure.code, extra=alert_fields(alerts[0])
            )
            for alert in alerts:
                outbox.mark_failed(db, alert, failure.code, turn_free_at=paced)
        else:
            self._reschedule(alerts, failure, maybe_posted=failure.maybe_done, turn_free_at=paced)

    def _reschedule(
        self, alerts: list[Alert], failure: SlackFailure, *, maybe_posted: bool, turn_free_at: float | None = None
    ) -> None:
        db = self.databases.get()
        for alert in alerts:
            at = iso_time(self.clock() + backoff_seconds(alert.attempts + 1))
            outbox.reschedule(
                db, alert.id, at=at, error=failure.code, maybe_posted=maybe_posted, turn_free_at=turn_free_at
            )

    def _refresh(self, alert: Alert) -> None:
        """An event gained a source after its alert went out: edit the message
        (as plain text if Slack refuses the blocks). Tried again next pass
        while Slack is unreachable or unsure; given up if Slack refuses it
        (message deleted, too old to edit …), leaving the message as it was."""
        slack = self.workspaces.poster(alert.team_id)
        if slack is None:
            return  # not installed: updated once it is again
        db = self.databases.get()
        shown = outbox.claim_edit(db, alert.id, stale_after=self.stale_after)
        if shown is None:
            return  # current now, or another sender edits it
        view = outbox.alert_view(db, alert)  # read after the claim: it shows at least ``shown`` changes
        try:
            try:
                slack.update(alert.channel_id, alert.message_ts, alert_message(view))
            except SlackFailure as failure:
                if failure.code not in TOO_BIG_ERRORS:
                    raise
                slack.update(alert.channel_id, alert.message_ts, {**alert_fallback(view), "blocks": []})
        except SlackFailure as failure:
            log.warning("could not update alert %s: %s", alert.id, failure.code, extra=alert_fields(alert))
            if failure.retry_after is not None:
                outbox.hold_turn(db, alert.team_id, alert.channel_id, until=self.clock() + failure.retry_after)
            if failure.retry_after is not None or not failure.refused:
                outbox.release_edit(db, alert.id)
                return
        outbox.finish_edit(db, alert.id, shown=shown)

    def _recover(self, alert: Alert) -> None:
        """The sender that claimed this alert died: was it posted after all?
        If Slack cannot tell us for now, ask again next pass rather than risk
        a second post; if it never can (no history scope), send it again."""
        slack = self.workspaces.poster(alert.team_id)
        if slack is None:
            return  # not installed: recovered once it is again
        db = self.databases.get()
        thread_ts = outbox.thread_for(db, alert.team_id, alert.channel_id, alert.case_id)
        try:
            ts = self._earlier_post(slack, alert, thread_ts)
        except SlackFailure as failure:
            log.warning(
                "cannot check yet whether alert %s was posted: %s", alert.id, failure.code, extra=alert_fields(alert)
            )
            outbox.give_up_recovery(db, alert.id)
            return
        if ts:
            outbox.mark_sent(db, alert, ts=ts, thread_ts=thread_ts if thread_ts != ts else None, posted_earlier=True)
            log.info("alert %s had been posted before a crash; recorded ts %s", alert.id, ts, extra=alert_fields(alert))
        else:
            outbox.release_stale(db, alert.id)

    def _earlier_post(self, slack: SlackPoster, alert: Alert, thread_ts: str | None) -> str | None:
        """The ts of this alert's message if an earlier attempt posted it. Raises
        SlackFailure while Slack cannot tell; None (send again) if it never can."""
        claimed = from_iso(alert.claimed_at).timestamp() if alert.claimed_at else 0.0
        try:
            return slack.find_posted(
                alert.channel_id, alert.id, thread_ts=thread_ts, oldest=max(0.0, claimed - RECENT_SECONDS)
            )
        except SlackFailure as failure:
            if failure.code not in PERMANENT_ERRORS:
                raise
            log.warning(
                "cannot check whether alert %s was posted (%s); sending it again",
                alert.id,
                failure.code,
                extra=alert_fields(alert),
            )
            return None

    # --- digests ------------------------------------------------------------------

    def send_digests(self, modes: tuple[WatchMode, ...], *, period: WatchMode, period_start: str | None = None) -> int:
        """Post one digest per channel with pending digest alerts in ``modes``;
        nothing where there is nothing new. Returns messages posted. A scheduled
        run names its period's start (ISO): a channel that already had that
        period's digest, from any process, gets none (the ``digest`` command
        gives none: it posts what is pending now)."""
        db = self.databases.get()
        posted = 0
        for team_id, channel_id in outbox.digest_channels(db, modes):
            slack = self._poster(team_id)
            if slack is None:
                continue
            with write_transaction(db):
                if period_start and not outbox.start_digest_run(db, team_id, channel_id, period, period_start):
                    continue
                batch = [a for a in outbox.digest_alerts(db, team_id, channel_id, modes) if outbox.claim(db, a.id)]
            if not batch:
                continue
            views = [outbox.alert_view(db, a) for a in batch]
            common = {"channel": channel_id, "metadata": alert_metadata(batch[0].id), "unfurl_links": False}
            self.sleep(max(0.0, outbox.channel_free_at(db, team_id, channel_id) - self.clock()))
            try:
                ts = self._post_or_fallback(
                    slack,
                    {**common, **digest_message(views, period=period)},
                    {**common, **digest_fallback(views, period=period)},
                )
            except SlackFailure as failure:
                until = self._paced() if failure.retry_after is None else self.clock() + failure.retry_after
                outbox.hold_turn(db, team_id, channel_id, until=until)
                ts = self._digest_posted_after_all(slack, failure, batch[0])
                if ts is None:
                    self._failed(batch, failure)
                    continue
            outbox.hold_turn(db, team_id, channel_id, until=self._paced())
            for alert in batch:
                outbox.mark_sent(db, alert, ts=ts, thread_ts=None, record_thread=False)
            metrics.sent("ok")
            posted += 1
        return posted

    def _digest_posted_after_all(self, slack: SlackPoster, failure: SlackFailure, first: Alert) -> str | None:
        """A digest post that may have reached Slack: look for it at once (by
        its first alert's id), as the next digest would repeat it."""
        if not failure.maybe_done:
            return None
        try:
            return self._earlier_post(slack, first, None)
        except SlackFailure:
            return None
