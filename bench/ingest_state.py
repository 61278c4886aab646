"""What ingest stored, compared between two versions of the code.

    .venv/bin/python -m bench.ingest_state dump OUT.json [--items 10000] [--watches 10000]
    .venv/bin/python -m bench.ingest_state compare BEFORE.json AFTER.json

``dump`` polls the ingest benchmark's feed set (``bench.ingest``: same seed,
same prepared database) one feed after the other (so that row ids repeat from
run to run) and writes what was stored: the items with their cases and
events, the cases, their names and dockets, the events, the alerts (channel,
watch, matched term, mode), the search terms, the cases' search rows and
related cases, and what full-text searches of items find. Times taken from
the clock (``created_at``, ``seen_at``) are left out. ``compare`` tells
which of these differ. Run ``dump`` on the code before a change (e.g. with
``PYTHONPATH`` pointing at the old tree) and after it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
from pathlib import Path

from sqlite_utils import Database

from bench.feedsets import ingest_set, serving, watch_terms
from bench.ingest import prepare
from bot.ingest import default_matcher, poll_feeds
from feeds.fetch import Fetcher
from storage.database import ThreadDatabases
from storage.feeds import enabled_feeds

SEED = 20261125
# Each part of the stored state: a query whose rows are compared in order.
QUERIES = {
    "items": (
        "SELECT id, feed_id, item_key, link, title, summary, author, published_at, event_at, agency, action, court, "
        "release_no, docket_entry, amounts, case_id, event_id FROM items ORDER BY id"
    ),
    "cases": "SELECT id, caption, caption_key, agency, court, first_event_at, last_event_at FROM cases ORDER BY id",
    "case_parties": "SELECT case_id, role, name, name_key FROM case_parties ORDER BY case_id, role, name_key",
    "case_dockets": "SELECT case_id, docket_key, docket_short, display, court FROM case_dockets ORDER BY 1, 2",
    "events": (
        "SELECT id, case_id, action, event_day, identity, routine, first_item_id, entry_no, release_no, action_detail "
        "FROM events ORDER BY id"
    ),
    "alerts": (
        "SELECT team_id, channel_id, event_id, case_id, watch_id, matched_term, mode, status, needs_update "
        "FROM alerts ORDER BY team_id, channel_id, event_id"
    ),
    "search_terms": "SELECT term FROM search_terms ORDER BY term",
    "case_search": "SELECT rowid, parties, caption, dockets FROM case_search ORDER BY rowid",
    "case_links": "SELECT * FROM case_links ORDER BY 1, 2",
    "feeds": "SELECT id, consecutive_failures, last_error FROM feeds ORDER BY id",
}


def _item_searches(db: Database, count: int = 300) -> list[list[object]]:
    """The item ids that full-text searches for a sample of the stored words find (both item indexes)."""
    words = [term for (term,) in db.execute("SELECT term FROM search_terms ORDER BY term")]
    words += [
        word
        for (title,) in db.execute("SELECT title FROM items ORDER BY id LIMIT 2000")
        for word in title.split()
        if word.isalpha()
    ]
    sample = random.Random(SEED).sample(sorted(set(words)), min(count, len(set(words))))
    found: list[list[object]] = []
    for word in sample:
        phrase = '"{}"'.format(word.replace('"', '""'))
        for table in ("item_search", "loose_item_search"):
            rows = db.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", [phrase]).fetchall()
            found.append([table, word, [row[0] for row in rows]])
    return found


def state(db: Database) -> dict[str, list]:
    """Every part of the stored state, as lists of rows."""
    parts: dict[str, list] = {name: [list(row) for row in db.execute(sql)] for name, sql in QUERIES.items()}
    parts["item_search results"] = _item_searches(db)
    for table in ("item_search", "loose_item_search", "case_search"):
        db.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")  # raises if the index is corrupt
    return parts


def dump(out: Path, items: int, watches: int) -> None:
    feeds = ingest_set(SEED, items=items)
    terms = watch_terms(SEED, feeds, watches)
    with tempfile.TemporaryDirectory() as scratch, serving(feeds) as hosts:
        path = Path(scratch) / "state.db"
        prepare(path, feeds, hosts.urls, terms)
        databases = ThreadDatabases(path)
        fetcher = Fetcher(contact="bench@casewatch.invalid", allow_private=True)
        outcomes = poll_feeds(databases, fetcher, enabled_feeds(databases.get()), default_matcher(), workers=1)
        stored = sum(outcome.new_items for outcome in outcomes)
        parts = state(databases.get())
    out.write_text(json.dumps(parts))
    print(f"{stored:,} items stored; " + ", ".join(f"{name} {len(rows):,}" for name, rows in parts.items()))


def compare(before: Path, after: Path) -> bool:
    old, new = json.loads(before.read_text()), json.loads(after.read_text())
    same = True
    for name in sorted(set(old) | set(new)):
        rows_old, rows_new = old.get(name, []), new.get(name, [])
        if rows_old == rows_new:
            digest = hashlib.sha256(json.dumps(rows_old).encode()).hexdigest()[:12]
            print(f"same       {name}: {len(rows_old):,} rows ({digest})")
            continue
        same = False
        first = next((i for i, (a, b) in enumerate(zip(rows_old, rows_new, strict=False)) if a != b), None)
        print(f"DIFFERENT  {name}: {len(rows_old):,} rows before, {len(rows_new):,} after")
        if first is not None:
            print(f"    first difference, row {first}:\n    before {rows_old[first]}\n    after  {rows_new[first]}")
    return same


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("--items", type=int, default=10_000)
    dumping.add_argument("--watches", type=int, default=10_000)
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, args.items, args.watches)
    elif not compare(args.before, args.after):
        sys.exit(1)


if __name__ == "__main__":
    main()
