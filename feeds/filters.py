"""Hide filters: the kinds of action and the phrases a channel does not want
alerts for on one of its watches (``/watch binance hide "pro hac vice"``).

A filter that names a kind of action (``order``, ``rulings``, ``guilty plea``)
or routine docket entries (``routine``) hides the events of that kind; any
other text is a phrase, which hides items whose title or summary holds it as
whole words. Both are compared folded, as the matcher compares names
(:func:`feeds.text.fold`: no case, accents or punctuation), so ``Pro Hac
Vice`` hides "PRO-HAC-VICE motion". Pure: storage keeps the filters and
records what they hid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from feeds.text import fold
from feeds.vocabulary import Action, FilterKind

ROUTINE = "routine"

# What people call each kind of action, folded: its own name, a few other
# names, and each plural (``orders``). Actions naming no case are no kind to hide.
_ACTION_NAMES = {
    **{action.value: action for action in Action if action is not Action.NONE},
    "guilty plea": Action.PLEA,
    "judgement": Action.JUDGMENT,
    "lawsuit": Action.COMPLAINT,
}
_KIND_NAMES: dict[str, tuple[FilterKind, str]] = {
    **{name: (FilterKind.ACTION, action.value) for name, action in _ACTION_NAMES.items()},
    **{f"{name}s": (FilterKind.ACTION, action.value) for name, action in _ACTION_NAMES.items()},
    ROUTINE: (FilterKind.ROUTINE, ROUTINE),
    "routine entry": (FilterKind.ROUTINE, ROUTINE),
    "routine entries": (FilterKind.ROUTINE, ROUTINE),
}


@dataclass(frozen=True)
class HideFilter:
    """One filter: its kind, what it compares (an action's value, ``routine``
    or the folded phrase) and the text as the user wrote it."""

    kind: FilterKind
    key: str
    text: str
    by_default: bool = False  # the rule every watch without ``all`` has, not one the channel added


DEFAULT_ROUTINE = HideFilter(FilterKind.ROUTINE, ROUTINE, ROUTINE, by_default=True)


def read_filter(text: str) -> HideFilter | None:
    """The filter ``text`` asks for, or None when nothing of it is left once
    folded (only punctuation or spaces: it would hide nothing, or everything)."""
    key = fold(text)
    if not key:
        return None
    kind, value = _KIND_NAMES.get(key, (FilterKind.PHRASE, key))
    return HideFilter(kind, value, text.strip())


class AlertSubject:
    """What filters look at in an event: its kind of action, whether it is a
    routine docket entry, and its first item's text (folded once, when a
    phrase filter first asks)."""

    def __init__(self, *, action: str, routine: bool, text: str):
        self.action = action
        self.routine = routine
        self.text = text

    @cached_property
    def padded_words(self) -> str:
        return f" {fold(self.text)} "


def hides(rule: HideFilter, subject: AlertSubject) -> bool:
    if rule.kind == FilterKind.ROUTINE:
        return subject.routine
    if rule.kind == FilterKind.ACTION:
        return subject.action == rule.key
    return f" {rule.key} " in subject.padded_words


def hiding_filter(filters: Iterable[HideFilter], subject: AlertSubject, *, include_routine: bool) -> HideFilter | None:
    """The filter that hides ``subject`` from a watch: the routine-entry
    default first (unless the watch asked for ``all``), then the watch's own
    filters in the order they were added; None if nothing hides it."""
    if subject.routine and not include_routine:
        return DEFAULT_ROUTINE
    return next((rule for rule in filters if hides(rule, subject)), None)
