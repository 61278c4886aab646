"""``/case`` ranks its candidates by their last activity as the database holds it
now, though a process keeps every case's last activity in memory
(storage.case_activity): changes made by any connection, cases added since, a
log pruned past what the process read, times written otherwise, and a
transaction's own changes. Each test runs on both engines."""

from __future__ import annotations

import pytest

from storage.case_activity import LOG_ROWS_KEPT, activity_key
from storage.database import write_transaction
from storage.engine import Connection
from storage.search import find_cases
from tests.pg import EngineDatabase
from tests.test_fulltext import World


def _acme_cases(db: Connection, count: int) -> tuple[World, list[int]]:
    """``count`` cases whose names begin "Acme", each more recently active than the one before."""
    world = World(db)
    return world, [world.case(f"Acme Holdings {number}") for number in range(count)]


def _touch(db: Connection, case_id: int, last_event_at: str) -> None:
    db.execute("UPDATE cases SET last_event_at = ? WHERE id = ?", [last_event_at, case_id])


def test_a_case_made_the_most_recently_active_by_another_connection_comes_first(engine_db: EngineDatabase) -> None:
    server, writer = engine_db.open(), engine_db.open()
    _, cases = _acme_cases(writer, 5)
    assert find_cases(server, "acm").case_ids == cases[::-1][:3]  # a prefix: ranked by last activity
    _touch(writer, cases[0], "2030-01-01T00:00:00+00:00")
    assert find_cases(server, "acm").case_ids == [cases[0], cases[4], cases[3]]
    _touch(writer, cases[0], "2001-01-01T00:00:00+00:00")
    assert find_cases(server, "acm").case_ids == cases[::-1][:3]


def test_a_case_added_after_the_process_read_the_others_is_ranked(engine_db: EngineDatabase) -> None:
    server, writer = engine_db.open(), engine_db.open()
    world, cases = _acme_cases(writer, 4)
    assert find_cases(server, "acm").case_ids == cases[::-1][:3]
    newest = world.case("Acme Holdings 9")
    assert find_cases(server, "acm").case_ids == [newest, cases[3], cases[2]]


def test_changes_pruned_from_the_log_before_the_process_read_them_are_not_missed(engine_db: EngineDatabase) -> None:
    server, writer = engine_db.open(), engine_db.open()
    _, cases = _acme_cases(writer, 5)
    _touch(writer, cases[4], "2029-01-01T00:00:00+00:00")  # a first row in the log, which the server reads
    assert find_cases(server, "acm").case_ids == cases[::-1][:3]
    _touch(writer, cases[0], "2030-01-01T00:00:00+00:00")
    _touch(writer, cases[1], "2031-01-01T00:00:00+00:00")
    writer.execute("DELETE FROM case_activity_changes WHERE case_id <> ?", [cases[1]])  # as pruning would
    assert find_cases(server, "acm").case_ids == [cases[1], cases[0], cases[4]]


def test_the_log_keeps_its_newest_rows_only(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    _, cases = _acme_cases(db, 1)
    for log_id in (LOG_ROWS_KEPT, 3 * LOG_ROWS_KEPT):  # as if 150,000 changes had been logged
        db.execute("INSERT INTO case_activity_changes (id, case_id) VALUES (?, ?)", [log_id, cases[0]])
    if engine_db.engine == "postgresql":
        db.execute("SELECT setval(pg_get_serial_sequence('case_activity_changes', 'id'), ?)", [3 * LOG_ROWS_KEPT])
    _touch(db, cases[0], "2030-01-01T00:00:00+00:00")
    logged = [log_id for (log_id,) in db.execute("SELECT id FROM case_activity_changes ORDER BY id")]
    assert logged == [3 * LOG_ROWS_KEPT, 3 * LOG_ROWS_KEPT + 1]


def test_times_written_otherwise_are_ranked_as_their_text_sorts(engine_db: EngineDatabase) -> None:
    server, writer = engine_db.open(), engine_db.open()
    _, cases = _acme_cases(writer, 4)
    _touch(writer, cases[0], "2030-01-01")  # a day only: later than any 2024 time as text
    _touch(writer, cases[1], "2030-01-01T00:00:00.5+00:00")
    assert find_cases(server, "acm").case_ids == [cases[1], cases[0], cases[3]]


def test_a_transaction_ranks_by_its_own_changes_and_leaves_nothing_behind(engine_db: EngineDatabase) -> None:
    db, server = engine_db.open(), engine_db.open()
    world, cases = _acme_cases(db, 4)
    assert find_cases(db, "acm").case_ids == cases[::-1][:3]
    with pytest.raises(RuntimeError), write_transaction(db):
        _touch(db, cases[0], "2030-01-01T00:00:00+00:00")
        assert find_cases(db, "acm").case_ids == [cases[0], cases[3], cases[2]]
        raise RuntimeError("rolled back")
    assert find_cases(server, "acm").case_ids == cases[::-1][:3]
    with pytest.raises(RuntimeError), write_transaction(db):
        latest_day, world.day = world.day, 0
        least_recent = world.case("Acme Holdings 8")  # added, not changed: not in the log
        world.day = latest_day
        assert find_cases(db, "acm", limit=5).case_ids == [*cases[::-1], least_recent]
        raise RuntimeError("rolled back")
    newest = world.case("Acme Holdings 9")  # on SQLite, the rolled-back case's id again
    assert find_cases(server, "acm").case_ids == [newest, cases[3], cases[2]]


def test_times_are_kept_as_numbers_that_sort_as_their_text() -> None:
    times = [
        "2024-05-01T12:00:00+00:00",
        "2024-05-01T12:00:01+00:00",
        "2024-12-31T23:59:59+00:00",
        "1999-01-01T00:00:00+00:00",
    ]
    assert sorted(times, key=activity_key) == sorted(times)
    assert activity_key(None) == activity_key("") == 0 < activity_key(times[3])
    assert activity_key("2024-05-01") == activity_key("2024-05-01T12:00:00-04:00") == -1
