"""What every request handler shares: a bounded wait for the database's write
lock (Slack waits 3 seconds for an answer), a clear answer when the database
cannot be written, and Bolt's error handler for what no handler caught."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from slack_bolt import Ack, BoltResponse
from sqlite_utils import Database

from handlers.watch_answer import ephemeral
from storage.database import StorageUnavailable, ThreadDatabases, lock_wait, storage_reason

log = logging.getLogger(__name__)
LOCK_WAIT_SECONDS = 1.5


@contextmanager
def request_database(databases: ThreadDatabases) -> Iterator[Database]:
    """This thread's connection, waiting at most ``LOCK_WAIT_SECONDS`` for
    another connection's write lock. SQLite refusing for an outside cause
    (locked, disk full) is raised as :class:`StorageUnavailable`."""
    db = databases.get()
    try:
        with lock_wait(db, LOCK_WAIT_SECONDS):
            yield db
    except sqlite3.OperationalError as error:
        reason = storage_reason(error)
        if reason is None:
            raise
        raise StorageUnavailable(f"storage: {reason}") from error


def acknowledge(ack: Ack) -> None:
    """The acknowledgement of a request whose work runs afterwards (Bolt's lazy listeners)."""
    ack()


def storage_problem(error: BaseException) -> str | None:
    """What keeps Casewatch from writing, for people; ``None`` if ``error`` is not that."""
    reason = storage_reason(error)
    if reason is None:
        return None
    return "the database is busy" if reason == "database locked" else f"the database cannot be written ({reason})"


def could_not(what: str, error: BaseException) -> dict:
    """The ephemeral answer when ``what`` (``save the watch``) failed for a storage problem."""
    return ephemeral(f"Could not {what}: {storage_problem(error)}. Please try again in a minute.")


def answer_errors(error: Exception, body: dict) -> BoltResponse | None:
    """Bolt's error handler, for what a listener did not catch. A command that
    failed because the database cannot be written still gets a clear answer,
    logged in one line; anything else is a bug: logged with its traceback and
    answered 500 (Slack then retries events)."""
    if storage_problem(error) is None:
        log.exception("failed to handle a Slack request")
        return None
    log.warning("could not handle a Slack request: %s", storage_reason(error))
    if isinstance(body, dict) and body.get("command"):
        return BoltResponse(status=200, body=could_not("answer", error))
    return None
