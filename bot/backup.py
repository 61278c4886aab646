"""``python -m bot backup FILE``: a consistent copy of a live SQLite database.

SQLite's online backup API copies the database page by page while ``run``
keeps writing. The copy is made inside one read transaction on the source:
in WAL mode writers go on meanwhile, and every step reads the same snapshot,
so the copy is the database as it was at one instant and never restarts
because another process wrote (which, with a busy writer, could restart it
forever). The copy goes to ``FILE.partial`` and is renamed over ``FILE`` only
once it passed ``PRAGMA integrity_check``: a failed backup never leaves a
half-written ``FILE``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PAGES_PER_STEP = 1024  # 4 MiB of 4 KiB pages between two progress reports


class BackupRefused(Exception):
    """The backup was not made (the target exists, or the copy is damaged)."""


@dataclass(frozen=True)
class BackupResult:
    target: Path
    items: int
    tables: int
    pages: int
    size_bytes: int

    def summary(self) -> str:
        size = f"{self.size_bytes / 1_000_000:.1f} MB" if self.size_bytes >= 100_000 else f"{self.size_bytes:,} bytes"
        return f"backed up {self.items:,} items ({self.tables} tables, {self.pages:,} pages, {size}) to {self.target}"


def backup_sqlite(
    source: Path,
    target: Path,
    *,
    force: bool = False,
    pages_per_step: int = PAGES_PER_STEP,
    progress: Callable[[int, int], None] | None = None,
) -> BackupResult:
    """Copy the SQLite database ``source`` to ``target`` (refused if ``target``
    exists, unless ``force``). ``progress(pages_done, pages_total)`` is called
    after each step."""
    if target.exists() and not force:
        raise BackupRefused(f"{target} exists: choose another file, or add --force to replace it")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(source, isolation_level=None, timeout=10)) as live:
        live.execute("BEGIN")  # one snapshot for every step, the item count included
        items = live.execute("SELECT count(*) FROM items").fetchone()[0]
        tables = live.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        with contextlib.closing(sqlite3.connect(partial)) as copy:
            live.backup(copy, pages=pages_per_step, progress=_reporting(progress))
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        live.execute("COMMIT")
    if problems != ["ok"]:
        partial.unlink(missing_ok=True)
        raise BackupRefused(
            f"the copy failed SQLite's integrity check ({'; '.join(problems[:3])}); {target} not written"
        )
    os.replace(partial, target)
    return BackupResult(target, items, tables, pages, target.stat().st_size)


def _reporting(progress: Callable[[int, int], None] | None) -> Callable[[int, int, int], None] | None:
    """sqlite3's progress callback (status, pages left, total) as (done, total)."""
    if progress is None:
        return None
    return lambda status, remaining, total: progress(total - remaining, total)
