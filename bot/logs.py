"""Logging for every command, configured in one place (:func:`configure`).

``CASEWATCH_LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR) and
``CASEWATCH_LOG_FORMAT``: ``text`` (``time LEVEL logger: message``, as people
read it) or ``json`` (one object per line with ``time``, ``level``,
``logger``, ``message`` and, where the code knows them, ``feed_id``,
``alert_id``, ``team_id`` and ``channel_id``, passed with ``extra=``; an
exception's traceback in ``exception``).

JSON lines come from a small formatter here rather than python-json-logger:
the fields are few and fixed, and the one thing that matters, masking, is
done on the record before any formatter sees it.

No secret reaches a log line: :class:`SecretMask`, a filter on the handler
(so on every record, the libraries' too, at every level), masks Slack tokens
(``xoxb-``, ``xoxp-``, ``xapp-`` … whatever their value), the signing and
client secrets and the database password in the message, the traceback and
the stack. Uncaught exceptions, in the main thread or another, are logged
through it too, instead of printed raw by Python.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING

from storage.engine import scrub

if TYPE_CHECKING:
    from storage.alerts import Alert

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")
CONTEXT_FIELDS = ("feed_id", "alert_id", "team_id", "channel_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
SLACK_TOKEN = re.compile(r"\b(xox[abeoprs]|xapp)-[A-Za-z0-9-]+")  # bot, user, app-level, refresh … tokens
SECRET_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_SECRET", "PGPASSWORD")
SHORTEST_SECRET = 6  # shorter values would mask ordinary words


class SecretMask(logging.Filter):
    """Masks secrets in every record it sees (message, traceback, stack)."""

    def __init__(self, secrets: Iterable[str] = (), database_url: str = "") -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= SHORTEST_SECRET}, key=len, reverse=True)
        self.database_url = database_url

    def mask(self, text: str) -> str:
        text = SLACK_TOKEN.sub(lambda found: f"{found.group(1)}-{MASK}", text)
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return scrub(text, self.database_url) if self.database_url else text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the message: logged as they are, still masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module's docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def secrets_in(env: Mapping[str, str]) -> list[str]:
    """The secret values set in ``env``, to be masked wherever they appear."""
    return [env.get(name, "").strip() for name in SECRET_VARIABLES if env.get(name, "").strip()]


def configure(level: str, form: str, env: Mapping[str, str]) -> None:
    """Log at ``level`` in ``form`` (``text`` or ``json``) to stderr, masking
    the secrets of ``env`` (its Slack secrets and its database password)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(SecretMask(secrets_in(env), env.get("CASEWATCH_DB", "").strip()))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # Python's warnings, as log lines in the same format
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda hook: _log_uncaught(hook.exc_type, hook.exc_value, hook.exc_traceback, hook.thread)


def _log_uncaught(
    kind: type[BaseException],
    error: BaseException | None,
    traceback: TracebackType | None,
    thread: threading.Thread | None = None,
) -> None:
    if issubclass(kind, SystemExit):
        return
    where = f" in thread {thread.name}" if thread is not None else ""
    logging.getLogger("casewatch").critical("uncaught exception%s", where, exc_info=(kind, error, traceback))


def alert_fields(alert: Alert) -> dict[str, object]:
    """The ``extra=`` of a log line about ``alert``."""
    return {"alert_id": alert.id, "team_id": alert.team_id, "channel_id": alert.channel_id}
