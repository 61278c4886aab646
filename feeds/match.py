"""Which watches a new item alerts.

Name watches match a whole name: the watched name (or an alias), folded and
stripped of corporate suffixes, must appear as whole words in the item's text
or among its case's parties. ``binance`` matches "Binance Holdings Limited",
"BINANCE.US" and "Binance's"; ``meta`` does not match "metadata". One
Aho-Corasick automaton holds every watched name, so the cost of matching an
item grows with its length, not with the number of watches. Docket and case
watches are dictionary lookups.

The automaton (ahocorasick-rs, in Rust: a contiguous NFA, whose nodes find
their children without a walk through Python objects) reads letters: each
pattern is a name key padded with spaces (``" binance holdings "``) and the
text it reads is the item's folded text, padded too, then each party key the
same way, each after a separator that no name contains. A pattern
therefore matches whole words only, and never across the text and a party or
two parties. Folded text has single spaces between words, so padded names
next to one another share the space between them (overlapping matches).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import groupby

from ahocorasick_rs import AhoCorasick, Implementation, MatchKind
from sqlite_utils import Database

# Between the item's text and each party: no name key contains it.
_SEPARATOR = " \x00 "


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


class WatchIndex:
    """Every watch, by the names, dockets and cases it follows. It keeps the
    watches without their keys (``keys`` is empty in a :class:`Hit`'s watch):
    at 100,000 watches the keys would take 12 MB twice over."""

    def __init__(self, watches: Iterable[WatchTarget]):
        # Every key, UTF-8, "\0" after each, in one buffer until the sort:
        # 110,000 key strings kept that long would leave holes, once freed, in
        # the memory the index keeps (run's resident memory: 123 MB with a
        # list of keys, 110 MB with this buffer).
        keys = bytearray()
        owners: list[WatchTarget] = []
        by_docket: dict[str, list[WatchTarget]] = {}
        by_case: dict[int, list[WatchTarget]] = {}
        for given in watches:
            watch = replace(given, keys=())  # the keys live on in the automaton and the docket dictionary
            if watch.kind == "name":
                for key in dict.fromkeys(given.keys):
                    if key:
                        keys += f"{key}\0".encode()
                        owners.append(watch)
            elif watch.kind == "docket":
                by_docket.setdefault(given.keys[0], []).append(watch)
            elif watch.case_id is not None:
                by_case.setdefault(watch.case_id, []).append(watch)
        # Pattern number → the watch of that name, or the watches (a tuple, in
        # the order they came) when several watch it.
        self._named: list[WatchTarget | tuple[WatchTarget, ...]] = []
        self._automaton = AhoCorasick(
            self._patterns(keys.decode().split("\0")[:-1], owners),
            matchkind=MatchKind.Standard,
            store_patterns=False,
            implementation=Implementation.ContiguousNFA,
        )
        self._by_docket = {key: tuple(targets) for key, targets in by_docket.items()}
        self._docket_slots, self._docket_mask = _hash_slots(self._by_docket)
        self._by_case = {key: tuple(targets) for key, targets in by_case.items()}
        self.size = len(owners) + sum(map(len, self._by_docket.values())) + sum(map(len, self._by_case.values()))

    def _patterns(self, keys: list[str], owners: list[WatchTarget]) -> Iterator[str]:
        """One pattern per distinct name key (``owners[n]`` watches
        ``keys[n]``), padded with spaces, in sorted order, numbered in
        ``_named`` as they go.

        Sorted, the automaton's states are laid out depth first: the states a
        pass walks through for one name lie close together in memory, so a
        near-match in the text (a name's first words) reads a few cache lines
        of the automaton instead of one per letter scattered over all of it.
        The sort is stable: equal keys keep the watches' order, the order their
        hits come in. (Positions are sorted rather than pairs of key and watch,
        for the same reason as the buffer of keys: 119 MB with pairs.)"""
        in_order = sorted(range(len(keys)), key=keys.__getitem__)
        for key, positions in groupby(in_order, key=keys.__getitem__):
            watches = tuple(map(owners.__getitem__, positions))
            self._named.append(watches[0] if len(watches) == 1 else watches)
            yield f" {key} "

    @property
    def automaton(self) -> AhoCorasick:
        """The name patterns (for the benchmark's own pass)."""
        return self._automaton

    @staticmethod
    def haystack(folded_text: str, party_keys: Iterable[str]) -> str:
        """What the automaton reads: the item's folded text (``fold(text)``,
        as extraction hands it along: ``Extraction.folded_text``) and each
        party's key, each padded with spaces, one after another with the
        separator between them."""
        return _SEPARATOR.join([f" {folded_text} ", *(f" {key} " for key in party_keys)])

    def match(
        self, *, folded_text: str, party_keys: Iterable[str], docket_keys: Iterable[str], case_id: int | None
    ) -> list[Hit]:
        """The watches an item alerts, one hit per watch: case watches first,
        then docket watches, then name watches in the order the text names them
        (parties last; of two names that end on the same word, the longer first:
        the order of an overlapping pass)."""
        found: dict[int, WatchTarget] = {}
        if case_id is not None:
            for watch in self._by_case.get(case_id, ()):
                found.setdefault(watch.id, watch)
        slots, mask = self._docket_slots, self._docket_mask
        for key in docket_keys:
            if slots[hash(key) & mask]:  # maybe watched
                for watch in self._by_docket.get(key, ()):
                    found.setdefault(watch.id, watch)
        if self._named:
            named = self._named
            for number, _, _ in self._automaton.find_matches_as_indexes(
                self.haystack(folded_text, party_keys), overlapping=True
            ):
                target = named[number]
                if type(target) is tuple:
                    for watch in target:
                        found.setdefault(watch.id, watch)
                else:
                    found.setdefault(target.id, target)
        return [Hit(watch, watch.term) for watch in found.values()]


def _hash_slots(keys: Collection[str]) -> tuple[bytes, int]:
    """A table of 4 to 8 slots per key (at least 4,096), the slot of each
    key's hash set, and the mask that picks a hash's slot. A key whose slot is
    clear is not among ``keys``; of other keys, at most one in four finds its
    slot set.

    Most items' dockets are watched nowhere: at 10,000 docket watches the
    table (64 kB, 14 % of its slots set) answers for them where the dictionary
    of docket watches (208 kB, its keys elsewhere) would be read from memory at
    each lookup: what reading the dictionary costs grows with the watches."""
    size = 1 << max(12, (4 * len(keys)).bit_length())
    slots = bytearray(size)
    for key in keys:
        slots[hash(key) & (size - 1)] = 1
    return bytes(slots), size - 1


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
