"""storage.engine and the migration runner: SQLite's dialect on PostgreSQL, URLs,
the PostgreSQL baseline's parity with SQLite's schema, and the storage modules
that do not search behaving alike on both engines (issue 11)."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from feeds.filters import HideFilter
from feeds.vocabulary import FeedKind, FilterKind, WatchKind, WatchMode
from storage import audit, workspaces
from storage.database import (
    StorageUnavailable,
    ThreadDatabases,
    lock_wait,
    open_database,
    savepoint,
    storage_reason,
    write_transaction,
)
from storage.engine import (
    POSTGRESQL,
    SQLITE,
    CollationRefused,
    Connection,
    PgDatabase,
    ddl,
    describe,
    engine_of,
    parse_url,
    translate,
)
from storage.feeds import (
    add_feed,
    change_feed,
    enabled_feeds,
    follow_news_search,
    listed_feeds,
    record_failure,
    record_success,
    retire_news_search,
    sync_catalog,
)
from storage.leases import hold, release
from storage.migrator import DatabaseTooNew, Migrations
from storage.schema import migrations
from storage.watch_filters import (
    HiddenHit,
    add_filters,
    filtered_watches,
    hidden_counts,
    hidden_in_channel,
    record_hidden,
    remove_filters,
    set_note,
)
from storage.watches import (
    WatchSpec,
    add_watch,
    case_watch_in_channel,
    cases_watched_in_channel,
    channel_watches,
    is_watched_anywhere,
    matchable_watches,
    other_channels_watching,
    remove_watch,
    watch_version,
)
from tests.pg import Databases, EngineDatabase

TEAM, CHANNEL, USER = "T1", "C1", "U1"

# --- SQLite's dialect on PostgreSQL -------------------------------------------------


def test_placeholders_are_translated_and_percent_signs_doubled_outside_and_inside_literals() -> None:
    assert translate("SELECT '?%', ? FROM t WHERE a LIKE '% ' || ?") == (
        "SELECT '?%%', %s FROM t WHERE a LIKE '%% ' || %s",
        False,
    )
    assert translate("UPDATE t SET a = ?2 WHERE id = ?1 AND b = ?2") == (
        "UPDATE t SET a = %(p2)s WHERE id = %(p1)s AND b = %(p2)s",
        True,
    )
    assert translate('SELECT "a?b" FROM t WHERE x = ?') == ('SELECT "a?b" FROM t WHERE x = %s', False)
    assert translate("SELECT 'it''s ?' || ?") == ("SELECT 'it''s ?' || %s", False)
    assert translate("SELECT ? -- it's 5% or ?\n/* ? */ + ?") == ("SELECT %s -- it's 5%% or ?\n/* ? */ + %s", False)
    with pytest.raises(ValueError, match="mixed"):
        translate("SELECT ?, ?2")


def test_translated_statements_read_the_same_on_postgresql(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    (row,) = db.execute("SELECT '5%', ?1 || '%', ?2 + ?1, ?1 * 2", [3, 4]).fetchall()
    assert tuple(row) == ("5%", "3%", 7, 6)
    assert list(db.query("SELECT ? AS a, 'x' AS b", [1])) == [{"a": 1, "b": "x"}]


def test_bools_are_stored_and_compared_as_0_and_1(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    db.execute(
        "INSERT INTO feeds (name, url, kind, interval_minutes, enabled, paused, created_at) "
        "VALUES ('f', 'u', 'news', 5, ?, ?, 'now')",
        [True, False],
    )
    assert db.execute("SELECT enabled, paused FROM feeds WHERE enabled = ? AND paused = ?", [True, False]).fetchall()
    assert tuple(db.execute("SELECT ? + 0, ? + 0", [True, False]).fetchone()) == (1, 0)


def test_a_statement_text_is_translated_once() -> None:
    translate.cache_clear()
    for _ in range(3):
        translate("SELECT ? -- once")
    assert translate.cache_info().hits == 2 and translate.cache_info().misses == 1


# --- URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "engine", "target"),
    [
        ("postgresql://u:p@db.example:5432/cw", POSTGRESQL, "postgresql://u:p@db.example:5432/cw"),
        ("postgres://db.example/cw", POSTGRESQL, "postgres://db.example/cw"),
        ("/var/lib/casewatch/casewatch.db", SQLITE, "/var/lib/casewatch/casewatch.db"),
        ("data/casewatch.db", SQLITE, "data/casewatch.db"),
        ("sqlite:///data/casewatch.db", SQLITE, "data/casewatch.db"),
        ("sqlite:////var/casewatch.db", SQLITE, "/var/casewatch.db"),
        (":memory:", SQLITE, ":memory:"),
    ],
)
def test_the_url_chooses_the_engine(given: str, engine: str, target: str) -> None:
    url = parse_url(given)
    assert (url.engine, url.target) == (engine, target)


def test_another_scheme_is_refused_with_its_password_masked() -> None:
    with pytest.raises(ValueError, match="unsupported") as refused:
        parse_url("mysql://root:hunter2@db/cw")
    assert "hunter2" not in str(refused.value) and "mysql://root:***@db/cw" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://casewatch:s3cr%40t@db.example:5432/cw", "postgresql://casewatch:***@db.example:5432/cw"),
        ("postgresql://db.example/cw?password=s3cret&sslmode=require", "postgresql://db.example/cw?password=***&sslmode=require"),
        ("postgresql://casewatch@db.example/cw", "postgresql://casewatch@db.example/cw"),
        ("/srv/casewatch.db", "/srv/casewatch.db"),
    ],
)  # fmt: skip
def test_describe_masks_the_password(url: str, shown: str) -> None:
    assert describe(url) == shown


@pytest.mark.reliability("the PostgreSQL server cannot be reached", kind="storage fault")
def test_an_unreachable_server_is_storage_unavailable_without_the_password(unused_port: int) -> None:
    url = f"postgresql://casewatch:hunter2@127.0.0.1:{unused_port}/cw?connect_timeout=2"
    with pytest.raises(StorageUnavailable, match="storage: database unreachable") as refused:
        open_database(url)
    assert "hunter2" not in str(refused.value)
    assert "hunter2" not in "".join(str(link) for link in _chain(refused.value))


def _chain(error: BaseException | None) -> list[BaseException]:
    found = []
    while error is not None:
        found.append(error)
        error = error.__cause__ or error.__context__
    return found


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: nothing listens there


# --- PostgreSQL's outside causes -----------------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("LockNotAvailable", "database locked"),
        ("DeadlockDetected", "database deadlock"),
        ("DiskFull", "disk full"),
        ("ReadOnlySqlTransaction", "database is read-only"),
        ("AdminShutdown", "database unreachable"),
        ("ConnectionFailure", "database unreachable"),
        ("SqlclientUnableToEstablishSqlconnection", "database unreachable"),
        ("OperationalError", "database unreachable"),  # a lost connection: no SQLSTATE
        ("UniqueViolation", None),
        ("UndefinedColumn", None),
    ],
)
def test_postgresql_errors_by_sqlstate(error: str, reason: str | None) -> None:
    import psycopg  # here: collecting this file must not cost psycopg's import

    assert storage_reason(getattr(psycopg.errors, error)()) == reason


@pytest.mark.reliability("another process holds the write lock past the timeout", kind="storage fault")
def test_a_held_write_lock_is_storage_unavailable(engine_db: EngineDatabase) -> None:
    holder, waiter = engine_db.open(), engine_db.open()
    with write_transaction(holder):
        holder.execute("INSERT INTO leases (name, holder, expires_at) VALUES ('x', 'a', 'b')")
        refused = pytest.raises(StorageUnavailable, match="database locked")
        with lock_wait(waiter, 0.2), refused, write_transaction(waiter):
            waiter.execute("DELETE FROM leases")
    assert hold(waiter, "poller", "w", timedelta(seconds=5))  # the usual wait is back, the lock free


@pytest.mark.reliability("the PostgreSQL database is read-only (a standby)", kind="storage fault")
def test_a_read_only_postgresql_database_is_storage_unavailable(pg_databases: Databases) -> None:
    url = pg_databases.create()
    try:
        pg_databases.admin.execute(f"ALTER DATABASE {url.rsplit('/', 1)[1]} SET default_transaction_read_only = on")
        db = open_database(url)
        with pytest.raises(StorageUnavailable, match="read-only"):
            audit_once(db)
        db.close()
    finally:
        pg_databases.drop(url)


def audit_once(db: Connection) -> None:
    with write_transaction(db):
        audit.record(db, team_id=TEAM, actor=USER, action="tested")


def test_a_database_without_the_c_collation_is_refused(pg_databases: Databases) -> None:
    name = f"{pg_databases.prefix}_icu"
    pg_databases.admin.execute(
        f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
    )
    url = pg_databases.url(name)
    try:
        with pytest.raises(CollationRefused, match="C collation"):
            open_database(url)
    finally:
        pg_databases.drop(url)


# --- the migration runner -----------------------------------------------------------


def test_a_database_newer_than_this_casewatch_is_refused(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    db.execute("INSERT INTO migrations (name, applied_at) VALUES ('m999_from_the_future', 'later')")
    with pytest.raises(DatabaseTooNew, match="database is newer than this Casewatch: upgrade"):
        open_database(engine_db.url)


def test_a_file_migrated_by_sqlite_utils_keeps_its_history(tmp_path: Path) -> None:
    """Files made before issue 11 recorded their migrations in sqlite-utils'
    ``_sqlite_migrations``: nothing is run again, and a newer one is still refused."""
    path = tmp_path / "old.db"
    db = open_database(path)
    db.executescript(
        """
        CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set TEXT, name TEXT, applied_at TEXT);
        INSERT INTO _sqlite_migrations (migration_set, name, applied_at)
            SELECT 'casewatch', name, applied_at FROM migrations ORDER BY name;
        DROP TABLE migrations;
        """
    )
    db.close()
    again = open_database(path)
    assert migrations.pending(again) == [] and len(migrations.applied(again)) == len(migrations.names)
    again.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('casewatch', 'm999', '')")
    with pytest.raises(DatabaseTooNew):
        open_database(path)


def test_a_migration_written_once_runs_on_both_engines(engine_db: EngineDatabase) -> None:
    later = Migrations(baseline=migrations.baseline, create_baseline=migrations.create_baseline)
    for migration in migrations.registered:
        later()(migration.apply)

    @later()
    def m999_notes(db: Connection) -> None:
        db.executescript(ddl(db, "CREATE TABLE notes (id {id}, case_id {int} NOT NULL, text TEXT NOT NULL);"))

    db = engine_db.open()
    assert later.apply(db) == ["m999_notes"]
    ids = [db.execute("INSERT INTO notes (case_id, text) VALUES (1, 'x') RETURNING id").fetchone()[0] for _ in "ab"]
    assert ids == [1, 2] and later.pending(db) == []
    with pytest.raises(DatabaseTooNew):
        open_database(engine_db.url)  # this Casewatch does not know m999_notes


def test_processes_starting_together_migrate_once(pg_databases: Databases) -> None:
    url = pg_databases.create(migrated=False)
    opened: list[Connection] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def start_one() -> None:
        start.wait()
        try:
            opened.append(open_database(url, busy_timeout_ms=20_000))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=start_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == [] and len(opened) == 4
        assert migrations.applied(opened[0]) == migrations.names
    finally:
        for db in opened:
            db.close()
        pg_databases.drop(url)


# --- the baseline's parity with SQLite's schema --------------------------------------


@dataclass
class Table:
    columns: dict[str, tuple[str, bool, str | None]]  # name: (kind, not null, default)
    primary_key: tuple[str, ...]
    uniques: set[tuple[str, ...]]
    foreign_keys: set[tuple[tuple[str, ...], str, tuple[str, ...], str]]
    indexes: dict[str, tuple[tuple[str, ...], bool, bool]]  # name: (columns, unique, partial)


BOOKKEEPING = {"migrations", "_sqlite_migrations"}
# Where SQLite's implicit rowid is read (change logs, insertion order): a real column on PostgreSQL.
ROWID_TABLES = ("case_parties", "case_dockets", "watch_aliases")
_KINDS = {
    "INTEGER": "integer",
    "bigint": "integer",
    "TEXT": "text",
    "text": "text",
    "tsvector": "tsvector",
    "DOUBLE PRECISION": "double",
    "double precision": "double",
}


PG_INSTALLED_AT = "to_char((now() AT TIME ZONE 'UTC'::text), 'YYYY-MM-DD HH24:MI:SS'::text)"


def _default(value: str | None) -> str | None:
    if value is None:
        return None
    for suffix in ("::text", "::bigint", "::tsvector"):
        value = value.removesuffix(suffix)
    return value


def sqlite_schema(db: Database) -> tuple[dict[str, Table], set[str]]:
    master = list(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    virtual = {name for kind, name, _, sql in master if kind == "table" and sql.startswith("CREATE VIRTUAL")}
    shadow = {name for kind, name, _, _ in master if kind == "table" and any(name.startswith(f"{v}_") for v in virtual)}
    tables = {}
    for name in sorted({name for kind, name, _, _ in master if kind == "table"} - virtual - shadow - BOOKKEEPING):
        info = list(db.execute(f"PRAGMA table_info({name})"))
        key = tuple(column for _, column, *_, pk in sorted(info, key=lambda row: row[5]) if pk)
        columns = {
            column: (_KINDS[kind], bool(notnull) or column in key, _default(dflt))
            for _, column, kind, notnull, dflt, _ in info
        }
        uniques, indexes = set(), {}
        for _, index, unique, origin, partial in db.execute(f"PRAGMA index_list({name})"):
            indexed = tuple(row[2] for row in db.execute(f"PRAGMA index_info({index})"))
            if origin == "u":
                uniques.add(indexed)
            elif origin == "c":
                indexes[index] = (indexed, bool(unique), bool(partial))
        foreign = {}
        for number, _, target, source, to, _, on_delete, _ in db.execute(f"PRAGMA foreign_key_list({name})"):
            foreign.setdefault(number, ([], target, [], on_delete))
            foreign[number][0].append(source)
            foreign[number][2].append(to)
        keys = {(tuple(s), t, tuple(o), d) for s, t, o, d in foreign.values()}
        tables[name] = Table(columns, key, uniques, keys, indexes)  # fmt: skip
    triggers = {name for kind, name, _, sql in master if kind == "trigger" and not any(v in sql for v in virtual)}
    return tables, triggers


def expected_on_postgresql(db: Database) -> tuple[dict[str, Table], set[str]]:
    """SQLite's schema as the baseline's design maps it (see storage/pg_baseline.sql)."""
    tables, triggers = sqlite_schema(db)
    for name in ROWID_TABLES:
        tables[name].columns["rowid"] = ("integer", True, None)
        tables[name].uniques.add(("rowid",))
    items = tables["items"]
    items.columns["search"] = ("tsvector", False, None)
    items.indexes["item_search"] = (("search",), False, False)  # FTS5 item_search
    items.indexes["loose_item_search"] = (("search",), False, True)  # FTS5 loose_item_search: items of no case
    text = ("text", True, "''")
    words = ("tsvector", True, "''")
    tables["case_search"] = Table(  # FTS5 case_search: its columns, and their words
        {"rowid": ("integer", True, None), "parties": text, "caption": text, "dockets": text,
         "search": words, "parties_search": words},
        ("rowid",), set(), set(),
        {"case_search_words": (("search",), False, False), "case_search_parties": (("parties_search",), False, False)},
    )  # fmt: skip
    for name in ("slack_installations", "slack_bots"):  # SQLite's CURRENT_TIMESTAMP, as storage.engine.ddl writes it
        tables[name].columns["installed_at"] = ("text", True, PG_INSTALLED_AT)
    return tables, triggers


_PG_COLUMNS = """
SELECT table_name, column_name, data_type, is_nullable = 'NO', column_default
FROM information_schema.columns WHERE table_schema = current_schema()
"""
_PG_CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.contype,
       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
       c.confrelid::regclass::text,
       ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i),
       c.confdeltype
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'f')
"""
_PG_INDEXES = """
SELECT t.relname, i.relname, ix.indisunique, ix.indpred IS NOT NULL,
       ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(n, o)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o)
FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)
"""
_ON_DELETE = {"a": "NO ACTION", "c": "CASCADE", "r": "RESTRICT", "n": "SET NULL", "d": "SET DEFAULT"}


def postgresql_schema(db: PgDatabase) -> tuple[dict[str, Table], set[str]]:
    tables: dict[str, Table] = {}
    for table, column, kind, notnull, default in db.execute(_PG_COLUMNS):
        if table in BOOKKEEPING:
            continue
        found = tables.setdefault(table, Table({}, (), set(), set(), {}))
        found.columns[column] = (_KINDS[kind], notnull, _default(default))
    for table, kind, columns, target, to, on_delete in db.execute(_PG_CONSTRAINTS):
        if table in BOOKKEEPING:
            continue
        if kind == "p":
            tables[table].primary_key = tuple(columns)
        elif kind == "u":
            tables[table].uniques.add(tuple(columns))
        else:
            tables[table].foreign_keys.add((tuple(columns), target, tuple(to), _ON_DELETE[on_delete]))
    for table, index, unique, partial, columns in db.execute(_PG_INDEXES):
        if table not in BOOKKEEPING:
            tables[table].indexes[index] = (tuple(columns), unique, partial)
    triggers = {name for (name,) in db.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    return tables, triggers


def test_the_postgresql_baseline_matches_sqlites_schema(pg_databases: Databases) -> None:
    """Tables, columns (kind, NOT NULL, default), keys, foreign keys, indexes and
    triggers of a new database on each engine, the FTS5 tables mapped to their
    tsvector columns and GIN indexes, so that the two schemas cannot drift."""
    sqlite = open_database(":memory:")
    url = pg_databases.create()
    postgres = open_database(url)
    try:
        expected_tables, expected_triggers = expected_on_postgresql(sqlite)
        tables, triggers = postgresql_schema(postgres)
        assert sorted(tables) == sorted(expected_tables)
        for name, table in expected_tables.items():
            assert tables[name] == table, name
        assert triggers == expected_triggers
        assert migrations.applied(postgres) == migrations.applied(sqlite) == migrations.names
        for name in expected_tables:  # the rows a new database starts with (meta's version …)
            if name != "case_search":
                query = f"SELECT * FROM {name} ORDER BY 1"
                assert [tuple(row) for row in postgres.execute(query)] == sqlite.execute(query).fetchall(), name
    finally:
        sqlite.close()
        postgres.close()
        pg_databases.drop(url)


def test_text_sorts_by_code_point_on_both_engines(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    words = ["b", "B", "a ", "a!", "a", "é", "Z", "_"]
    db.conn.executemany("INSERT INTO search_terms (term) VALUES (?)", [(word,) for word in words])
    assert [term for (term,) in db.execute("SELECT term FROM search_terms ORDER BY term")] == sorted(words)


def test_an_item_changing_case_is_logged_on_both_engines(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    feed = add_feed(db, name="F", url="u", agency="", kind=FeedKind.NEWS, interval_minutes=5, actor=USER, team_id=TEAM)
    first, second = (
        db.execute("INSERT INTO cases (created_at) VALUES ('now') RETURNING id").fetchone()[0] for _ in "ab"
    )
    db.execute(
        "INSERT INTO items (id, feed_id, item_key, title, seen_at, event_at, case_id) "
        "VALUES (7, ?, 'k', 't', 'now', 'now', ?)",
        [feed.id, first],
    )
    db.execute("UPDATE items SET case_id = ? WHERE id = 7", [second])
    db.execute("UPDATE items SET case_id = ? WHERE id = 7", [second])  # not a move
    assert [item for (item,) in db.execute("SELECT item_id FROM item_case_moves")] == [7]


# --- connections for threads, and lent for a read ---------------------------------------


def test_reads_lent_in_turn_on_several_threads_get_one_connection_and_overlapping_reads_two(
    engine_db: EngineDatabase,
) -> None:
    databases = ThreadDatabases(engine_db.url)
    lent: list[object] = []

    def read() -> None:
        with databases.lend() as db:
            lent.append(db)
            assert db.execute("SELECT count(*) FROM cases").fetchone() == (0,)

    for _ in range(4):  # a server's threads taking requests in turn
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert len({id(db) for db in lent}) == 1
    with databases.lend() as first, databases.lend() as second:
        assert first is not second and first is lent[0]
    assert databases.get() is second  # a thread's own: the one idle longest, not the one lent most recently
    with databases.lend() as again:
        assert again is lent[0]
    for db in (first, second):
        db.close()


# --- storage modules that do not search, on both engines ----------------------------


@dataclass
class Spec:
    name: str
    url: str
    agency: str = "SEC"
    kind: FeedKind = FeedKind.REGULATOR
    interval_minutes: int = 10
    enabled: bool = True
    only_watched: bool = False


def test_catalog_feeds_commands_and_audit_behave_alike(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    sync_catalog(db, [Spec("SEC releases", "https://a.example/rss"), Spec("DOJ", "https://b.example/rss", "DOJ")])
    sync_catalog(db, [Spec("SEC releases", "https://a.example/rss2")])  # DOJ left the catalog; SEC's URL changed
    assert [(f.name, f.url, f.enabled) for f in enabled_feeds(db)] == [("SEC releases", "https://a.example/rss2", True)]
    added = add_feed(
        db, name="Court", url="https://c.example/f", agency="", kind=FeedKind.COURT, interval_minutes=15,
        actor=USER, team_id=TEAM,
    )  # fmt: skip
    change_feed(db, added, change="pause", actor=USER, team_id=TEAM)
    assert [(f.name, f.paused, f.items_stored) for f in listed_feeds(db)] == [
        ("SEC releases", False, 0),
        ("DOJ", False, 0),
        ("Court", True, 0),
    ]
    change_feed(db, added, change="remove", actor=USER, team_id=TEAM)
    again = add_feed(
        db, name="Court 2", url="https://c.example/f", agency="", kind=FeedKind.COURT, interval_minutes=15,
        actor=USER, team_id=TEAM,
    )  # fmt: skip
    assert again.id == added.id and not again.paused  # the removed feed with that URL came back
    assert follow_news_search(db, term="Binance", url="https://news.example/?q=binance", team_id=TEAM)
    assert not follow_news_search(db, term="Binance", url="https://news.example/?q=binance", team_id=TEAM)
    assert retire_news_search(db, url="https://news.example/?q=binance", still_watched=False)
    assert not retire_news_search(db, url="https://none.example/", still_watched=False)
    assert [row[4] for row in audit.audit_rows(db, TEAM)] == [
        "feed added",
        "feed paused",
        "feed removed",
        "feed added",
        "feed added",
    ]


def test_feed_health_is_recorded_alike(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    sync_catalog(db, [Spec("SEC", "https://a.example/rss")])
    (feed,) = enabled_feeds(db)
    record_failure(db, feed.id, "HTTP 503", next_poll_at="2026-11-26T06:00:00+00:00")
    record_failure(db, feed.id, "HTTP 503", next_poll_at="2026-11-26T06:10:00+00:00")
    (failing,) = enabled_feeds(db)
    assert (failing.consecutive_failures, failing.last_error, failing.failing_since is not None) == (
        2,
        "HTTP 503",
        True,
    )
    record_success(db, feed.id, etag='"e1"', last_modified=None, new_items=3, next_poll_at="2026-11-26T06:20:00+00:00")
    (healthy,) = enabled_feeds(db)
    assert (healthy.consecutive_failures, healthy.etag, healthy.failing_since) == (0, '"e1"', None)
    assert healthy.last_new_item_at is not None


def test_one_lease_holder_among_many_processes(engine_db: EngineDatabase) -> None:
    """Eight connections race for the lease at once: exactly one holds it."""
    dbs = [engine_db.open(busy_timeout_ms=10_000) for _ in range(8)]
    start = threading.Barrier(len(dbs))
    won: list[str] = []

    def contend(db: Connection, holder: str) -> None:
        start.wait()
        if hold(db, "poller", holder, timedelta(seconds=30)):
            won.append(holder)

    threads = [threading.Thread(target=contend, args=(db, f"p{n}")) for n, db in enumerate(dbs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert not hold(dbs[0], "poller", "late", timedelta(seconds=30))
    release(dbs[0], "poller", won[0])
    assert hold(dbs[1], "poller", "p1", timedelta(seconds=30))


def test_a_lease_is_renewed_by_its_holder_and_taken_over_only_once_lapsed(engine_db: EngineDatabase) -> None:
    first, second = engine_db.open(), engine_db.open()
    assert hold(first, "poller", "first", timedelta(seconds=30))
    assert not hold(second, "poller", "second", timedelta(seconds=30))
    assert hold(first, "poller", "first", timedelta(seconds=30))  # renewal
    assert hold(first, "poller", "first", timedelta(seconds=-1))  # lapses at once
    assert hold(second, "poller", "second", timedelta(seconds=30))  # taken over
    assert not hold(first, "poller", "first", timedelta(seconds=30))
    (expires,) = second.execute("SELECT expires_at FROM leases WHERE name = 'poller'").fetchone()
    assert expires > datetime.now(UTC).isoformat(timespec="milliseconds")  # ISO text like every time storage/ writes


def _watch(term: str, kind: WatchKind = WatchKind.NAME, **fields: object) -> WatchSpec:
    return WatchSpec(kind=kind, term=term, term_key=term.lower(), **fields)  # type: ignore[arg-type]


def test_watches_behave_alike(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    version = watch_version(db)
    binance, new = add_watch(
        db, team_id=TEAM, channel_id=CHANNEL, user_id=USER,
        spec=_watch("Binance", aliases=(("Binance Holdings", "binance holdings"), ("BNB", "bnb"))),
    )  # fmt: skip
    assert new and binance.aliases == ["Binance Holdings", "BNB"] and watch_version(db) == version + 1
    changed, new = add_watch(
        db, team_id=TEAM, channel_id=CHANNEL, user_id=USER,
        spec=_watch("Binance", mode=WatchMode.DAILY, include_routine=True, aliases=(("BNB", "bnb"),)),
    )  # fmt: skip
    assert not new and (changed.id, changed.mode, changed.include_routine) == (binance.id, WatchMode.DAILY, True)
    assert changed.aliases == ["Binance Holdings", "BNB"]  # an alias given again is kept once
    (case_id,) = db.execute("INSERT INTO cases (created_at) VALUES ('now') RETURNING id").fetchone()
    db.execute(
        "INSERT INTO case_dockets (case_id, docket_key, docket_short, display) VALUES (?, '1:23-cv-1', '23-1', 'x')",
        [case_id],
    )
    docket, _ = add_watch(
        db, team_id=TEAM, channel_id=CHANNEL, user_id=USER, spec=_watch("1:23-cv-1", kind=WatchKind.DOCKET)
    )
    add_watch(db, team_id=TEAM, channel_id="C2", user_id=USER, spec=_watch("Binance"))
    assert [watch.term for watch in channel_watches(db, TEAM, CHANNEL)] == ["Binance", "1:23-cv-1"]
    assert other_channels_watching(db, TEAM, WatchKind.NAME, "binance", CHANNEL) == ["C2"]
    assert is_watched_anywhere(db, WatchKind.DOCKET, "1:23-cv-1")
    found = case_watch_in_channel(db, TEAM, CHANNEL, case_id)
    assert found is not None and found.id == docket.id
    assert cases_watched_in_channel(db, TEAM, CHANNEL, [case_id, case_id + 1]) == {case_id}
    targets = {target.id: target for target in matchable_watches(db)}
    assert targets[binance.id].keys == ("binance", "binance holdings", "bnb")
    removed = remove_watch(db, team_id=TEAM, channel_id=CHANNEL, watch_id=binance.id, user_id=USER)
    assert removed is not None and removed.term == "Binance"
    again, _ = add_watch(db, team_id=TEAM, channel_id=CHANNEL, user_id=USER, spec=_watch("Binance"))
    assert again.id > docket.id + 1  # a removed watch's number is never given again
    assert [json.loads(detail)["term"] for *_, action, detail in audit.audit_rows(db, TEAM)] == [
        "Binance", "Binance", "1:23-cv-1", "Binance", "Binance", "Binance",
    ]  # fmt: skip


def _failed_alert(db: Connection, team_id: str, error: str) -> int:
    (event_id,) = db.execute(
        "INSERT INTO events (action, event_day, identity, first_item_id, created_at) "
        "VALUES ('complaint', '2026-11-26', '', 1, 'now') RETURNING id"
    ).fetchone()
    (alert_id,) = db.execute(
        "INSERT INTO alerts (team_id, channel_id, event_id, watch_id, matched_term, mode, status, next_attempt_at, "
        "last_error, created_at) VALUES (?, 'C1', ?, 1, 'x', 'instant', 'failed', 'now', ?, 'now') RETURNING id",
        [team_id, event_id, error],
    ).fetchone()
    return alert_id


def test_workspaces_pause_and_resume_alike(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    held = _failed_alert(db, TEAM, "token_revoked")
    other = _failed_alert(db, TEAM, "channel_not_found")
    assert workspaces.pause(db, TEAM, "bot token revoked")
    assert not workspaces.pause(db, TEAM, "app uninstalled")
    assert workspaces.is_paused(db, TEAM)
    assert workspaces.resume(db, TEAM, held_errors=frozenset({"token_revoked", "invalid_auth"})) == 1
    assert not workspaces.is_paused(db, TEAM)
    statuses = dict(db.execute("SELECT id, status FROM alerts").fetchall())
    assert statuses == {held: "pending", other: "failed"}
    assert workspaces.resume(db, TEAM, held_errors=frozenset()) == 0
    assert [row[4] for row in audit.audit_rows(db, TEAM)] == ["workspace paused", "workspace resumed"]


def test_the_engine_is_told_by_the_connection(engine_db: EngineDatabase) -> None:
    assert engine_of(engine_db.open()) == engine_db.engine


def test_a_sqlite_connection_is_the_raw_one_untranslated(tmp_path: Path) -> None:
    """The SQLite path stays sqlite-utils over sqlite3: nothing in between."""
    db = open_database(tmp_path / "x.db")
    assert isinstance(db, Database) and isinstance(db.conn, sqlite3.Connection)


def test_filters_notes_and_hidden_alerts_alike(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    watch, _ = add_watch(db, team_id=TEAM, channel_id=CHANNEL, user_id=USER, spec=_watch("Binance"))
    ruling = HideFilter(FilterKind.ACTION, "ruling", "rulings")
    phrase = HideFilter(FilterKind.PHRASE, "crypto", "crypto")
    filters = dict(team_id=TEAM, channel_id=CHANNEL, watch_id=watch.id, user_id=USER)
    assert add_filters(db, **filters, filters=[ruling, phrase]) == [ruling, phrase]
    assert add_filters(db, **filters, filters=[ruling]) == []
    assert remove_filters(db, **filters, filters=[phrase]) == [phrase]
    set_note(db, **filters, note="our client's competitor")
    (found,) = channel_watches(db, TEAM, CHANNEL)
    assert (found.filters, found.note, filtered_watches(db)) == ([ruling], "our client's competitor", {watch.id})
    feed = add_feed(db, name="F", url="u", agency="", kind=FeedKind.COURT, interval_minutes=5, actor=USER, team_id=TEAM)
    db.execute(
        "INSERT INTO items (id, feed_id, item_key, title, seen_at, event_at) "
        "VALUES (1, ?, 'k', 'Order on the motion to dismiss', 'now', '2026-11-26')",
        [feed.id],
    )
    (event_id,) = db.execute(
        "INSERT INTO events (action, event_day, identity, first_item_id, created_at) "
        "VALUES ('ruling', '2026-11-26', '', 1, 'now') RETURNING id"
    ).fetchone()
    hit = HiddenHit(TEAM, CHANNEL, watch.id, "Binance", ruling)
    with write_transaction(db):
        assert record_hidden(db, event_id=event_id, case_id=None, hidden=[hit, hit]) == 1
    hidden, total = hidden_in_channel(db, TEAM, CHANNEL)
    assert total == 1 and [(alert.action, alert.rule.text) for alert in hidden] == [("ruling", "rulings")]
    assert hidden_counts(db, TEAM, CHANNEL) == {watch.id: 1}


def test_a_savepoint_undoes_only_its_block_alike(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    with write_transaction(db):
        audit.record(db, team_id=TEAM, actor=USER, action="kept")
        with pytest.raises(KeyError), savepoint(db):
            audit.record(db, team_id=TEAM, actor=USER, action="undone")
            raise KeyError("one item failed")
        with db.atomic():  # nested: a savepoint on both engines
            audit.record(db, team_id=TEAM, actor=USER, action="nested")
    assert [row[4] for row in audit.audit_rows(db, TEAM)] == ["kept", "nested"]


def test_thread_databases_give_each_thread_its_connection_alike(engine_db: EngineDatabase) -> None:
    databases = ThreadDatabases(engine_db.url, busy_timeout_ms=2_000)
    databases.prepare(2, lambda db: db.execute("SELECT count(*) FROM feeds").fetchone())
    opened: list[Connection] = []

    def write(number: int) -> None:
        db = databases.get()
        opened.append(db)
        with write_transaction(db):
            audit.record(db, team_id=TEAM, actor=f"thread {number}", action="wrote")
        db.close()  # in its thread: SQLite's connections belong to one

    threads = [threading.Thread(target=write, args=(number,)) for number in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mine = databases.get()
    assert len({id(db) for db in [*opened, mine]}) == 4
    assert sorted(row[3] for row in audit.audit_rows(mine, TEAM)) == ["thread 0", "thread 1", "thread 2"]
    mine.close()
