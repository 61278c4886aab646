"""Time the parse step against ``feedparser.parse`` alone, and compare the two readers.

    python -m bench.parse [--items N] [--repeat R]          # time it
    python -m bench.parse --compare [DIR ...] [--juriscraper GIT_DIR]

Timing: ``feeds.parse.parse_feed`` (the fast reader, feedparser as its
fallback, then the items cleaned) against the floor, ``feedparser.parse`` alone
with its default options on the same bytes, and against
``parse_feed_with_feedparser`` (parsing as it was before the fast reader),
timed back to back in the same run (CPU time, medians of ``--repeat`` runs);
the ratio is parse_feed's time over the floor's. Two feed sets: the ingest
benchmark's SEC/PACER-shaped set (``bench.feedsets.ingest_set``, seeded) and
every real feed file in the repository (``tests/fixtures``,
``tests/data/extraction/feeds``, ``bot/demo_feeds``). The target (issue 9): the
whole ingest at ≥ 0.8× feedparser's speed leaves parsing ≤ 0.08 ms an item.

``--compare``: every feed file under the given directories (default: the
repository's) and the feed files among juriscraper's test examples (a git
directory, such as ``fetch``'s mirror of freelawproject/juriscraper) parsed
both ways; prints files, items, identical, fell back (and why) and different
(which must be none).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from bench.feedsets import ingest_set
from feeds.parse import parse_feed, parse_feed_with_feedparser
from feeds.types import ParsedFeed
from feeds.xmlfeed import explain_doubt

ROOT = Path(__file__).resolve().parent.parent
REPOSITORY_FEEDS = (ROOT / "tests" / "fixtures", ROOT / "tests" / "data" / "extraction", ROOT / "bot" / "demo_feeds")
FEED_SUFFIXES = (".xml", ".rss", ".atom")
FETCHED_AT = datetime(2026, 11, 25, tzinfo=UTC)
TARGET_MS = 0.08


@dataclass(frozen=True)
class Comparison:
    """How the two readers did on one document: ``identical`` (fast reader used,
    same result), ``fell back`` (feedparser read it; ``reason`` says why) or
    ``different`` (a bug)."""

    outcome: str
    items: int
    reason: str = ""


def _result(read: Callable[[], ParsedFeed]) -> ParsedFeed | str:
    """The parsed feed, or the error it raised (feedparser raises on some hostile input)."""
    try:
        return read()
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def compare(body: bytes, *, base_url: str, court_feed: bool, fetched_at: datetime = FETCHED_AT) -> Comparison:
    """``parse_feed`` against feedparser alone on ``body``."""
    reference = _result(
        lambda: parse_feed_with_feedparser(body, base_url=base_url, court_feed=court_feed, fetched_at=fetched_at)
    )
    ours = _result(lambda: parse_feed(body, base_url=base_url, court_feed=court_feed, fetched_at=fetched_at))
    items = len(reference.items) if isinstance(reference, ParsedFeed) else 0
    if ours != reference:
        return Comparison("different", items, f"{ours!r:.300} != {reference!r:.300}")
    doubt = explain_doubt(body, base_url)
    return Comparison("fell back", items, doubt) if doubt else Comparison("identical", items)


def _feed_files(directory: Path) -> Iterator[Path]:
    return (path for path in sorted(directory.rglob("*")) if path.is_file() and path.suffix in FEED_SUFFIXES)


def _juriscraper_files(git_dir: Path) -> Iterator[tuple[str, bytes]]:
    names = subprocess.run(
        ["git", "-C", str(git_dir), "ls-tree", "-r", "--name-only", "HEAD"], capture_output=True, check=True, text=True
    ).stdout.splitlines()
    for name in names:
        base = name.rsplit("/", 1)[-1].lower()
        if name.startswith("tests/examples/") and (base.endswith(".xml") or "rss" in base or "atom" in base):
            body = subprocess.run(["git", "-C", str(git_dir), "show", f"HEAD:{name}"], capture_output=True, check=True)
            yield f"juriscraper:{name}", body.stdout


def compare_all(documents: list[tuple[str, bytes]]) -> bool:
    totals: Counter[str] = Counter()
    items: Counter[str] = Counter()
    reasons: list[str] = []
    for name, body in documents:
        court = "pacer" in name or "ecf" in name or "docket" in name
        result = compare(body, base_url="https://feeds.example/feed.xml", court_feed=court)
        totals[result.outcome] += 1
        items[result.outcome] += result.items
        if result.outcome != "identical":
            reasons.append(f"  {result.outcome}: {name} ({result.items} items): {result.reason}")
    print(f"{len(documents)} files, {sum(items.values()):,} items")
    for outcome in ("identical", "fell back", "different"):
        print(f"  {outcome:<10} {totals[outcome]:>4} files {items[outcome]:>7,} items")
    print("\n".join(reasons))
    return totals["different"] == 0


# --- timing -------------------------------------------------------------------


def cpu_time(run: Callable[[], None]) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def timing(name: str, bodies: list[tuple[bytes, str, bool]], repeat: int) -> None:
    """Floor, feedparser's path (Casewatch before the fast reader) and ``parse_feed``
    back to back in each run; medians of ``repeat`` runs."""
    count = sum(len(parse_feed(body, base_url=url, court_feed=court).items) for body, url, court in bodies)
    runs = []
    for _ in range(repeat):
        floor = cpu_time(lambda: [feedparser.parse(body) for body, _, _ in bodies])
        before = cpu_time(
            lambda: [parse_feed_with_feedparser(body, base_url=url, court_feed=court) for body, url, court in bodies]
        )
        figure = cpu_time(lambda: [parse_feed(body, base_url=url, court_feed=court) for body, url, court in bodies])
        runs.append((floor, before, figure, figure / floor))
    floor_ms, before_ms, figure_ms = (
        statistics.median(run[column] for run in runs) * 1000 / count for column in range(3)
    )
    ratio = statistics.median(run[3] for run in runs)
    verdict = "PASS" if figure_ms <= TARGET_MS else "FAIL"
    print(
        f"{name:<22} {count:>7,} {floor_ms:>10.3f} {before_ms:>16.3f} {figure_ms:>10.3f} {ratio:>7.2f}x"
        f"   target <= {TARGET_MS} ms/item: {verdict}"
    )


def repository_bodies() -> list[tuple[bytes, str, bool]]:
    bodies = []
    for directory in REPOSITORY_FEEDS:
        for path in _feed_files(directory):
            court = "pacer" in path.parts or "courtlistener" in path.parts or "courts" in path.parts
            bodies.append((path.read_bytes(), "https://feeds.example/feed.xml", court))
    return bodies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000, help="items of the ingest set")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", nargs="*", type=Path, metavar="DIR", help="compare the readers on these files")
    parser.add_argument("--juriscraper", type=Path, metavar="GIT_DIR", help="also juriscraper's example feeds")
    args = parser.parse_args(argv)
    if args.compare is not None:
        documents = [
            (str(path), path.read_bytes())
            for directory in (args.compare or REPOSITORY_FEEDS)
            for path in _feed_files(directory)
        ]
        if args.juriscraper:
            documents += list(_juriscraper_files(args.juriscraper))
        return 0 if compare_all(documents) else 1
    ingest = [
        (feed.body, f"https://feeds.example{feed.path}", feed.kind == "court") for feed in ingest_set(items=args.items)
    ]
    print(f"ms per item (CPU, medians of {args.repeat} runs); floor: feedparser.parse alone, default options")
    print(f"{'feeds':<22} {'items':>7} {'floor':>10} {'feedparser path':>16} {'parse_feed':>10} {'ratio':>8}")
    timing("ingest set", ingest, args.repeat)
    timing("repository feed files", repository_bodies(), args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
