"""The feed side of the reliability suite: hostile and broken feeds, stalled
servers, locked and full databases, crashes while polling, two pollers, DNS
rebinding. Real processes, real sockets on 127.0.0.1, real SQLite."""

from __future__ import annotations

import logging
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from sqlite_utils import Database

import feeds.record
from bot.config import settings_from_env
from bot.ingest import default_matcher, poll_feeds
from bot.scheduler import Scheduler
from bot.sender import AlertSender
from feeds.catalog import FeedSpec
from feeds.fetch import Fetcher
from feeds.parse import EARLIEST_DATE, FUTURE_GRACE, parse_feed, safe_date
from feeds.types import PollOutcome
from handlers.feeds_answer import feed_statuses
from handlers.watch_request import parse_watch
from storage.database import ThreadDatabases, open_database, storage_reason
from storage.engine import begin_write
from storage.feeds import enabled_feeds, sync_catalog
from storage.watches import add_watch
from tests.conftest import FIXTURES, FeedServer, bot_env, eventually, run_bot, write_catalog
from tests.pg import database_url, integrity, opened
from tests.reliability import Observed

GOOD = (FIXTURES / "sec/litigation_releases_2024-06-part.xml").read_bytes()


def rss_item(title: str, *, guid: str, date: str | None = None, description: str = "") -> str:
    published = f"<pubDate>{date}</pubDate>" if date is not None else ""
    return (
        f"<item><title>{xml_escape(title)}</title><link>https://www.sec.gov/{xml_escape(guid)}</link>"
        f"<description>{xml_escape(description)}</description>{published}<guid isPermaLink='false'>{xml_escape(guid)}</guid></item>"
    )


def rss(*items: str) -> str:
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{''.join(items)}</channel></rss>"


def recent(hours: float = 1) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(hours=hours))


def stored_keys(db_path: Path, feed: str) -> list[str]:
    with opened(db_path) as conn:
        return [
            key
            for (key,) in conn.execute(
                "SELECT item_key FROM items JOIN feeds ON feeds.id = items.feed_id WHERE feeds.name = ? ORDER BY 1",
                [feed],
            )
        ]


def watch(db_path: Path, text: str, channel: str = "C0001") -> None:
    spec = parse_watch(text)
    add_watch(open_database(database_url(db_path)), team_id="T0001", channel_id=channel, user_id="U0001", spec=spec)


def first_poll_done(tmp_path: Path, env: dict[str, str]) -> None:
    """Run a first poll of an empty catalog so that the database exists (to add watches to)."""
    result = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr


# --- dates that break date arithmetic ------------------------------------------------

BAD_DATES = [
    "Mon, 01 Jan 0001 00:00:00 +0000",
    "Mon, 01 Jan 0001 00:00:00 -0100",
    "9999-12-31",
    "Fri, 31 Dec 9999 23:59:59 +0000",
    "0000-01-01",
    "Mon, 01 Jan 10000 00:00:00 +0000",
    "99999999999999999999",
    "2024-13-45",
    "Mon, 32 Jan 2024 00:00:00 GMT",
]


@pytest.mark.reliability("feed items with impossible dates (year 1, 0 or 9999)", kind="feed fault")
def test_impossible_dates_cost_no_item_and_stop_no_feed(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    good = [rss_item(f"SEC charges Acme Widgets {n}", guid=f"good-{n}", date=recent()) for n in range(3)]
    bad = [rss_item(f"SEC charges Acme Widgets dated {d}", guid=f"bad-{n}", date=d) for n, d in enumerate(BAD_DATES)]
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("Dates", feed_server.serve("/dates.xml", rss(*bad[:3], *good, *bad[3:])), "regulator"),
            (
                "Later",
                feed_server.serve("/later.xml", rss(rss_item("Later item", guid="later", date=recent()))),
                "news",
            ),
        ],
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
    result = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0
    expected = len(good) + len(bad)
    stored = stored_keys(tmp_path / "casewatch.db", "Dates")
    observed.record(items_lost=expected - len(stored))
    assert len(stored) == expected
    assert f"Dates: {expected} new of {expected}" in result.stdout.splitlines()
    assert "Later: 1 new of 1" in result.stdout.splitlines()
    listed = run_bot(["feeds"], env, cwd=tmp_path).stdout
    assert "1. Dates [ok]" in listed


@pytest.mark.reliability("a feed item dated far in the future", kind="input")
def test_a_future_date_is_clamped_to_the_fetch_time(tmp_path: Path, feed_server: FeedServer) -> None:
    future = rss_item("SEC v. Acme Widgets complaint", guid="future", date="Sat, 01 Jan 2101 00:00:00 +0000")
    soon = format_datetime(datetime.now(UTC) + timedelta(hours=2))
    near = rss_item("SEC v. Acme Widgets ruling", guid="near", date=soon)
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("Future", feed_server.serve("/f.xml", rss(future, near)), "regulator")]
    )
    before = datetime.now(UTC)
    result = run_bot(["poll", "--once"], bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with opened(tmp_path / "casewatch.db") as conn:
        dates = dict(conn.execute("SELECT item_key, event_at FROM items"))
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(dates["future"]) <= datetime.now(UTC)
    assert datetime.fromisoformat(dates["near"]) > datetime.now(UTC)  # within a day ahead: kept (time zones)


# --- one feed's unexpected failure ---------------------------------------------------


@pytest.mark.reliability(
    "a feed that crashes the feed parser (bytes that are no encoding's name in its XML declaration)", kind="feed fault"
)
def test_a_feed_that_crashes_the_parser_is_failing_and_the_round_goes_on(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    # feedparser raises UnicodeDecodeError. (A surrogate character reference did, until feeds.parse repaired them.)
    poison = (
        b"<?xml version='1.0' encoding='ISO-\xff\xfe8859-1'?><rss version='2.0'><channel><title>t</title>"
        b"<item><title>Acme v. SEC</title><guid>p</guid></item></channel></rss>"
    )
    healthy = rss(*(rss_item(f"SEC charges Acme {n}", guid=f"h{n}", date=recent()) for n in range(3)))
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("Poison", feed_server.serve("/poison.xml", poison), "regulator"),
            ("Healthy", feed_server.serve("/h.xml", healthy), "regulator"),
        ],
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
    result = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0
    assert any(line.startswith("Poison: error: unexpected error") for line in result.stdout.splitlines())
    stored = stored_keys(tmp_path / "casewatch.db", "Healthy")
    observed.record(items_lost=3 - len(stored))
    assert len(stored) == 3
    listed = run_bot(["feeds"], env, cwd=tmp_path).stdout
    assert "1. Poison [failing since" in listed and "UnicodeDecodeError" in listed


@pytest.mark.reliability("a feed item with a 5,000-digit amount", kind="input")
def test_an_item_with_an_absurd_amount_is_stored_with_its_neighbours(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    absurd = rss_item("SEC v. Acme", guid="absurd", date=recent(), description="ordered to pay $" + "9" * 5000)
    good = [rss_item(f"SEC charges Acme {n}", guid=f"g{n}", date=recent()) for n in range(3)]
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("Mixed", feed_server.serve("/m.xml", rss(good[0], absurd, *good[1:])), "regulator")]
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
    result = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    stored = stored_keys(tmp_path / "casewatch.db", "Mixed")
    observed.record(items_lost=4 - len(stored))
    assert stored == ["absurd", "g0", "g1", "g2"]
    assert "Mixed: 4 new of 4" in result.stdout


@pytest.mark.reliability("an unexpected error while reading one item", kind="input")
def test_an_item_that_breaks_extraction_costs_only_that_item(
    tmp_path: Path, feed_server: FeedServer, observed: Observed, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """No real text is known to break extraction any more (the properties in
    test_properties.py hunt for it), so the fault is injected: extraction of
    one item raises, as a future bug would."""
    real_extract = feeds.record.extract

    def extract_with_a_bug(**fields: str) -> object:
        if "poison" in fields["title"]:
            raise RuntimeError("a bug in extraction")
        return real_extract(**fields)

    monkeypatch.setattr(feeds.record, "extract", extract_with_a_bug)
    poison = rss_item("SEC v. poison", guid="poison", date=recent())
    good = [rss_item(f"SEC charges Acme {n}", guid=f"g{n}", date=recent()) for n in range(3)]
    databases = ThreadDatabases(database_url(tmp_path / "bug.db"))
    url = feed_server.serve("/m.xml", rss(good[0], poison, *good[1:]))
    sync_catalog(databases.get(), [FeedSpec("Mixed", url, "SEC", "regulator", 10)])
    fetcher = Fetcher(contact="t@example.com", allow_private=True)
    with caplog.at_level(logging.WARNING, logger="bot.ingest"):
        (outcome,) = poll_feeds(databases, fetcher, enabled_feeds(databases.get()), default_matcher())
    stored = stored_keys(tmp_path / "bug.db", "Mixed")
    observed.record(items_lost=3 - len(stored))
    assert stored == ["g0", "g1", "g2"]
    assert outcome.summary() == "Mixed: 3 new of 4, 1 item skipped"
    assert sum("skipped item 'poison'" in message for message in caplog.messages) == 1
    (status,) = feed_statuses(databases.get())
    assert "1 item could not be stored" in status.health.describe()


# --- counting alerts ------------------------------------------------------------------


@pytest.mark.reliability("several watches of one channel match one event", kind="input")
def test_alerts_queued_counts_new_alerts_only(tmp_path: Path, feed_server: FeedServer, observed: Observed) -> None:
    empty = write_catalog(tmp_path / "empty.toml", [])
    first_poll_done(tmp_path, bot_env(tmp_path, CASEWATCH_FEEDS=str(empty)))
    db_path = tmp_path / "casewatch.db"
    for text in ("binance", "Changpeng Zhao", "1:23-cv-01599"):
        watch(db_path, text, channel="C0001")
    watch(db_path, "binance", channel="C0002")
    release = rss_item(
        "SEC Files 13 Charges Against Binance Entities and Founder Changpeng Zhao",
        guid="sec-pr-2023-101",
        date=recent(),
        description="Securities and Exchange Commission v. Binance Holdings Limited and Changpeng Zhao, "
        "Civil Action No. 1:23-cv-01599 (D.D.C.)",
    )
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("SEC", feed_server.serve("/sec.xml", rss(release)), "regulator")]
    )
    result = run_bot(["poll", "--once"], bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with opened(db_path) as conn:
        queued = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
    observed.record(alerts_duplicated=queued - 2)
    assert queued == 2
    assert "SEC: 1 new of 1, 2 alerts queued" in result.stdout.splitlines()


# --- stalling servers -------------------------------------------------------------------

DEADLINE = 1.5


@dataclass
class StallWorld:
    """Feeds that drip one byte at a time, four on hosts of their own and three
    sharing one host, listed before two healthy feeds on other hosts."""

    servers: list[FeedServer]
    healthy: list[FeedServer]
    specs: list[FeedSpec]

    def close(self) -> None:
        for server in self.servers:
            server.close()


@pytest.fixture
def stall_world() -> Iterator[StallWorld]:
    own_hosts = [FeedServer() for _ in range(4)]
    shared_host = FeedServer()
    healthy = [FeedServer() for _ in range(2)]
    specs = [
        FeedSpec(f"Drip {n}", s.serve("/drip.xml", GOOD, drip=0.2), "SEC", "regulator", 10)
        for n, s in enumerate(own_hosts)
    ]
    specs += [
        FeedSpec(f"Shared drip {n}", shared_host.serve(f"/drip{n}.xml", GOOD, drip=0.2), "SEC", "regulator", 10)
        for n in range(3)
    ]
    specs += [
        FeedSpec(f"Healthy {n}", s.serve("/ok.xml", GOOD.replace(b"LR-", f"H{n}-".encode())), "SEC", "regulator", 10)
        for n, s in enumerate(healthy)
    ]
    world = StallWorld([*own_hosts, shared_host, *healthy], healthy, specs)
    yield world
    world.close()


def healthy_items(databases: ThreadDatabases) -> int:
    return (
        databases.get()
        .execute("SELECT count(*) FROM items JOIN feeds ON feeds.id = items.feed_id WHERE feeds.name LIKE 'Healthy %'")
        .fetchone()[0]
    )


@pytest.mark.reliability("seven feed servers dripping a byte every 0.2 s, in one poll round", kind="feed fault")
def test_dripping_feeds_stall_no_other_feed_in_a_round(
    tmp_path: Path, stall_world: StallWorld, observed: Observed
) -> None:
    databases = ThreadDatabases(database_url(tmp_path / "stall.db"))
    sync_catalog(databases.get(), stall_world.specs)
    fetcher = Fetcher(contact="t@example.com", allow_private=True, deadline=DEADLINE)
    results: list[list[PollOutcome]] = []
    round_ = threading.Thread(
        target=lambda: results.append(poll_feeds(databases, fetcher, enabled_feeds(databases.get()), default_matcher()))
    )
    round_.start()
    try:
        # Seven dripping feeds are ahead of them, three on one host: the healthy feeds go first anyway.
        assert all(server.wait_for_request("/ok.xml", timeout=DEADLINE + 1) for server in stall_world.healthy)
    finally:
        round_.join(timeout=60)
    outcomes = {outcome.feed: outcome for outcome in results[0]}
    observed.record(items_lost=24 - healthy_items(databases))
    assert healthy_items(databases) == 24
    assert [outcomes[f"Healthy {n}"].status for n in range(2)] == ["new", "new"]
    stalled = [outcome for name, outcome in outcomes.items() if "rip" in name]
    assert {outcome.error for outcome in stalled} == {"timed out after 1.5 s"}
    statuses = {status.feed.name: status.health.describe() for status in feed_statuses(databases.get())}
    assert "timed out after 1.5 s" in statuses["Shared drip 2"] and statuses["Healthy 0"] == "ok"


@pytest.mark.reliability("seven feed servers dripping a byte every 0.2 s, under the scheduler", kind="feed fault")
def test_dripping_feeds_stall_no_other_feed_under_the_scheduler(
    tmp_path: Path, stall_world: StallWorld, observed: Observed
) -> None:
    databases = ThreadDatabases(database_url(tmp_path / "stall.db"))
    sync_catalog(databases.get(), stall_world.specs)
    scheduler = Scheduler(
        databases,
        Fetcher(contact="t@example.com", allow_private=True, deadline=DEADLINE),
        default_matcher(),
        AlertSender(databases, WebClient(base_url="http://127.0.0.1:9/api/")),
        settings_from_env({}),
    )
    scheduler.start()  # each feed's first poll a second after the one before it
    try:
        # The healthy feeds' first runs are due 8 and 9 s in, behind eight dripping feeds on four workers.
        assert eventually(lambda: healthy_items(databases) == 24, timeout=9 + DEADLINE + 2)
        observed.record(items_lost=24 - healthy_items(databases))

        def all_drips_failing() -> bool:
            described = [s.health.describe() for s in feed_statuses(databases.get()) if "rip" in s.feed.name]
            return all("timed out after 1.5 s" in text for text in described)

        assert eventually(all_drips_failing, timeout=4 * (DEADLINE + 5) + 5)  # the shared host's one at a time
    finally:
        scheduler.shutdown()


# --- a locked or full database ------------------------------------------------------------


def numbered_feed(count: int, prefix: str = "item") -> str:
    return rss(
        *(rss_item(f"SEC charges Acme Widgets {prefix} {n}", guid=f"{prefix}-{n}", date=recent()) for n in range(count))
    )


@pytest.mark.reliability("another process holds the database's write lock while poll --once runs", kind="storage fault")
def test_poll_once_survives_a_locked_database_and_stores_everything_later(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    url = feed_server.serve("/a.xml", numbered_feed(3))
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [("A", url, "regulator"), ("B", feed_server.serve("/b.xml", numbered_feed(2, "b")), "regulator")],
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog), CASEWATCH_BUSY_TIMEOUT_SECONDS="0.2")
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    feed_server.serve("/a.xml", numbered_feed(8))
    db_path = tmp_path / "casewatch.db"
    locker = open_database(database_url(db_path))
    begin_write(locker)  # BEGIN IMMEDIATE; on PostgreSQL the advisory write lock, held past lock_timeout
    try:
        locked = run_bot(["poll", "--once"], env, cwd=tmp_path)
    finally:
        locker.conn.rollback()
        locker.close()
    assert "Traceback" not in locked.stderr, locked.stderr
    assert "A: error: storage: database locked" in locked.stdout.splitlines()
    assert "could not record its failure (storage: database locked)" in locked.stderr
    assert len(stored_keys(db_path, "A")) == 3  # nothing half-written
    again = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert "A: 5 new of 8" in again.stdout.splitlines()
    stored = stored_keys(db_path, "A")
    observed.record(items_lost=8 - len(set(stored)))
    assert sorted(stored) == sorted(f"item-{n}" for n in range(8))
    assert integrity(db_path) == "ok"


class _ReleaseWhenLogged(logging.Handler):
    """Lets the lock go as soon as the poller reports the failed write, so that
    its failure record (written right after) finds the database free."""

    def __init__(self, lock: sqlite3.Connection) -> None:
        super().__init__()
        self.holder = lock

    def emit(self, record: logging.LogRecord) -> None:
        if "storage: database locked" in record.getMessage() and self.holder.in_transaction:
            self.holder.rollback()


@pytest.mark.sqlite_only  # SQLite's file lock (BEGIN IMMEDIATE)
@pytest.mark.reliability("the database is locked while a feed's items are stored", kind="storage fault")
def test_a_feed_whose_items_meet_a_locked_database_is_failing_until_stored(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    databases = ThreadDatabases(tmp_path / "lock.db", busy_timeout_ms=200)
    sync_catalog(
        databases.get(), [FeedSpec("A", feed_server.serve("/a.xml", numbered_feed(4)), "SEC", "regulator", 10)]
    )
    fetcher = Fetcher(contact="t@example.com", allow_private=True)
    lock = sqlite3.connect(tmp_path / "lock.db", isolation_level=None, check_same_thread=False)
    lock.execute("BEGIN IMMEDIATE")
    handler = _ReleaseWhenLogged(lock)
    logging.getLogger("bot.ingest").addHandler(handler)
    try:
        (outcome,) = poll_feeds(databases, fetcher, enabled_feeds(databases.get()), default_matcher())
    finally:
        logging.getLogger("bot.ingest").removeHandler(handler)
        lock.close()
    assert outcome.error == "storage: database locked"
    (status,) = feed_statuses(databases.get())
    assert status.health.describe().endswith("UTC: storage: database locked")
    assert stored_keys(tmp_path / "lock.db", "A") == []
    (outcome,) = poll_feeds(databases, fetcher, enabled_feeds(databases.get()), default_matcher())
    observed.record(items_lost=4 - len(stored_keys(tmp_path / "lock.db", "A")))
    assert (outcome.status, outcome.new_items) == ("new", 4)
    assert feed_statuses(databases.get())[0].health.state == "ok"


class FullDisk(ThreadDatabases):
    """Connections that may not grow the file by a page: SQLite's own "database or disk is full"."""

    def get(self) -> Database:
        db = super().get()
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db


@pytest.mark.sqlite_only  # SQLite's max_page_count stands for a full disk
@pytest.mark.reliability("the disk is full while poll stores a feed's items", kind="storage fault")
def test_a_full_disk_fails_the_feed_and_keeps_the_database_whole(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    path = tmp_path / "full.db"
    sync_catalog(
        ThreadDatabases(path).get(),
        [FeedSpec("A", feed_server.serve("/a.xml", numbered_feed(2)), "SEC", "regulator", 10)],
    )
    fetcher = Fetcher(contact="t@example.com", allow_private=True)
    poll_feeds(ThreadDatabases(path), fetcher, enabled_feeds(ThreadDatabases(path).get()), default_matcher())
    feed_server.serve("/a.xml", numbered_feed(300))
    full = FullDisk(path)
    (outcome,) = poll_feeds(full, fetcher, enabled_feeds(full.get()), default_matcher())
    assert outcome.error == "storage: disk full"
    (status,) = feed_statuses(full.get())
    assert status.health.describe().endswith("UTC: storage: disk full")
    assert len(stored_keys(path, "A")) == 2 and integrity(path) == "ok"
    roomy = ThreadDatabases(path)
    (outcome,) = poll_feeds(roomy, fetcher, enabled_feeds(roomy.get()), default_matcher())
    stored = stored_keys(path, "A")
    observed.record(items_lost=300 - len(set(stored)))
    assert (outcome.new_items, len(stored), len(set(stored))) == (298, 300, 300)
    assert feed_statuses(roomy.get())[0].health.state == "ok" and integrity(path) == "ok"


# --- hostile and broken feed bodies ---------------------------------------------------------

MB = 1024 * 1024


def gzip_bomb(decoded_size: int) -> bytes:
    """``decoded_size`` zero bytes, gzipped (about a thousandth of the size), made without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(MB)
    return b"".join(packer.compress(chunk) for _ in range(decoded_size // MB)) + packer.flush()


def billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(2, 10))
    return (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol1 "lol">{entities}]>'
        "<rss version='2.0'><channel><title>t</title><item><title>&lol9;</title><guid>lol</guid></item>"
        "</channel></rss>"
    ).encode()


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<rss version='2.0'><channel><title>t</title><item><title>SEC v. Acme &xxe;</title><guid>xxe</guid></item>"
    b"</channel></rss>"
)
MISLABELLED = (
    "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
    "<item><title>SEC v. Société Générale</title><guid>latin</guid></item></channel></rss>"
).encode("latin-1")
UNKNOWN_ENCODING = (
    b"<?xml version='1.0' encoding='x-no-such-encoding'?><rss version='2.0'><channel><title>t</title>"
    b"<item><title>SEC v. Acme Widgets</title><guid>bogus</guid></item></channel></rss>"
)


def one_mb_titles() -> bytes:
    return rss(*(rss_item("SEC v. Acme " + "x" * MB, guid=f"long-{n}", date=recent()) for n in range(3))).encode()


HOSTILE = [
    pytest.param(
        lambda: b"<rss>" + b"x" * (100 * MB),
        {},
        "response too large (104,857,605 bytes; the limit is 10,485,760)",
        0,
        marks=pytest.mark.reliability("a 100 MB feed body", kind="abuse"),
        id="100MB",
    ),
    pytest.param(
        lambda: gzip_bomb(200 * MB),
        {"Content-Encoding": "gzip"},
        "response too large (over 10,485,760 bytes)",
        0,
        marks=pytest.mark.reliability("a gzip bomb (200 KB that inflate to 200 MB)", kind="abuse"),
        id="gzip-bomb",
    ),
    pytest.param(
        billion_laughs,
        {},
        "malformed XML",
        1,
        marks=pytest.mark.reliability("billion laughs (nested XML entities)", kind="abuse"),
        id="billion-laughs",
    ),
    pytest.param(
        lambda: XXE,
        {},
        None,
        1,
        marks=pytest.mark.reliability("XXE: an external entity naming /etc/passwd", kind="abuse"),
        id="xxe",
    ),
    pytest.param(
        lambda: MISLABELLED,
        {},
        None,
        1,
        marks=pytest.mark.reliability("a feed in Latin-1 that says it is UTF-8", kind="input"),
        id="mislabelled-encoding",
    ),
    pytest.param(
        lambda: UNKNOWN_ENCODING,
        {},
        None,
        1,
        marks=pytest.mark.reliability("a feed declaring an encoding that does not exist", kind="input"),
        id="unknown-encoding",
    ),
    pytest.param(
        one_mb_titles,
        {},
        None,
        3,
        marks=pytest.mark.reliability("feed items with 1 MB titles", kind="input"),
        id="1MB-titles",
    ),
]


@pytest.mark.parametrize(("body", "headers", "error", "items"), HOSTILE)
def test_a_hostile_feed_harms_nothing_and_its_neighbour_is_stored(
    tmp_path: Path,
    feed_server: FeedServer,
    observed: Observed,
    body: Callable[[], bytes],
    headers: dict[str, str],
    error: str | None,
    items: int,
) -> None:
    databases = ThreadDatabases(database_url(tmp_path / "hostile.db"))
    hostile = feed_server.serve("/hostile.xml", body(), headers=headers)
    neighbour = FeedServer()
    try:
        specs = [
            FeedSpec("Hostile", hostile, "SEC", "regulator", 10),
            FeedSpec("Neighbour", neighbour.serve("/ok.xml", GOOD), "SEC", "regulator", 10),
        ]
        sync_catalog(databases.get(), specs)
        fetcher = Fetcher(contact="t@example.com", allow_private=True)
        hostile_outcome, neighbour_outcome = poll_feeds(
            databases, fetcher, enabled_feeds(databases.get()), default_matcher()
        )
    finally:
        neighbour.close()
    db = databases.get()
    stored = db.execute("SELECT title, summary FROM items WHERE feed_id = 1").fetchall()
    observed.record(items_lost=(items - len(stored)) + (12 - neighbour_outcome.new_items))
    assert neighbour_outcome.new_items == 12 and len(stored) == items
    if error is None:
        assert hostile_outcome.error is None
    else:
        assert error in (hostile_outcome.error or "")
    text = " ".join(title + summary for title, summary in stored)
    assert "root:" not in text and "lol" * 100 not in text
    assert all(len(title) <= 500 for title, _ in stored)
    assert integrity(tmp_path / "hostile.db") == "ok"


# --- big feeds, crashes and two pollers ----------------------------------------------------------


@pytest.mark.reliability("a feed of 10,000 items", kind="input")
def test_a_ten_thousand_item_feed_is_stored_whole(tmp_path: Path, feed_server: FeedServer, observed: Observed) -> None:
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("Big", feed_server.serve("/big.xml", numbered_feed(10_000)), "regulator")]
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
    result = run_bot(["poll", "--once"], env, cwd=tmp_path, timeout=300)  # ~60 s on PostgreSQL under CI's load
    assert result.returncode == 0, result.stderr
    stored = stored_keys(tmp_path / "casewatch.db", "Big")
    observed.record(items_lost=10_000 - len(set(stored)))
    assert "Big: 10000 new of 10000" in result.stdout.splitlines()
    assert len(stored) == len(set(stored)) == 10_000


def acme_feed(count: int, prefix: str) -> str:
    return rss(
        "".join(
            f"<item><title>Acme {prefix} {n}</title><guid isPermaLink='false'>{prefix}-{n}</guid></item>"
            for n in range(count)
        )
    )


def alert_figures(db_path: Path) -> tuple[int, int]:
    """(alerts written, events they are for)."""
    with opened(db_path) as conn:
        return conn.execute("SELECT count(*), count(DISTINCT event_id) FROM alerts").fetchone()


def writing(db_path: Path) -> bool:
    """Whether another process holds the database's write lock (:func:`begin_write`'s:
    SQLite's, or PostgreSQL's advisory lock), that is, is inside a write transaction."""
    probe = open_database(database_url(db_path), busy_timeout_ms=0)
    try:
        begin_write(probe)
    except Exception as error:
        if storage_reason(error) != "database locked":
            raise
        return True
    else:
        probe.conn.rollback()
        return False
    finally:
        probe.close()


def start_poll(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "poll", "--once"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.reliability("kill -9 of poll --once while it stores", kind="crash")
def test_kill_9_while_polling_then_the_next_poll_stores_everything_once(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    db_path = tmp_path / "casewatch.db"
    first_poll_done(tmp_path, bot_env(tmp_path, CASEWATCH_FEEDS=str(write_catalog(tmp_path / "empty.toml", []))))
    watch(db_path, "acme")
    other_host = FeedServer()
    big_answers = threading.Event()
    try:
        catalog = write_catalog(
            tmp_path / "feeds.toml",
            [
                ("Small", feed_server.serve("/small.xml", acme_feed(5, "small")), "regulator"),
                ("Big", other_host.serve("/big.xml", acme_feed(3000, "big"), hold=big_answers), "regulator"),
            ],
        )
        env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
        poller = start_poll(tmp_path, env)
        assert other_host.wait_for_request("/big.xml", timeout=30)
        assert eventually(lambda: len(stored_keys(db_path, "Small")) == 5, timeout=30)
        big_answers.set()  # the big feed comes after the small one, whatever the machine's speed
        assert eventually(lambda: writing(db_path), timeout=30, every=0.002)
        poller.kill()  # SIGKILL while the big feed is being stored
        poller.communicate()
        assert poller.returncode == -signal.SIGKILL
        killed_with = len(stored_keys(db_path, "Big"))
        again = run_bot(["poll", "--once"], env, cwd=tmp_path)
    finally:
        other_host.close()
    assert again.returncode == 0, again.stderr
    assert f"Big: {3000 - killed_with} new of 3000" in again.stdout or killed_with == 3000
    stored = stored_keys(db_path, "Big") + stored_keys(db_path, "Small")
    alerts, events = alert_figures(db_path)
    observed.record(items_lost=3005 - len(set(stored)), alerts_lost=3005 - events, alerts_duplicated=alerts - events)
    assert len(stored) == len(set(stored)) == 3005
    assert alerts == events == 3005
    assert integrity(db_path) == "ok"


@pytest.mark.reliability("two poll --once processes at the same time on one database", kind="crash")
def test_two_pollers_at_once_store_each_item_and_alert_once(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    db_path = tmp_path / "casewatch.db"
    first_poll_done(tmp_path, bot_env(tmp_path, CASEWATCH_FEEDS=str(write_catalog(tmp_path / "empty.toml", []))))
    watch(db_path, "acme")
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("A", feed_server.serve("/a.xml", acme_feed(400, "a")), "regulator"),
            ("B", feed_server.serve("/b.xml", acme_feed(400, "b")), "news"),
        ],
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
    pollers = [start_poll(tmp_path, env) for _ in range(2)]
    results = [poller.communicate(timeout=120) for poller in pollers]
    assert [poller.returncode for poller in pollers] == [0, 0], results
    assert all("Traceback" not in stderr for _, stderr in results)
    stored = stored_keys(db_path, "A") + stored_keys(db_path, "B")
    alerts, events = alert_figures(db_path)
    observed.record(items_lost=800 - len(set(stored)), alerts_lost=800 - events, alerts_duplicated=alerts - events)
    assert len(stored) == len(set(stored)) == 800
    assert alerts == events == 800
    assert (
        sum(
            int(line.split(": ")[1].split()[0])
            for out, _ in results
            for line in out.splitlines()
            if line.startswith("A: ") and " new of " in line
        )
        == 400
    )


# --- dates, property-based -----------------------------------------------------------------------

FETCHED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def sane(when: datetime | None, fetched_at: datetime = FETCHED_AT) -> bool:
    return when is None or (when.tzinfo is not None and EARLIEST_DATE <= when <= fetched_at + FUTURE_GRACE)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(), st.integers(-100, 100_000)), min_size=0, max_size=9))
def test_any_struct_time_gives_none_or_a_sane_aware_date(parts: list[int]) -> None:
    assert sane(safe_date(time.struct_time((*parts, *[0] * 9)[:9]) if parts else None, FETCHED_AT))


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            "{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} {}".format,
            st.sampled_from(["Mon", "Fri", "Xyz", ""]),
            st.integers(-5, 99),
            st.sampled_from(["Jan", "Feb", "Dec", "Foo", "13"]),
            st.integers(0, 99_999),
            st.integers(0, 99),
            st.integers(0, 99),
            st.integers(0, 99),
            st.sampled_from(["+0000", "-0100", "+1400", "-9999", "GMT", "EST", "Z", ""]),
        ),
        st.builds(
            "{:04d}-{:02d}-{:02d}T{:02d}:00:00{}".format,
            st.integers(0, 99_999),
            st.integers(0, 99),
            st.integers(0, 99),
            st.integers(0, 99),
            st.sampled_from(["Z", "+00:00", "-12:00", ""]),
        ),
    )
)
@pytest.mark.reliability("arbitrary date strings in a feed (property-based)", kind="input")
def test_any_date_string_in_a_feed_gives_none_or_a_sane_date(text: str) -> None:
    clean = "".join(ch for ch in text if ch in "\t\n\r" or " " <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd")
    body = rss(
        rss_item("SEC v. Acme", guid="g", date=xml_escape(clean)),
        f"<entry><updated>{xml_escape(clean)}</updated></entry>",
    )
    parsed = parse_feed(body.encode(), base_url="https://example.org/", court_feed=False, fetched_at=FETCHED_AT)
    for item in parsed.items:
        assert item.published_at is None or sane(datetime.fromisoformat(item.published_at))
