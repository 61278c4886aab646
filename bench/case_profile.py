"""Where a warm ``/case`` spends the server's time: bench.case's queries
through the server's own WSGI application, in this process.

    .venv/bin/python -m bench.case_profile --db /tmp/cw/1m.db [--requests 2000] [--cache 0] [--profile] [--threads 8]

The application is built as ``python -m bot run`` builds it (``create_app``,
``wsgi_application``, the same start-up warming) and every request is a
correctly signed ``/case`` in a WSGI environ, so everything but waitress and
the socket runs: the signature check, the body's parsing, Bolt's dispatch and
middleware, the listener, the search, the watch check, Block Kit and JSON.
Prints the thread's CPU time per request, split into the search (``search``
as ``/case`` calls it, kept answers included unless ``--cache 0``) and the rest,
for all queries and for those not seen before (kept answers cannot serve
them); ``--profile`` adds cProfile's top functions. ``--threads N`` hands the
requests to N threads in turn, one at a time, as the server's request threads
take them (its eight: ``bot.server.HTTP_THREADS``). Use a copy of the database:
the catalog's feed is written to it.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import queue
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from bench.case import SECRET, WARM_UP, bot_settings, percentile, preload, query_mix
from tests.conftest import SlackApi, slack_signature, slash_command


def build_application(
    db: Path, slack: SlackApi, workdir: Path, cache: int | None, through_bolt: bool = False
) -> tuple[Callable, list[float]]:
    """The server's WSGI application on ``db``, warmed as ``run`` warms it, and
    a list the search's CPU milliseconds of each request are appended to.
    ``through_bolt``: every ``/case`` through Bolt's dispatch (the server's
    path before its signed ``/case`` path)."""
    fast, bolt, searched = build_applications(db, slack, workdir, cache)
    return (bolt if through_bolt else fast), searched


def build_applications(
    db: Path, slack: SlackApi, workdir: Path, cache: int | None
) -> tuple[Callable, Callable, list[float]]:
    """:func:`build_application`'s two forms on one app: with the signed
    ``/case`` path, and through Bolt only."""
    os.environ.update(bot_settings(workdir, db, slack.url))
    if cache is not None:
        os.environ["CASEWATCH_CASE_CACHE"] = str(cache)
    from bot import server
    from bot.app import case_reply, create_app, web_client
    from bot.collector import settle_after_start
    from bot.config import settings_from_env
    from feeds.fetch import Fetcher
    from storage import search
    from storage.database import ThreadDatabases

    searched: list[float] = []
    keeping = search.SearchCache.search

    def timed_search(self: search.SearchCache, db: object, query: str) -> search.SearchResult:
        started = time.thread_time()
        try:
            return keeping(self, db, query)
        finally:
            searched.append((time.thread_time() - started) * 1000)

    search.SearchCache.search = timed_search  # type: ignore[method-assign]
    settings = settings_from_env()
    databases = ThreadDatabases(settings.db_url, busy_timeout_ms=settings.busy_timeout_ms)
    answer_case = case_reply(settings, databases)
    app = create_app(
        settings,
        databases,
        web_client(settings),
        Fetcher(contact=settings.contact),
        on_feeds_changed=lambda: None,
        poll_feed_now=lambda feed: None,
        answer_case=answer_case,
    )
    fast = server.wsgi_application(app, lambda: {"polling": False}, SECRET, answer_case=answer_case)
    bolt = server.wsgi_application(app, lambda: {"polling": False}, SECRET)
    search.prepare_search(databases.get())
    search.warm_search(databases.get())
    server.warm_request_path(fast, SECRET)
    server.warm_request_path(bolt, SECRET)
    settle_after_start()  # as run does once started
    return fast, bolt, searched


class InTurn:
    """Threads that run one call at a time, each the next thread in turn."""

    def __init__(self, count: int) -> None:
        self._inboxes: list[queue.Queue] = [queue.Queue() for _ in range(count)]
        self._done: queue.Queue = queue.Queue()
        self._next = 0
        for inbox in self._inboxes:
            threading.Thread(target=self._serve, args=(inbox,), daemon=True).start()

    def _serve(self, inbox: queue.Queue) -> None:
        while (call := inbox.get()) is not None:
            started = time.thread_time()
            call()
            self._done.put((time.thread_time() - started) * 1000)

    def run(self, call: Callable[[], None]) -> float:
        """Run ``call`` on the next thread; the CPU milliseconds it took there."""
        self._inboxes[self._next].put(call)
        self._next = (self._next + 1) % len(self._inboxes)
        return self._done.get()

    def close(self) -> None:
        for inbox in self._inboxes:
            inbox.put(None)


def ask(application: Callable, query: str) -> None:
    """One signed ``/case query`` through the WSGI application."""
    body = urllib.parse.urlencode(slash_command("/case", query)).encode()
    stamp = str(int(time.time()))
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp,
        "HTTP_X_SLACK_SIGNATURE": slack_signature(body, stamp, SECRET),
        "wsgi.input": io.BytesIO(body),
    }
    status: list[str] = []
    b"".join(application(environ, lambda line, headers: status.append(line)))
    if not status or not status[0].startswith("200"):
        raise SystemExit(f"/case {query!r} answered {status}")


def describe(label: str, values: list[float]) -> str:
    return (
        f"{label:<24} p50 {percentile(values, 0.5):5.2f}  p95 {percentile(values, 0.95):5.2f}  "
        f"p99 {percentile(values, 0.99):5.2f}  mean {sum(values) / len(values):5.2f} ms  (n={len(values)})"
    )


def pair(db: Path, queries: list[str], cache: int | None) -> None:
    """Each query answered by both forms of the application in this process,
    which first alternating: CPU per request, and "the rest" (all but the search)."""
    slack = SlackApi()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            fast, bolt, searched = build_applications(db, slack, Path(workdir), cache)
            for query in queries[:WARM_UP]:
                ask(fast, query)
                ask(bolt, query)
            times: dict[str, list[float]] = {"signed /case path": [], "through Bolt": []}
            rests: dict[str, list[float]] = {"signed /case path": [], "through Bolt": []}
            sides = [("signed /case path", fast), ("through Bolt", bolt)]
            for number, query in enumerate(queries[WARM_UP:]):
                for name, application in sides if number % 2 else sides[::-1]:
                    searched.clear()
                    started = time.thread_time()
                    ask(application, query)
                    elapsed = (time.thread_time() - started) * 1000
                    times[name].append(elapsed)
                    rests[name].append(elapsed - sum(searched))
    finally:
        slack.close()
    print(f"/case in-process, both paths alternating per query, CPU per request, {len(queries) - WARM_UP} queries")
    for name in times:
        print(f"{name}:")
        print("  " + describe("whole request", times[name]))
        print("  " + describe("the rest (all but search)", rests[name]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a copy of a database made by bench.generate")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--cache", type=int, default=None, help="CASEWATCH_CASE_CACHE (0: every answer computed)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top functions")
    parser.add_argument("--threads", type=int, default=0, help="hand the requests to N threads in turn")
    parser.add_argument("--through-bolt", action="store_true", help="every /case through Bolt's dispatch")
    parser.add_argument(
        "--pair", action="store_true", help="each query through the signed /case path and through Bolt, alternating"
    )
    args = parser.parse_args()
    if args.threads and args.profile:
        parser.error("--profile profiles this thread only: leave out --threads")
    if args.pair:
        pair(args.db, query_mix(args.db, WARM_UP + args.requests, args.seed), args.cache)
        return
    queries = query_mix(args.db, WARM_UP + args.requests, args.seed)
    preload(args.db)  # as bench.case does: the pages this machine's page cache dropped, read back
    slack = SlackApi()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            application, searched = build_application(args.db, slack, Path(workdir), args.cache, args.through_bolt)
            for query in queries[:WARM_UP]:
                ask(application, query)
            seen = set(queries[:WARM_UP])
            totals, searches, first = [], [], []
            profile = cProfile.Profile() if args.profile else None
            threads = InTurn(args.threads) if args.threads else None
            for query in queries[WARM_UP:]:
                searched.clear()
                if threads:
                    totals.append(threads.run(functools.partial(ask, application, query)))
                else:
                    if profile:
                        profile.enable()
                    started = time.thread_time()
                    ask(application, query)
                    totals.append((time.thread_time() - started) * 1000)
                    if profile:
                        profile.disable()
                searches.append(sum(searched))
                first.append(query not in seen)
                seen.add(query)
            if threads:
                threads.close()
    finally:
        slack.close()
    rest = [total - search for total, search in zip(totals, searches, strict=True)]
    print(f"/case through the server's WSGI application, in-process, CPU per request, {len(totals)} queries")
    for label, keep in (("all", [True] * len(first)), ("not seen before", first)):
        print(f"{label}:")
        for part, values in (("whole request", totals), ("search", searches), ("the rest (Bolt, answer)", rest)):
            print("  " + describe(part, [value for value, kept in zip(values, keep, strict=True) if kept]))
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue())


if __name__ == "__main__":
    main()
