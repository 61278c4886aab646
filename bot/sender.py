"""The alert sender: delivers the outbox to Slack.

It claims each due alert (so no two senders post it), posts it (threaded per
case), and records the outcome. Slack's 429 is retried after its Retry-After;
5xx and network errors back off exponentially; permanent errors stop retrying
and are shown on the channel's watches. Every message carries the alert id as
Slack message metadata, so an alert whose sender died between posting and
recording is found in the channel instead of being posted again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.alert_message import alert_message, digest_message
from storage import alerts as outbox
from storage.alerts import Alert
from storage.database import ThreadDatabases, write_transaction

log = logging.getLogger(__name__)

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_authed",
        "restricted_action",
        "ekm_access_denied",
        "team_access_not_granted",
        "invalid_blocks",
        "msg_too_long",
    }
)
METADATA_TYPE = "casewatch_alert"
MAX_BACKOFF_SECONDS = 300


def backoff_seconds(attempts: int) -> float:
    return float(min(MAX_BACKOFF_SECONDS, 2 ** max(0, attempts - 1)))


class AlertSender:
    def __init__(
        self,
        databases: ThreadDatabases,
        client: WebClient,
        *,
        stale_after: timedelta = timedelta(seconds=60),
        interval_seconds: float = 1.0,
    ):
        self.databases = databases
        self.client = client
        self.stale_after = stale_after
        self.interval_seconds = interval_seconds
        self.wake = threading.Event()

    # --- the loop -------------------------------------------------------------

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self._run, args=(stop,), name="alert-sender", daemon=True)
        thread.start()
        return thread

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.deliver_due()
            except Exception:
                log.exception("alert sender pass failed; retrying")
            self.wake.wait(self.interval_seconds)
            self.wake.clear()

    def deliver_due(self) -> int:
        """One pass: recover crashed sends, post due alerts, refresh changed ones."""
        db = self.databases.get()
        for alert in outbox.stale_sending(db, older_than=self.stale_after):
            self._recover(alert)
        sent = 0
        for alert in outbox.due_alerts(db):
            if outbox.claim(db, alert.id):
                sent += self._send(alert)
        for alert in outbox.alerts_to_update(db):
            self._refresh(alert)
        return sent

    # --- one alert --------------------------------------------------------------

    def _send(self, alert: Alert) -> int:
        db = self.databases.get()
        view = outbox.alert_view(db, alert)
        thread_ts = outbox.thread_for(db, alert.team_id, alert.channel_id, alert.case_id)
        message = alert_message(view)
        arguments: dict = {
            "channel": alert.channel_id,
            "text": message["text"],
            "blocks": message["blocks"],
            "unfurl_links": False,
            "unfurl_media": False,
            "metadata": {"event_type": METADATA_TYPE, "event_payload": {"alert_id": alert.id}},
        }
        if thread_ts:
            arguments.update(thread_ts=thread_ts, reply_broadcast=view.major)
        ok = self._call(lambda: self.client.chat_postMessage(**arguments), [alert])
        if ok is None:
            return 0
        outbox.mark_sent(db, alert, ts=ok["ts"], thread_ts=thread_ts)
        return 1

    def _refresh(self, alert: Alert) -> None:
        """An event gained a source after its alert went out: edit the message."""
        db = self.databases.get()
        message = alert_message(outbox.alert_view(db, alert))
        try:
            self.client.chat_update(
                channel=alert.channel_id, ts=alert.message_ts, text=message["text"], blocks=message["blocks"]
            )
        except (SlackApiError, SlackClientError, OSError) as error:
            log.warning("could not update alert %s: %s", alert.id, error)
            return
        outbox.mark_updated(db, alert.id)

    def _recover(self, alert: Alert) -> None:
        """The sender that claimed this alert died: was it posted after all?
        If Slack cannot tell us for now, ask again next pass rather than risk
        a second post; if it never can (no history scope), send it again."""
        db = self.databases.get()
        thread_ts = outbox.thread_for(db, alert.team_id, alert.channel_id, alert.case_id)
        try:
            ts = self._find_posted(alert, thread_ts)
        except SlackApiError as error:
            code = str(error.response.get("error") or error.response.status_code)
            if code not in PERMANENT_ERRORS:
                log.warning("cannot check yet whether alert %s was posted: %s", alert.id, code)
                return
            log.warning("cannot check whether alert %s was posted (%s); sending it again", alert.id, code)
            ts = None
        except (SlackClientError, OSError) as error:
            log.warning("cannot check yet whether alert %s was posted: %s", alert.id, type(error).__name__)
            return
        if ts:
            outbox.mark_sent(db, alert, ts=ts, thread_ts=thread_ts if thread_ts != ts else None)
            log.info("alert %s had been posted before a crash; recorded ts %s", alert.id, ts)
        else:
            outbox.release_stale(db, alert.id)

    def _find_posted(self, alert: Alert, thread_ts: str | None) -> str | None:
        """The ts of this alert's message in the channel, found by its metadata."""
        if thread_ts:
            response = self.client.conversations_replies(
                channel=alert.channel_id, ts=thread_ts, include_all_metadata=True, limit=200
            )
        else:
            claimed = datetime.fromisoformat(alert.claimed_at).timestamp() if alert.claimed_at else 0
            response = self.client.conversations_history(
                channel=alert.channel_id, oldest=str(claimed - 5), include_all_metadata=True, limit=200
            )
        for message in response.get("messages", []):
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_TYPE
                and metadata.get("event_payload", {}).get("alert_id") == alert.id
            ):
                return message["ts"]
        return None

    def _call(self, post: Callable[[], dict], alerts: list[Alert]) -> dict | None:
        """Run one Web API call for ``alerts``; on failure, reschedule or fail them."""
        db = self.databases.get()
        try:
            return post()
        except SlackApiError as error:
            status = error.response.status_code
            code = str(error.response.get("error") or f"HTTP {status}")
            if status == 429:
                retry_after = error.response.headers.get("Retry-After", "1")
                delay = float(retry_after) if str(retry_after).isdigit() else 1.0
                for alert in alerts:
                    outbox.reschedule(db, alert.id, delay_seconds=delay, error="rate limited (429)")
            elif code in PERMANENT_ERRORS:
                log.warning("alerts to %s failed for good: %s", alerts[0].channel_id, code)
                for alert in alerts:
                    outbox.mark_failed(db, alert, code)
            else:
                for alert in alerts:
                    outbox.reschedule(db, alert.id, delay_seconds=backoff_seconds(alert.attempts + 1), error=code)
        except (SlackClientError, OSError) as error:
            for alert in alerts:
                outbox.reschedule(
                    db, alert.id, delay_seconds=backoff_seconds(alert.attempts + 1), error=type(error).__name__
                )
        return None

    # --- digests ------------------------------------------------------------------

    def send_digests(self, modes: tuple[str, ...], *, period: str) -> int:
        """Post one digest per channel with pending digest alerts in ``modes``;
        nothing where there is nothing new. Returns messages posted."""
        db = self.databases.get()
        posted = 0
        for team_id, channel_id in outbox.digest_channels(db, modes):
            with write_transaction(db):
                batch = [a for a in outbox.digest_alerts(db, team_id, channel_id, modes) if outbox.claim(db, a.id)]
            if not batch:
                continue
            message = digest_message([outbox.alert_view(db, a) for a in batch], period=period)
            ok = self._call(
                lambda message=message, channel_id=channel_id: self.client.chat_postMessage(
                    channel=channel_id, text=message["text"], blocks=message["blocks"], unfurl_links=False
                ),
                batch,
            )
            if ok is None:
                continue
            for alert in batch:
                outbox.mark_sent(db, alert, ts=ok["ts"], thread_ts=None, record_thread=False)
            posted += 1
        return posted
