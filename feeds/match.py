"""Which watches a new item alerts.

Name watches match a whole name: the watched name (or an alias), folded and
stripped of corporate suffixes, must appear as whole words in the item's text
or among its case's parties. ``binance`` matches "Binance Holdings Limited",
"BINANCE.US" and "Binance's"; ``meta`` does not match "metadata". One
Aho-Corasick automaton holds every watched name, so the cost of matching an
item grows with its length, not with the number of watches. Docket and case
watches are dictionary lookups.

The automaton reads words, not letters: every word of the watched names has a
code of two characters of a private alphabet (``_Vocabulary``), and an item's
folded text is spelled in it word by word (a word no watch uses is one
"unknown" character). A pattern therefore matches whole words only, and the
automaton has two nodes per word of the watched names instead of one per
letter (less than half the memory). Two characters, not one, because
pyahocorasick looks a node's children up one by one: a code's first character
comes from one small alphabet and its second from another, so that no node
has more than about the square root of the vocabulary's size as children.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import repeat

import ahocorasick
from sqlite_utils import Database

from feeds.text import words as folded_words

# The character of a word that no watched name has: patterns never match
# across it, so it also stands between the item's text and each party.
_UNKNOWN = "\x00"
# Codes are made of characters from U+0100 on.
_FIRST_CODE_CHARACTER = 0x100
# The first (never matching) pattern: it makes _UNKNOWN the first child that
# pyahocorasick looks at from the root, where most of an item's words are read.
_UNKNOWN_FIRST = _UNKNOWN + "\x01"


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


class _Vocabulary:
    """The words of the watched names, each spelled as two characters: the
    first from the "leading" alphabet (so a code only starts where a word
    does), the second from the "trailing" one."""

    def __init__(self, words: Iterable[str]) -> None:
        ordered = list(dict.fromkeys(words))
        base = max(16, math.isqrt(len(ordered)) + 1)
        leading, trailing = _FIRST_CODE_CHARACTER, _FIRST_CODE_CHARACTER + base
        self._codes = {
            word: chr(leading + number // base) + chr(trailing + number % base) for number, word in enumerate(ordered)
        }

    def pattern(self, words: list[str]) -> str:
        return "".join(self._codes[word] for word in words)

    def spell(self, words: list[str]) -> str:
        """Words in this alphabet (an unknown one as one ``_UNKNOWN``)."""
        return "".join(map(self._codes.get, words, repeat(_UNKNOWN, len(words))))


def _matchable(key: str) -> bool:
    """Whether a name key can match folded text: not empty, single spaces between words."""
    return bool(key) and "" not in key.split(" ")


class WatchIndex:
    """Every watch, by the names, dockets and cases it follows. It keeps the
    watches without their keys (``keys`` is empty in a :class:`Hit`'s watch):
    at 100,000 watches the keys would take 12 MB twice over."""

    def __init__(self, watches: Iterable[WatchTarget]):
        by_key: dict[str, list[WatchTarget]] = {}
        by_docket: dict[str, list[WatchTarget]] = {}
        by_case: dict[int, list[WatchTarget]] = {}
        for given in watches:
            watch = replace(given, keys=())  # the keys live on in the automaton and the dictionaries
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
        self._vocabulary = _Vocabulary(word for key in by_key for word in key.split(" "))
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        self._automaton.add_word(_UNKNOWN_FIRST, -1)
        # Pattern number → its watches; the automaton stores only the number.
        self._named: list[tuple[WatchTarget, ...]] = []
        while by_key:  # emptied as it goes, so the build never holds two copies
            key, targets = by_key.popitem()
            self._automaton.add_word(self._vocabulary.pattern(key.split(" ")), len(self._named))
            self._named.append(tuple(targets))
        self.size = (
            sum(map(len, self._named)) + sum(map(len, self._by_docket.values())) + sum(map(len, self._by_case.values()))
        )
        if self._named:
            self._automaton.make_automaton()

    @property
    def automaton(self) -> ahocorasick.Automaton:
        """The name patterns (for the benchmark's floor)."""
        return self._automaton

    def haystack(self, text: str, party_keys: Iterable[str]) -> str:
        """What the automaton reads: the words of the item's text and of its
        parties' keys, spelled in the vocabulary's codes, each party apart.
        (Keys are split at single spaces, as the letter automaton's padded
        patterns " key " read them.)"""
        words = folded_words(text)
        for key in party_keys:
            words.append("")  # no watched name has an empty word: a boundary
            words += key.split(" ")
        return self._vocabulary.spell(words)

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
        if self._named:
            for _, number in self._automaton.iter(self.haystack(text, party_keys)):
                for watch in self._named[number]:
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
