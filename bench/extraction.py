"""Score what Casewatch reads from real feed items against the labelled set.

    python -m bench.extraction [--set tests/data/extraction] [--worst N]

Reads every ``labels/*.jsonl`` of the set, runs each listed feed file through
the extraction record (``feeds.record``, what ``python -m bot extract``
prints), and polls all of them into a fresh SQLite database through the real
poll step (courts and regulators first, news last, as ``poll_feeds`` does) to
learn which case each item joined. Prints precision, recall and F1 per field,
per kind of source and overall; grouping purity and completeness; news-to-case
accuracy; action accuracy; then the most frequent misses.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.ingest import default_matcher, poll_feed
from feeds.catalog import DEFAULT_INTERVAL_MINUTES, FeedSpec
from feeds.extract import find_dockets, leading_docket
from feeds.fetch import FetchResult
from feeds.parse import parse_feed
from feeds.record import FeedSource, extraction_record, read_feed
from feeds.text import fold, name_key
from storage.database import open_database
from storage.feeds import enabled_feeds, sync_catalog

DEFAULT_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "extraction"
FIELDS = ("dockets", "court", "caption", "parties", "aliases", "amounts", "action")
POLL_ORDER = {"court": 0, "regulator": 1, "news": 2}


# --- what is compared ---------------------------------------------------------


def docket_keys(dockets: Iterable[str]) -> set[str]:
    """Docket numbers as written (``1:18-cv-03365``, ``16-10992``) → Casewatch's keys."""
    keys = set()
    for written in dockets:
        found = find_dockets(written) or [docket for docket in [leading_docket(written)[0]] if docket]
        keys.update(docket.key for docket in found)
    return keys


_ET_AL = re.compile(r"\bet al\b")
_UNITED_STATES = re.compile(r"\b(?:the )?(?:united states of america|united states|usa)\b")


def caption_key(caption: str | None) -> str | None:
    """A caption folded, ``et al.`` dropped, ``USA``/``United States of America`` read as ``United States``."""
    if not caption:
        return None
    folded = _UNITED_STATES.sub("united states", _ET_AL.sub(" ", fold(caption)))
    return " ".join(re.sub(r"\bvs\b", "v", folded).split()) or None


def _single(value: Any) -> set:
    return {value} if value is not None else set()


# Each field as a set, from a label (expected) and from an extraction record (got).
EXPECTED: dict[str, Callable[[dict], set]] = {
    "dockets": lambda label: docket_keys(label["dockets"]),
    "court": lambda label: _single(label["court"]),
    "caption": lambda label: _single(caption_key(label["caption"])),
    "parties": lambda label: {(name_key(p["name"]), p["role"]) for p in label["parties"]},
    "aliases": lambda label: {name_key(alias) for alias in label["aliases"]},
    "amounts": lambda label: {(a["value"], a["kind"]) for a in label["amounts"]},
    "action": lambda label: _single(label["action"]),
}
GOT: dict[str, Callable[[dict], set]] = {
    "dockets": lambda record: set(record.get("docket_keys", [])),
    "court": lambda record: _single(record.get("court")),
    "caption": lambda record: _single(caption_key(record.get("caption"))),
    "parties": lambda record: {(name_key(p["name"]), p["role"]) for p in record.get("parties", [])},
    "aliases": lambda record: {name_key(alias) for alias in record.get("aliases", [])},
    "amounts": lambda record: {(a["value"], a["kind"]) for a in record.get("amounts", [])},
    "action": lambda record: _single(record.get("action")),
}


# --- scores -------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, expected: set, got: set) -> None:
        self.tp += len(expected & got)
        self.fp += len(got - expected)
        self.fn += len(expected - got)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Miss:
    item: str
    field: str
    expected: list
    got: list


@dataclass
class Scores:
    items: Counter = field(default_factory=Counter)
    """Items per source kind."""
    fields: dict[str, dict[str, Counts]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counts)))
    """fields[field][source kind or "all"]."""
    action_accuracy: float = 0.0
    purity: float = 0.0
    completeness: float = 0.0
    news_accuracy: float | None = None
    """None when the set has no news item."""
    misses: list[Miss] = field(default_factory=list)

    def f1(self, name: str, kind: str = "all") -> float:
        return self.fields[name][kind].f1


# --- reading and polling the set ----------------------------------------------


def load_labels(root: Path) -> list[dict]:
    labels = []
    for path in sorted((root / "labels").glob("*.jsonl")):
        labels += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return labels


def sources_of(labels: list[dict]) -> dict[str, FeedSource]:
    """Each labelled feed file with the address, kind and agency it was published under."""
    return {label["feed"]: FeedSource(label["url"], label["feed_kind"], label["agency"]) for label in labels}


def read_records(root: Path, sources: dict[str, FeedSource]) -> dict[tuple[str, int], dict]:
    records = {}
    for feed, source in sources.items():
        for read in read_feed((root / "feeds" / feed).read_bytes(), source):
            records[feed, read.index] = extraction_record(read)
    return records


@dataclass(frozen=True)
class RecordedFeed:
    """Answers a poll with a feed file, as its site would (stands in for the network)."""

    body: bytes

    def fetch(self, url: str, **_: object) -> FetchResult:
        return FetchResult(url=url, not_modified=False, body=self.body, etag=None, last_modified=None)


def poll_cases(root: Path, sources: dict[str, FeedSource]) -> dict[tuple[str, int], int | None]:
    """Poll every feed file into a fresh database (courts, then regulators, then
    news) and return the case each item was stored in."""
    ordered = sorted(sources.items(), key=lambda pair: (POLL_ORDER.get(pair[1].kind, 3), pair[0]))
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "bench-extraction.db")
        specs = [
            FeedSpec(feed, source.url, source.agency or "", source.kind, DEFAULT_INTERVAL_MINUTES[source.kind])
            for feed, source in ordered
        ]
        sync_catalog(db, specs)
        matcher = default_matcher()
        feeds = {feed.name: feed for feed in enabled_feeds(db)}
        cases: dict[tuple[str, int], int | None] = {}
        for name, source in ordered:
            body = (root / "feeds" / name).read_bytes()
            poll_feed(db, RecordedFeed(body), feeds[name], matcher)  # type: ignore[arg-type]
            stored = dict(
                db.execute("SELECT item_key, case_id FROM items WHERE feed_id = ?", [feeds[name].id]).fetchall()
            )
            parsed = parse_feed(body, base_url=source.url, court_feed=source.kind == "court")
            for index, item in enumerate(parsed.items):
                cases[name, index] = stored.get(item.key)
        db.close()
    return cases


# --- grouping -----------------------------------------------------------------


def _purity(clusters: dict[Any, list[str]]) -> int:
    return sum(Counter(members).most_common(1)[0][1] for members in clusters.values())


def grouping(labels: list[dict], cases: dict[tuple[str, int], int | None]) -> tuple[float, float]:
    """(purity, completeness) over the items that have a case label; an item
    that joined no case is a cluster of its own."""
    predicted: dict[Any, list[str]] = defaultdict(list)
    labelled: dict[str, list[Any]] = defaultdict(list)
    for label in labels:
        if label.get("case") is None:
            continue
        key = (label["feed"], label["index"])
        case = cases.get(key) or ("alone", key)
        predicted[case].append(label["case"])
        labelled[label["case"]].append(case)
    total = sum(len(members) for members in predicted.values())
    if not total:
        return 1.0, 1.0
    return _purity(predicted) / total, _purity(labelled) / total


def news_accuracy(labels: list[dict], cases: dict[tuple[str, int], int | None]) -> float | None:
    """News items whose case's majority label (among non-news items) is the labelled case, or both none."""
    members: dict[int, Counter] = defaultdict(Counter)
    for label in labels:
        case = cases.get((label["feed"], label["index"]))
        if label["source_kind"] != "news" and case is not None and label.get("case"):
            members[case][label["case"]] += 1
    news = [label for label in labels if label["source_kind"] == "news"]
    if not news:
        return None
    right = 0
    for label in news:
        case = cases.get((label["feed"], label["index"]))
        majority = members[case].most_common(1)[0][0] if case is not None and members[case] else None
        right += majority == label.get("case")
    return right / len(news)


# --- the whole score ----------------------------------------------------------


def score(root: Path = DEFAULT_SET) -> Scores:
    labels = load_labels(root)
    sources = sources_of(labels)
    records = read_records(root, sources)
    scores = Scores()
    right_actions = 0
    for label in labels:
        key = (label["feed"], label["index"])
        record = records.get(key, {})
        kind = label["source_kind"]
        scores.items[kind] += 1
        item = f"{label['feed']}#{label['index']}"
        for name in FIELDS:
            expected, got = EXPECTED[name](label), GOT[name](record)
            scores.fields[name][kind].add(expected, got)
            scores.fields[name]["all"].add(expected, got)
            if expected != got:
                scores.misses.append(Miss(item, name, sorted(expected, key=str), sorted(got, key=str)))
        right_actions += record.get("action") == label["action"]
    scores.action_accuracy = right_actions / len(labels) if labels else 1.0
    cases = poll_cases(root, sources)
    scores.purity, scores.completeness = grouping(labels, cases)
    scores.news_accuracy = news_accuracy(labels, cases)
    return scores


def table(scores: Scores) -> str:
    """The scores as a Markdown table: overall P/R/F1, then F1 per kind of source."""
    kinds = sorted(scores.items)
    head = ["field", "P", "R", "F1", *(f"F1 {kind}" for kind in kinds)]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in FIELDS:
        overall = scores.fields[name]["all"]
        per_kind = [f"{scores.f1(name, kind):.3f}" for kind in kinds]
        values = [f"{overall.precision:.3f}", f"{overall.recall:.3f}", f"{overall.f1:.3f}", *per_kind]
        rows.append(f"| {name} | " + " | ".join(values) + " |")
    return "\n".join(rows)


def report(scores: Scores, worst: int) -> str:
    counts = ", ".join(f"{kind} {count}" for kind, count in sorted(scores.items.items()))
    news = "n/a (no news item)" if scores.news_accuracy is None else f"{scores.news_accuracy:.3f}"
    lines = [
        f"{sum(scores.items.values())} items: {counts}",
        "",
        table(scores),
        "",
        f"action accuracy: {scores.action_accuracy:.3f}",
        f"grouping: purity {scores.purity:.3f}, completeness {scores.completeness:.3f}",
        f"news joined to the right case (or none): {news}",
    ]
    patterns = Counter((miss.field, json.dumps(miss.expected), json.dumps(miss.got)) for miss in scores.misses)
    example = {}
    for miss in scores.misses:
        example.setdefault((miss.field, json.dumps(miss.expected), json.dumps(miss.got)), miss.item)
    if worst and patterns:
        lines += ["", f"worst misses ({len(scores.misses)} in all; the {worst} most frequent):"]
        for (name, expected, got), count in patterns.most_common(worst):
            item = example[name, expected, got]
            lines.append(f"  {count:4d}× {name}: expected {expected}, got {got}  (e.g. {item})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the labelled set (default: %(default)s)")
    parser.add_argument("--worst", type=int, default=20, help="how many kinds of miss to show (default: 20)")
    args = parser.parse_args(argv)
    print(report(score(args.set), args.worst))


if __name__ == "__main__":
    main()
