"""The alert sender's view of Slack: post, update, find what was posted, check
the token. :class:`SlackPoster` is the protocol the sender's rules are written
against (tests drive them with an in-memory fake); :class:`WebApiPoster` is the
real one, a thin layer over slack_sdk's ``WebClient``.

Every failure is one :class:`SlackFailure`, which says what the sender needs to
know: Slack's error code, whether the request may have taken effect anyway
(a timeout, a dropped connection, a 5xx, an unreadable answer: Slack may have
posted the message), and how long a 429 asked us to wait.
"""

from __future__ import annotations

import http.client
import re
from typing import Protocol
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

METADATA_TYPE = "casewatch_alert"
HISTORY_PAGES = 5  # pages of 200 messages searched for an alert already posted
_SLACK_CODE = re.compile(r"[a-z0-9_]+")


class SlackFailure(Exception):
    """A Web API call that did not succeed.

    ``code``: Slack's error code (``not_in_channel``, ``ratelimited`` …) or a
    short reason (``timeout``, ``HTTP 503``); ``refused``: Slack read the
    request and answered no (nothing was done); ``maybe_done``: the request
    may have reached Slack and taken effect (no clear answer); neither: it
    never reached Slack (connection refused). ``retry_after``: the seconds a
    429 asked us to wait (None if not rate limited)."""

    def __init__(self, code: str, *, refused: bool = False, maybe_done: bool = False, retry_after: float | None = None):
        super().__init__(code)
        self.code = code
        self.refused = refused
        self.maybe_done = maybe_done
        self.retry_after = retry_after


class SlackPoster(Protocol):
    def post(self, message: dict) -> str:
        """``chat.postMessage`` with these arguments; the new message's ts."""

    def update(self, channel: str, ts: str, message: dict) -> None:
        """``chat.update`` of the message ``ts`` with ``text`` and ``blocks``."""

    def find_posted(self, channel: str, alert_id: int, *, thread_ts: str | None, oldest: float) -> str | None:
        """The ts of the message carrying ``alert_id`` in its metadata, posted
        in ``channel`` (in the thread ``thread_ts`` if given) since ``oldest``
        (a Unix time); None if there is none."""

    def check_auth(self) -> None:
        """``auth.test``: returns if the token works, raises SlackFailure if not."""


def alert_metadata(alert_id: int) -> dict:
    return {"event_type": METADATA_TYPE, "event_payload": {"alert_id": alert_id}}


def carries_alert(message: dict, alert_id: int) -> bool:
    metadata = message.get("metadata") or {}
    return metadata.get("event_type") == METADATA_TYPE and metadata.get("event_payload", {}).get("alert_id") == alert_id


class WebApiPoster:
    """:class:`SlackPoster` over a ``WebClient``. The client must not retry by
    itself (``retry_handlers=[]``): a retried post may post twice; the outbox
    owns retries."""

    def __init__(self, client: WebClient):
        self.client = client

    def post(self, message: dict) -> str:
        try:
            return self.client.chat_postMessage(**message)["ts"]
        except Exception as error:
            raise as_failure(error) from error

    def update(self, channel: str, ts: str, message: dict) -> None:
        try:
            self.client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message.get("blocks", []))
        except Exception as error:
            raise as_failure(error) from error

    def find_posted(self, channel: str, alert_id: int, *, thread_ts: str | None, oldest: float) -> str | None:
        cursor = None
        try:
            for _ in range(HISTORY_PAGES):
                page = {"channel": channel, "include_all_metadata": True, "limit": 200, "cursor": cursor}
                if thread_ts:
                    response = self.client.conversations_replies(ts=thread_ts, **page)
                else:
                    response = self.client.conversations_history(oldest=f"{oldest:.6f}", **page)
                for message in response.get("messages", []):
                    if carries_alert(message, alert_id):
                        return message["ts"]
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not response.get("has_more") or not cursor:
                    return None
        except Exception as error:
            raise as_failure(error) from error
        return None

    def check_auth(self) -> None:
        try:
            self.client.auth_test()
        except Exception as error:
            raise as_failure(error) from error


def as_failure(error: Exception) -> SlackFailure:
    """What a slack_sdk call's exception means for the sender (see :class:`SlackFailure`)."""
    if isinstance(error, SlackApiError):
        return _answered(error)
    reason = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, ConnectionRefusedError):
        return SlackFailure("connection refused")  # nothing was sent
    if isinstance(reason, TimeoutError):
        return SlackFailure("timeout", maybe_done=True)
    if isinstance(error, SlackClientError):
        return SlackFailure(type(error).__name__)  # refused by the client before sending
    if isinstance(reason, OSError | http.client.HTTPException):
        return SlackFailure(type(reason).__name__, maybe_done=True)  # dropped, reset, cut short
    raise error  # a bug, not a Slack failure


def _answered(error: SlackApiError) -> SlackFailure:
    response = error.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or "")
    if status == 429:
        retry_after = str(response.headers.get("Retry-After") or response.headers.get("retry-after") or "1")
        seconds = float(retry_after) if retry_after.isdigit() else 1.0
        return SlackFailure("ratelimited", refused=True, retry_after=seconds)
    if status >= 500:
        return SlackFailure(code if _SLACK_CODE.fullmatch(code) else f"HTTP {status}", maybe_done=True)
    if _SLACK_CODE.fullmatch(code):
        return SlackFailure(code, refused=True)
    if status == 200:
        return SlackFailure("unreadable answer", maybe_done=True)
    return SlackFailure(f"HTTP {status}", refused=True)
