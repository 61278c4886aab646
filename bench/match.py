"""Benchmark: match 1,000 new items against 1,000 and 100,000 watches.

    .venv/bin/python -m bench.match [--watches 1000,100000] [--items 1000] [--repeat 11]

Watches are real-looking company and person names from seeded word lists
(bench/parties.py), a tenth of them with an alias, a tenth docket watches, some
names watched by several channels. Items look like SEC releases, court docket
entries and news (title, about 400 characters of text, parties, dockets);
about 3 % name a watched party and 1 % a watched docket.

Two floors, timed in the same run, interleaved with the figure:

- the letter floor (the issue's): one pass of a pyahocorasick automaton of the
  same names, letter by letter (patterns " key "), over the items' text already
  folded and joined with their parties: what scanning the text costs;
- the index's own pass: the index's automaton (a two-character code per word) over the
  same text already folded and spelled in its codes.

Casewatch's figure is ``WatchIndex.match`` on every item (folding, spelling,
docket and case lookups, hits). Targets (issue 9, point 1): figure ≤ 3× the
letter floor, ≤ 25 ms at 100,000 watches, and the largest index's figure
≤ 1.3× the smallest's.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import ahocorasick

from bench.parties import company, docket, party, person
from feeds.match import WatchIndex, WatchTarget
from feeds.text import fold, name_key

SEED = 20261124
WATCHED_PARTY_SHARE = 0.03
WATCHED_DOCKET_SHARE = 0.01
RATIO_TARGET = 3.0
MILLISECONDS_TARGET = 25.0
FLATNESS_TARGET = 1.3


@dataclass(frozen=True)
class Item:
    text: str
    party_keys: list[str]
    docket_keys: set[str]


def _docket_keys(display: str) -> tuple[str, str]:
    """The two forms an extraction indexes ("24-cv-01599", "24-01599")."""
    year_type_number = display.split(":", 1)[1]
    year, case_type, number = year_type_number.split("-")
    return f"{year}-{case_type}-{number}", f"{year}-{number}"


def generate_watches(rng: random.Random, count: int) -> list[WatchTarget]:
    """``count`` watches of 50 workspaces: a tenth docket watches, the rest
    names (four in five companies), a tenth of those with an alias, and one in
    twenty a name another channel already watches."""
    targets: list[WatchTarget] = []
    names: list[str] = []
    for watch_id in range(1, count + 1):
        team, channel = f"T{watch_id % 50:04d}", f"C{watch_id % 5000:06d}"
        if watch_id % 10 == 0:
            display = docket(rng)
            key = _docket_keys(display)[0]
            targets.append(WatchTarget(watch_id, team, channel, "docket", display, (key,), None, "instant", False))
            continue
        if names and rng.random() < 0.05:
            term = rng.choice(names)
        else:
            term = company(rng) if rng.random() < 0.8 else person(rng)
            names.append(term)
        keys: tuple[str, ...] = (name_key(term),)
        if watch_id % 10 == 1:
            keys += (name_key(_alias(rng, term)),)
        mode = "instant" if watch_id % 7 else "daily"
        targets.append(WatchTarget(watch_id, team, channel, "name", term, keys, None, mode, watch_id % 13 == 0))
    return targets


def _alias(rng: random.Random, term: str) -> str:
    """Another name for the same party: a person's name without the middle
    initial, a firm's short name ("Northwind Capital"), or a former name."""
    words = name_key(term).split()
    if len(words) == 3 and len(words[1]) == 1:
        return f"{words[0]} {words[2]}"
    if len(words) == 3 and rng.random() < 0.5:
        return " ".join(words[:2])
    return company(rng)


def _sentences(parties: list[str], rng: random.Random) -> str:
    first, last = parties[0], parties[-1]
    amount = f"${rng.randint(1, 900)}.{rng.randint(0, 9)} million"
    pool = [
        f"The complaint alleges that {first} raised {amount} from investors through unregistered offerings.",
        f"According to the complaint, {last} misappropriated investor funds and made false statements.",
        "The Commission's investigation was conducted by the Division of Enforcement with the assistance of "
        "the Office of Market Intelligence.",
        f"Without admitting or denying the allegations, {first} consented to the entry of a final judgment.",
        f"The order imposes a civil penalty of {amount} and disgorgement with prejudgment interest.",
        "The litigation is being led by trial counsel in the New York Regional Office.",
        f"{last}'s counsel did not respond to a request for comment on Tuesday.",
        "Shares fell 12 percent in early trading after the announcement.",
        "The court granted in part and denied in part the motion to dismiss and set a scheduling conference.",
    ]
    rng.shuffle(pool)
    text = ""
    for sentence in pool:
        text += " " + sentence
        if len(text) >= 400:
            break
    return text.strip()


def generate_items(rng: random.Random, count: int, watches: list[WatchTarget]) -> list[Item]:
    """SEC releases, court docket entries and news stories; a few name a watched party or docket."""
    watched_names = [w.term for w in watches if w.kind == "name"]
    watched_dockets = [w.term for w in watches if w.kind == "docket"]
    items = []
    for _ in range(count):
        parties = [party(rng) for _ in range(rng.randint(1, 3))]
        if watched_names and rng.random() < WATCHED_PARTY_SHARE:
            parties[0] = rng.choice(watched_names)
        number = rng.choice(watched_dockets) if watched_dockets and rng.random() < WATCHED_DOCKET_SHARE else docket(rng)
        shape = rng.random()
        if shape < 0.4:
            title = f"SEC Charges {parties[0]} in Offering Fraud"
        elif shape < 0.75:
            title = (
                f"{number} SEC v. {parties[0]}{' et al' if len(parties) > 1 else ''}: ORDER on Motion to Dismiss. "
                f"Signed by Judge {person(rng, initial_share=1.0)}."
            )
        else:
            title = f"{parties[0]} faces regulators' questions as {company(rng)} exits"
        text = f"{title}\n{_sentences(parties, rng)}"
        items.append(Item(text, [name_key(p) for p in parties], set(_docket_keys(number)) if shape < 0.75 else set()))
    return items


def _timed(run: Callable[[], object]) -> float:
    """CPU seconds of this process: less disturbed than wall time by others on a busy machine."""
    started = time.process_time()
    run()
    return time.process_time() - started


def letter_automaton(watches: list[WatchTarget]) -> ahocorasick.Automaton:
    """An automaton of every watched name letter by letter, padded with spaces
    so that it matches whole words (the shape of the index before issue 9)."""
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for number, key in enumerate(dict.fromkeys(key for w in watches if w.kind == "name" for key in w.keys if key)):
        automaton.add_word(f" {key} ", number)
    automaton.make_automaton()
    return automaton


def letter_haystack(item: Item) -> str:
    return " \x00 ".join([f" {fold(item.text)} ", *(f" {key} " for key in item.party_keys)])


def passes(automaton: ahocorasick.Automaton, haystacks: list[str]) -> None:
    for haystack in haystacks:
        for _ in automaton.iter(haystack):
            pass


@dataclass(frozen=True)
class Figures:
    watches: int
    entries: int
    build_seconds: float
    letter_floor_ms: float
    own_pass_ms: float
    figure_ms: float
    hits: list[int]

    @property
    def ratio(self) -> float:
        return self.figure_ms / self.letter_floor_ms


def measure(watch_count: int, item_count: int, repeat: int) -> Figures:
    targets = generate_watches(random.Random(SEED), watch_count)
    items = generate_items(random.Random(SEED + 1), item_count, targets)
    build = _timed(lambda: WatchIndex(targets))
    index = WatchIndex(targets)
    letters, letter_text = letter_automaton(targets), [letter_haystack(item) for item in items]
    own, own_text = index.automaton, [index.haystack(item.text, item.party_keys) for item in items]

    def figure() -> list[int]:
        return [
            len(index.match(text=item.text, party_keys=item.party_keys, docket_keys=item.docket_keys, case_id=None))
            for item in items
        ]

    figure()  # warm up
    gc.collect()
    letter_floors, own_passes, figures = [], [], []
    for _ in range(repeat):  # interleaved, so that a busy moment slows all three
        letter_floors.append(_timed(lambda: passes(letters, letter_text)))
        own_passes.append(_timed(lambda: passes(own, own_text)))
        figures.append(_timed(figure))
    return Figures(
        watches=watch_count,
        entries=index.size,
        build_seconds=build,
        letter_floor_ms=statistics.median(letter_floors) * 1000,
        own_pass_ms=statistics.median(own_passes) * 1000,
        figure_ms=statistics.median(figures) * 1000,
        hits=figure(),
    )


def report(figures: Figures) -> None:
    hits = figures.hits
    print(
        f"{figures.watches:>7,} watches ({figures.entries:,} index entries), index built in {figures.build_seconds:.2f} s"
    )
    print(
        f"        hits per item: mean {statistics.mean(hits):.3f}, max {max(hits)}, "
        f"items with a hit {sum(1 for h in hits if h) / len(hits):.1%}"
    )
    print(
        f"        letter floor {figures.letter_floor_ms:.2f} ms, index's own pass {figures.own_pass_ms:.2f} ms, "
        f"match {figures.figure_ms:.2f} ms: {figures.ratio:.2f}× the letter floor, "
        f"{figures.figure_ms / figures.own_pass_ms:.2f}× the own pass"
    )


def verdict(name: str, passed: bool, detail: str) -> None:
    print(f"{'PASS' if passed else 'FAIL'}  {name}: {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", default="1000,100000", help="comma-separated index sizes")
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.watches.split(","))
    print(f"match {args.items:,} items; CPU time, medians of {args.repeat} interleaved runs")
    results = [measure(size, args.items, args.repeat) for size in sizes]
    for figures in results:
        report(figures)
    smallest, largest = results[0], results[-1]
    verdict(
        f"≤ {RATIO_TARGET:g}× the letter floor",
        largest.ratio <= RATIO_TARGET,
        f"{largest.ratio:.2f}× at {largest.watches:,} watches",
    )
    verdict(
        f"≤ {MILLISECONDS_TARGET:g} ms",
        largest.figure_ms <= MILLISECONDS_TARGET,
        f"{largest.figure_ms:.2f} ms at {largest.watches:,} watches",
    )
    flatness = largest.figure_ms / smallest.figure_ms
    verdict(
        f"flat: ≤ {FLATNESS_TARGET:g}× from {smallest.watches:,} to {largest.watches:,} watches",
        flatness <= FLATNESS_TARGET,
        f"{flatness:.2f}×",
    )


if __name__ == "__main__":
    main()
