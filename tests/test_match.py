"""Matching new items to watches: whole names, aliases, dockets, cases."""

from __future__ import annotations

import pytest

from feeds.match import WatchIndex, WatchTarget
from feeds.text import name_key


def name_watch(watch_id: int, term: str, *aliases: str, team: str = "T1", channel: str = "C1") -> WatchTarget:
    keys = (name_key(term), *(name_key(alias) for alias in aliases))
    return WatchTarget(watch_id, team, channel, "name", term, keys, None, "instant", False)


def matched(index: WatchIndex, text: str, parties: tuple[str, ...] = (), dockets: tuple[str, ...] = (), case_id=None):
    hits = index.match(text=text, party_keys=[name_key(p) for p in parties], docket_keys=set(dockets), case_id=case_id)
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


def test_case_watches_match_every_item_of_the_case() -> None:
    watch = WatchTarget(9, "T1", "C1", "case", "SEC v. X", ("case:5",), 5, "instant", False)
    index = WatchIndex([watch])
    assert matched(index, "anything", case_id=5) == [9]
    assert matched(index, "anything", case_id=6) == []


def test_many_watches_of_one_name_all_hit_once() -> None:
    index = WatchIndex([name_watch(i, "binance", team=f"T{i % 3}", channel=f"C{i}") for i in range(50)])
    assert matched(index, "Binance and BINANCE and binance's") == list(range(50))


def test_text_and_parties_do_not_join_into_a_false_match() -> None:
    index = WatchIndex([name_watch(1, "zhao binance")])
    assert matched(index, "charges against Zhao", parties=("Binance Holdings",)) == []
