"""Reading feeds (parse, extract) in worker processes while this one stores.

A process's threads share one interpreter lock, so the pipeline of
:mod:`bot.ingest` runs on one core: on the ingest bench the processing lock is
held 99 % of the time, all of it CPU. With ``CASEWATCH_READ_WORKERS`` at N > 0,
N worker processes parse each fetched feed and extract all its items while
this process plans and stores the feed before it. They run only the pure steps
of ``feeds/`` (no database, no Slack), and cost memory: with one worker, its
fork server and multiprocessing's resource tracker, ~29 MB counting shared
pages once (``bench.memory --read-workers 1``). A worker that dies (killed,
out of memory) loses no feed: that feed is read in this process instead, and
the workers are started again for the next.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime

from feeds.extract import Extraction
from feeds.parse import parse_feed
from feeds.record import extract_or_skip
from feeds.types import FeedSource, ParsedFeed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadFeed:
    """A feed's body parsed, and each of its items extracted."""

    parsed: ParsedFeed
    extractions: tuple[Extraction | str, ...]
    """One for each of ``parsed.items``, in order: its extraction, or, if
    extracting it failed, how the feed's health names it (``'guid': reason``)."""


def parse_and_extract(body: bytes, *, base_url: str, source: FeedSource, fetched_at: datetime) -> ReadFeed:
    """Parse ``body`` and extract every item, each failure costing its item only
    (raises :class:`feeds.errors.FeedError` when the body is no feed)."""
    parsed = parse_feed(body, base_url=base_url, court_feed=source.kind == "court", fetched_at=fetched_at)
    return ReadFeed(parsed, tuple(extract_or_skip(item, source, parsed) for item in parsed.items))


class ReadWorkers:
    """``workers`` processes that run :func:`parse_and_extract` for the polling threads."""

    def __init__(self, workers: int):
        self.workers = workers
        self._restart = threading.Lock()
        self._pool = self._start()
        self._closed = False

    def _start(self) -> ProcessPoolExecutor:
        # forkserver: the workers are not forked from this process's threads (and their locks).
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"))

    def warm(self) -> None:
        """Start the workers now and have each import what it runs (else the first feeds wait for that)."""
        empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>warm-up</title></channel></rss>'
        source = FeedSource("https://warm-up.invalid/", "news", None)
        reads = [
            self._pool.submit(
                parse_and_extract, empty, base_url=source.url, source=source, fetched_at=datetime.now(UTC)
            )
            for _ in range(self.workers)
        ]
        for read in reads:
            read.result()

    def pids(self) -> list[int]:
        """The workers' process ids (to read their memory)."""
        return list(self._pool._processes or {})  # ProcessPoolExecutor keeps them by pid; it has no public accessor

    def read(self, body: bytes, *, base_url: str, source: FeedSource, fetched_at: datetime) -> ReadFeed:
        """:func:`parse_and_extract` in a worker (in this process if the worker died, or once closed)."""
        if not self._closed:
            pool = self._pool
            try:
                return pool.submit(
                    parse_and_extract, body, base_url=base_url, source=source, fetched_at=fetched_at
                ).result()
            except BrokenProcessPool:
                log.warning("a feed-reading worker process stopped; the feed is read here, the workers start again")
                with self._restart:
                    if self._pool is pool and not self._closed:
                        self._pool = self._start()
            except RuntimeError:  # submitted as the pool shut down
                if not self._closed:
                    raise
        return parse_and_extract(body, base_url=base_url, source=source, fetched_at=fetched_at)

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers, after the feeds they are reading if ``wait``; later feeds are read in this process."""
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)
