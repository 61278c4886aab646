"""Benchmark: ``GET /metrics`` over HTTP on a big database, against ``GET /healthz`` as the floor.

    .venv/bin/python -m bench.metrics --db /tmp/cw/1m.db [--scrapes 200] [--code CHECKOUT]

Starts the real server as bench/case.py does (HTTP mode, a local Slack
stand-in, nothing polled) and times the first scrape after ``/healthz``
answers (cold: the item count and the feeds' recent items read from disk),
then ``--scrapes`` scrapes, each after a ``/healthz`` on the same keep-alive
connection. Targets: a warm scrape's p95 at most 25 ms above the floor's, the
first at most 500 ms (Prometheus scrapes every 15-60 s with a 10 s timeout).
The database is changed only as bench/case.py changes it (its feeds disabled).
"""

from __future__ import annotations

import argparse
import http.client
import tempfile
import time
from pathlib import Path

from sqlite_utils import Database

from bench.case import ROOT, Bot, describe, healthz, percentile, verdict
from tests.conftest import SlackApi

WARM_TARGET_MS = 25.0
COLD_TARGET_MS = 500.0


def scrape(connection: http.client.HTTPConnection) -> tuple[float, int]:
    """Milliseconds for ``GET /metrics``, and the answer's size in bytes."""
    started = time.perf_counter()
    connection.request("GET", "/metrics")
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"/metrics answered {response.status}")
    return elapsed, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", type=Path, required=True, help="a database made by bench.generate (a copy: it is changed)"
    )
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--code", type=Path, default=ROOT, help="the Casewatch checkout whose bot to run")
    args = parser.parse_args()
    if not args.db.exists():
        parser.error(f"{args.db} does not exist: make it with bench.generate")
    (items,) = Database(args.db).execute("SELECT count(*) FROM items").fetchone()
    slack = SlackApi()
    try:
        with tempfile.TemporaryDirectory() as workdir, Bot(args.db, slack, Path(workdir), args.code).running() as c:
            first, size = scrape(c)
            floor, scrapes = [], []
            for _ in range(args.scrapes):
                floor.append(healthz(c))
                scrapes.append(scrape(c)[0])
    finally:
        slack.close()
    print(f"GET /metrics over HTTP on {items:,} items ({size:,} bytes an answer)")
    print(
        f"  first scrape after start: {first:.1f} ms (target ≤ {COLD_TARGET_MS:g} ms) {verdict(first, COLD_TARGET_MS)}"
    )
    print("  " + describe("/healthz", floor))
    print("  " + describe("/metrics", scrapes))
    above = percentile(scrapes, 0.95) - percentile(floor, 0.95)
    print(
        f"  p95 above the floor: {above:.2f} ms (target ≤ {WARM_TARGET_MS:g} ms) {verdict(above, WARM_TARGET_MS)}; "
        f"p50 ratio to the floor: {percentile(scrapes, 0.5) / percentile(floor, 0.5):.1f}×"
    )


if __name__ == "__main__":
    main()
