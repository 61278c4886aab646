"""Every case's last activity, in memory, so that ``/case`` ranks its
candidates (up to 200 cases whose names begin with a prefix) without reading
their rows: 200 row lookups and a sort were 0.3-0.5 ms of a prefix's 1.5.

A process reads ``cases.last_event_at`` once, then only what changed since:
cases added after the newest it knows (their ids are higher), and cases whose
last activity changed, which the database logs itself in
``case_activity_changes`` (a trigger on ``cases``, migration m028; the log
keeps its newest :data:`LOG_ROWS_KEPT` rows). A process that finds the last
row it read pruned (it fell that far behind) or gone (another file) reads
everything again. Inside a transaction nothing is read here (its rows could
still roll back): callers read the rows instead.

Times are kept as numbers that sort as their text does: ``2024-05-01T12:00:00+00:00``
as ``20240501120000``, none as 0. A time written any other way is unknown here,
and a ranking that meets one reads the rows."""

from __future__ import annotations

import re
import threading
from array import array

from storage.engine import Connection, PerDatabase

UNKNOWN = -1
LOG_ROWS_KEPT = 50_000  # as migration m028's trigger keeps them
_CANONICAL = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\+00:00")


def activity_key(last_event_at: str | None) -> int:
    """``last_event_at`` as a number that sorts as the text does (0: none), or :data:`UNKNOWN`."""
    if not last_event_at:
        return 0
    found = _CANONICAL.fullmatch(last_event_at)
    return int("".join(found.groups())) if found else UNKNOWN


class CaseActivity:
    """Each case's :func:`activity_key`, indexed by case id."""

    def __init__(self) -> None:
        self._keys = array("q")
        self._log_seen = 0  # the newest row of case_activity_changes applied (0: none)
        self._loaded = False
        self._lock = threading.Lock()

    def keys_of(self, db: Connection, case_ids: list[int]) -> list[int] | None:
        """The :func:`activity_key` of each case, or None when one of them is
        not known here (a time written otherwise, a case stored since, or a
        transaction open on ``db``)."""
        if db.conn.in_transaction:
            return None
        with self._lock:
            self._read_changes(db)
            keys = self._keys
            if not case_ids or max(case_ids) >= len(keys):
                return None
            found = list(map(keys.__getitem__, case_ids))
        return None if UNKNOWN in found else found

    def refresh(self, db: Connection) -> None:
        """Read what changed (everything, the first time), unless a transaction is open on ``db``."""
        if db.conn.in_transaction:
            return
        with self._lock:
            self._read_changes(db)

    def _read_changes(self, db: Connection) -> None:
        if not self._loaded:
            self._load(db)
            return
        rows = db.execute(
            "SELECT log.id, cases.id, cases.last_event_at FROM case_activity_changes AS log "
            "JOIN cases ON cases.id = log.case_id WHERE log.id >= ? "
            "UNION ALL SELECT NULL, id, last_event_at FROM cases WHERE id >= ?",
            [self._log_seen, len(self._keys)],
        ).fetchall()
        logged = [log_id for log_id, _, _ in rows if log_id is not None]
        if self._may_have_missed(logged):
            self._load(db)
            return
        keys = self._keys
        highest = max((case_id for _, case_id, _ in rows), default=-1)
        if highest >= len(keys):
            keys.extend([UNKNOWN] * (highest + 1 - len(keys)))
        for _, case_id, last_event_at in rows:
            keys[case_id] = activity_key(last_event_at)
        self._log_seen = max(logged, default=self._log_seen)

    def _may_have_missed(self, logged: list[int]) -> bool:
        """Whether log rows were pruned before this process read them, judged by
        the rows ``logged`` from the last one it read on."""
        if self._log_seen:
            return self._log_seen not in logged  # the last row read is gone (pruned, or another file)
        return min(logged, default=1) > 1  # the log was empty when loaded, and its first rows are gone

    def _load(self, db: Connection) -> None:
        (newest,) = db.execute("SELECT coalesce(max(id), 0) FROM case_activity_changes").fetchone()
        (highest,) = db.execute("SELECT coalesce(max(id), -1) FROM cases").fetchone()
        keys = array("q", [UNKNOWN]) * (highest + 1)
        for case_id, last_event_at in db.execute("SELECT id, last_event_at FROM cases"):
            if case_id < len(keys):  # a case stored since is read by the next refresh
                keys[case_id] = activity_key(last_event_at)
        self._keys = keys
        self._log_seen = newest  # read before the cases: a change since is read again, never missed
        self._loaded = True


# The CaseActivity of a database, shared by the process's connections to it.
case_activity = PerDatabase(CaseActivity)
