"""Checking a request to ``/slack/events`` before Bolt reads it.

Bolt trusts a signed request's shape: a body that is not UTF-8, a ``payload``
that is not JSON, an ``event`` that is a list or a ``team_id`` that is a
number make it (or a listener) raise, and the user's request ends in a 500.
Here the body is read as Slack sends it (form or JSON, with a JSON
``payload`` for interactions), and the fields Bolt and the listeners read are
checked to be of the type Slack documents. A bad signature is answered 401
first, as Bolt would, so nothing about the shape is said to strangers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl

MAX_CLOCK_SKEW_SECONDS = 5 * 60

# Fields that Slack sends as text (or leaves out, or sends as null).
TEXT_FIELDS = (
    "type",
    "token",
    "team_id",
    "enterprise_id",
    "user_id",
    "channel_id",
    "api_app_id",
    "command",
    "text",
    "response_url",
    "trigger_id",
    "event_id",
    "callback_id",
    "action_id",
    "value",
    "tab",
)
# Fields that are an id, or an object with an ``id`` (``"user": "U1"`` in events, ``{"id": "U1"}`` in interactions).
ID_OR_OBJECT_FIELDS = ("team", "user", "channel", "enterprise")
OBJECT_FIELDS = ("view", "container", "message", "previous_message", "item", "state")
LIST_OF_OBJECTS_FIELDS = ("authorizations", "actions", "response_urls")
# What each kind of request must carry for the listeners to act on it.
REQUIRED = {
    "command": ("team_id", "channel_id", "user_id"),
    "block_actions": ("actions", "user"),
    "event_callback": ("event",),
    "url_verification": ("challenge",),
}


class MalformedRequest(Exception):
    """``str()`` says briefly what is wrong, for the log (never the body itself)."""


def signed(body: bytes, timestamp: str | None, signature: str | None, secret: str, now: float | None = None) -> bool:
    """Slack's request signature over the raw bytes, and a timestamp within five minutes."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode(errors="replace"))


def parse(body: bytes, content_type: str) -> dict:
    """The request as Slack meant it; raises :class:`MalformedRequest`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequest("the body is not UTF-8") from error
    if not text:
        return {}
    if content_type.split(";")[0].strip().lower() == "application/json" or text.startswith("{"):
        found = _json(text, "the JSON body")
    else:
        fields = dict(parse_qsl(text, keep_blank_values=True))
        found = _json(fields["payload"], "the payload") if "payload" in fields else fields
    check_shape(found)
    return found


def _json(text: str, what: str) -> dict:
    try:
        found = json.loads(text)
    except ValueError as error:
        raise MalformedRequest(f"{what} is not JSON") from error
    if not isinstance(found, dict):
        raise MalformedRequest(f"{what} is a {type(found).__name__}, not an object")
    return found


def check_shape(request: dict, where: str = "") -> None:
    """Raise :class:`MalformedRequest` if a field has a type Slack never sends.
    The event inside an Events API request is checked the same way."""
    for name in TEXT_FIELDS:
        if request.get(name) is not None and not isinstance(request[name], str):
            raise MalformedRequest(f"{where}{name} is a {type(request[name]).__name__}, not text")
    for name in ID_OR_OBJECT_FIELDS:
        value = request.get(name)
        if value is None or isinstance(value, str):
            continue
        if not isinstance(value, dict):
            raise MalformedRequest(f"{where}{name} is a {type(value).__name__}, not an id or an object")
        check_shape(value, f"{where}{name}.")
    for name in OBJECT_FIELDS:
        if request.get(name) is not None and not isinstance(request[name], dict):
            raise MalformedRequest(f"{where}{name} is a {type(request[name]).__name__}, not an object")
    for name in LIST_OF_OBJECTS_FIELDS:
        value = request.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
            raise MalformedRequest(f"{where}{name} is not a list of objects")
        for entry in value:
            check_shape(entry, f"{where}{name}[].")
    if where:
        return
    kind = "command" if "command" in request else request.get("type")
    for name in REQUIRED.get(kind, ()):
        if not request.get(name):
            raise MalformedRequest(f"a {kind} request without {name}")
    if kind == "block_actions" and not isinstance(request["user"], dict):
        raise MalformedRequest("block_actions user is not an object")
    event = request.get("event")
    if event is not None:
        if not isinstance(event, dict):
            raise MalformedRequest(f"event is a {type(event).__name__}, not an object")
        if not isinstance(event.get("type"), str):
            raise MalformedRequest("an event without a type")
        check_shape(event, "event.")
