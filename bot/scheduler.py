"""Schedule one APScheduler job per enabled feed, at the feed's interval."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from feeds.fetch import Fetcher
from feeds.match import Matcher
from feeds.poll import poll_feed
from storage.database import ThreadDatabases
from storage.feeds import enabled_feeds, get_feed

log = logging.getLogger(__name__)
JITTER_SECONDS = 30


def _poll_job(databases: ThreadDatabases, fetcher: Fetcher, matcher: Matcher, feed_id: int) -> None:
    db = databases.get()
    outcome = poll_feed(db, fetcher, get_feed(db, feed_id), matcher)
    log.info("poll %s", outcome.summary())


def start_scheduler(databases: ThreadDatabases, fetcher: Fetcher, matcher: Matcher) -> BackgroundScheduler:
    """Start polling every enabled feed now, then at its interval.

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
            args=[databases, fetcher, matcher, feed.id],
            id=f"poll-feed-{feed.id}",
            name=f"poll {feed.name}",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(60, interval // 2),
            jitter=JITTER_SECONDS,
            next_run_time=start + timedelta(seconds=position),
        )
    scheduler.start()
    return scheduler
