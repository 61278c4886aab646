"""Check that a change to ``/case`` left its answers as they were: dump every
answer of a seeded query mix, with a checkout's code, to compare byte for byte.

    .venv/bin/python -m bench.case_answers --db 1m.db --out after.jsonl
    .venv/bin/python -m bench.case_answers --db 1m.db --out before.jsonl --code BEFORE_CHECKOUT
    cmp before.jsonl after.jsonl

One JSON line per query: the query, the Slack answer (``slack_answer``, the
first card shown as watched, so both buttons appear) and the plain-text answer
(``plain_answer``), for bench.case's mix at two seeds (1,511 queries each) plus
hard queries (common words, prefixes, FTS5 syntax, a docket). Read only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HARD_QUERIES = (
    "enforcement results",
    "Legacy Voyager Exchange Holdings Inc.",
    "Xenon Birchwood Exchange Co.",
    "Driftwood Trading",
    "unit",
    "gran",
    "mage",
    '"*-NEAR OR',
    "a",
    "1:23-cv-01599",
    "Securities and Exchange Commission",
    "fraud",
    "ponzi",
)
SEEDS = (20261125, 7)
QUERIES_PER_SEED = 1511


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a database made by bench.generate")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--code", type=Path, help="another Casewatch checkout whose search and answers to run")
    args = parser.parse_args()
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
    from bench.case import query_mix
    from handlers.case_answer import plain_answer, slack_answer
    from storage.database import ThreadDatabases
    from storage.search import prepare_search, search_cases

    db = ThreadDatabases(str(args.db)).get()
    prepare_search(db)
    with args.out.open("w") as out:
        for seed in SEEDS:
            for query in [*query_mix(args.db, QUERIES_PER_SEED, seed), *HARD_QUERIES]:
                result = search_cases(db, query)
                watched = {case.id for case in result.cases[:1]}
                answer = [query, slack_answer(result, watched), plain_answer(result)]
                out.write(json.dumps(answer, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
