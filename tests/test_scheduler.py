"""The scheduler's jobs: one per feed with explicit settings, and the digests."""

from __future__ import annotations

from pathlib import Path

from slack_sdk import WebClient

from bot.config import settings_from_env
from bot.ingest import default_matcher
from bot.scheduler import Scheduler
from bot.sender import AlertSender
from feeds.catalog import FeedSpec
from feeds.fetch import Fetcher
from storage.database import ThreadDatabases
from storage.feeds import sync_catalog


def test_jobs_per_feed_and_digests_at_the_configured_time(tmp_path: Path) -> None:
    databases = ThreadDatabases(tmp_path / "s.db")
    sync_catalog(
        databases.get(),
        [
            FeedSpec("SEC", "http://127.0.0.1:9/a", "SEC", "regulator", 10),
            FeedSpec("Court", "http://127.0.0.1:9/b", "D.D.C.", "court", 15),
            FeedSpec("Off", "http://127.0.0.1:9/c", "", "news", 30, enabled=False),
        ],
    )
    settings = settings_from_env({"CASEWATCH_DIGEST_TIME": "08:30", "CASEWATCH_TIMEZONE": "America/New_York"})
    sender = AlertSender(databases, WebClient(base_url="http://127.0.0.1:9/api/"))
    scheduler = Scheduler(databases, Fetcher(contact="t@example.com"), default_matcher(), sender, settings)
    scheduler.scheduler.start(paused=True)
    try:
        scheduler._keep_lease()  # take the polling lease now rather than at the first tick
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
        assert scheduler.polling
        # (and a digest catching up, when this runs less than an hour after the digest time: tests/test_digest_runs.py)
        assert set(jobs) - {"digest-daily-catch-up", "digest-weekly-catch-up"} == {
            "poll-feed-1",
            "poll-feed-2",
            "digest-daily",
            "digest-weekly",
        }
        poll = jobs["poll-feed-2"]
        assert poll.trigger.interval.total_seconds() == 15 * 60
        assert (poll.max_instances, poll.coalesce, poll.misfire_grace_time) == (1, True, 450)
        assert poll.executor == "polls" and jobs["digest-daily"].executor == "default"
        daily = jobs["digest-daily"].next_run_time
        assert (daily.hour, daily.minute, str(daily.tzinfo)) == (8, 30, "America/New_York")
        weekly = jobs["digest-weekly"].next_run_time
        assert weekly.weekday() == 0 and (weekly.hour, weekly.minute) == (8, 30)
    finally:
        scheduler.shutdown()
