"""Benchmark: match 1,000 new items against 1,000 and 100,000 watches.

    .venv/bin/python -m bench.match [--watches 1000,100000] [--items 1000] [--repeat 21]

Watches are real-looking company and person names from seeded word lists
(bench/parties.py), a tenth of them with an alias, a tenth docket watches, some
names watched by several channels. Items look like SEC releases, court docket
entries and news (title, about 400 characters of text, parties, dockets);
about 3 % name a watched party and 1 % a watched docket.

Two floors, timed in the same run, interleaved with the figure (and every
index size with the others, in each repetition):

- the letter floor (the issue's): one pass of a pyahocorasick automaton of the
  same names, letter by letter (patterns " key "), over the items' text already
  folded and joined with their parties: what scanning the text costs;
- the index's own pass: the index's automaton (ahocorasick-rs, the same padded
  names) over the same folded text, an overlapping pass: what the Rust
  automaton costs before folding and hits.

Casewatch's figure is ``WatchIndex.match`` on every item (folding,
docket and case lookups, hits). Targets (issue 9, point 1): figure ≤ 3× the
letter floor, ≤ 25 ms at 100,000 watches, and the largest index's figure
≤ 1.3× the smallest's. Times are CPU time; each is printed as the minimum
and the median of the repetitions, and the verdicts read the minimums: on
a machine shared with other work, the least disturbed repetition is the
one that measures the code.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import ahocorasick
from ahocorasick_rs import AhoCorasick

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


def rust_passes(automaton: AhoCorasick, haystacks: list[str]) -> None:
    for haystack in haystacks:
        automaton.find_matches_as_indexes(haystack, overlapping=True)


@dataclass
class Setup:
    """One index size, ready to time: the index, both floors' automatons and texts, the items."""

    watches: int
    entries: int
    build_seconds: float
    index: WatchIndex
    items: list[Item]
    letters: ahocorasick.Automaton
    letter_text: list[str]

    def letter_floor(self) -> None:
        passes(self.letters, self.letter_text)

    def own_pass(self) -> None:
        rust_passes(self.index.automaton, self.letter_text)

    def figure(self) -> list[int]:
        """Matching as before the fold moved into extraction: the fold is timed here too."""
        match = self.index.match
        return [
            len(
                match(
                    folded_text=fold(item.text), party_keys=item.party_keys, docket_keys=item.docket_keys, case_id=None
                )
            )
            for item in self.items
        ]


def prepare(watch_count: int, item_count: int) -> Setup:
    targets = generate_watches(random.Random(SEED), watch_count)
    items = generate_items(random.Random(SEED + 1), item_count, targets)
    build = _timed(lambda: WatchIndex(targets))
    index = WatchIndex(targets)
    return Setup(
        watches=watch_count,
        entries=index.size,
        build_seconds=build,
        index=index,
        items=items,
        letters=letter_automaton(targets),
        letter_text=[letter_haystack(item) for item in items],
    )


@dataclass
class Times:
    """CPU milliseconds of each repetition, in the order they ran."""

    letter_floor: list[float] = field(default_factory=list)
    own_pass: list[float] = field(default_factory=list)
    figure: list[float] = field(default_factory=list)

    def ratios(self) -> list[float]:
        """Figure / letter floor of each repetition (timed back to back)."""
        return [figure / floor for figure, floor in zip(self.figure, self.letter_floor, strict=True)]


def measure(setups: list[Setup], repeat: int) -> list[Times]:
    """Every size's floors and figure, interleaved in every repetition, so that
    a busy moment of the machine slows them all alike."""
    times = [Times() for _ in setups]
    for setup in setups:
        setup.figure()  # warm up
    gc.collect()
    for _ in range(repeat):
        for setup, timing in zip(setups, times, strict=True):
            timing.letter_floor.append(_timed(setup.letter_floor) * 1000)
            timing.own_pass.append(_timed(setup.own_pass) * 1000)
            timing.figure.append(_timed(setup.figure) * 1000)
    return times


def spread(values: list[float], unit: str = " ms") -> str:
    return f"min {min(values):.2f}{unit}, median {statistics.median(values):.2f}{unit}"


def report(setup: Setup, times: Times) -> None:
    hits = setup.figure()
    print(f"{setup.watches:>7,} watches ({setup.entries:,} index entries), index built in {setup.build_seconds:.2f} s")
    print(
        f"        hits per item: mean {statistics.mean(hits):.3f}, max {max(hits)}, "
        f"items with a hit {sum(1 for h in hits if h) / len(hits):.1%}"
    )
    print(f"        letter floor   {spread(times.letter_floor)}")
    print(f"        own pass       {spread(times.own_pass)}")
    print(f"        match          {spread(times.figure)}")
    print(
        f"        match / letter floor: {min(times.figure) / min(times.letter_floor):.2f}× (mins), "
        f"{statistics.median(times.ratios()):.2f}× (median of the repetitions' ratios)"
    )


def verdict(name: str, passed: bool, detail: str) -> None:
    print(f"{'PASS' if passed else 'FAIL'}  {name}: {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", default="1000,100000", help="comma-separated index sizes")
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.watches.split(","))
    setups = [prepare(size, args.items) for size in sizes]
    print(
        f"match {args.items:,} items; CPU time of {args.repeat} repetitions, every size's floors and figure "
        "interleaved in each; verdicts on the minimum (the run least disturbed by the machine's other work)"
    )
    times = measure(setups, args.repeat)
    for setup, timing in zip(setups, times, strict=True):
        report(setup, timing)
    smallest, largest = times[0], times[-1]
    largest_size, smallest_size = setups[-1].watches, setups[0].watches
    ratio = min(largest.figure) / min(largest.letter_floor)
    verdict(
        f"≤ {RATIO_TARGET:g}× the letter floor",
        ratio <= RATIO_TARGET,
        f"{ratio:.2f}× at {largest_size:,} watches (median of the repetitions: {statistics.median(largest.ratios()):.2f}×)",
    )
    verdict(
        f"≤ {MILLISECONDS_TARGET:g} ms",
        min(largest.figure) <= MILLISECONDS_TARGET,
        f"{min(largest.figure):.2f} ms at {largest_size:,} watches (median {statistics.median(largest.figure):.2f} ms)",
    )
    flatness = min(largest.figure) / min(smallest.figure)
    paired = statistics.median(big / small for big, small in zip(largest.figure, smallest.figure, strict=True))
    verdict(
        f"flat: ≤ {FLATNESS_TARGET:g}× from {smallest_size:,} to {largest_size:,} watches",
        flatness <= FLATNESS_TARGET,
        f"{flatness:.2f}× (median of the repetitions: {paired:.2f}×)",
    )


if __name__ == "__main__":
    main()
