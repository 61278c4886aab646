"""The typed vocabulary (feeds/vocabulary.py) against the schema: every
``CHECK (column IN (...))`` of the migrated database lists exactly the members
of its enum, so a migration that changes a list without the enum (or an enum
changed without a migration) fails here."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path

import pytest
from sqlite_utils import Database

from feeds.vocabulary import Action, AlertStatus, CasePartyRole, FeedKind, FilterKind, WatchKind, WatchMode
from handlers.case_answer import ACTION_LABELS

CHECKED_SETS: dict[tuple[str, str], type[StrEnum]] = {
    ("feeds", "kind"): FeedKind,
    ("watches", "kind"): WatchKind,
    ("watches", "mode"): WatchMode,
    ("alerts", "status"): AlertStatus,
    ("case_parties", "role"): CasePartyRole,
    ("watch_filters", "kind"): FilterKind,
}
_CHECK_IN = re.compile(r"CHECK\s*\(\s*(\w+)\s+IN\s*\(([^)]*)\)\s*\)", re.IGNORECASE)
LABELS = Path(__file__).parent / "data" / "extraction" / "labels"


def schema_checks(db: Database) -> dict[tuple[str, str], list[str]]:
    """(table, column) → the values its CHECK allows, in the schema's order, after every migration."""
    checks: dict[tuple[str, str], list[str]] = {}
    for table, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"):
        for column, values in _CHECK_IN.findall(sql):
            checks[(table, column)] = [value.strip().strip("'") for value in values.split(",")]
    return checks


@pytest.mark.sqlite_only  # reads SQLite's schema text; test_engine's parity test holds PostgreSQL's to it
def test_every_checked_list_equals_its_enum(memory_db: Database) -> None:
    checks = schema_checks(memory_db)
    assert set(checks) == set(CHECKED_SETS), "a CHECK list without an enum, or an enum whose CHECK is gone"
    for place, enum in CHECKED_SETS.items():
        assert checks[place] == [member.value for member in enum], place


def test_members_equal_their_strings_so_sql_and_json_keep_working(memory_db: Database) -> None:
    memory_db.execute(
        "INSERT INTO feeds (name, url, kind, interval_minutes, created_at) VALUES (?, ?, ?, ?, ?)",
        ["SEC", "https://www.sec.gov/rss", FeedKind.REGULATOR, 10, "2024-01-01T00:00:00+00:00"],
    )
    (kind,) = memory_db.execute("SELECT kind FROM feeds WHERE kind = ?", [FeedKind.REGULATOR]).fetchone()
    assert kind == FeedKind.REGULATOR and type(kind) is str
    assert json.dumps({"mode": WatchMode.DAILY}) == '{"mode": "daily"}'
    assert f"{Action.ADMINISTRATIVE_PROCEEDING}" == "administrative proceeding"


def test_every_labelled_kind_of_action_is_in_the_vocabulary() -> None:
    """The labelled extraction set was written to the contract's vocabulary; the
    enum must hold all of it (an item that says no kind of action is labelled null)."""
    actions = {
        json.loads(line)["action"]
        for path in LABELS.glob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    } - {None}
    assert actions and actions <= set(Action), actions - set(Action)


def test_every_kind_of_action_has_a_label_for_people() -> None:
    assert set(ACTION_LABELS) == set(Action)
