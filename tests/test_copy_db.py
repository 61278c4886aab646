"""``python -m bot copy-db SRC DST``: a SQLite database moved into PostgreSQL
(issue 11), run as a user runs it, then read back as Casewatch reads it."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from bot.demo import run_demo
from bot.installation_store import DatabaseInstallationStore
from handlers.case_answer import plain_answer
from handlers.watch_request import parse_watch
from storage.database import open_database
from storage.search import search_cases
from storage.watches import WatchSpec, add_watch, channel_watches
from tests.pg import Databases

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "s3cret-copy"  # the test cluster trusts local users: any password is accepted, none may be shown


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A SQLite database as a user has one: the sample feeds polled, channels watching."""
    path = tmp_path / "casewatch.db"
    run_demo("binance", path)
    db = open_database(path)
    for channel, text in (("C0001", "binance"), ("C0001", "1:23-cv-01599"), ("C0002", "consensys daily")):
        spec = parse_watch(text)
        assert isinstance(spec, WatchSpec)
        add_watch(db, team_id="T0001", channel_id=channel, user_id="U0001", spec=spec)
    db.close()
    return path


@pytest.fixture
def destination(pg_databases: Databases) -> str:
    url = pg_databases.create(migrated=False)  # as a database administrator hands one out: empty
    yield url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")
    pg_databases.drop(url)


def copy_db(source: Path, destination: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "copy-db", str(source), destination],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def table_rows(db: object, table: str, columns: list[str]) -> list[tuple]:
    listed = ", ".join(columns)
    return sorted(tuple(row) for row in db.execute(f"SELECT {listed} FROM {table}"))  # type: ignore[attr-defined]


def test_a_sqlite_database_copied_into_postgresql_answers_the_same(source: Path, destination: str) -> None:
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    done = copy_db(source, destination)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert "items:" in done.stdout and "leases: left out" not in done.stderr
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before  # the source is never written

    sqlite_db, pg_db = open_database(source), open_database(destination)
    try:
        with sqlite3.connect(source) as reading:
            tables = {
                name: [column for (_, column, *_rest) in reading.execute(f"PRAGMA table_info({name})")]
                for (name,) in reading.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
                    "AND name IN ('feeds', 'items', 'cases', 'case_parties', 'case_dockets', 'events', 'watches', "
                    "'watch_aliases', 'alerts', 'search_terms', 'meta', 'audit')"
                )
            }
        assert len(tables) == 12
        for table, columns in tables.items():
            assert table_rows(pg_db, table, columns) == table_rows(sqlite_db, table, columns), table
        for query in ("binance", "Changpeng Zhao", "1:23-cv-01599", "consensys", "sec v. binance"):
            assert plain_answer(search_cases(pg_db, query)) == plain_answer(search_cases(sqlite_db, query)), query
        (largest,) = pg_db.execute("SELECT max(id) FROM cases").fetchone()
        (new_id,) = pg_db.execute(
            "INSERT INTO cases (caption, agency, created_at) VALUES ('SEC v. Later', 'SEC', '2026-11-26') RETURNING id"
        ).fetchone()
        assert new_id > largest  # new rows are numbered after the copied ones
        watches = channel_watches(pg_db, "T0001", "C0001") + channel_watches(pg_db, "T0001", "C0002")
        assert sorted(watch.term for watch in watches) == ["1:23-cv-01599", "binance", "consensys"]
    finally:
        sqlite_db.close()
        pg_db.close()


@pytest.mark.reliability("copy-db pointed at a database that already holds data", kind="input")
def test_copy_db_refuses_a_destination_that_holds_data_and_changes_nothing(source: Path, destination: str) -> None:
    assert copy_db(source, destination).returncode == 0
    db = open_database(destination)
    (items,) = db.execute("SELECT count(*) FROM items").fetchone()
    again = copy_db(source, destination)
    assert again.returncode == 1
    assert "already holds data" in again.stderr and PASSWORD not in again.stderr
    assert db.execute("SELECT count(*) FROM items").fetchone() == (items,)
    db.close()


def test_copy_db_into_a_sqlite_path_says_it_copies_into_postgresql(source: Path, tmp_path: Path) -> None:
    refused = copy_db(source, str(tmp_path / "other.db"))
    assert refused.returncode == 1 and "must be a PostgreSQL URL" in refused.stderr
    assert not (tmp_path / "other.db").exists()


def test_oauth_installs_are_copied_and_found_in_postgresql(source: Path, destination: str) -> None:
    """A deployment's installs, as slack_sdk's own store wrote them (a rotated
    token: two bot rows), are found on PostgreSQL after the copy; a later
    rotation there is the newest."""
    theirs = SQLite3InstallationStore(database=str(source), client_id="111.222")
    first = Installation(
        app_id="A1",
        team_id="TA",
        user_id="U1",
        bot_token="xoxb-a",
        bot_id="B1",
        bot_user_id="UB",
        bot_scopes="commands",
    )
    theirs.save(first)
    theirs.save_bot(Bot(**{**first.to_bot().to_dict_for_copying(), "bot_token": "xoxb-a2", "bot_refresh_token": "r2"}))
    done = copy_db(source, destination)
    assert done.returncode == 0, done.stderr
    assert "slack_bots:" in done.stdout

    pg_db = open_database(destination)
    try:
        ours = DatabaseInstallationStore(lambda: pg_db, client_id="111.222")
        found = ours.find_bot(enterprise_id=None, team_id="TA")
        assert found is not None and (found.bot_token, found.bot_refresh_token) == ("xoxb-a2", "r2")
        assert ours.find_installation(enterprise_id=None, team_id="TA").bot_scopes == ["commands"]
        ours.save_bot(Bot(**{**found.to_dict_for_copying(), "bot_token": "xoxb-a3"}))
        assert ours.find_bot(enterprise_id=None, team_id="TA").bot_token == "xoxb-a3"
    finally:
        pg_db.close()
