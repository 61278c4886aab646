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
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

from ahocorasick_rs import AhoCorasick, Implementation, MatchKind
from sqlite_utils import Database

# Between the item's text and each party: no name key contains it.
_SEPARATOR = " \x00 "


@dataclass(frozen=True, slots=True)
class WatchTarget:
    """What the matcher knows of one watch (a :class:`WatchIndex` keeps its
    fields in columns, and makes one for each watch an item hits)."""

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
    """Every watch, by the names, dockets and cases it follows.

    The watches are kept in columns (one array or buffer per field, a row per
    watch) rather than as 100,000 objects, and a :class:`Hit`'s
    :class:`WatchTarget` is made when a watch is hit (without its ``keys``:
    they live on in the automaton and the docket lookup). At 100,000 watches
    the objects and their terms took 23 MB and their building another ~15 MB
    of holes in the memory ``run`` keeps (``bench.memory``); the columns take
    ~4 MB. ``version``: the watches' version in the database it was read at
    (None: not read from a database)."""

    def __init__(self, watches: Iterable[WatchTarget], version: int | None = None):
        self.version = version
        self._watches = _WatchColumns()
        # Every key, UTF-8, "\0" after each, in one buffer until the sort:
        # 110,000 key strings kept that long would leave holes, once freed, in
        # the memory the index keeps.
        keys = bytearray()
        owners = array("I")
        by_docket: dict[str, list[int]] = {}
        by_case: dict[int, list[int]] = {}
        for watch in watches:
            row = self._watches.add(watch)
            if watch.kind == "name":
                for key in dict.fromkeys(watch.keys):
                    if key:
                        keys += f"{key}\0".encode()
                        owners.append(row)
            elif watch.kind == "docket":
                by_docket.setdefault(watch.keys[0], []).append(row)
            elif watch.case_id is not None:
                by_case.setdefault(watch.case_id, []).append(row)
        # Pattern number n → the rows of the watches of that name (in the order
        # they came): rows[starts[n]:starts[n + 1]].
        self._pattern_starts = array("I", [0])
        self._pattern_rows = array("I")
        self._automaton = AhoCorasick(
            self._patterns(keys.decode().split("\0")[:-1], owners),
            matchkind=MatchKind.Standard,
            store_patterns=False,
            implementation=Implementation.ContiguousNFA,
        )
        self._by_docket = {key: tuple(rows) for key, rows in by_docket.items()}
        self._docket_slots, self._docket_mask = _hash_slots(self._by_docket)
        self._by_case = {key: tuple(rows) for key, rows in by_case.items()}
        self.size = len(owners) + sum(map(len, self._by_docket.values())) + sum(map(len, self._by_case.values()))

    def _patterns(self, keys: list[str], owners: array) -> Iterator[str]:
        """One pattern per distinct name key (row ``owners[n]`` watches
        ``keys[n]``), padded with spaces, in sorted order, numbered as they go.

        Sorted, the automaton's states are laid out depth first: the states a
        pass walks through for one name lie close together in memory, so a
        near-match in the text (a name's first words) reads a few cache lines
        of the automaton instead of one per letter scattered over all of it.
        The sort is stable: equal keys keep the watches' order, the order their
        hits come in. (Positions are sorted rather than pairs of key and watch,
        for the same reason as the buffer of keys.)"""
        in_order = sorted(range(len(keys)), key=keys.__getitem__)
        for key, positions in groupby(in_order, key=keys.__getitem__):
            self._pattern_rows.extend(owners[position] for position in positions)
            self._pattern_starts.append(len(self._pattern_rows))
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
        found: dict[int, None] = {}  # rows, in the order they were hit
        if case_id is not None:
            found.update(dict.fromkeys(self._by_case.get(case_id, ())))
        slots, mask = self._docket_slots, self._docket_mask
        for key in docket_keys:
            if slots[hash(key) & mask]:  # maybe watched
                found.update(dict.fromkeys(self._by_docket.get(key, ())))
        if len(self._pattern_starts) > 1:
            starts, rows = self._pattern_starts, self._pattern_rows
            for number, _, _ in self._automaton.find_matches_as_indexes(
                self.haystack(folded_text, party_keys), overlapping=True
            ):
                found.update(dict.fromkeys(rows[starts[number] : starts[number + 1]]))
        watches = self._watches
        return [Hit(watch, watch.term) for watch in map(watches.target, found)]


class _WatchColumns:
    """Watches as columns: a row per watch, each field in an array (strings
    that repeat, such as workspaces and channels, as numbers into one table of
    them; terms as UTF-8 in one buffer)."""

    def __init__(self) -> None:
        self._ids = array("q")
        self._case_ids = array("q")  # 0: none (case ids start at 1)
        self._flags = bytearray()  # include_routine
        self._strings: list[str] = []  # each distinct workspace, channel, kind and mode once
        self._string_numbers: dict[str, int] = {}
        self._teams, self._channels, self._kinds, self._modes = (array("I") for _ in range(4))
        self._terms = bytearray()
        self._term_ends = array("I")

    def _number(self, text: str) -> int:
        number = self._string_numbers.get(text)
        if number is None:
            number = self._string_numbers[text] = len(self._strings)
            self._strings.append(text)
        return number

    def add(self, watch: WatchTarget) -> int:
        """Keep ``watch`` (without its keys); returns its row."""
        row = len(self._ids)
        self._ids.append(watch.id)
        self._case_ids.append(watch.case_id or 0)
        self._flags.append(watch.include_routine)
        self._teams.append(self._number(watch.team_id))
        self._channels.append(self._number(watch.channel_id))
        self._kinds.append(self._number(watch.kind))
        self._modes.append(self._number(watch.mode))
        self._terms += watch.term.encode()
        self._term_ends.append(len(self._terms))
        return row

    def target(self, row: int) -> WatchTarget:
        """The watch of ``row``, without its keys."""
        strings = self._strings
        return WatchTarget(
            id=self._ids[row],
            team_id=strings[self._teams[row]],
            channel_id=strings[self._channels[row]],
            kind=strings[self._kinds[row]],
            term=self._terms[self._term_ends[row - 1] if row else 0 : self._term_ends[row]].decode(),
            keys=(),
            case_id=self._case_ids[row] or None,
            mode=strings[self._modes[row]],
            include_routine=bool(self._flags[row]),
        )


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
                self._index = WatchIndex(self._watches(db), current)
                self._built_at_version = current
            return self._index
