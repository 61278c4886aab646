"""Several alert senders on one database, each with its own connections (as
separate ``run`` processes would have), on both engines (issue 11): every alert
posted once, each channel in queue order and one post at a time, paced; and,
through the outbox's claim itself, a case's first alert recorded with its thread
before its replies are claimed, so they thread under it.

The senders' alerts here have no case: an alert's message reads its case through
``storage.cases``, not yet ported to PostgreSQL (issue 11 slice 2)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise

import pytest
from slack_sdk import WebClient

from bot.sender import AlertSender
from bot.slack_poster import WebApiPoster
from storage import alerts as outbox_module
from storage.database import ThreadDatabases, now_iso
from storage.engine import Connection
from tests.conftest import BOT_TOKEN, SlackApi
from tests.pg import EngineDatabase
from tests.reliability import Observed

TEAM = "T0001"
CHANNELS = ("C0001", "C0002", "C0003")
ALERTS_PER_CHANNEL = 24
CASES_PER_CHANNEL = 3
SENDERS = 4
INTERVAL = 0.03  # seconds between two posts to one channel
DUE = "2000-01-01T00:00:00+00:00"


class Outbox:
    """Alerts written straight into the database, each with its own item and event."""

    def __init__(self, db: Connection) -> None:
        self.db = db
        (self.feed_id,) = db.execute(
            "INSERT INTO feeds (name, url, kind, interval_minutes, created_at) "
            "VALUES ('SEC', 'https://www.sec.gov/rss', 'regulator', 10, ?) RETURNING id",
            [now_iso()],
        ).fetchone()
        self.items = 0

    def case(self, caption: str) -> int:
        return self.db.execute(
            "INSERT INTO cases (caption, agency, created_at) VALUES (?, 'SEC', ?) RETURNING id", [caption, now_iso()]
        ).fetchone()[0]

    def alert(self, channel: str, case_id: int | None, *, mode: str = "instant") -> int:
        self.items += 1
        n = self.items
        self.db.execute(
            "INSERT INTO items (id, feed_id, item_key, title, link, seen_at, event_at, case_id) "
            "VALUES (?, ?, ?, ?, 'https://www.sec.gov/x', ?, ?, ?)",
            [n, self.feed_id, f"k{n}", f"SEC charges Acme {n}", now_iso(), now_iso(), case_id],
        )
        (event_id,) = self.db.execute(
            "INSERT INTO events (case_id, action, event_day, identity, first_item_id, created_at) "
            "VALUES (?, 'complaint', '2026-11-26', ?, ?, ?) RETURNING id",
            [case_id, f"e{n}", n, now_iso()],
        ).fetchone()
        self.db.execute("UPDATE items SET event_id = ? WHERE id = ?", [event_id, n])
        (watch_id,) = self.db.execute(  # ids given, as storage.watches numbers them
            "INSERT INTO watches (id, team_id, channel_id, kind, term, term_key, mode, created_by, created_at) "
            "VALUES (?, ?, ?, 'name', ?, ?, ?, 'U0001', ?) RETURNING id",
            [n, TEAM, channel, f"acme {n}", f"acme {n}", mode, now_iso()],
        ).fetchone()
        return self.db.execute(
            "INSERT INTO alerts (team_id, channel_id, event_id, case_id, watch_id, matched_term, mode, status, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'acme', ?, 'pending', ?, ?) RETURNING id",
            [TEAM, channel, event_id, case_id, watch_id, mode, DUE, now_iso()],
        ).fetchone()[0]


class InFlight:
    """A poster that counts the posts under way to each channel (the most ever at once)."""

    def __init__(self, inner: WebApiPoster, counts: Counter[str], most: Counter[str], lock: threading.Lock) -> None:
        self.inner, self.counts, self.most, self.lock = inner, counts, most, lock

    def post(self, message: dict) -> str:
        channel = message["channel"]
        with self.lock:
            self.counts[channel] += 1
            self.most[channel] = max(self.most[channel], self.counts[channel])
        try:
            return self.inner.post(message)
        finally:
            with self.lock:
                self.counts[channel] -= 1

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.mark.reliability("several sender processes share one outbox", kind="crash")
def test_senders_in_several_processes_post_each_alert_once_in_order_one_at_a_time_per_channel(
    engine_db: EngineDatabase, slack_api: SlackApi, observed: Observed
) -> None:
    outbox = Outbox(engine_db.open())
    queued = {channel: [outbox.alert(channel, None) for _ in range(ALERTS_PER_CHANNEL)] for channel in CHANNELS}
    counts: Counter[str] = Counter()
    most: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()
    threads = []
    for _ in range(SENDERS):
        poster = WebApiPoster(WebClient(token=BOT_TOKEN, base_url=slack_api.url, retry_handlers=[]))
        sender = AlertSender(
            ThreadDatabases(engine_db.url, busy_timeout_ms=10_000),
            InFlight(poster, counts, most, lock),  # type: ignore[arg-type]
            stale_after=timedelta(seconds=60),
            interval_seconds=0.05,
            post_interval=INTERVAL,
        )
        threads.append(sender.start(stop))
    total = len(CHANNELS) * ALERTS_PER_CHANNEL
    try:
        assert slack_api.wait_for(lambda: len(slack_api.posts()) >= total, timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

    posted = {
        channel: [m["metadata"]["event_payload"]["alert_id"] for m in slack_api.posts(channel)] for channel in CHANNELS
    }
    every = [alert_id for ids in posted.values() for alert_id in ids]
    lost = len({a for ids in queued.values() for a in ids} - set(every))
    observed.record(alerts_lost=lost, alerts_duplicated=len(every) - len(set(every)))
    assert (lost, len(every)) == (0, total)
    assert posted == queued  # each channel in queue order
    assert max(most.values()) == 1  # never two posts under way to one channel
    times: dict[str, list[float]] = defaultdict(list)
    for channel, at in slack_api.post_times:
        times[channel].append(at)
    gaps = [later - earlier for channel in CHANNELS for earlier, later in pairwise(times[channel])]
    assert min(gaps) >= INTERVAL * 0.99, min(gaps)


@pytest.mark.reliability("several sender processes claim one channel's alerts of several cases", kind="crash")
def test_claims_across_connections_keep_each_cases_replies_under_its_first_alert(
    engine_db: EngineDatabase, observed: Observed
) -> None:
    """Senders as the real one claims, posts and records (:func:`outbox.claim_next`,
    :func:`outbox.thread_for` at post time, :func:`outbox.mark_sent`), with a post
    that only takes a number: a reply is claimed only once its case's first alert
    is recorded with its thread, whichever connection claimed which."""
    outbox = Outbox(engine_db.open())
    case_of: dict[int, int] = {}
    queued: dict[str, list[int]] = defaultdict(list)
    for channel in CHANNELS:
        cases = [outbox.case(f"SEC v. Acme {channel} {n}") for n in range(CASES_PER_CHANNEL)]
        for n in range(ALERTS_PER_CHANNEL):
            alert_id = outbox.alert(channel, cases[n % CASES_PER_CHANNEL])
            queued[channel].append(alert_id)
            case_of[alert_id] = cases[n % CASES_PER_CHANNEL]
    posts: list[tuple[str, int, str, str | None]] = []  # (channel, alert, ts, thread_ts) in posting order
    lock = threading.Lock()
    numbers = itertools.count(1)
    total = len(case_of)
    start = threading.Barrier(SENDERS)
    idle = threading.Event()  # never set: the pause between two passes of a sender that found nothing

    def sender(db: Connection) -> None:
        start.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with lock:
                if len(posts) == total:
                    return
            outbox_module.open_turns(db, now=time.time())
            alert = outbox_module.claim_next(db, now=time.time(), interval=0.0)
            if alert is None:
                idle.wait(0.002)
                continue
            thread_ts = outbox_module.thread_for(db, alert.team_id, alert.channel_id, alert.case_id)
            with lock:
                ts = f"{1700000000 + next(numbers)}.000100"
                posts.append((alert.channel_id, alert.id, ts, thread_ts))
            outbox_module.mark_sent(db, alert, ts=ts, thread_ts=thread_ts, turn_free_at=time.time())

    threads = [threading.Thread(target=sender, args=(engine_db.open(busy_timeout_ms=10_000),)) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [alert_id for _, alert_id, _, _ in posts]
    lost = len(set(case_of) - set(every))
    observed.record(alerts_lost=lost, alerts_duplicated=len(every) - len(set(every)))
    assert (lost, len(every)) == (0, total)
    assert {channel: [a for c, a, _, _ in posts if c == channel] for channel in CHANNELS} == queued
    first: dict[int, str] = {}
    for _, alert_id, ts, thread_ts in posts:
        case = case_of[alert_id]
        if case not in first:
            assert thread_ts is None  # a case's first alert opens its thread
            first[case] = ts
        else:
            assert thread_ts == first[case]  # its replies go under it
