"""Which watches a new item alerts.

Name watches match a whole name: the watched name (or an alias), folded and
stripped of corporate suffixes, must appear as whole words in the item's text
or among its case's parties. ``binance`` matches "Binance Holdings Limited",
"BINANCE.US" and "Binance's"; ``meta`` does not match "metadata". Docket and
case watches are dictionary lookups.

Names are found through their rarest words (EXPERIMENT, issue 9's fourth
round, kept in history only: see docs/PERFORMANCE.md "Matching"): each watched
name is filed under the word of it that the fewest watched names share (its
anchor), then under its second rarest word, with its third. An item's folded
words are intersected with those words (in C: one hash lookup per word), and
only the names whose two rarest words the item has, and its third, are
checked, each with one substring search for the name between spaces in the
item's words joined by spaces.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from sqlite_utils import Database

from feeds.text import words as folded_words


@dataclass(frozen=True, slots=True)
class WatchTarget:
    """What the matcher knows of one watch (slotted: an index holds 100,000 of them)."""

    id: int
    team_id: str
    channel_id: str
    kind: str
    term: str
    keys: tuple[str, ...]
    case_id: int | None
    mode: str
    include_routine: bool


@dataclass(frozen=True, slots=True)
class Hit:
    watch: WatchTarget
    matched: str  # the watched term, as the user wrote it


# A watched name as the index checks it: the name key between spaces, its third
# rarest word (None if it has two or fewer), and its watches.
_Named = tuple[str, str | None, tuple[WatchTarget, ...]]
# Names filed by anchor, then by a second word of theirs.
_Filed = dict[str, dict[str, tuple[_Named, ...]]]


def _matchable(key: str) -> bool:
    """Whether a name key can match folded text: not empty, single spaces between words."""
    return bool(key) and "" not in key.split(" ")


def _file_by_anchor(by_key: dict[str, list[WatchTarget]]) -> _Filed:
    """Every name key under its two rarest words (the fewest keys share;
    ties: the longer, then the earlier), the anchor and a second word, with
    its third rarest word; a one-word key under its word twice."""
    sharing = Counter(word for key in by_key for word in set(key.split(" ")))
    filed: dict[str, dict[str, list[_Named]]] = {}
    while by_key:  # emptied as it goes, so the build never holds two copies
        key, targets = by_key.popitem()
        rarest = sorted(dict.fromkeys(key.split(" ")), key=lambda word: (sharing[word], -len(word)))
        anchor, second = rarest[0], rarest[min(1, len(rarest) - 1)]
        third = rarest[2] if len(rarest) > 2 else None
        filed.setdefault(anchor, {}).setdefault(second, []).append((f" {key} ", third, tuple(targets)))
    return {anchor: {second: tuple(named) for second, named in seconds.items()} for anchor, seconds in filed.items()}


class WatchIndex:
    """Every watch, by the names, dockets and cases it follows. It keeps the
    watches without their keys (``keys`` is empty in a :class:`Hit`'s watch):
    each name key is kept once, under its anchor, however many watch it."""

    def __init__(self, watches: Iterable[WatchTarget]):
        by_key: dict[str, list[WatchTarget]] = {}
        by_docket: dict[str, list[WatchTarget]] = {}
        by_case: dict[int, list[WatchTarget]] = {}
        for given in watches:
            watch = replace(given, keys=())  # the keys live on in the dictionaries
            if watch.kind == "name":
                for key in dict.fromkeys(given.keys):
                    if _matchable(key):
                        by_key.setdefault(key, []).append(watch)
            elif watch.kind == "docket":
                by_docket.setdefault(given.keys[0], []).append(watch)
            elif watch.case_id is not None:
                by_case.setdefault(watch.case_id, []).append(watch)
        self._by_docket = {key: tuple(targets) for key, targets in by_docket.items()}
        self._by_case = {key: tuple(targets) for key, targets in by_case.items()}
        self._by_anchor = _file_by_anchor(by_key)
        # Every anchor, second and third word: an item's other words cannot pass a name's first checks.
        self._filing_words = frozenset(self._by_anchor).union(
            *self._by_anchor.values(),
            (third for seconds in self._by_anchor.values() for named in seconds.values() for _, third, _ in named),
        ) - {None}
        self.size = (
            sum(
                len(targets)
                for seconds in self._by_anchor.values()
                for named in seconds.values()
                for *_, targets in named
            )
            + sum(map(len, self._by_docket.values()))
            + sum(map(len, self._by_case.values()))
        )

    def words(self, text: str, party_keys: Iterable[str]) -> list[str]:
        """The folded words of the item's text, then of each party's key, an
        empty word before each party (no watched name has one: a boundary).
        Keys are split at single spaces, as the letter automaton's padded
        patterns " key " read them."""
        words = folded_words(text)
        for key in party_keys:
            words.append("")
            words += key.split(" ")
        return words

    def named(self, words: list[str]) -> list[tuple[WatchTarget, ...]]:
        """The watches of every name that ``words`` have, one tuple per name,
        in the order the words name them: by where the name ends, and of two
        ending on the same word the longer first (the order an Aho-Corasick
        pass reports them in)."""
        present = self._filing_words.intersection(words)
        anchors = self._by_anchor.keys() & present
        if not anchors:
            return []
        candidates = [
            (padded, targets)
            for anchor in anchors
            for by_second in (self._by_anchor[anchor],)
            for second in by_second.keys() & present
            for padded, third, targets in by_second[second]
            if third is None or third in present
        ]
        if not candidates:
            return []
        # Joined, the empty word before each party is a double space, which no name has.
        haystack = f" {' '.join(words)} "
        found: list[tuple[int, int, tuple[WatchTarget, ...]]] = []
        for padded, targets in candidates:
            start = haystack.find(padded)
            if start >= 0:
                found.append((start + len(padded), start, targets))
        found.sort(key=lambda place: place[:2])
        return [targets for _, _, targets in found]

    def match(
        self, *, text: str, party_keys: Iterable[str], docket_keys: Iterable[str], case_id: int | None
    ) -> list[Hit]:
        """The watches an item alerts, one hit per watch: case watches first,
        then docket watches, then name watches in the order the text names them."""
        found: dict[int, WatchTarget] = {}
        if case_id is not None:
            for watch in self._by_case.get(case_id, ()):
                found.setdefault(watch.id, watch)
        for key in docket_keys:
            for watch in self._by_docket.get(key, ()):
                found.setdefault(watch.id, watch)
        if self._by_anchor:
            for targets in self.named(self.words(text, party_keys)):
                for watch in targets:
                    found.setdefault(watch.id, watch)
        return [Hit(watch, watch.term) for watch in found.values()]


class Matcher:
    """Keeps a :class:`WatchIndex` current: rebuilt whenever the watches'
    version in the database changes (another process may change them).

    One Matcher (and one index) serves a whole process. A rebuild lets go of
    the old index first, so that the process holds one index at a time (a poll
    still matching with the old one keeps it until it is done)."""

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
                self._index = None
                self._index = WatchIndex(self._watches(db))
                self._built_at_version = current
            return self._index
