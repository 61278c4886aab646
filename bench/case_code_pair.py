"""The search and answer of a warm ``/case`` by two checkouts' code in one
process, alternating per query: for a change of code (and of schema).

    .venv/bin/python -m bench.case_code_pair --db NEW_COPY --before-code CHECKOUT --before-db OLD_COPY [--requests 2000]

Each checkout's ``storage``, ``feeds`` and ``handlers`` are imported in turn
under their own names (the first's modules are set aside before the second's
are imported, and each function keeps its own module's globals), so both run
side by side in this process. Each opens its own database as the server does
(``open_database``: migrated to its own schema; use copies) and is prepared
and warmed as the server does it; then bench.case's seeded query mix, after
its warm-up, is answered by both, which one goes first alternating: the CPU
time of ``search_cases`` and of ``slack_answer`` (the part of a request that
is Casewatch's own; Bolt's dispatch and the signature check are the same code
in both). Prints p50/p95/p99/mean of both, for all queries and for those not
seen before (kept answers cannot serve them over HTTP).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.case import WARM_UP, percentile, query_mix
from bench.case_profile import describe

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("storage", "feeds", "handlers", "bot")

Answer = Callable[[str], tuple[float, float]]


def _set_aside() -> None:
    for name in [name for name in sys.modules if name.split(".")[0] in PACKAGES]:
        del sys.modules[name]


def load(code: Path, db_path: Path, warm_up: list[str]) -> Answer:
    """A function answering a query with ``code``'s search and Block Kit on
    ``db_path``: (search ms, answer ms) of CPU time."""
    _set_aside()
    sys.path.insert(0, str(code.resolve()))
    try:
        search = importlib.import_module("storage.search")
        answer = importlib.import_module("handlers.case_answer")
        database = importlib.import_module("storage.database")
    finally:
        sys.path.pop(0)
        _set_aside()
    db = database.open_database(db_path)
    search.prepare_search(db)
    search.warm_search(db)

    def ask(query: str) -> tuple[float, float]:
        started = time.thread_time()
        result = search.search_cases(db, query)
        searched = time.thread_time()
        answer.slack_answer(result, set())
        return (searched - started) * 1000, (time.thread_time() - searched) * 1000

    for query in warm_up:
        ask(query)
    return ask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a copy of the database for this checkout")
    parser.add_argument("--before-code", type=Path, required=True, help="the other checkout (e.g. main)")
    parser.add_argument("--before-db", type=Path, required=True, help="a copy of the database for the other")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    queries = query_mix(args.before_db, WARM_UP + args.requests, args.seed)
    sides = {
        "before": load(args.before_code, args.before_db, queries[:WARM_UP]),
        "after": load(ROOT, args.db, queries[:WARM_UP]),
    }
    timings: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    seen, first = set(queries[:WARM_UP]), []
    for number, query in enumerate(queries[WARM_UP:]):
        order = ("before", "after") if number % 2 else ("after", "before")
        for side in order:
            timings[side].append(sides[side](query))
        first.append(query not in seen)
        seen.add(query)
    print(f"search_cases + slack_answer, CPU per query, {args.requests} queries, two checkouts alternating")
    for label, keep in (("all", [True] * len(first)), ("not seen before", first)):
        print(f"{label}:")
        for side in ("before", "after"):
            kept = [times for times, wanted in zip(timings[side], keep, strict=True) if wanted]
            for part, values in (
                ("search + answer", [search + answer for search, answer in kept]),
                ("search", [search for search, _ in kept]),
                ("answer (Block Kit)", [answer for _, answer in kept]),
            ):
                print(f"  {side:<7}" + describe(part, values))
        for name, share in (("p50", 0.5), ("p95", 0.95)):
            before, after = (
                percentile([sum(times) for times, wanted in zip(timings[side], keep, strict=True) if wanted], share)
                for side in ("before", "after")
            )
            print(f"  search + answer {name}: {before:.2f} -> {after:.2f} ms ({after / before:.2f}x)")


if __name__ == "__main__":
    main()
