"""Benchmark: match 1,000 new items against 100,000 watches.

    .venv/bin/python -m bench.match [--watches 100000] [--items 1000]

Builds the Aho-Corasick index from generated watches (names of one to three
words, a tenth with an alias, a tenth docket watches) and matches generated
items (title, ~400 characters of text, parties, dockets). Prints the build
time and the matching time; the matching cost depends on the items' length,
not on the number of watches.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from feeds.match import WatchIndex, WatchTarget
from feeds.text import name_key

SYLLABLES = [
    "ba",
    "na",
    "ce",
    "ko",
    "in",
    "fi",
    "tra",
    "lo",
    "ma",
    "ri",
    "zen",
    "qua",
    "dex",
    "tor",
    "vel",
    "son",
    "ark",
    "mi",
    "no",
    "lu",
]
FILLER = [
    "the",
    "commission",
    "alleges",
    "that",
    "the",
    "defendants",
    "offered",
    "and",
    "sold",
    "securities",
    "without",
    "registration",
    "and",
    "misled",
    "investors",
    "about",
    "the",
    "risks",
    "of",
    "the",
    "platform",
    "while",
    "commingling",
    "customer",
    "assets",
    "with",
    "company",
    "funds",
]


def company(rng: random.Random) -> str:
    words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(1, 3))]
    return " ".join(word.capitalize() for word in words)


def watches(rng: random.Random, count: int) -> tuple[list[WatchTarget], list[str]]:
    names: list[str] = []
    targets: list[WatchTarget] = []
    for watch_id in range(count):
        team, channel = f"T{watch_id % 50}", f"C{watch_id % 5000}"
        if watch_id % 10 == 0:
            docket = f"{rng.randint(10, 25)}-cv-{rng.randint(1, 99999):05d}"
            targets.append(WatchTarget(watch_id, team, channel, "docket", docket, (docket,), None, "instant", False))
            continue
        name = company(rng)
        names.append(name)
        keys = (name_key(name),) + ((name_key(company(rng)),) if watch_id % 10 == 1 else ())
        targets.append(WatchTarget(watch_id, team, channel, "name", name, keys, None, "instant", False))
    return targets, names


def items(rng: random.Random, count: int, names: list[str]) -> list[tuple[str, list[str], set[str]]]:
    generated = []
    for _ in range(count):
        parties = [rng.choice(names) if rng.random() < 0.3 else company(rng) for _ in range(rng.randint(1, 4))]
        words = [rng.choice(FILLER) for _ in range(60)]
        text = f"SEC Charges {parties[0]} Inc. with fraud. " + " ".join(words) + f" {parties[-1]}'s officers."
        dockets = {f"{rng.randint(10, 25)}-cv-{rng.randint(1, 99999):05d}"}
        generated.append((text, [name_key(p) for p in parties], dockets))
    return generated


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--watches", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(20261124)
    targets, names = watches(rng, args.watches)
    batch = items(rng, args.items, names)

    started = time.perf_counter()
    index = WatchIndex(targets)
    build = time.perf_counter() - started

    runs, hits = [], 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        hits = sum(
            len(index.match(text=text, party_keys=parties, docket_keys=dockets, case_id=None))
            for text, parties, dockets in batch
        )
        runs.append(time.perf_counter() - started)
    print(f"watches: {args.watches:,} (index entries {index.size:,}); items: {args.items:,}; hits: {hits:,}")
    print(f"index build: {build:.2f} s")
    print(
        f"match {args.items:,} items: median {statistics.median(runs) * 1000:.1f} ms, max {max(runs) * 1000:.1f} ms over {args.repeat} runs"
    )


if __name__ == "__main__":
    main()
