"""``python -m bot demo``: the whole pipeline, offline, on bundled sample feeds.

The sample feeds are served from a local HTTP server on 127.0.0.1 and go
through the real fetch → parse → extract → store path into a fresh SQLite file
in the temporary directory; the user's own database is never touched.
"""

from __future__ import annotations

import functools
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot.ingest import default_matcher, poll_feeds
from feeds.catalog import load_catalog
from feeds.fetch import Fetcher
from feeds.types import PollOutcome
from handlers.case_answer import plain_answer
from storage.database import ThreadDatabases
from storage.feeds import enabled_feeds, sync_catalog
from storage.search import search_cases

DEMO_FEEDS = Path(__file__).with_name("demo_feeds")
DEMO_DB = Path(tempfile.gettempdir()) / "casewatch-demo" / "casewatch-demo.db"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _fresh_database(path: Path) -> ThreadDatabases:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return ThreadDatabases(path)


def run_demo(query: str, db_path: Path = DEMO_DB) -> tuple[list[PollOutcome], str]:
    """Ingest the sample feeds into a fresh database at ``db_path`` and answer
    ``/case QUERY``; returns the poll outcomes and the answer as plain text."""
    databases = _fresh_database(db_path)
    outcomes = poll_sample_feeds(databases)
    return outcomes, plain_answer(search_cases(databases.get(), query))


def poll_sample_feeds(databases: ThreadDatabases) -> list[PollOutcome]:
    """Serve the sample feeds from 127.0.0.1 and poll each once into ``databases``."""
    with serve_directory(DEMO_FEEDS) as base, tempfile.TemporaryDirectory() as scratch:
        catalog = Path(scratch) / "catalog.toml"
        catalog.write_text((DEMO_FEEDS / "catalog.toml").read_text().replace("{base}", base))
        db = databases.get()
        sync_catalog(db, load_catalog(catalog))
        fetcher = Fetcher(contact="demo@casewatch.invalid", allow_private=True)
        return poll_feeds(databases, fetcher, enabled_feeds(db), default_matcher())
