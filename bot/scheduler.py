"""Schedule one APScheduler job per enabled feed, at the feed's interval."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.config import Settings
from bot.sender import AlertSender
from feeds.fetch import Fetcher
from feeds.match import Matcher
from feeds.poll import poll_feed
from storage.database import ThreadDatabases
from storage.feeds import enabled_feeds, get_feed

log = logging.getLogger(__name__)
JITTER_SECONDS = 30


def _poll_job(
    databases: ThreadDatabases, fetcher: Fetcher, matcher: Matcher, sender: AlertSender, feed_id: int
) -> None:
    db = databases.get()
    outcome = poll_feed(db, fetcher, get_feed(db, feed_id), matcher)
    log.info("poll %s", outcome.summary())
    if outcome.alerts:
        sender.wake.set()


def start_scheduler(
    databases: ThreadDatabases, fetcher: Fetcher, matcher: Matcher, sender: AlertSender, settings: Settings
) -> BackgroundScheduler:
    """Start polling every enabled feed now, then at its interval, and post
    digests at the configured time (daily; weekly ones on Mondays).

    Explicit job ids with ``replace_existing``; one run at a time per feed;
    missed runs coalesce into one; a misfire grace of half the interval
    (APScheduler's default of 1 s would silently drop runs on a busy machine).
    """
    scheduler = BackgroundScheduler(timezone="UTC", executors={"default": {"type": "threadpool", "max_workers": 4}})
    start = datetime.now().astimezone()
    for position, feed in enumerate(enabled_feeds(databases.get())):
        interval = feed.interval_minutes * 60
        scheduler.add_job(
            _poll_job,
            "interval",
            seconds=interval,
            args=[databases, fetcher, matcher, sender, feed.id],
            id=f"poll-feed-{feed.id}",
            name=f"poll {feed.name}",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(60, interval // 2),
            jitter=JITTER_SECONDS,
            next_run_time=start + timedelta(seconds=position),
        )
    for period, modes, days in (("daily", ("daily",), "*"), ("weekly", ("weekly",), "mon")):
        scheduler.add_job(
            sender.send_digests,
            CronTrigger(
                day_of_week=days, hour=settings.digest_hour, minute=settings.digest_minute, timezone=settings.timezone
            ),
            kwargs={"modes": modes, "period": period},
            id=f"digest-{period}",
            name=f"{period} digest",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    scheduler.start()
    return scheduler
