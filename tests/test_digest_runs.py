"""Digests are posted once per channel and period, whichever process runs them,
on both engines (issue 11); and a process that takes polling over shortly after
the digest time posts the digests of that period the old one did not."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from slack_sdk import WebClient

from bot.config import settings_from_env
from bot.ingest import default_matcher
from bot.scheduler import Scheduler
from bot.sender import AlertSender
from bot.slack_poster import WebApiPoster
from feeds.fetch import Fetcher
from storage.database import ThreadDatabases
from tests.conftest import BOT_TOKEN, SlackApi
from tests.pg import EngineDatabase
from tests.reliability import Observed
from tests.test_senders_across_processes import Outbox

PERIOD = "2026-11-26T09:00+00:00"
NEXT_PERIOD = "2026-11-27T09:00+00:00"


def sender_process(engine_db: EngineDatabase, slack_api: SlackApi) -> AlertSender:
    """A sender as another ``run`` process has it: its own connections."""
    poster = WebApiPoster(WebClient(token=BOT_TOKEN, base_url=slack_api.url, retry_handlers=[]))
    return AlertSender(ThreadDatabases(engine_db.url, busy_timeout_ms=10_000), poster, post_interval=0.01)


def digested(slack_api: SlackApi, channel: str) -> list[int]:
    """The alerts each digest posted to ``channel`` carries first (its metadata)."""
    return [message["metadata"]["event_payload"]["alert_id"] for message in slack_api.posts(channel)]


@pytest.mark.reliability("two processes run the same period's digests", kind="crash")
def test_a_channel_gets_one_digest_a_period_whichever_process_posts_it(
    engine_db: EngineDatabase, slack_api: SlackApi, observed: Observed
) -> None:
    outbox = Outbox(engine_db.open())
    first = [outbox.alert("C0001", None, mode="daily") for _ in range(3)]
    other_channel = outbox.alert("C0002", None, mode="daily")
    senders = [sender_process(engine_db, slack_api) for _ in range(2)]
    start = threading.Barrier(len(senders))
    posted: list[int] = []

    def run_digests(sender: AlertSender) -> None:
        start.wait()
        posted.append(sender.send_digests(("daily",), period="daily", period_start=PERIOD))

    threads = [threading.Thread(target=run_digests, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(posted) == 2
    assert (digested(slack_api, "C0001"), digested(slack_api, "C0002")) == ([first[0]], [other_channel])

    late = outbox.alert("C0001", None, mode="daily")  # after this period's digest went out
    assert senders[1].send_digests(("daily",), period="daily", period_start=PERIOD) == 0
    assert senders[0].send_digests(("daily",), period="daily", period_start=NEXT_PERIOD) == 1
    assert digested(slack_api, "C0001") == [first[0], late]
    observed.record(alerts_duplicated=len(slack_api.posts()) - 3)


def scheduler_process(engine_db: EngineDatabase, slack_api: SlackApi, digest_time: datetime) -> Scheduler:
    settings = settings_from_env({"CASEWATCH_DIGEST_TIME": digest_time.strftime("%H:%M"), "CASEWATCH_TIMEZONE": "UTC"})
    databases = ThreadDatabases(engine_db.url, busy_timeout_ms=10_000)
    return Scheduler(
        databases, Fetcher(contact="t@example.com"), default_matcher(), sender_process(engine_db, slack_api), settings
    )


def take_over_polling(scheduler: Scheduler) -> bool:
    """Take the polling lease as the lease job would, and run the jobs that start
    now (a digest catching up, if any) to their end. False if none was due."""
    done = threading.Event()

    def finished(event: JobExecutionEvent) -> None:
        if event.job_id == "digest-daily-catch-up":
            done.set()

    scheduler.scheduler.add_listener(finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.scheduler.start(paused=True)
    scheduler._keep_lease()
    assert scheduler.polling
    if scheduler.scheduler.get_job("digest-daily-catch-up") is None:
        return False
    scheduler.scheduler.resume()
    assert done.wait(timeout=20)
    return True


@pytest.mark.reliability("the polling process dies just before the digest time", kind="crash")
def test_a_process_taking_over_after_the_digest_time_posts_that_periods_digest_once(
    engine_db: EngineDatabase, slack_api: SlackApi, observed: Observed
) -> None:
    outbox = Outbox(engine_db.open())
    waiting = [outbox.alert("C0001", None, mode="daily") for _ in range(2)]
    digest_time = datetime.now(UTC) - timedelta(minutes=10)  # the old poller died before it; this one starts now

    first = scheduler_process(engine_db, slack_api, digest_time)
    try:
        assert take_over_polling(first)
    finally:
        first.shutdown()  # releases the lease, as a stopped process does
    assert digested(slack_api, "C0001") == [waiting[0]]

    outbox.alert("C0001", None, mode="daily")  # arrives after the period's digest: waits for the next one
    second = scheduler_process(engine_db, slack_api, digest_time)
    try:
        take_over_polling(second)
    finally:
        second.shutdown()
    observed.record(alerts_duplicated=len(slack_api.posts("C0001")) - 1)
    assert len(slack_api.posts("C0001")) == 1


def test_no_digest_is_caught_up_long_after_its_time(engine_db: EngineDatabase, slack_api: SlackApi) -> None:
    Outbox(engine_db.open()).alert("C0001", None, mode="daily")
    scheduler = scheduler_process(engine_db, slack_api, datetime.now(UTC) - timedelta(hours=3))
    try:
        assert not take_over_polling(scheduler)
    finally:
        scheduler.shutdown()
    assert slack_api.posts() == []
