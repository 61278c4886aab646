"""Benchmark: how often and how fast a news story joins the case it names.

    .venv/bin/python -m bench.news_join --db 100k.db [--stories 1000] [--code OTHER_CHECKOUT]

On a database made by ``bench.generate``, opened immutable (never written,
never copied: 1m.db is 1 GB): for a seeded
sample of cases, the story ``<agency> charges <first defendant> with fraud -
Reuters`` read by the real extractor and put to
``storage.joins.find_news_case``, as a story arriving after its case meets
it. Prints the join rate (stories that join the sampled case; those joining
another case whose first defendant has the same name are counted apart: the
rule then picks the most recent) and the milliseconds per story (median; each
story is put once, as in a running bot, whose process has met other stories
before), with the floor: one full-text lookup of the defendant's name key as
a phrase, the least a lookup of the named case does. Run it twice, alternating
``--code``, and compare medians of the same session.
``--code``: another Casewatch checkout whose ``find_news_case`` to run (to
compare before and after in the same session).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

HEADLINES = {"CFTC": "CFTC charges {} with spoofing - Reuters", "DOJ": "{} indicted by federal prosecutors - Reuters"}
SEC_HEADLINE = "SEC charges {} with fraud - Reuters"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a database made by bench.generate")
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--code", type=Path, help="another Casewatch checkout whose find_news_case to run")
    args = parser.parse_args()
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
    from sqlite_utils import Database

    from feeds.extract import extract
    from feeds.text import name_key
    from feeds.vocabulary import FeedKind
    from storage.joins import find_news_case

    db = Database(sqlite3.connect(f"file:{args.db.resolve()}?immutable=1", uri=True))
    sample = _sample(db, args.stories, args.seed)
    joined = same_name = 0
    story_ms, floor_ms = [], []
    for case_id, agency, name in sample:
        headline = HEADLINES.get(agency or "", SEC_HEADLINE).format(name)
        story = extract(
            title=headline, summary="", author=None, feed_agency="News", feed_kind=FeedKind.NEWS, feed_url=""
        )
        phrase = '"{}"'.format(name_key(name).replace('"', '""'))
        found, seconds = _timed(lambda story=story: find_news_case(db, story))
        _, floor = _timed(
            lambda phrase=phrase: db.execute(
                "SELECT rowid FROM case_search WHERE case_search MATCH ?", [f"parties : {phrase}"]
            ).fetchall()
        )
        story_ms.append(seconds * 1000)
        floor_ms.append(floor * 1000)
        if found == case_id:
            joined += 1
        elif found is not None and _first_defendant(db, found) == name:
            same_name += 1
    count = len(sample)
    median, floor = statistics.median(story_ms), statistics.median(floor_ms)
    print(f"{args.db.name}: {count} stories naming a case's first defendant (seed {args.seed})")
    print(f"joined their case: {joined} ({joined / count:.1%}); joined another case of the same name: {same_name}")
    print(f"floor (one phrase lookup of the name key): {floor:.3f} ms/story")
    print(
        f"find_news_case: median {median:.2f} ms/story, p95 {sorted(story_ms)[int(count * 0.95)]:.2f}, "
        f"ratio {median / floor:.1f}x"
    )


def _sample(db, stories: int, seed: int) -> list[tuple[int, str | None, str]]:
    rows = db.execute(
        "SELECT id, agency, (SELECT name FROM case_parties WHERE case_id = cases.id AND role = 'defendant' "
        "ORDER BY rowid LIMIT 1) FROM cases ORDER BY id"
    ).fetchall()
    rows = [row for row in rows if row[2]]
    return random.Random(seed).sample(rows, min(stories, len(rows)))


def _first_defendant(db, case_id: int) -> str | None:
    row = db.execute(
        "SELECT name FROM case_parties WHERE case_id = ? AND role = 'defendant' ORDER BY rowid LIMIT 1", [case_id]
    ).fetchone()
    return row[0] if row else None


def _timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


if __name__ == "__main__":
    main()
