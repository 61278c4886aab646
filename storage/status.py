"""A case's status, derived from its events: the newest decisive one wins.

:func:`case_status` is pure (events in, one word of the contract's vocabulary
out) so it can be tested as a table; :func:`status_of_case` reads the events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from feeds.vocabulary import Action

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
    ordered = sorted(events, key=lambda e: (e.day, _FINALITY.get(event_status(e.action, e.detail) or "", 0)))
    for event in reversed(ordered):
        status = event_status(event.action, event.detail)
        if status:
            return status
    substantive = [event for event in ordered if not event.routine and event.action not in (Action.NONE, Action.UPDATE)]
    if substantive and all(event.action in _OPENINGS for event in substantive):
        return "filed"
    return "pending"


def status_of_case(db: Database, case_id: int) -> str:
    return case_status(
        EventFacts(action, detail, day, bool(routine))
        for action, detail, day, routine in db.execute(
            "SELECT action, action_detail, event_day, routine FROM events WHERE case_id = ?", [case_id]
        )
    )
