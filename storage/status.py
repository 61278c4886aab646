"""A case's status, derived from its events: the newest decisive one wins.

:func:`case_status` is pure (events in, one word of the contract's vocabulary
out) so it can be tested as a table; :func:`status_of_case` reads the events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from feeds.vocabulary import Action
from storage.engine import indexed_by
from storage.schema import DECIDING_EVENT

STATUSES = (
    "filed",
    "pending",
    "motion to dismiss granted in part",
    "motion to dismiss denied",
    "motion to dismiss granted",
    "settled",
    "pleaded guilty",
    "judgment",
    "verdict",
    "sentenced",
    "dismissed",
    "closed",
    "on appeal",
)
# Which status wins when two decisive events share a day (a plea and its
# sentencing, a consent judgment and its settlement): the more final one.
_FINALITY = {
    "on appeal": 9,
    "sentenced": 8,
    "closed": 7,
    "dismissed": 6,
    "settled": 5,
    "judgment": 4,
    "verdict": 3,
    "pleaded guilty": 3,
    "motion to dismiss granted": 2,
    "motion to dismiss granted in part": 2,
    "motion to dismiss denied": 2,
}
_BY_ACTION = {
    Action.APPEAL: "on appeal",
    Action.SENTENCING: "sentenced",
    Action.VERDICT: "verdict",
    Action.JUDGMENT: "judgment",
    Action.SETTLEMENT: "settled",
    Action.PLEA: "pleaded guilty",
}
_OPENINGS = frozenset({Action.COMPLAINT, Action.INDICTMENT, Action.ADMINISTRATIVE_PROCEEDING})


@dataclass(frozen=True)
class EventFacts:
    action: str
    detail: str | None
    day: str
    routine: bool = False


def _ruling_status(detail: str) -> str | None:
    if "summary judgment" in detail:
        return "judgment"
    if "dismiss" not in detail:
        return None
    if "partial" in detail or "in part" in detail:
        return "motion to dismiss granted in part"
    if "denied" in detail or "deny" in detail:
        return "motion to dismiss denied"
    return "motion to dismiss granted"


def event_status(action: str, detail: str | None) -> str | None:
    """The status one event decides, or None when it decides nothing."""
    detail = (detail or "").lower()
    if action in _BY_ACTION:
        return _BY_ACTION[action]
    if action == Action.DISMISSAL:
        return "closed" if "close" in detail else "dismissed"
    if action == Action.RULING:
        return _ruling_status(detail)
    if action == Action.ADMINISTRATIVE_PROCEEDING and "settle" in detail:
        return "settled"
    return None


def case_status(events: Iterable[EventFacts]) -> str:
    """The status of a case with ``events`` (any order): the newest decisive
    event's; else "filed" while nothing but its opening (complaint,
    indictment, proceeding) and clerical entries is known; else "pending"."""
    return _status((event.action, event.detail, event.day, event.routine) for event in events)


def _status(events: Iterable[tuple[str, str | None, str, bool]]) -> str:
    """:func:`case_status` in one pass over (action, detail, day, routine): the
    decisive event of the latest day wins, the more final one on a tie, then
    the later one given."""
    best: tuple[str, int, int] | None = None
    decided = ""
    substantive, only_openings = False, True
    for index, (action, detail, day, routine) in enumerate(events):
        status = event_status(action, detail)
        if status:
            key = (day, _FINALITY.get(status, 0), index)
            if best is None or key > best:
                best, decided = key, status
        elif not routine and action not in ("none", "update"):
            substantive = True
            only_openings = only_openings and action in _OPENINGS
    if decided:
        return decided
    return "filed" if substantive and only_openings else "pending"


# The events that decide a status (those :func:`event_status` gives one), through the partial index
# of migration m022 (named on SQLite, whose planner would rather walk events_identity in the ORDER BY's
# order: storage.engine.indexed_by; the query holds the index's condition word for word): a busy docket has hundreds of
# rulings and filings that decide nothing. SQLite's lower() folds ASCII only; Python's lower() makes
# an ASCII letter of one other character only, the Kelvin sign (k), which none of the words holds.
_DECIDING_EVENTS = (
    "SELECT case_id, action, action_detail, event_day, routine FROM events{indexed} "
    f"WHERE case_id IN ({{marks}}) AND {DECIDING_EVENT} "
    "ORDER BY case_id, action, identity, event_day, id"
)
_OPENINGS_SQL = ", ".join(repr(str(action)) for action in sorted(_OPENINGS))
# Whether a case has a substantive event, and one that is no opening: each stops at the first
# such event (a busy docket has hundreds of filings, which counting read every one of).
_OPENINGS_ONLY = (
    "SELECT id, "
    f"EXISTS (SELECT 1 FROM events WHERE case_id = cases.id AND action IN ({_OPENINGS_SQL}) AND routine = 0), "
    "EXISTS (SELECT 1 FROM events WHERE case_id = cases.id AND routine = 0 "
    f"AND action NOT IN ({_OPENINGS_SQL}, 'none', 'update')) "
    "FROM cases WHERE id IN ({marks})"
)


def status_of_case(db: Database, case_id: int) -> str:
    """:func:`case_status` of the case's events, reading only those that may
    decide it, and asking SQL whether the rest hold a substantive event and
    one that is no opening when none does."""
    return statuses_of_cases(db, [case_id])[case_id]


def statuses_of_cases(db: Database, case_ids: list[int]) -> dict[int, str]:
    """:func:`status_of_case` of each of ``case_ids``, in at most two
    statements for all of them (a ``/case`` answer shows three cards)."""
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return {}
    deciding: dict[int, list[tuple[str, str | None, str, bool]]] = {case_id: [] for case_id in ids}
    query = _DECIDING_EVENTS.format(marks=", ".join("?" for _ in ids), indexed=indexed_by(db, "events_deciding"))
    for case_id, *event in db.execute(query, ids):
        deciding[case_id].append(tuple(event))  # type: ignore[arg-type]
    statuses = {case_id: _status(events) for case_id, events in deciding.items()}
    undecided = [case_id for case_id, status in statuses.items() if status in ("filed", "pending")]
    if undecided:
        found = {
            case_id: (substantive, others)
            for case_id, substantive, others in db.execute(
                _OPENINGS_ONLY.format(marks=", ".join("?" for _ in undecided)), undecided
            )
        }
        for case_id in undecided:
            substantive, others = found.get(case_id, (0, 0))
            statuses[case_id] = "filed" if substantive and not others else "pending"
    return statuses
