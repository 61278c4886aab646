"""The one place where SQLite and PostgreSQL differ (issue 11).

Queries stay written once, in the SQLite dialect storage/ already uses (``?``
and ``?N`` placeholders, ``ON CONFLICT … DO NOTHING``, ``RETURNING``), limited
to what both engines accept. On SQLite nothing is translated: storage/ keeps
its raw ``sqlite3`` connection through sqlite-utils, so the SQLite path pays
nothing for PostgreSQL's existence. On PostgreSQL, :class:`PgDatabase` offers
the small part of sqlite-utils' ``Database`` that storage/ uses over a psycopg 3
connection, translating each distinct statement once (cached).

psycopg is imported only when a PostgreSQL URL is opened.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    import psycopg

SQLITE: Literal["sqlite"] = "sqlite"
POSTGRESQL: Literal["postgresql"] = "postgresql"
Engine = Literal["sqlite", "postgresql"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"
# pg_advisory_xact_lock key: one writer at a time on the database, as SQLite's write lock.
WRITE_LOCK_KEY = 1_100_011
# pg_advisory_lock key held while migrating, so that processes starting together migrate once.
MIGRATE_LOCK_KEY = 1_100_012
# Collations whose text order is the code points' (SQLite's BINARY): range scans like
# ``name >= ? || ' ' AND name < ? || '!'`` and ISO time comparisons depend on it.
C_COLLATIONS = frozenset({"C", "POSIX", "C.UTF-8", "C.utf8"})
_DEADLOCK_RETRIES = 3


# --- the part of a database connection that storage/ uses ----------------------------


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class RawConnection(Protocol):
    """What storage/ reads of ``db.conn`` (a ``sqlite3.Connection`` on SQLite)."""

    @property
    def in_transaction(self) -> bool: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any: ...

    def rollback(self) -> None: ...


class Connection(Protocol):
    """A Casewatch database on either engine: sqlite-utils' ``Database`` or :class:`PgDatabase`."""

    conn: RawConnection

    def execute(self, sql: str, parameters: Any = None, /) -> Cursor: ...

    def query(self, sql: str, params: Any = None, /) -> Iterator[dict[str, Any]]: ...

    def executescript(self, sql: str, /) -> Any: ...

    def atomic(self) -> AbstractContextManager[Any]: ...

    def close(self) -> None: ...


def engine_of(db: object) -> Engine:
    return POSTGRESQL if isinstance(db, PgDatabase) else SQLITE


# --- full-text search's and its cache's (storage.fulltext, storage.search) -------------


def execute_planned(db: Connection, sql: str, parameters: Any = None) -> Cursor:
    """``db.execute``, planned with the parameters' values each time: on PostgreSQL
    never a server-side prepared statement, whose generic plan (after five runs)
    cannot see them. A full-text match's cost is all in its words: generically
    planned, a rare word's newest matches were read by walking the whole table
    backwards (81 ms at 10,000 items, against 0.9 ms through the GIN index)."""
    if isinstance(db, PgDatabase):
        translated, numbered = translate(sql)
        return db.conn.raw.execute(translated, _arguments(numbered, parameters), prepare=False)
    return db.execute(sql, parameters)


def database_key(db: Connection) -> str:
    """Which database ``db`` is connected to, the same for every connection to it
    (no password in it); empty for SQLite in memory, each connection its own."""
    if isinstance(db, PgDatabase):
        return describe(db.url)
    ((_, _, path),) = [row for row in db.execute("PRAGMA database_list") if row[1] == "main"]
    return path


Shared = TypeVar("Shared")


class PerDatabase(Generic[Shared]):
    """One ``Shared`` for each database, shared by the process's connections to it
    (a fresh one each time for SQLite in memory, where each connection has its
    own database): ``item_cases = PerDatabase(ItemCases)``, then ``item_cases(db)``."""

    def __init__(self, make: Callable[[], Shared]) -> None:
        self._make = make
        self._made: dict[str, Shared] = {}
        self._of_connection: weakref.WeakKeyDictionary[Connection, Shared] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, db: Connection) -> Shared:
        with self._lock:
            found = self._of_connection.get(db)
        if found is not None:
            return found  # the database is asked once a connection (a search asked it several times)
        key = database_key(db)
        if not key:
            return self._make()
        with self._lock:
            if key not in self._made:
                self._made[key] = self._make()
            self._of_connection[db] = self._made[key]
            return self._made[key]


class DataVersion:
    """A database's version, read on a connection of its own that never writes:
    it changes whenever any connection (of this process or another) commits a
    write. SQLite's ``PRAGMA data_version``; PostgreSQL's ``pg_current_snapshot()``
    (any write transaction's end changes it, an older one committing after a
    newer one too; reads do not; the whole cluster's, so writes to another
    database only change it for nothing). Not for several threads at once."""

    def __init__(self, url_or_path: str | Path) -> None:
        self._url = parse_url(url_or_path)
        self._observer: Any = None

    def read(self) -> object | None:
        """The version now (None: unknown, the database could not be read)."""
        if self._url.engine == POSTGRESQL:
            return self._read_postgres()
        import sqlite3

        try:
            if self._observer is None:
                self._observer = sqlite3.connect(self._url.target, check_same_thread=False)
            return self._observer.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            return None

    def _read_postgres(self) -> object | None:
        import psycopg

        try:
            if self._observer is None:
                self._observer = psycopg.connect(self._url.target, autocommit=True)
            return self._observer.execute("SELECT pg_current_snapshot()::text").fetchone()[0]
        except psycopg.Error:
            if self._observer is not None:
                self._observer.close()
            self._observer = None  # connect again next time
            return None


def join_in_order(db: Connection) -> str:
    """The join that SQLite's planner keeps in the order written (``CROSS JOIN …
    ON``); a plain ``JOIN`` on PostgreSQL, whose ``CROSS JOIN`` takes no ``ON``."""
    return "JOIN" if isinstance(db, PgDatabase) else "CROSS JOIN"


# --- URLs -------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseUrl:
    """Where the database is: a SQLite file (``target`` its path, or ``:memory:``)
    or a PostgreSQL server (``target`` the libpq URL, password included)."""

    engine: Engine
    target: str


def parse_url(url_or_path: str | Path) -> DatabaseUrl:
    """``postgresql://…`` or ``postgres://…`` is PostgreSQL; a path, or
    ``sqlite:///path`` (``sqlite:////abs/path`` for an absolute one, as SQLAlchemy
    spells it), is SQLite. Another scheme is refused (password masked)."""
    text = str(url_or_path)
    if text.startswith(POSTGRES_SCHEMES):
        return DatabaseUrl(POSTGRESQL, text)
    if text.startswith(SQLITE_SCHEME):
        return DatabaseUrl(SQLITE, text.removeprefix(SQLITE_SCHEME) or ":memory:")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        raise ValueError(f"unsupported database URL {describe(text)}: use a path, sqlite:///path or postgresql://…")
    return DatabaseUrl(SQLITE, text)


def describe(url: str | Path) -> str:
    """``url`` fit to show people and logs: a password (in the user part or a
    ``password=`` parameter) reads ``***``."""
    text = str(url)
    if "://" not in text or _password(text) is None:
        return text  # as written: rebuilding would shorten sqlite:////abs/path
    parts = urlsplit(text)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(key, "***" if key == "password" else value) for key, value in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _password(url: str) -> str | None:
    parts = urlsplit(url)
    found = parts.password or dict(parse_qsl(parts.query)).get("password")
    return found or None


def scrub(message: str, url: str) -> str:
    """``message`` (a driver's error) without ``url``'s password, in case it quotes it."""
    password = _password(url)
    if not password:
        return message
    return message.replace(password, "***").replace(unquote(password), "***")


# --- SQLite's dialect on PostgreSQL -----------------------------------------------

# A string literal, a quoted name, a comment, a placeholder (``?`` or ``?12``), or a bare percent sign.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\?(\d*)|%", re.DOTALL)


@lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[str, bool]:
    """``sql`` with SQLite's placeholders as psycopg's (``?`` → ``%s``, ``?N`` →
    ``%(pN)s``) and percent signs doubled (in literals too: psycopg reads the
    whole text); and whether it numbers its parameters (then passed by name)."""
    styles = set()

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "%":
            return "%%"
        if text.startswith("?"):
            styles.add(bool(match.group(1)))
            return f"%(p{int(match.group(1))})s" if match.group(1) else "%s"
        return text.replace("%", "%%")

    translated = _TOKENS.sub(replace, sql)
    if len(styles) > 1:
        raise ValueError(f"? and ?N placeholders mixed in one statement: {sql[:80]}")
    return translated, True in styles


def _arguments(numbered: bool, params: Any) -> Any:
    if isinstance(params, dict):
        raise TypeError("named parameters are not portable: use ? or ?N")
    if numbered:
        return {f"p{index}": value for index, value in enumerate(params or (), start=1)}
    return () if params is None else params  # never None: psycopg then reads %% as two signs


@lru_cache(maxsize=1)
def _bool_dumper() -> type:
    from psycopg import postgres
    from psycopg.adapt import Dumper

    class BoolAsInteger(Dumper):
        oid = postgres.types["int8"].oid

        def dump(self, obj: Any) -> bytes:
            return b"1" if obj else b"0"

    return BoolAsInteger


class _PgConnection:
    """``db.conn`` on PostgreSQL: what storage/ reads of sqlite3's connection."""

    def __init__(self, raw: psycopg.Connection) -> None:
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> None:
        translated, numbered = translate(sql)
        arguments = [_arguments(numbered, row) for row in rows]
        if arguments:
            with self.raw.cursor() as cursor:
                cursor.executemany(translated, arguments)

    def rollback(self) -> None:
        if self.in_transaction:
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()


class CollationRefused(Exception):
    """The PostgreSQL database does not sort text by code point (see :data:`C_COLLATIONS`)."""


# psycopg prepares a statement on the server after five runs, and PostgreSQL then
# keeps a generic plan made from the tables' statistics at that moment. A feed's
# batch is one transaction that grows its tables from empty (a new database, a
# 10,000-item feed): statistics cannot see its rows, so the kept plan scans whole
# tables per item (a 10,000-item first poll took over 300 s instead of ~40 s).
# A custom plan per run sees the tables' real size; psycopg still saves the parse.
PLAN_CACHE_MODE = "force_custom_plan"


class PgDatabase:
    """The part of sqlite-utils' ``Database`` that storage/ uses, on psycopg 3. The
    connection is in autocommit mode: transactions are begun and ended explicitly,
    as on the SQLite connections (``isolation_level=None``)."""

    def __init__(self, raw: psycopg.Connection, url: str) -> None:
        from psycopg.errors import DeadlockDetected

        self.conn = _PgConnection(raw)
        self.url = url
        self._deadlock = DeadlockDetected

    @classmethod
    def connect(cls, url: str, *, lock_timeout_ms: int) -> PgDatabase:
        """Connect to ``url``, waiting at most ``lock_timeout_ms`` for another's
        lock, and check the database's collation (:class:`CollationRefused`)."""
        import psycopg

        raw = psycopg.connect(url, autocommit=True, options=f"-c plan_cache_mode={PLAN_CACHE_MODE}")
        raw.adapters.register_dumper(bool, _bool_dumper())
        db = cls(raw, url)
        try:
            set_lock_wait_ms(db, lock_timeout_ms)
            db.check_collation()
        except BaseException:
            raw.close()
            raise
        return db

    def check_collation(self) -> None:
        collation, provider = self.execute(
            "SELECT datcollate, datlocprovider FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        if provider != "c" or collation not in C_COLLATIONS:
            shown = collation if provider == "c" else f"{collation} (provider {provider})"
            raise CollationRefused(
                f"database {describe(self.url)} sorts text by {shown}: Casewatch needs the C collation "
                "(CREATE DATABASE … TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C')"
            )

    def execute(self, sql: str, parameters: Any = None, /) -> psycopg.Cursor[Any]:
        """Run one statement. One outside a transaction that a deadlock chose as its
        victim is run again (in a transaction, the caller's whole transaction is lost:
        ``storage.database.write_transaction`` says so with StorageUnavailable)."""
        translated, numbered = translate(sql)
        arguments = _arguments(numbered, parameters)
        for attempt in range(1, _DEADLOCK_RETRIES + 1):
            try:
                return self.conn.raw.execute(translated, arguments)
            except self._deadlock:
                if self.conn.in_transaction or attempt == _DEADLOCK_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def query(self, sql: str, params: Any = None, /) -> Iterator[dict[str, Any]]:
        from psycopg.rows import dict_row

        translated, numbered = translate(sql)
        with self.conn.raw.cursor(row_factory=dict_row) as cursor:
            cursor.execute(translated, _arguments(numbered, params))
            yield from cursor

    def executescript(self, sql: str, /) -> None:
        """Several statements without parameters, sent as they are (the simple protocol)."""
        self.conn.raw.execute(sql)

    @contextmanager
    def atomic(self) -> Iterator[PgDatabase]:
        """A transaction, or a savepoint inside one (as sqlite-utils' ``atomic``)."""
        if self.conn.in_transaction:
            self.execute("SAVEPOINT casewatch_atomic")
            try:
                yield self
            except BaseException:
                self.execute("ROLLBACK TO SAVEPOINT casewatch_atomic")
                raise
            self.execute("RELEASE SAVEPOINT casewatch_atomic")
            return
        self.execute("BEGIN")
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        self.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


# --- what differs, said once -------------------------------------------------------

# PostgreSQL's SQLSTATEs for the outside causes that SQLite names in its messages.
_PG_REASONS = {
    "55P03": "database locked",  # lock_not_available: lock_timeout passed (also the advisory write lock)
    "40P01": "database deadlock",  # deadlock_detected: this transaction was the victim; retry it
    "53100": "disk full",
    "25006": "database is read-only",
    "08001": "database unreachable",
    "08006": "database unreachable",
    "57P01": "database unreachable",  # admin_shutdown
}


def pg_storage_reason(error: BaseException) -> str | None:
    """The short reason if ``error`` is PostgreSQL refusing for an outside cause
    (see ``storage.database.StorageUnavailable``), else ``None``."""
    if not type(error).__module__.startswith("psycopg"):
        return None
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate in _PG_REASONS:
        return _PG_REASONS[sqlstate]
    from psycopg import OperationalError

    if sqlstate is None and isinstance(error, OperationalError):
        return "database unreachable"  # the connection failed or was lost: libpq gives no SQLSTATE
    return None


def begin_write(db: Connection, *, exclusive: bool = True) -> None:
    """Begin a transaction holding the database's write lock: SQLite's ``BEGIN
    IMMEDIATE``; on PostgreSQL a transaction-scoped advisory lock (one round trip),
    so that storage/'s read-then-write steps (the next item id, find-or-create of
    cases and events, the lease) stay as safe across processes as on SQLite.
    ``exclusive=False``: on PostgreSQL a plain ``BEGIN``, for writes that row locks
    and status conditions guard (the outbox), so they never wait behind ingest."""
    if isinstance(db, PgDatabase):
        script = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})" if exclusive else "BEGIN"
        try:
            db.executescript(script)
        except BaseException:
            db.conn.rollback()  # as a failed BEGIN IMMEDIATE: no transaction left open
            raise
    else:
        db.execute("BEGIN IMMEDIATE")


def skip_locked(db: Connection, table: str) -> str:
    """The suffix of a ``SELECT`` that takes rows of ``table`` for this transaction,
    passing over rows another transaction holds: on PostgreSQL ``FOR UPDATE OF …
    SKIP LOCKED``; nothing on SQLite, where ``BEGIN IMMEDIATE`` already lets one
    writer at a time in."""
    return f" FOR UPDATE OF {table} SKIP LOCKED" if isinstance(db, PgDatabase) else ""


# The database's own clock as the ISO text storage/ writes (``now_iso``'s form, to
# the millisecond), ``?`` seconds from now: processes on machines whose clocks
# disagree still agree on it.
_CLOCK: dict[Engine, str] = {
    SQLITE: "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', ? || ' seconds')",
    POSTGRESQL: (
        "to_char((clock_timestamp() + make_interval(secs => ?)) AT TIME ZONE 'UTC', "
        '\'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"\')'
    ),
}


def database_clock(db: Connection) -> str:
    """A SQL expression for the database's time, ``?`` seconds (a number) from now,
    as ISO text in UTC to the millisecond: ``2026-11-26T08:00:00.123+00:00``."""
    return _CLOCK[engine_of(db)]


def insert_id(db: Connection, sql: str, parameters: Sequence[Any]) -> int:
    """Insert one row with ``sql`` (an ``INSERT`` without ``RETURNING``) and return
    its ``id``: the cursor's ``lastrowid`` on SQLite (``RETURNING`` costs SQLite
    about 10 µs a row more, measured on 3.40.1), ``RETURNING id`` on PostgreSQL."""
    if isinstance(db, PgDatabase):
        return db.execute(f"{sql} RETURNING id", parameters).fetchone()[0]
    row_id = db.execute(sql, parameters).lastrowid  # type: ignore[attr-defined]
    assert row_id is not None
    return row_id


def each_int(db: Connection, placeholder: str) -> str:
    """A subquery of the integers in a JSON array parameter (``json.dumps(ids)``):
    ``x IN ({each_int(db, "?1")})``. SQLite's ``json_each``; PostgreSQL's
    ``json_array_elements_text``, cast (its elements are text)."""
    if isinstance(db, PgDatabase):
        return (
            "SELECT CAST(value AS BIGINT) AS value "
            f"FROM json_array_elements_text(CAST({placeholder} AS json)) AS each (value)"
        )
    return f"SELECT value FROM json_each({placeholder})"


def each_text(db: Connection, placeholder: str) -> str:
    """:func:`each_int` for an array of strings."""
    if isinstance(db, PgDatabase):
        return f"SELECT value FROM json_array_elements_text(CAST({placeholder} AS json)) AS each (value)"
    return f"SELECT value FROM json_each({placeholder})"


def indexed_by(db: Connection, index: str) -> str:
    """``INDEXED BY index`` on SQLite, whose planner would pick another index for
    some statements; nothing on PostgreSQL, which has no such hint."""
    return "" if isinstance(db, PgDatabase) else f" INDEXED BY {index}"


def schema_objects(db: Connection, names: Iterable[str]) -> set[str]:
    """Which of ``names`` (tables, indexes, triggers) the database's schema has."""
    wanted = sorted(set(names))
    marks = ", ".join("?" for _ in wanted)
    if isinstance(db, PgDatabase):
        query = (
            f"SELECT relname FROM pg_class WHERE relname IN ({marks}) AND pg_table_is_visible(oid) "
            f"UNION SELECT tgname FROM pg_trigger WHERE tgname IN ({marks}) AND NOT tgisinternal"
        )
        return {name for (name,) in db.execute(query, [*wanted, *wanted])}
    return {name for (name,) in db.execute(f"SELECT name FROM sqlite_master WHERE name IN ({marks})", wanted)}


def lock_wait_ms(db: Connection) -> int:
    """How long a statement waits for another connection's lock before giving up."""
    if isinstance(db, PgDatabase):
        (value,) = db.execute("SELECT setting FROM pg_settings WHERE name = 'lock_timeout'").fetchone()
        return int(value)
    (value,) = db.execute("PRAGMA busy_timeout").fetchone()
    return int(value)


def set_lock_wait_ms(db: Connection, milliseconds: int) -> None:
    if isinstance(db, PgDatabase):
        db.execute(f"SET lock_timeout = {max(int(milliseconds), 1)}")
    else:
        db.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")


# Each ``{token}`` of a migration written once (from m022 on), per engine.
_DDL_TOKENS: dict[Engine, dict[str, str]] = {
    SQLITE: {"id": "INTEGER PRIMARY KEY", "int": "INTEGER", "now": "CURRENT_TIMESTAMP"},
    POSTGRESQL: {
        "id": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "int": "BIGINT",
        "now": "(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))",
    },
}


def ddl(db: Connection, script: str) -> str:
    """A migration's DDL written once: ``{id}`` is the engine's integer key that
    numbers itself, ``{int}`` its integer (64-bit on both), ``{now}`` a default of
    the time as SQLite's ``CURRENT_TIMESTAMP`` writes it (UTC text, to the second)."""
    return script.format(**_DDL_TOKENS[engine_of(db)])
