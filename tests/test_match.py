"""Matching new items to watches: whole names, aliases, dockets, cases."""

from __future__ import annotations

import weakref
from dataclasses import replace

import ahocorasick
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.match import Matcher, WatchIndex, WatchTarget
from feeds.record import extract_item
from feeds.text import fold, name_key
from feeds.types import FeedItem, FeedSource, ParsedFeed


def name_watch(watch_id: int, term: str, *aliases: str, team: str = "T1", channel: str = "C1") -> WatchTarget:
    keys = (name_key(term), *(name_key(alias) for alias in aliases))
    return WatchTarget(watch_id, team, channel, "name", term, keys, None, "instant", False)


def matched(index: WatchIndex, text: str, parties: tuple[str, ...] = (), dockets: tuple[str, ...] = (), case_id=None):
    hits = index.match(
        folded_text=fold(text), party_keys=[name_key(p) for p in parties], docket_keys=set(dockets), case_id=case_id
    )
    return sorted(hit.watch.id for hit in hits)


@pytest.mark.parametrize(
    "text",
    [
        "SEC v. Binance Holdings Limited",
        "BINANCE.US halts dollar deposits",
        "Binance's founder pleads guilty",
        "Regulators and bínance reach a deal",
        "the binance-backed token",
    ],
)
def test_a_name_matches_as_a_whole_word_in_any_form(text: str) -> None:
    assert matched(WatchIndex([name_watch(1, "binance")]), text) == [1]


@pytest.mark.parametrize("text", ["metadata leak", "Metaverse Corp charged", "ametaphor"])
def test_a_name_never_matches_inside_another_word(text: str) -> None:
    assert matched(WatchIndex([name_watch(1, "Meta")]), text) == []


def test_corporate_suffixes_are_ignored_on_both_sides() -> None:
    index = WatchIndex([name_watch(1, "Binance Holdings Ltd.")])
    assert matched(index, "SEC sues Binance Holdings Limited") == [1]
    assert matched(index, "Binance Holdings, Inc. settles") == [1]


def test_aliases_match_too() -> None:
    index = WatchIndex([name_watch(1, "Changpeng Zhao", "CZ")])
    assert matched(index, "CZ sentenced to four months") == [1]
    assert matched(index, "Zhao, Changpeng") == []


def test_case_parties_match_when_the_text_does_not_name_them() -> None:
    index = WatchIndex([name_watch(1, "BAM Trading")])
    assert matched(index, "[Order on Motion to Dismiss]", parties=("BAM Trading Services Inc.",)) == [1]


def test_docket_watches_match_every_form() -> None:
    watch = WatchTarget(7, "T1", "C1", "docket", "1:23-cv-01599", ("23-cv-01599",), None, "instant", False)
    index = WatchIndex([watch])
    assert matched(index, "anything", dockets=("23-cv-01599", "23-01599")) == [7]
    assert matched(index, "anything", dockets=("23-cv-01600",)) == []


def test_among_thousands_of_docket_watches_each_docket_hits_exactly_its_watches() -> None:
    """Watched and unwatched docket numbers side by side: the index's quick
    check lets some unwatched ones through to the lookup, never a watched one out."""
    watched = [f"24-cv-{number:05d}" for number in range(0, 6000, 2)]
    index = WatchIndex(
        [
            WatchTarget(n, "T1", "C1", "docket", f"1:{key}", (key,), None, "instant", False)
            for n, key in enumerate(watched)
        ]
    )
    hits = {number: matched(index, "anything", dockets=(f"24-cv-{number:05d}",)) for number in range(6000)}
    assert hits == {number: [number // 2] if number % 2 == 0 else [] for number in range(6000)}


def test_case_watches_match_every_item_of_the_case() -> None:
    watch = WatchTarget(9, "T1", "C1", "case", "SEC v. X", ("case:5",), 5, "instant", False)
    index = WatchIndex([watch])
    assert matched(index, "anything", case_id=5) == [9]
    assert matched(index, "anything", case_id=6) == []


def test_a_hit_carries_its_watch_as_it_was_given_less_its_keys() -> None:
    """The index keeps watches in columns; what a hit hands on (where the alert
    goes, its term, mode and filters) is each watch's own, of any kind."""
    given = [
        WatchTarget(2**40, "T0A1", "C0B2", "name", "Société Générale ✓", ("societe generale",), None, "daily", True),
        WatchTarget(3, "T0A1", "C9", "name", "", ("acme",), None, "instant", False),
        WatchTarget(4, "T7", "C0B2", "docket", "1:23-cv-01599", ("23-cv-01599",), None, "instant", True),
        WatchTarget(5, "T7", "C5", "case", "SEC v. Binance Holdings Ltd.", ("case:77",), 77, "daily", False),
    ]
    hits = WatchIndex(given).match(
        folded_text=fold("Société Générale and Acme"), party_keys=[], docket_keys={"23-cv-01599"}, case_id=77
    )
    assert [(hit.watch, hit.matched) for hit in hits] == [
        (replace(given[3], keys=()), "SEC v. Binance Holdings Ltd."),
        (replace(given[2], keys=()), "1:23-cv-01599"),
        (replace(given[0], keys=()), "Société Générale ✓"),
        (replace(given[1], keys=()), ""),
    ]


def test_many_watches_of_one_name_all_hit_once() -> None:
    index = WatchIndex([name_watch(i, "binance", team=f"T{i % 3}", channel=f"C{i}") for i in range(50)])
    assert matched(index, "Binance and BINANCE and binance's") == list(range(50))


def test_watches_of_one_name_hit_in_the_order_they_came_whatever_the_names_order() -> None:
    """The index files names in sorted order; the watches of one name keep theirs."""
    watches = [name_watch(5, "Zeta"), name_watch(2, "Alpha"), name_watch(9, "Zeta"), name_watch(1, "Alpha", "Zeta")]
    index = WatchIndex(watches)
    assert [hit.watch.id for hit in index.match(**_item("Zeta and Alpha"))] == [5, 9, 1, 2]
    assert [hit.watch.id for hit in index.match(**_item("Alpha and Zeta"))] == [2, 1, 5, 9]


def test_text_and_parties_do_not_join_into_a_false_match() -> None:
    index = WatchIndex([name_watch(1, "zhao binance")])
    assert matched(index, "charges against Zhao", parties=("Binance Holdings",)) == []


def test_name_watches_come_in_the_order_the_text_names_them() -> None:
    index = WatchIndex([name_watch(1, "Zhao"), name_watch(2, "Acme"), name_watch(3, "BAM Trading")])
    assert [hit.watch.id for hit in index.match(**_item("Acme sues Zhao", parties=("BAM Trading",)))] == [2, 1, 3]


def test_of_two_names_ending_on_the_same_word_the_longer_comes_first() -> None:
    """The order an Aho-Corasick pass over the text reports them in."""
    index = WatchIndex([name_watch(1, "Binance"), name_watch(2, "Acme Binance"), name_watch(3, "Acme")])
    assert [hit.watch.id for hit in index.match(**_item("Acme Binance settles"))] == [3, 2, 1]


def _item(text: str, parties: tuple[str, ...] = ()) -> dict:
    return {"folded_text": fold(text), "party_keys": [name_key(p) for p in parties], "docket_keys": (), "case_id": None}


def test_a_rebuild_lets_go_of_the_old_index_before_building_the_new_one() -> None:
    """So that a process never holds two indexes of 100,000 watches (memory, issue 9)."""
    version, old_index_alive_during_build, old = 1, [], []

    def watches(db: object) -> list[WatchTarget]:
        if old:
            old_index_alive_during_build.append(old[0]() is not None)
        return [name_watch(version, "binance")]

    matcher = Matcher(lambda db: version, watches)
    old.append(weakref.ref(matcher.index(None)))
    version = 2
    index = matcher.index(None)
    assert old_index_alive_during_build == [False]
    assert matched(index, "Binance settles") == [2]


class LetterIndex:
    """The index as it was before it read words: a letter automaton of the
    names padded with spaces (" key "), over the folded text and the parties'
    keys, padded too. The reference that WatchIndex must agree with."""

    def __init__(self, watches: list[WatchTarget]) -> None:
        self.automaton = ahocorasick.Automaton()
        self.watches = watches
        names: dict[str, list[WatchTarget]] = {}
        for watch in watches:
            if watch.kind == "name":
                for key in watch.keys:
                    if key:
                        names.setdefault(f" {key} ", []).append(watch)
        for pattern, targets in names.items():
            self.automaton.add_word(pattern, tuple(targets))
        if names:
            self.automaton.make_automaton()

    def match(self, text: str, party_keys: list[str], docket_keys: set[str], case_id: int | None) -> list[int]:
        hits: dict[int, None] = {}
        for watch in self.watches:
            if watch.kind == "case" and watch.case_id is not None and watch.case_id == case_id:
                hits[watch.id] = None
        for key in docket_keys:
            for watch in self.watches:
                if watch.kind == "docket" and watch.keys[0] == key:
                    hits[watch.id] = None
        if len(self.automaton):
            separator = " \x00 "
            haystack = f" {fold(text)} " + separator + separator.join(f" {key} " for key in party_keys) + " "
            for _, targets in self.automaton.iter(haystack):
                for watch in targets:
                    hits.setdefault(watch.id, None)
        return list(hits)


# Few words, so that names, texts and parties share them often; some only texts have.
_WORDS = st.sampled_from(["acme", "binance", "holdings", "zhao", "cz", "a", "b", "ab", "ørsted", "co"])
_NAMES = st.lists(_WORDS, min_size=1, max_size=3).map(" ".join)
# Keys as Casewatch makes them (name_key), for watched names and case parties alike.
_KEYS = _NAMES.map(name_key)
_OTHER_WORDS = st.sampled_from(["metadata", "Acme,", "BINANCE's", "ORSTED", "-", "a.b", "\n", "x"])
_TEXTS = st.lists(st.one_of(_WORDS, _NAMES, _OTHER_WORDS), max_size=12)


@st.composite
def _watches(draw: st.DrawFn) -> list[WatchTarget]:
    watches = []
    for watch_id in range(1, draw(st.integers(0, 8)) + 1):
        kind = draw(st.sampled_from(["name", "name", "docket", "case"]))
        keys = tuple(draw(st.lists(_KEYS, min_size=1, max_size=3))) if kind == "name" else (draw(_DOCKETS),)
        case_id = draw(st.integers(1, 3)) if kind == "case" else None
        watches.append(WatchTarget(watch_id, "T1", f"C{watch_id % 3}", kind, keys[0], keys, case_id, "instant", False))
    return watches


_DOCKETS = st.sampled_from(["23-cv-01599", "23-01599", "24-cr-00001"])


@settings(max_examples=200, deadline=None)
@given(
    watches=_watches(),
    text=_TEXTS.map(" ".join),
    parties=st.lists(st.one_of(_KEYS, _TEXTS.map(" ".join).map(name_key)), max_size=3),
    dockets=st.sets(_DOCKETS, max_size=2),
    case_id=st.none() | st.integers(1, 3),
)
def test_the_word_index_hits_exactly_what_the_letter_index_hit(
    watches: list[WatchTarget], text: str, parties: list[str], dockets: set[str], case_id: int | None
) -> None:
    hits = WatchIndex(watches).match(folded_text=fold(text), party_keys=parties, docket_keys=dockets, case_id=case_id)
    assert [hit.watch.id for hit in hits] == LetterIndex(watches).match(text, parties, dockets, case_id)
    assert all(hit.matched == hit.watch.term for hit in hits)


# Names built to overlap: several share words, some are a prefix, a suffix or one
# word of another, some are words every text has; texts and parties repeat them.
_COMMON_WORDS = ["the", "of", "and", "sec", "v"]
_NAME_WORDS = st.sampled_from(["acme", "binance", "zhao", "north", "wind", *_COMMON_WORDS])


@st.composite
def _overlapping_names(draw: st.DrawFn) -> list[str]:
    names = []
    for words in draw(st.lists(st.lists(_NAME_WORDS, min_size=1, max_size=4), min_size=1, max_size=4)):
        cut = draw(st.integers(1, len(words)))
        names += [" ".join(words), " ".join(draw(st.sampled_from([words[:cut], words[-cut:], [words[cut - 1]]])))]
    return names


@settings(max_examples=200, deadline=None)
@given(data=st.data(), names=_overlapping_names())
def test_overlapping_names_hit_exactly_what_the_letter_index_hit(data: st.DataObject, names: list[str]) -> None:
    """Names sharing words, a name inside another (prefix, suffix, one word),
    one-word names, names that are common words, each name watched by one or
    two channels, some with an alias; texts that repeat names and words; names
    that span the text and a party, or two parties."""
    watches = []
    for watch_id, name in enumerate(names, start=1):
        keys = (name, *data.draw(st.lists(st.sampled_from(names), max_size=1)))
        watches.append(WatchTarget(watch_id, "T1", f"C{watch_id % 2}", "name", name, keys, None, "instant", False))
        if data.draw(st.booleans()):
            watches.append(WatchTarget(100 + watch_id, "T2", "C9", "name", name, (name,), None, "daily", False))
    chunks = st.one_of(st.sampled_from(names), _NAME_WORDS, st.sampled_from(["Acme's", "NORTH-WIND", ",", "x"]))
    text = " ".join(data.draw(st.lists(chunks, max_size=14)))
    parties = [name_key(party) for party in data.draw(st.lists(st.one_of(st.sampled_from(names), chunks), max_size=3))]
    for boundary in data.draw(st.lists(st.integers(0, len(parties)), max_size=2)):
        # A name cut in two on either side of a boundary: must not match.
        words = data.draw(st.sampled_from(names)).split(" ")
        cut = data.draw(st.integers(0, len(words)))
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        if boundary == 0:
            text = f"{text} {head}"
        else:
            parties[boundary - 1] = f"{parties[boundary - 1]} {head}".strip()
        parties.insert(boundary, tail)
    hits = WatchIndex(watches).match(folded_text=fold(text), party_keys=parties, docket_keys=(), case_id=None)
    assert [hit.watch.id for hit in hits] == LetterIndex(watches).match(text, parties, set(), None)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), words=st.lists(st.one_of(_WORDS, _OTHER_WORDS), max_size=12))
def test_parties_the_text_names_hit_exactly_what_the_letter_index_hit(data: st.DataObject, words: list[str]) -> None:
    """Parties and watched names taken from the text, whole or in part (a run
    of its words, a piece of one word, a run and a word the text lacks), and
    others; parties that are watched names: a party the text names holds no
    name the text does not."""
    text = " ".join(words)
    folded = fold(text).split()

    def name() -> str:
        start = data.draw(st.integers(0, len(folded)))
        run = folded[start : data.draw(st.integers(start, len(folded)))]
        piece = run[0][: data.draw(st.integers(1, len(run[0])))] if run else ""
        return name_key(data.draw(st.sampled_from([" ".join(run), piece, " ".join([*run, "zhao"]), data.draw(_NAMES)])))

    watches = [
        WatchTarget(watch_id, "T1", "C1", "name", key, (key,), None, "instant", False)
        for watch_id, key in enumerate((name() for _ in range(data.draw(st.integers(1, 6)))), start=1)
        if key
    ]
    watched = st.sampled_from([watch.term for watch in watches]) if watches else st.just("")
    parties = [
        key for key in (data.draw(st.just(name()) | watched) for _ in range(data.draw(st.integers(0, 3)))) if key
    ]
    hits = WatchIndex(watches).match(folded_text=fold(text), party_keys=parties, docket_keys=(), case_id=None)
    assert [hit.watch.id for hit in hits] == LetterIndex(watches).match(text, parties, set(), None)


_ITEM_TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80) | _TEXTS.map(" ".join)


@settings(max_examples=200, deadline=None)
@given(title=_ITEM_TEXTS, summary=_ITEM_TEXTS, kind=st.sampled_from(["court", "regulator", "news"]))
def test_extraction_hands_the_matcher_the_text_folded_as_fold_would(title: str, summary: str, kind: str) -> None:
    """The matcher reads ``Extraction.folded_text`` and folds nothing itself: a
    handed text that differed from ``fold(text)`` would change the hits."""
    item = FeedItem(key="k", guid="k", link=None, title=title, summary=summary, author=None, published_at=None)
    source = FeedSource(url="https://www.example.org/feed", agency="SEC", kind=kind)
    parsed = ParsedFeed(items=[item], title="", link=None)
    assert extract_item(item, source, parsed).folded_text == fold(f"{title}\n{summary}")
