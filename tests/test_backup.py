"""``python -m bot backup FILE``, run as an operator runs it, against a live database."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.database import open_database
from tests import factories
from tests.conftest import ROOT, bot_env, eventually, run_bot
from tests.reliability import Observed

# Another process writing to the database the whole time: an audit row per transaction, as `run` records watches.
WRITER = """
import sys
from storage.audit import record
from storage.database import open_database

db = open_database(sys.argv[1])
while True:
    record(db, team_id="T1", actor="U1", action="watch", detail="x" * 200)
"""


def seeded_database(path: Path, items: int) -> None:
    db = open_database(path)
    source = factories.feed(db)
    for number in range(items):
        what = factories.extraction(agency="SEC", defendants=[f"Acme Widgets {number} Inc."])
        factories.stored_item(db, source, what, factories.feed_item(f"SEC charges Acme Widgets {number} Inc."))
    db.close()


def audit_rows(path: Path) -> int:
    with sqlite3.connect(path, timeout=10) as db:
        return db.execute("SELECT count(*) FROM audit").fetchone()[0]


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.fixture
def live_database(tmp_path: Path) -> Iterator[Path]:
    """A database with 30 items that another process keeps writing to."""
    path = tmp_path / "casewatch.db"
    seeded_database(path, items=30)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT, env=bot_env(tmp_path))
    try:
        assert eventually(lambda: audit_rows(path) > 100, timeout=20)
        yield path
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.sqlite_only  # SQLite online backup of a file
@pytest.mark.reliability("backup of a database another process is writing to", kind="storage fault")
def test_backup_of_a_database_being_written_is_consistent_and_complete(
    tmp_path: Path, live_database: Path, observed: Observed
) -> None:
    copy = tmp_path / "backups" / "casewatch-copy.db"
    copy.parent.mkdir()
    before = audit_rows(live_database)
    result = run_bot(["backup", str(copy)], bot_env(tmp_path), cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert audit_rows(live_database) > before  # the writer went on while the copy was made
    assert f"backed up 30 items ({len(tables(live_database))} tables" in result.stdout
    assert str(copy) in result.stdout
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = db.execute("SELECT count(*) FROM items").fetchone()[0]
    assert tables(copy) == tables(live_database)
    assert audit_rows(copy) >= before
    observed.record(items_lost=30 - stored)
    assert stored == 30
    assert not copy.with_name(copy.name + ".partial").exists()
    answer = run_bot(["case", "acme"], bot_env(tmp_path, CASEWATCH_DB=str(copy)), cwd=tmp_path)
    assert answer.returncode == 0 and "Acme" in answer.stdout, answer.stdout + answer.stderr


@pytest.mark.sqlite_only  # SQLite online backup of a file
def test_backup_refuses_to_overwrite_a_file_without_force(tmp_path: Path) -> None:
    seeded_database(tmp_path / "casewatch.db", items=2)
    existing = tmp_path / "important.db"
    existing.write_bytes(b"not to be lost")
    refused = run_bot(["backup", str(existing)], bot_env(tmp_path), cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"casewatch: {existing} exists: choose another file, or add --force to replace it"
    assert existing.read_bytes() == b"not to be lost"
    forced = run_bot(["backup", "--force", str(existing)], bot_env(tmp_path), cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "backed up 2 items" in forced.stdout
    with sqlite3.connect(existing) as db:
        assert db.execute("SELECT count(*) FROM items").fetchone() == (2,)


@pytest.mark.sqlite_only  # a missing SQLite file
def test_backup_of_a_missing_database_says_what_to_do(tmp_path: Path) -> None:
    missing = run_bot(["backup", str(tmp_path / "copy.db")], bot_env(tmp_path), cwd=tmp_path)
    assert missing.returncode == 1 and "no database at" in missing.stderr
    assert not (tmp_path / "casewatch.db").exists() and not (tmp_path / "copy.db").exists()


def test_backup_of_a_postgresql_database_points_to_pg_dump(tmp_path: Path) -> None:
    postgres = bot_env(tmp_path, CASEWATCH_DB="postgresql://casewatch:s3cret@db.example.org/casewatch")
    refused = run_bot(["backup", str(tmp_path / "copy.db")], postgres, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "pg_dump" in refused.stderr and "s3cret" not in refused.stderr
