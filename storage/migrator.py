"""The migration runner, the same on both engines.

Applied migrations are recorded in ``migrations(name, applied_at)``; on SQLite
the names sqlite-utils recorded in ``_sqlite_migrations`` (every file made
before issue 11) count as applied too. A new PostgreSQL database starts from a
baseline (the schema at the baseline migration, made at once), so the history
before it (SQLite-only DDL: FTS5, triggers, ``WITHOUT ROWID``) never runs there;
migrations after it are written once for both engines (:func:`storage.engine.ddl`).
A database that has a migration this code does not know was made by a newer
Casewatch: it is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.engine import MIGRATE_LOCK_KEY, Connection, PgDatabase

_CREATE_TABLE = "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
_SQLITE_UTILS_SET = "casewatch"  # sqlite-utils' migration set name, before issue 11


class DatabaseTooNew(Exception):
    """The database has a migration this Casewatch does not know."""


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Connection], None]


class Migrations:
    """Migrations in order; register one with ``@migrations()``. ``baseline``
    names the last migration a new PostgreSQL database gets from
    ``create_baseline`` instead of running each."""

    def __init__(self, *, baseline: str | None = None, create_baseline: Callable[[Connection], None] | None = None):
        self._migrations: list[Migration] = []
        self.baseline = baseline
        self.create_baseline = create_baseline

    def __call__(self) -> Callable[[Callable[[Connection], None]], Callable[[Connection], None]]:
        def register(function: Callable[[Connection], None]) -> Callable[[Connection], None]:
            if function.__name__ in self.names:
                raise ValueError(f"migration {function.__name__} is registered twice")
            self._migrations.append(Migration(function.__name__, function))
            return function

        return register

    @property
    def registered(self) -> tuple[Migration, ...]:
        return tuple(self._migrations)

    @property
    def names(self) -> list[str]:
        return [migration.name for migration in self._migrations]

    def applied(self, db: Connection) -> list[str]:
        """The names of the migrations applied to ``db``, in the order applied."""
        tables = _tables(db)
        names = []
        if "_sqlite_migrations" in tables:
            names += [
                name
                for (name,) in db.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id", [_SQLITE_UTILS_SET]
                )
            ]
        if "migrations" in tables:
            names += [name for (name,) in db.execute("SELECT name FROM migrations ORDER BY applied_at, name")]
        return names

    def pending(self, db: Connection) -> list[str]:
        done = set(self.applied(db))
        return [name for name in self.names if name not in done]

    def apply(self, db: Connection, *, stop_before: str | None = None) -> list[str]:
        """Apply the pending migrations (each in a transaction with its record),
        stopping before ``stop_before`` if given; returns the names applied.
        Raises :class:`DatabaseTooNew` for a database with an unknown migration."""
        with _migrating(db):
            applied = self.applied(db)
            self._refuse_unknown(db, applied)
            if stop_before in applied:
                raise ValueError(f"cannot stop before {stop_before}: already applied")
            done: list[str] = []
            if isinstance(db, PgDatabase) and not applied and self.baseline:
                done += self._start_from_baseline(db)
            for migration in self._migrations:
                if migration.name == stop_before:
                    break
                if migration.name in applied or migration.name in done:
                    continue
                with db.atomic():
                    migration.apply(db)
                    _record(db, [migration.name])
                done.append(migration.name)
            return done

    def _refuse_unknown(self, db: Connection, applied: list[str]) -> None:
        unknown = sorted(set(applied) - set(self.names))
        if unknown:
            raise DatabaseTooNew(
                f"database is newer than this Casewatch: upgrade (it has migration {', '.join(unknown)})"
            )

    def _start_from_baseline(self, db: Connection) -> list[str]:
        assert self.baseline is not None and self.create_baseline is not None
        covered = self.names[: self.names.index(self.baseline) + 1]
        with db.atomic():
            self.create_baseline(db)
            _record(db, covered)
        return covered


def _tables(db: Connection) -> set[str]:
    if isinstance(db, PgDatabase):
        rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    else:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows}


def _record(db: Connection, names: list[str]) -> None:
    db.execute(_CREATE_TABLE)
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    db.conn.executemany("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", [(name, now) for name in names])


@contextmanager
def _migrating(db: Connection) -> Iterator[None]:
    """On PostgreSQL, one process migrates at a time (the others wait, then find nothing to do)."""
    if not isinstance(db, PgDatabase):
        yield
        return
    db.execute("SELECT pg_advisory_lock(?)", [MIGRATE_LOCK_KEY])
    try:
        yield
    finally:
        db.execute("SELECT pg_advisory_unlock(?)", [MIGRATE_LOCK_KEY])
