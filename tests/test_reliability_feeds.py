"""The feed side of the reliability suite: hostile and broken feeds, stalled
servers, locked and full databases, crashes while polling, two pollers, DNS
rebinding. Real processes, real sockets on 127.0.0.1, real SQLite."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest

from handlers.watch_request import parse_watch
from storage.database import open_database
from storage.watches import add_watch
from tests.conftest import FeedServer, bot_env, run_bot, write_catalog
from tests.reliability import Observed


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
    with sqlite3.connect(db_path) as conn:
        return [
            key
            for (key,) in conn.execute(
                "SELECT item_key FROM items JOIN feeds ON feeds.id = items.feed_id WHERE feeds.name = ? ORDER BY 1",
                [feed],
            )
        ]


def watch(db_path: Path, text: str, channel: str = "C0001") -> None:
    spec = parse_watch(text)
    add_watch(open_database(db_path), team_id="T0001", channel_id=channel, user_id="U0001", spec=spec)


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
    with sqlite3.connect(tmp_path / "casewatch.db") as conn:
        dates = dict(conn.execute("SELECT guid, event_at FROM items"))
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(dates["future"]) <= datetime.now(UTC)
    assert datetime.fromisoformat(dates["near"]) > datetime.now(UTC)  # within a day ahead: kept (time zones)


# --- one feed's unexpected failure ---------------------------------------------------


@pytest.mark.reliability("a feed that crashes the feed parser (a surrogate character reference)", kind="feed fault")
def test_a_feed_that_crashes_the_parser_is_failing_and_the_round_goes_on(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    poison = "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item><title>Acme &#xD800; v. SEC</title><guid>p</guid></item></channel></rss>"
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
    assert "1. Poison [failing since" in listed and "UnicodeEncodeError" in listed


@pytest.mark.reliability("a feed item whose text breaks extraction (a 5,000-digit amount)", kind="input")
def test_an_item_that_breaks_extraction_costs_only_that_item(
    tmp_path: Path, feed_server: FeedServer, observed: Observed
) -> None:
    poison = rss_item("SEC v. Acme", guid="poison", date=recent(), description="ordered to pay $" + "9" * 5000)
    good = [rss_item(f"SEC charges Acme {n}", guid=f"g{n}", date=recent()) for n in range(3)]
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("Mixed", feed_server.serve("/m.xml", rss(good[0], poison, *good[1:])), "regulator")]
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
    result = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    stored = stored_keys(tmp_path / "casewatch.db", "Mixed")
    observed.record(items_lost=3 - len(stored))
    assert stored == ["g0", "g1", "g2"]
    assert "Mixed: 3 new of 4, 1 item skipped" in result.stdout
    assert result.stderr.count("item 'poison'") == 1  # one log line for the skipped item
    listed = run_bot(["feeds"], env, cwd=tmp_path).stdout
    assert "1. Mixed [failing since" in listed and "1 item could not be stored" in listed


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
    with sqlite3.connect(db_path) as conn:
        queued = conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
    observed.record(alerts_duplicated=queued - 2)
    assert queued == 2
    assert "SEC: 1 new of 1, 2 alerts queued" in result.stdout.splitlines()
