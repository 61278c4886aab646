"""Feeds parsed and extracted in worker processes (``CASEWATCH_READ_WORKERS``):
stored exactly as when read in the polling process, a bad item or a bad feed
costing what it costs there, a worker that dies losing no feed, and a feed
whose reading stalls or kills its workers failing alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.memory import descendants
from bot.ingest import default_matcher, poll_feed, poll_feeds
from bot.read_workers import ReadWorkers, parse_and_extract
from feeds import record
from feeds.catalog import FeedSpec
from feeds.errors import FeedReadError
from feeds.fetch import Fetcher
from feeds.types import FeedSource
from storage.database import ThreadDatabases
from storage.feeds import enabled_feeds, record_success, sync_catalog
from storage.watches import WatchSpec, add_watch
from tests.conftest import FIXTURES, FeedServer, SlackApi, eventually, long_feed, slack_bot_env, write_catalog
from tests.reliability import Observed

DATA = Path(__file__).parent / "data" / "extraction" / "feeds"
FEEDS = [  # (path served, file, kind, agency)
    ("/sec-lr.xml", FIXTURES / "sec/litigation_releases_2024-06-part.xml", "regulator", "SEC"),
    ("/sec-press.xml", DATA / "agency/sec_press.xml", "regulator", "SEC"),
    ("/doj.xml", DATA / "agency/doj_press.xml", "regulator", "DOJ"),
    ("/sdny.xml", FIXTURES / "pacer/sdny_1.xml", "court", "S.D.N.Y."),
    ("/binance.atom", DATA / "courtlistener/dcd_sec_v_binance_docket.atom", "court", "CourtListener"),
    ("/news.xml", DATA / "news/news_search.xml", "news", "News"),
]
# What a user sees of each stored item: its case, what was read from it, its event and its alerts.
STORED = """
    SELECT items.item_key, items.title, items.agency, items.action, items.court, items.release_no,
           items.docket_entry, items.amounts, cases.caption, events.action, events.event_day,
           (SELECT group_concat(channel_id) FROM alerts WHERE alerts.event_id = items.event_id)
    FROM items LEFT JOIN cases ON cases.id = items.case_id LEFT JOIN events ON events.id = items.event_id
    ORDER BY items.feed_id, items.item_key
"""


@pytest.fixture(scope="module", params=[True, False], ids=["forked", "new interpreter"])
def readers(request: pytest.FixtureRequest) -> Iterator[ReadWorkers]:
    workers = ReadWorkers(1, fork=request.param)
    workers.warm()
    yield workers
    workers.close()


def polled(tmp_path: Path, name: str, feed_server: FeedServer, readers: ReadWorkers | None) -> list[tuple]:
    """Every feed polled once into a new database, with a watch on a name the feeds share; what was stored."""
    databases = ThreadDatabases(tmp_path / f"{name}.db")
    db = databases.get()
    sync_catalog(
        db,
        [
            FeedSpec(path, feed_server.serve(path, file.read_bytes()), agency, kind, 10)
            for path, file, kind, agency in FEEDS
        ],
    )
    for feed in enabled_feeds(db):  # polled before: every new item may alert (a first poll alerts the last 48 hours)
        record_success(
            db, feed.id, etag=None, last_modified=None, new_items=0, next_poll_at="2000-01-01T00:00:00+00:00"
        )
    add_watch(db, team_id="T1", channel_id="C1", user_id="U1", spec=WatchSpec("name", "binance", "binance"))
    fetcher = Fetcher(contact="t@example.com", allow_private=True)
    outcomes = poll_feeds(databases, fetcher, enabled_feeds(db), default_matcher(), readers=readers)
    assert [outcome.status for outcome in outcomes] == ["new"] * len(FEEDS), outcomes
    return [tuple(row) for row in db.execute(STORED).fetchall()]


def test_feeds_read_in_a_worker_are_stored_as_when_read_here(
    tmp_path: Path, feed_server: FeedServer, readers: ReadWorkers
) -> None:
    here = polled(tmp_path, "here", feed_server, None)
    in_worker = polled(tmp_path, "worker", feed_server, readers)
    assert len(here) > 400 and any(row[-1] for row in here)  # items of every kind, and alerts
    assert in_worker == here


@pytest.mark.reliability("an HTML page instead of a feed, read in a worker process", kind="feed fault")
def test_a_feed_that_is_no_feed_fails_as_it_does_here(
    tmp_path: Path, feed_server: FeedServer, readers: ReadWorkers
) -> None:
    url = feed_server.serve("/moved.xml", "<!doctype html><html><body>Moved</body></html>")
    databases = ThreadDatabases(tmp_path / "bad.db")
    sync_catalog(databases.get(), [FeedSpec("Moved", url, "SEC", "regulator", 10)])
    (feed,) = enabled_feeds(databases.get())
    fetcher, matcher = Fetcher(contact="t@example.com", allow_private=True), default_matcher()
    outcome = poll_feed(databases.get(), fetcher, feed, matcher, readers=readers)
    assert (outcome.status, outcome.error) == ("error", "not a feed: the address returns an HTML page, not RSS or Atom")
    (feed,) = enabled_feeds(databases.get())
    assert feed.consecutive_failures == 1 and feed.last_error == outcome.error


def test_an_item_that_cannot_be_extracted_is_named_and_costs_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a worker runs (here, in this process, where the extraction can be made to fail)."""
    real = record.extract_item

    def failing(item, source, parsed):
        if "Ni" in item.title:
            raise ValueError("unreadable")
        return real(item, source, parsed)

    monkeypatch.setattr(record, "extract_item", failing)
    body = (FIXTURES / "sec/litigation_releases_2024-06-part.xml").read_bytes()
    source = FeedSource("https://www.sec.gov/rss/litigation/litreleases.xml", "regulator", "SEC")
    read = parse_and_extract(body, base_url=source.url, source=source, fetched_at=None)
    failed = [extraction for extraction in read.extractions if isinstance(extraction, str)]
    assert len(read.extractions) == len(read.parsed.items) == 12
    (unreadable,) = [item for item in read.parsed.items if "Ni" in item.title]
    assert len(failed) == 1  # named as the feed's health names a left-out item: its guid, the error and where
    assert failed[0].startswith(f"{unreadable.guid!r}: ValueError: unreadable at test_read_workers.py:")


@pytest.mark.reliability("a feed-reading worker process killed (out of memory, kill -9)", kind="crash")
def test_a_worker_that_dies_loses_no_feed(tmp_path: Path, feed_server: FeedServer, observed: Observed) -> None:
    workers = ReadWorkers(1)
    try:
        workers.warm()
        (dead,) = workers.pids()
        os.kill(dead, signal.SIGKILL)
        body = (FIXTURES / "sec/litigation_releases_2024-06-part.xml").read_bytes()
        databases = ThreadDatabases(tmp_path / "dies.db")
        urls = [feed_server.serve(f"/lr{n}.xml", body) for n in range(2)]
        sync_catalog(databases.get(), [FeedSpec(f"LR {n}", url, "SEC", "regulator", 10) for n, url in enumerate(urls)])
        fetcher, matcher = Fetcher(contact="t@example.com", allow_private=True), default_matcher()
        first, second = (
            poll_feed(databases.get(), fetcher, feed, matcher, readers=workers)
            for feed in enabled_feeds(databases.get())
        )
        observed.record(items_lost=24 - first.new_items - second.new_items)
        assert (first.status, first.new_items, second.status, second.new_items) == ("new", 12, "new", 12)
        assert workers.pids() and dead not in workers.pids()  # started again, and reading
    finally:
        workers.close()


@pytest.mark.reliability(
    "the polling process killed (kill -9, out of memory) with its feed-reading workers", kind="crash"
)
@pytest.mark.parametrize("fork", [True, False], ids=["forked", "new interpreter"])
def test_workers_leave_when_the_process_that_started_them_is_killed(fork: bool) -> None:
    """Nothing stays behind to hold memory: each worker reads the end of its connection and leaves."""
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bot.read_workers import ReadWorkers; "
            f"workers = ReadWorkers(2, fork={fork}); workers.warm(); print(*workers.pids(), flush=True); sys.stdin.read()",
        ],
        cwd=Path(__file__).parent.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
        owner.kill()
        owner.wait(timeout=10)
        assert eventually(lambda: not any(alive(pid) for pid in workers))
    finally:
        owner.kill()
        owner.wait(timeout=10)


LITIGATION_RELEASES = FIXTURES / "sec/litigation_releases_2024-06-part.xml"


@pytest.mark.reliability(
    "a feed whose reading never ends in its worker (a parser stuck on its body)", kind="feed fault"
)
def test_a_feed_whose_reading_takes_too_long_fails_and_the_round_goes_on(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    workers = ReadWorkers(1, timeout=0.5)
    try:
        workers.warm()
        (stalled,) = workers.pids()
        databases = ThreadDatabases(tmp_path / "stall.db")
        slow = feed_server.serve("/slow.xml", long_feed(1700))
        normal = feed_server.serve("/lr.xml", LITIGATION_RELEASES.read_bytes())
        sync_catalog(
            databases.get(),
            [FeedSpec("Slow", slow, "SEC", "regulator", 10), FeedSpec("LR", normal, "SEC", "regulator", 10)],
        )
        fetcher = Fetcher(contact="t@example.com", allow_private=True)
        slow_outcome, normal_outcome = poll_feeds(
            databases, fetcher, enabled_feeds(databases.get()), default_matcher(), readers=workers
        )
        observed.record(items_lost=12 - normal_outcome.new_items)
        assert (slow_outcome.status, slow_outcome.error) == (
            "error",
            "reading the feed took longer than 0.5 s; it was stopped",
        )
        assert (normal_outcome.status, normal_outcome.new_items) == (
            "new",
            12,
        )  # read by the worker started in its place
        assert not alive(stalled) and stalled not in workers.pids()
        slow_feed = next(feed for feed in enabled_feeds(databases.get()) if feed.name == "Slow")
        assert slow_feed.consecutive_failures == 1 and slow_feed.last_error == slow_outcome.error  # backs off
    finally:
        workers.close()


@pytest.mark.reliability("a feed whose body kills every worker process that reads it", kind="feed fault")
def test_a_feed_that_kills_its_readers_fails_and_is_not_read_in_the_polling_process() -> None:
    """The first death may be anything's (out of memory, kill -9): the feed is
    read again by a new worker. A second is the body's: the feed fails, and the
    polling process does not read it itself (it would die too)."""
    workers = ReadWorkers(1, timeout=60)
    try:
        workers.warm()
        source = FeedSource("https://www.sec.gov/rss/litigation/litreleases.xml", "regulator", "SEC")
        answers: list[object] = []

        def read(body: bytes) -> None:
            try:
                answers.append(workers.read(body, base_url=source.url, source=source, fetched_at=None))
            except Exception as error:
                answers.append(error)

        reading = threading.Thread(target=read, args=(long_feed(1700),))
        reading.start()
        killed: set[int] = set()
        for _ in range(2):  # each worker that takes the feed dies while it reads
            assert eventually(lambda: bool(set(workers.pids()) - killed))
            (pid,) = set(workers.pids()) - killed
            os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        reading.join(timeout=60)
        (answer,) = answers
        assert isinstance(answer, FeedReadError)
        assert str(answer) == "the process reading the feed stopped twice while reading it"
        read(LITIGATION_RELEASES.read_bytes())  # the next feed has a worker of its own
        assert len(answers[-1].parsed.items) == 12
        assert not set(workers.pids()) & killed
    finally:
        workers.close()


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and not zombie(pid)


def test_run_reads_feeds_in_its_workers_and_leaves_none_behind(
    tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable[[dict[str, str]], str]
) -> None:
    url = feed_server.serve_file("/sec.xml", "sec/litigation_releases_2024-06-part.xml")
    catalog = write_catalog(tmp_path / "feeds.toml", [("SEC LR", url, "regulator")])
    start_bot(slack_bot_env(tmp_path, slack_api, catalog, CASEWATCH_READ_WORKERS="1"))
    process = start_bot.processes[-1]  # type: ignore[attr-defined]
    workers = descendants(process.pid)
    assert workers  # started at start, forked from run before it had threads (so sharing its pages of feeds/):
    assert {Path(f"/proc/{pid}/cmdline").read_bytes() for pid in workers} == {
        Path(f"/proc/{process.pid}/cmdline").read_bytes()
    }
    database = ThreadDatabases(slack_bot_env(tmp_path, slack_api, catalog)["CASEWATCH_DB"]).get()
    assert eventually(lambda: database.execute("SELECT count(*) FROM items").fetchone()[0] == 12, timeout=20)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert not any(alive(pid) for pid in workers)  # run reaped them before it ended


def zombie(pid: int) -> bool:
    return " Z " in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:3]
