"""Time extraction per item against ``feedparser.parse`` of the same bytes, and guard its output.

    python -m bench.extract_speed [--items N] [--repeat R]      # time it
    python -m bench.extract_speed --profile FILE                # where the time goes (ingest set)
    python -m bench.extract_speed --save                        # write the golden snapshot
    python -m bench.extract_speed --check                       # compare with the golden snapshot

The items: every item of the labelled set (``tests/data/extraction``: real
feeds), every feed file of ``tests/fixtures`` read as each kind of feed (court,
regulator, news, so that every path of ``feeds.extract`` runs), and the
SEC/PACER-shaped items of ``bench.feedsets.ingest_set`` (seeded, so a run
repeats): for timing, the very feed set ``bench.ingest`` polls (10,000 items);
for the golden snapshot, its first 2,000-item version. Feeds are parsed once,
outside the timing; what is timed is ``feeds.record.extract_item``, the call
polling makes, in CPU time, the median of ``--repeat`` runs.

The floor is ``feedparser.parse`` alone on the same feed bytes, per item, timed
in the same run. The target (issue 9): the ingest pipeline at ≥ 0.8× the
floor's speed leaves extraction about 0.4× the floor's time per item.

``--check`` compares the ``repr`` of every item's ``Extraction`` (or its error)
with ``bench/golden/extractions.json.gz``: a speed change must not change what
is read, byte for byte.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import feedparser

from bench.feedsets import ingest_set
from feeds.parse import FeedItem, ParsedFeed, parse_feed
from feeds.record import FeedSource, extract_item

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data" / "extraction"
FIXTURES = ROOT / "tests" / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden" / "extractions.json.gz"
KINDS = ("court", "regulator", "news")
TARGET_RATIO = 0.4
INGEST_ITEMS = 10_000  # bench.ingest's feed set
GOLDEN_ITEMS = 2_000  # the generated items of the golden snapshot


@dataclass
class Feed:
    """One feed file as a source, with its items parsed once."""

    group: str  # "labelled", "fixtures" or "generated"
    name: str
    body: bytes
    source: FeedSource
    parsed: ParsedFeed | None = None

    @property
    def items(self) -> list[FeedItem]:
        assert self.parsed is not None
        return self.parsed.items


def labelled_feeds() -> list[Feed]:
    sources: dict[str, FeedSource] = {}
    for path in sorted((LABELLED / "labels").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                label = json.loads(line)
                sources[label["feed"]] = FeedSource(label["url"], label["feed_kind"], label["agency"])
    return [
        Feed("labelled", name, (LABELLED / "feeds" / name).read_bytes(), source)
        for name, source in sorted(sources.items())
    ]


def _fixture_url(path: Path) -> str:
    if path.parent.name == "pacer":
        return f"https://ecf.{path.stem.split('_')[0]}.uscourts.gov/cgi-bin/rss_outside.pl"
    if path.parent.name == "courts":
        return "https://www.ca10.uscourts.gov/opinions/new/daily_decisions.rss"
    return "https://www.sec.gov/enforcement-litigation/litigation-releases/rss"


def fixture_feeds() -> list[Feed]:
    """Every fixture feed read as each kind of feed, with and without an agency."""
    feeds = []
    for path in sorted(FIXTURES.rglob("*.xml")):
        name = str(path.relative_to(FIXTURES))
        for kind in KINDS:
            for agency in (None, "SEC" if kind != "court" else "S.D.N.Y."):
                source = FeedSource(_fixture_url(path), kind, agency)
                feeds.append(Feed("fixtures", f"{name} as {kind}/{agency}", path.read_bytes(), source))
    return feeds


def generated_feeds(items: int) -> list[Feed]:
    return [
        Feed("generated", feed.path, feed.body, FeedSource(f"https://feeds.example{feed.path}", feed.kind, feed.agency))
        for feed in ingest_set(items=items, per_feed=min(250, items))
    ]


def all_feeds(items: int) -> list[Feed]:
    feeds = labelled_feeds() + fixture_feeds() + generated_feeds(items)
    for feed in feeds:
        feed.parsed = parse_feed(feed.body, base_url=feed.source.url, court_feed=feed.source.kind == "court")
    return feeds


# --- output -------------------------------------------------------------------


def outputs(feeds: list[Feed]) -> dict[str, str]:
    """Every item's extraction as its ``repr`` (or its error), keyed by feed and index."""
    read = {}
    for feed in feeds:
        for index, item in enumerate(feed.items):
            try:
                text = repr(extract_item(item, feed.source, feed.parsed))  # type: ignore[arg-type]
            except Exception as error:
                text = f"error {type(error).__name__}: {error}"
            read[f"{feed.group} {feed.name} #{index}"] = text
    return read


def save(read: dict[str, str]) -> None:
    GOLDEN.parent.mkdir(exist_ok=True)
    with gzip.open(GOLDEN, "wt", encoding="utf-8") as file:
        json.dump(read, file, ensure_ascii=False, indent=0, sort_keys=True)
    print(f"saved {len(read):,} extractions to {GOLDEN.relative_to(ROOT)}")


def differences(read: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    """(item, golden, now) for every item whose extraction differs from the golden snapshot."""
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as file:
        golden = json.load(file)
    keys = sorted(golden.keys() | read.keys())
    return [(key, golden.get(key), read.get(key)) for key in keys if golden.get(key) != read.get(key)]


def check(read: dict[str, str]) -> bool:
    differ = differences(read)
    for key, golden, now in differ[:5]:
        print(f"DIFFERS {key}\n  golden: {golden}\n  now:    {now}")
    print(
        f"{len(read):,} extractions, {len(differ):,} differ from the golden snapshot: {'OK' if not differ else 'FAIL'}"
    )
    return not differ


# --- timing -------------------------------------------------------------------


def _clear_caches() -> None:
    """Forget what extraction cached (every ``lru_cache`` of a ``feeds`` module), so that every run starts cold."""
    for name, module in list(sys.modules.items()):
        if name.startswith("feeds.") and module is not None:
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def cpu_time(run: Callable[[], None]) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def paired(feeds: list[Feed], repeat: int) -> tuple[float, float, float]:
    """(floor, extraction, ratio) in seconds for ``feeds``: medians over runs that
    time both back to back, so that the load of the moment weighs on both alike."""
    floors, figures = [], []
    for _ in range(repeat):
        floors.append(cpu_time(lambda: parse_all(feeds)))
        _clear_caches()
        figures.append(cpu_time(lambda: extract_all(feeds)))
    ratios = [figure / floor for floor, figure in zip(floors, figures, strict=True)]
    return statistics.median(floors), statistics.median(figures), statistics.median(ratios)


def extract_all(feeds: list[Feed]) -> None:
    for feed in feeds:
        for item in feed.items:
            extract_item(item, feed.source, feed.parsed)  # type: ignore[arg-type]


def parse_all(feeds: list[Feed]) -> None:
    for feed in feeds:
        feedparser.parse(feed.body)


def timing(feeds: list[Feed], repeat: int) -> None:
    print(f"{'items':<10} {'count':>6} {'floor ms/item':>14} {'extract ms/item':>16} {'ratio':>6}")
    groups = {group: [feed for feed in feeds if feed.group == group] for group in ("labelled", "fixtures", "generated")}
    ratios = {}
    for group, members in (*groups.items(), ("all", feeds)):
        count = sum(len(feed.items) for feed in members)
        floor, figure, ratios[group] = paired(members, repeat)
        print(
            f"{group:<10} {count:>6,} {floor * 1000 / count:>14.3f} {figure * 1000 / count:>16.3f} {ratios[group]:>6.2f}"
        )
    verdict = "PASS" if ratios["generated"] <= TARGET_RATIO else "FAIL"
    print(
        f"target: extraction ≤ {TARGET_RATIO}× feedparser's time on the generated items: {ratios['generated']:.2f} {verdict}"
    )


def profile(feeds: list[Feed], path: Path, *, lines: int = 30) -> None:
    """A cProfile of one cold extraction of ``feeds``, written to ``path``; prints the costliest functions."""
    _clear_caches()
    profiler = cProfile.Profile()
    profiler.runcall(extract_all, feeds)
    profiler.dump_stats(path)
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--items", type=int, help=f"generated items (default: {INGEST_ITEMS:,} to time, {GOLDEN_ITEMS:,} to check)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (the median is shown)")
    parser.add_argument("--save", action="store_true", help="write the golden snapshot")
    parser.add_argument("--check", action="store_true", help="compare with the golden snapshot")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="write a cProfile of the generated items here")
    args = parser.parse_args(argv)
    golden = args.save or args.check
    feeds = all_feeds(args.items or (GOLDEN_ITEMS if golden else INGEST_ITEMS))
    if args.save:
        save(outputs(feeds))
    elif args.check:
        raise SystemExit(0 if check(outputs(feeds)) else 1)
    elif args.profile:
        profile([feed for feed in feeds if feed.group == "generated"], args.profile)
    else:
        timing(feeds, args.repeat)


if __name__ == "__main__":
    main()
