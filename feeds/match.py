"""Which watches a new item alerts.

Name watches match a whole name: the watched name (or an alias), folded and
stripped of corporate suffixes, must appear as whole words in the item's text
or among its case's parties. ``binance`` matches "Binance Holdings Limited",
"BINANCE.US" and "Binance's"; ``meta`` does not match "metadata". One
Aho-Corasick automaton holds every watched name, so the cost of matching an
item grows with its length, not with the number of watches. Docket and case
watches are dictionary lookups.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick
from sqlite_utils import Database

from feeds.text import fold

# Padding that no folded word contains, so patterns never match across the
# boundary between the item's text and its parties.
_SEPARATOR = " \x00 "


@dataclass(frozen=True)
class WatchTarget:
    """What the matcher knows of one watch."""

    id: int
    team_id: str
    channel_id: str
    kind: str
    term: str
    keys: tuple[str, ...]
    case_id: int | None
    mode: str
    include_routine: bool


@dataclass(frozen=True)
class Hit:
    watch: WatchTarget
    matched: str  # the watched term, as the user wrote it


def haystack(folded_text: str, party_keys: Iterable[str]) -> str:
    """The text the automaton reads: the item's folded text and its parties' keys, apart."""
    return f" {folded_text} " + _SEPARATOR + _SEPARATOR.join(f" {key} " for key in party_keys) + " "


class WatchIndex:
    def __init__(self, watches: Iterable[WatchTarget]):
        self._automaton = ahocorasick.Automaton()
        self._by_docket: dict[str, list[WatchTarget]] = {}
        self._by_case: dict[int, list[WatchTarget]] = {}
        names: dict[str, list[WatchTarget]] = {}
        for watch in watches:
            if watch.kind == "name":
                for key in watch.keys:
                    if key:
                        names.setdefault(f" {key} ", []).append(watch)
            elif watch.kind == "docket":
                self._by_docket.setdefault(watch.keys[0], []).append(watch)
            elif watch.case_id is not None:
                self._by_case.setdefault(watch.case_id, []).append(watch)
        for pattern, targets in names.items():
            self._automaton.add_word(pattern, tuple(targets))
        self.size = (
            sum(len(t) for t in names.values())
            + sum(map(len, self._by_docket.values()))
            + sum(map(len, self._by_case.values()))
        )
        if names:
            self._automaton.make_automaton()
        self._has_names = bool(names)

    @property
    def automaton(self) -> ahocorasick.Automaton:
        """The name patterns (for the benchmark's floor)."""
        return self._automaton

    def match(
        self, *, text: str, party_keys: Iterable[str], docket_keys: Iterable[str], case_id: int | None
    ) -> list[Hit]:
        """The watches an item alerts, at most one hit per watch."""
        hits: dict[int, Hit] = {}
        if case_id is not None:
            for watch in self._by_case.get(case_id, ()):
                hits.setdefault(watch.id, Hit(watch, watch.term))
        for key in docket_keys:
            for watch in self._by_docket.get(key, ()):
                hits.setdefault(watch.id, Hit(watch, watch.term))
        if self._has_names:
            for _, targets in self._automaton.iter(haystack(fold(text), party_keys)):
                for watch in targets:
                    hits.setdefault(watch.id, Hit(watch, watch.term))
        return list(hits.values())


class Matcher:
    """Keeps a :class:`WatchIndex` current: rebuilt whenever the watches'
    version in the database changes (another process may change them)."""

    def __init__(self, version: Callable[[Database], int], watches: Callable[[Database], Iterable[WatchTarget]]):
        self._version = version
        self._watches = watches
        self._lock = threading.Lock()
        self._index: WatchIndex | None = None
        self._built_at_version = -1

    def index(self, db: Database) -> WatchIndex:
        current = self._version(db)
        with self._lock:
            if self._index is None or current != self._built_at_version:
                self._index = WatchIndex(self._watches(db))
                self._built_at_version = current
            return self._index
