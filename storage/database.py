"""Opening the Casewatch database (a SQLite file: WAL mode, sane pragmas; or
PostgreSQL, see :mod:`storage.engine`), migrations, transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from storage.engine import (
    POSTGRESQL,
    Connection,
    PgDatabase,
    begin_write,
    lock_wait_ms,
    parse_url,
    pg_storage_reason,
    scrub,
    set_lock_wait_ms,
)
from storage.schema import migrations

BUSY_TIMEOUT_MS = 10_000
# Page cache per connection (KiB): a run process keeps about sixteen open (request threads,
# pollers, the sender), each warmed at start, so this bounds their share of its memory.
CACHE_KIB = 512


class StorageUnavailable(Exception):
    """A write could not be made for a reason outside Casewatch (another process
    holds the write lock past the busy timeout, the disk is full, the file is
    read-only, the PostgreSQL server is unreachable). ``str()`` is a short
    reason for people: ``storage: disk full``. Nothing of the failed
    transaction was kept; the caller may retry later."""


_STORAGE_REASONS = (
    ("database is locked", "database locked"),
    ("database table is locked", "database locked"),
    ("disk is full", "disk full"),
    ("disk i/o error", "disk I/O error"),
    ("readonly database", "database is read-only"),
)


def storage_reason(error: BaseException) -> str | None:
    """The short reason if ``error`` is the database refusing a write for an outside
    cause (see :class:`StorageUnavailable`), else ``None`` (a bug: let it raise)."""
    if isinstance(error, StorageUnavailable):
        return str(error).removeprefix("storage: ")
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        for marker, reason in _STORAGE_REASONS:
            if marker in message:
                return reason
        return None
    return pg_storage_reason(error)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_database(
    url_or_path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, for_another_thread: bool = False
) -> Connection:
    """Open (creating if need be) the database at ``url_or_path`` (a SQLite path or
    ``sqlite:///path``, or a ``postgresql://`` URL) and bring its schema up to date.
    Each thread must use its own (see :class:`ThreadDatabases`); ``for_another_thread``
    opens one here for a thread to adopt later. A write waits up to
    ``busy_timeout_ms`` for another writer's lock. Raises
    ``storage.migrator.DatabaseTooNew`` for a database made by a newer Casewatch."""
    db = _connect(url_or_path, busy_timeout_ms, for_another_thread)
    try:
        migrations.apply(db)
    except BaseException:
        db.close()
        raise
    return db


def migrate(url_or_path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> list[str]:
    """Apply the pending migrations to the database at ``url_or_path`` (creating
    it if need be; on PostgreSQL under the runner's lock); returns their names
    (empty: it was up to date). Raises ``storage.migrator.DatabaseTooNew``."""
    db = _connect(url_or_path, busy_timeout_ms, for_another_thread=False)
    try:
        return migrations.apply(db)
    finally:
        db.close()


def connect_without_migrating(url_or_path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Connection:
    """The database at ``url_or_path`` as it is, its schema not brought up to date
    (to look at it: which migrations are pending)."""
    return _connect(url_or_path, busy_timeout_ms, for_another_thread=False)


def _connect(url_or_path: str | Path, busy_timeout_ms: int, for_another_thread: bool) -> Connection:
    url = parse_url(url_or_path)
    if url.engine == POSTGRESQL:
        return _connect_postgres(url.target, busy_timeout_ms)
    return _connect_sqlite(url.target, busy_timeout_ms, for_another_thread)


def _connect_postgres(url: str, busy_timeout_ms: int) -> PgDatabase:
    try:
        return PgDatabase.connect(url, lock_timeout_ms=busy_timeout_ms)
    except Exception as error:
        reason = storage_reason(error)
        if reason is None:
            raise
        raise StorageUnavailable(f"storage: {reason} ({scrub(str(error).strip(), url)})") from None


def _connect_sqlite(path: str, busy_timeout_ms: int, for_another_thread: bool) -> Database:
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path),
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,
        check_same_thread=not for_another_thread,
    )
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    db.enable_wal()
    return db


@contextmanager
def write_transaction(db: Database, *, exclusive: bool = True) -> Iterator[Database]:
    """A transaction that takes the write lock at its start (``BEGIN IMMEDIATE``;
    on PostgreSQL the database's advisory write lock, :func:`storage.engine.begin_write`;
    ``exclusive=False``: on PostgreSQL only row locks, for the outbox).

    sqlite-utils' ``atomic()`` begins a deferred transaction, and a deferred
    reader that later writes fails at once with "database is locked" when
    another connection wrote meanwhile; taking the lock up front makes
    concurrent writers (poll threads, a second process) wait their turn
    within the busy timeout instead.

    The database's refusals for outside causes (locked past the busy timeout,
    disk full, a deadlock's victim on PostgreSQL) are raised as
    :class:`StorageUnavailable`, after the rollback.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    try:
        begin_write(db, exclusive=exclusive)
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.rollback()
            raise
    except Exception as error:  # sqlite3.OperationalError, psycopg.Error
        reason = storage_reason(error)
        if reason is None or isinstance(error, StorageUnavailable):
            raise
        raise StorageUnavailable(f"storage: {reason}") from error


@contextmanager
def savepoint(db: Database, name: str = "one_item") -> Iterator[Database]:
    """Inside a transaction: undo only this block's writes if it raises (the
    error still propagates), keeping the rest of the transaction."""
    db.execute(f"SAVEPOINT {name}")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:  # SQLite may have rolled back everything itself (disk full)
            db.execute(f"ROLLBACK TO {name}")
            db.execute(f"RELEASE {name}")
        raise
    db.execute(f"RELEASE {name}")


@contextmanager
def lock_wait(db: Database, seconds: float) -> Iterator[Database]:
    """Within the block, give up waiting for another connection's write lock
    after ``seconds`` (instead of the connection's usual busy timeout): for
    work someone is waiting on, like a Slack request that must be answered
    within 3 seconds. The usual timeout is restored afterwards."""
    usual = lock_wait_ms(db)
    set_lock_wait_ms(db, round(seconds * 1000))
    try:
        yield db
    finally:
        set_lock_wait_ms(db, usual)


def schema_version(db: Database) -> int:
    return len(migrations.applied(db))


class ThreadDatabases:
    """One connection per thread to the same database (SQLite connections must
    not be shared across threads while in use), and connections lent for one
    read on any thread (:meth:`lend`). ``path``: a path or URL."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS):
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._ready: list[Database] = []
        self._ready_lock = threading.Lock()
        open_database(path, busy_timeout_ms=busy_timeout_ms).close()  # migrate once, up front

    def prepare(self, count: int, warm: Callable[[Database], None]) -> None:
        """Open ``count`` connections now and ``warm`` each (read what its first
        queries would), for the next threads that ask and for :meth:`lend`: a
        connection's first queries otherwise read their pages from the file, slowly."""
        for _ in range(count):
            db = open_database(self.path, busy_timeout_ms=self.busy_timeout_ms, for_another_thread=True)
            warm(db)
            with self._ready_lock:
                self._ready.append(db)

    @contextmanager
    def lend(self) -> Iterator[Database]:
        """A connection for one read on any thread: the idle one returned most
        recently (a prepared one, or a new one), given back after. A server's
        threads take requests in turn, so with a connection each, eight page
        caches shared a steady trickle of ``/case`` requests, each colder than one
        (0.2-0.3 ms a request more, at 1M items); lent, one connection answers
        them all while they do not overlap."""
        with self._ready_lock:
            db = self._ready.pop() if self._ready else None
        if db is None:
            db = open_database(self.path, busy_timeout_ms=self.busy_timeout_ms, for_another_thread=True)
        try:
            yield db
        finally:
            with self._ready_lock:
                self._ready.append(db)

    def get(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            with self._ready_lock:  # the one idle longest: the one lent most recently stays for lending
                db = self._ready.pop(0) if self._ready else None
            db = db or open_database(self.path, busy_timeout_ms=self.busy_timeout_ms)
            self._local.db = db
        return db
