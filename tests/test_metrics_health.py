"""``GET /metrics`` and ``GET /healthz`` as an operator sees them: the bot as
a process, its feeds on a local server, Slack's Web API stand-in, scraped
over HTTP and read with prometheus-client's own parser."""

from __future__ import annotations

import json
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk import WebClient
from sqlite_utils import Database

from bot.config import settings_from_env
from bot.health import Health, poll_overdue
from bot.ingest import default_matcher
from bot.metrics import SEND_OUTCOMES
from bot.scheduler import Scheduler
from bot.sender import AlertSender
from bot.slack_poster import WebApiPoster
from feeds.fetch import Fetcher
from storage.alerts import claim
from storage.database import ThreadDatabases
from storage.monitoring import alert_counts, oldest_pending_seconds
from storage.workspaces import pause
from tests import factories
from tests.conftest import (
    FeedServer,
    SlackApi,
    bot_env,
    eventually,
    far_digest_time,
    free_port,
    post_slack,
    run_bot,
    slack_bot_env,
    slash_command,
    spawn_bot,
    wait_until_healthy,
    write_catalog,
)
from tests.reliability import Observed
from tests.test_alerts_e2e import SEC_COMPLAINT, rss
from tests.test_socket_mode import SocketModePeer


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``GET /metrics``: (name, sorted labels) → value."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(base: str, name: str, **labels: str) -> float | None:
    return scrape(base).get((name, tuple(sorted(labels.items()))))


def healthz(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# --- end to end: the bot as a process -------------------------------------------------


@pytest.mark.reliability("a feed answers 500: the failing-feeds gauge shows it", kind="feed fault")
def test_a_failing_feed_moves_the_failing_gauge(
    tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable
) -> None:
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("Works", feed_server.serve("/ok.xml", rss("https://example.org/")), "regulator"),
            ("Broken", feed_server.serve("/broken.xml", "oops", status=500), "regulator"),
        ],
    )
    base = start_bot(slack_bot_env(tmp_path, slack_api, catalog))
    assert eventually(lambda: sample(base, "casewatch_feeds", health="failing") == 1)
    assert eventually(lambda: sample(base, "casewatch_feeds", health="ok") == 1)
    assert sample(base, "casewatch_feeds", health="pending") == 0
    samples = scrape(base)
    assert ("casewatch_feed_seconds_since_success", (("feed", "Works"), ("feed_id", "1"))) in samples
    assert not any(
        name == "casewatch_feed_seconds_since_success" and ("feed", "Broken") in labels for name, labels in samples
    )
    assert samples[("casewatch_polling_lease_held", ())] == 1
    assert samples[("casewatch_poll_duration_seconds_count", ())] >= 2
    status, health = healthz(base)
    assert (status, health["ok"], health["failing"], health["polling"]) == (200, True, [], True)


@pytest.mark.reliability(
    "Slack answers 429, then 500, then takes the alert: the sends counter shows each", kind="slack fault"
)
def test_a_delivered_alert_moves_the_sends_counter_by_outcome_and_the_alerts_gauge(
    tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable, observed: Observed
) -> None:
    feed_server.serve("/sec.xml", rss("https://www.sec.gov/"))
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("SEC press releases", f"{feed_server.base}/sec.xml", "regulator")]
    )
    env = slack_bot_env(tmp_path, slack_api, catalog, CASEWATCH_POST_INTERVAL_SECONDS="0.05")
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0  # the first poll (its backlog alerts no one)
    base = start_bot(env)
    assert post_slack(f"{base}/slack/events", slash_command("/watch", "binance", user_id="U0001")).status == 200
    assert sample(base, "casewatch_sends_total", outcome="ok") == 0
    assert sample(base, "casewatch_alerts", status="sent") == 0

    slack_api.fail("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, **{"Retry-After": "1"})
    slack_api.fail("chat.postMessage", 500, "<html>Internal Server Error</html>")
    feed_server.serve("/sec.xml", rss("https://www.sec.gov/", SEC_COMPLAINT))
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    assert slack_api.wait_for(lambda: len(slack_api.posts("C0001")) == 1)
    assert eventually(lambda: sample(base, "casewatch_alerts", status="sent") == 1)
    posted = len(slack_api.posts("C0001"))
    observed.record(alerts_lost=1 - min(posted, 1), alerts_duplicated=max(0, posted - 1))
    samples = scrape(base)
    sends = {outcome: samples[("casewatch_sends_total", (("outcome", outcome),))] for outcome in SEND_OUTCOMES}
    assert sends == {"ok": 1, "retried": 1, "rate_limited": 1, "permanent_error": 0}
    assert samples[("casewatch_alerts", (("status", "pending"),))] == 0
    assert samples[("casewatch_oldest_pending_alert_age_seconds", ())] == 0
    assert samples[("casewatch_items_stored", ())] >= 0


def test_case_moves_the_latency_histogram(
    tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable
) -> None:
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("SEC", feed_server.serve("/sec.xml", rss("https://x/")), "regulator")]
    )
    base = start_bot(slack_bot_env(tmp_path, slack_api, catalog))
    assert sample(base, "casewatch_case_request_duration_seconds_count") == 0  # the warm-up's /case is not counted
    for _ in range(2):
        assert post_slack(f"{base}/slack/events", slash_command("/case", "binance")).status == 200
    assert post_slack(f"{base}/slack/events", slash_command("/watchlist", "")).status == 200
    samples = scrape(base)
    assert samples[("casewatch_case_request_duration_seconds_count", ())] == 2
    assert 0 < samples[("casewatch_case_request_duration_seconds_sum", ())] < 10


@pytest.mark.sqlite_only  # damages the SQLite file itself
@pytest.mark.reliability(
    "the database file is damaged while the bot runs, then restored: health says so, and the sender lives on",
    kind="storage fault",
)
def test_healthz_names_a_damaged_database_and_the_sender_outlives_it(
    tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable
) -> None:
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("SEC", feed_server.serve("/sec.xml", rss("https://x/")), "regulator")]
    )
    env = slack_bot_env(tmp_path, slack_api, catalog)
    base = start_bot(env)
    assert healthz(base)[0] == 200
    database = Path(env["CASEWATCH_DB"])
    with sqlite3.connect(database) as connection:  # the whole database in its file, to put back later
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    intact = database.read_bytes()
    with database.open("r+b") as file:  # root reads a chmod 000 file: damage the file itself
        file.write(b"this is no database " * (len(intact) // 20 + 1))

    assert eventually(lambda: "database" in healthz(base)[1]["failing"])
    status, health = healthz(base)
    assert (status, health["ok"]) == (503, False)
    assert health["problems"]["database"] == "file is not a database"

    with database.open("r+b") as file:
        file.write(intact)
        file.truncate()
    assert eventually(lambda: healthz(base)[0] == 200), healthz(base)  # the sender's thread lives on


def test_socket_mode_serves_healthz_and_metrics_on_metrics_port(
    tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi
) -> None:
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("SEC", feed_server.serve("/sec.xml", rss("https://x/")), "regulator")]
    )
    port = free_port()
    env = bot_env(
        tmp_path,
        CASEWATCH_FEEDS=str(catalog),
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_APP_TOKEN="xapp-test-token",
        SLACK_API_URL=slack_api.url,
        METRICS_PORT=str(port),
    )
    peer = SocketModePeer(slash_command("/case", "binance"))
    slack_api.socket_url = peer.url
    process = spawn_bot(["run"], env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process)
        assert peer.acked.wait(timeout=30), "no acknowledgement over the socket"
        assert eventually(lambda: sample(base, "casewatch_case_request_duration_seconds_count") == 1)
        status, health = healthz(base)
        assert (status, health["ok"], health["failing"]) == (200, True, [])
        assert eventually(lambda: sample(base, "casewatch_feeds", health="ok") == 1)
        assert sample(base, "casewatch_polling_lease_held") == 1
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/slack/events", timeout=5)
        assert refused.value.code == 404
    finally:
        process.terminate()
        process.wait(timeout=10)
        peer.close()


# --- the checks themselves, with real threads -------------------------------------------


@pytest.fixture
def parts(tmp_path: Path) -> tuple[ThreadDatabases, AlertSender, Scheduler]:
    databases = ThreadDatabases(tmp_path / "h.db")  # no feeds: nothing to poll
    sender = AlertSender(databases, WebApiPoster(WebClient(base_url="http://127.0.0.1:9/api/")))
    settings = settings_from_env({"CASEWATCH_DIGEST_TIME": far_digest_time()})  # no digest job to stop mid-run
    return (
        databases,
        sender,
        Scheduler(databases, Fetcher(contact="t@example.com"), default_matcher(), sender, settings),
    )


@pytest.mark.reliability("the alert sender's thread has stopped", kind="crash")
def test_healthz_names_the_sender_when_its_thread_has_stopped(parts: tuple) -> None:
    databases, sender, scheduler = parts
    stop = threading.Event()
    running = sender.start(stop)
    scheduler.start()
    try:
        health = Health(str(databases.path), running, scheduler)
        health.start(stop)
        answer = health.status()
        assert (answer["ok"], answer["failing"]) == (True, [])
        stop.set()
        sender.wake.set()
        running.join(timeout=10)
        answer = health.status()
        assert (answer["ok"], answer["failing"]) == (False, ["sender"])
        assert answer["problems"] == {"sender": "the alert sender's thread has stopped"}
    finally:
        stop.set()
        scheduler.shutdown()


@pytest.mark.reliability("the scheduler's thread has stopped", kind="crash")
def test_healthz_names_the_scheduler_when_it_has_stopped(parts: tuple) -> None:
    databases, sender, scheduler = parts
    stop = threading.Event()
    scheduler.start()
    try:
        health = Health(str(databases.path), sender.start(stop), scheduler)
        health.start(stop)
        assert health.status()["failing"] == []
        scheduler.scheduler.shutdown(wait=False)  # its thread is joined all the same
        assert health.status()["failing"] == ["scheduler"]
    finally:
        stop.set()


@pytest.mark.parametrize(
    ("polling", "since", "last_poll", "overdue"),
    [
        (False, None, None, False),  # another process polls
        (True, 0.0, None, False),  # took the lease 100 s ago: not yet due
        (True, -200.0, None, True),  # took it 300 s ago, no poll ended since
        (True, -200.0, 50.0, False),  # a poll ended 50 s ago
        (True, -500.0, -150.0, True),  # the last ended 250 s ago
    ],
)
def test_polling_is_overdue_after_twice_the_shortest_interval(
    polling: bool, since: float | None, last_poll: float | None, overdue: bool
) -> None:
    problem = poll_overdue(polling=polling, since=since, last_poll=last_poll, shortest_interval=120.0, now=100.0)
    assert (problem is not None) == overdue


def test_a_database_probe_that_stopped_answering_counts_as_none(parts: tuple) -> None:
    databases, sender, scheduler = parts
    stop, now = threading.Event(), [1000.0]
    try:
        health = Health(str(databases.path), sender.start(stop), scheduler, clock=lambda: now[0])
        assert health.status()["problems"]["database"] == "not asked yet"
        asked_once = threading.Event()
        asked_once.set()  # the probe asks at start, then its thread stops at once
        health.start(asked_once).join(timeout=10)
        assert "database" not in health.status()["failing"]
        now[0] += 60  # the probe's thread asked a minute ago and not since (a hung disk)
        assert health.status()["problems"]["database"] == "no answer for 60 s"
    finally:
        stop.set()


def test_alert_states_for_operators_count_pending_alerts_of_a_paused_workspace_as_held(memory_db: Database) -> None:
    before = datetime.now(UTC)
    _waiting, in_flight, refused = (factories.alert(memory_db) for _ in range(3))
    assert claim(memory_db, in_flight) and claim(memory_db, refused)
    memory_db.execute("UPDATE alerts SET status = 'failed', last_error = 'not_in_channel' WHERE id = ?", [refused])
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert alert_counts(memory_db) == {"pending": 1, "sending": 1, "sent": 0, "failed": 1, "held": 0}
    # The alert was made between `before` and five minutes before `later` (however slow the machine).
    assert 299 <= oldest_pending_seconds(memory_db, later) <= (later - before).total_seconds() + 1

    pause(memory_db, factories.TEAM, "app uninstalled")
    assert alert_counts(memory_db) == {"pending": 0, "sending": 1, "sent": 0, "failed": 1, "held": 1}
    assert oldest_pending_seconds(memory_db, later) == 0  # a held alert waits for an install, not for the sender
