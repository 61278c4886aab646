"""PostgreSQL for the tests: a throwaway cluster, and a fresh migrated database per test.

``CASEWATCH_TEST_PG`` (a server URL whose user may create databases) is used
when set; otherwise :class:`ThrowawayCluster` starts one from the Debian
packages' ``initdb`` and ``pg_ctl`` (as the ``postgres`` user when run as root),
on a free port of 127.0.0.1, without fsync, and stops it at the end. Each pytest
process (an xdist worker too) has its own cluster or its own database names.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.database import open_database

SERVER_ENV = "CASEWATCH_TEST_PG"
_START_ATTEMPTS = 3


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's programs (``.ci/run`` installs them when missing)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql-15 (see .ci/run)")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayCluster:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="casewatch-pg-"))
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        self.bin = postgres_bin()
        self.data = self.folder / "data"
        self.port = 0

    def _run(self, *args: object) -> None:
        subprocess.run([*self.as_postgres, *map(str, args)], check=True, capture_output=True, timeout=60)

    def start(self) -> str:
        """Create and start the cluster; returns its URL (without a database)."""
        self._run(
            self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        for attempt in range(_START_ATTEMPTS):  # a free port may be taken before the server binds it
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            )  # a `run` process holds ~16 connections; three workers and the three-process test need more than 100
            try:
                self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.folder / "log", "-w", "-o", options, "start")
                break
            except subprocess.CalledProcessError:
                if attempt == _START_ATTEMPTS - 1:
                    raise
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A server URL without a database: ``CASEWATCH_TEST_PG``, or a throwaway cluster."""
    if url := os.environ.get(SERVER_ENV):
        yield url.rstrip("/")
        return
    cluster = ThrowawayCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


class Databases:
    """Fresh migrated databases on one server, each a copy of a template migrated
    once (``CREATE DATABASE … TEMPLATE``), named after this process so that
    several pytest processes can share a server."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.prefix = f"casewatch_test_{os.getpid()}"
        self._numbers = itertools.count(1)
        import psycopg  # here: a session without PostgreSQL tests never imports it (~0.5 s)

        self.admin = psycopg.connect(f"{server}/postgres", autocommit=True)
        self.template = f"{self.prefix}_template"
        self.admin.execute(f"DROP DATABASE IF EXISTS {self.template}")
        self.admin.execute(
            f"CREATE DATABASE {self.template} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
        )
        open_database(self.url(self.template)).close()

    def url(self, name: str) -> str:
        return f"{self.server}/{name}"

    def create(self, *, migrated: bool = True) -> str:
        """A new database's URL: migrated (a copy of the template), or empty."""
        name = f"{self.prefix}_{next(self._numbers)}"
        source = self.template if migrated else "template0"
        self.admin.execute(
            f"CREATE DATABASE {name} TEMPLATE {source} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' STRATEGY FILE_COPY"
        )
        return self.url(name)

    def drop(self, url: str) -> None:
        self.admin.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def close(self) -> None:
        self.admin.execute(f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)")
        self.admin.close()


class TestDatabases:
    """The databases one test names by file path (``tmp_path / "casewatch.db"``), made
    on PostgreSQL in the PostgreSQL pass: one fresh database per path, the same one
    each time the test names that path, dropped when the test ends."""

    def __init__(self, databases: Databases) -> None:
        self.databases = databases
        self._urls: dict[str, str] = {}

    def url_for(self, path: str | Path) -> str:
        key = str(path)
        if key not in self._urls:
            self._urls[key] = self.databases.create(migrated=False)  # as a file not yet made: the bot migrates it
        return self._urls[key]

    def close(self) -> None:
        for url in self._urls.values():
            self.databases.drop(url)


_current: TestDatabases | None = None


@contextmanager
def databases_of_one_test(databases: TestDatabases) -> Iterator[TestDatabases]:
    """While a test runs, :func:`database_url` gives its PostgreSQL databases."""
    global _current
    _current = databases
    try:
        yield databases
    finally:
        _current = None
        databases.close()


def running_on_postgres() -> bool:
    """Whether this test's databases are on PostgreSQL (the PostgreSQL pass)."""
    return _current is not None


def database_url(path: str | Path) -> str:
    """The database a test means by a file ``path``: that SQLite file, or in the
    PostgreSQL pass (``CASEWATCH_TEST_PG``) a fresh database standing for it."""
    return _current.url_for(path) if _current else str(path)


@contextmanager
def opened(path: str | Path) -> Iterator:
    """A connection to the database a test means by ``path`` (see :func:`database_url`), closed after."""
    db = open_database(database_url(path), for_another_thread=True)
    try:
        yield db
    finally:
        db.close()


def integrity(path: str | Path) -> str:
    """SQLite's ``PRAGMA integrity_check`` of the file ("ok"). On PostgreSQL a client,
    killed or not, never writes the server's files, so there is nothing to check: "ok"."""
    if running_on_postgres():
        return "ok"
    with opened(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


class EngineDatabase:
    """One test's fresh database on one engine; :meth:`open` gives connections to it
    (as many as a test needs, each as another process would have), closed at the end."""

    def __init__(self, engine: str, url: str) -> None:
        self.engine = engine
        self.url = url
        self._opened: list = []

    def open(self, *, busy_timeout_ms: int = 2_000):
        db = open_database(self.url, busy_timeout_ms=busy_timeout_ms, for_another_thread=True)
        self._opened.append(db)
        return db

    def close(self) -> None:
        for db in self._opened:
            db.close()


def query_plan(db: object, sql: str, parameters: list) -> str:
    """How ``db``'s engine would run ``sql``, as one line: SQLite's ``EXPLAIN QUERY
    PLAN`` (``SEARCH items USING INDEX …``), or PostgreSQL's ``EXPLAIN`` with
    sequential scans priced out, so that a plan without an index means there is
    none to use (a test database's tiny tables are otherwise cheaper to scan)."""
    from storage.engine import PgDatabase

    if not isinstance(db, PgDatabase):
        return " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", parameters))
    db.execute("SET enable_seqscan = off")
    try:
        return " ".join(row[0].strip() for row in db.execute(f"EXPLAIN {sql}", parameters))
    finally:
        db.execute("RESET enable_seqscan")


def reads_through_an_index(plan: str, index: str | None = None) -> bool:
    """Whether :func:`query_plan`'s ``plan`` reads through an index (``index``, if named)."""
    if index is not None:
        return f"USING INDEX {index}" in plan or f"using {index} " in plan.lower() or f"on {index} " in plan
    if "Scan" in plan:  # PostgreSQL
        return "Index" in plan and "Seq Scan" not in plan
    return "USING" in plan and not plan.startswith("SCAN")
