"""The scheduler: one APScheduler job per feed, digests, and the polling lease.

Exactly one process polls: the one holding the ``poller`` lease in SQLite. A
second ``run`` against the same database serves Slack and sends alerts but
does not poll, and takes over when the holder's lease expires (it dies).
The poll jobs follow the feeds table: ``reconcile()`` adds, reschedules and
removes jobs when feeds are added, paused, resumed or removed, at once in the
process that made the change and at the next lease renewal in the poller.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import metrics
from bot.config import Settings
from bot.ingest import failure_reason, poll_feed
from bot.sender import AlertSender
from feeds.fetch import Fetcher
from feeds.match import Matcher
from feeds.vocabulary import WatchMode
from storage.database import StorageUnavailable, ThreadDatabases
from storage.feeds import enabled_feeds, get_feed
from storage.leases import hold, release

log = logging.getLogger(__name__)
JITTER_SECONDS = 30
POLL_WORKERS = 4
HOST_BUSY_RETRY_SECONDS = 5
LEASE = "poller"


class Scheduler:
    def __init__(
        self,
        databases: ThreadDatabases,
        fetcher: Fetcher,
        matcher: Matcher,
        sender: AlertSender,
        settings: Settings,
    ):
        self.databases = databases
        self.fetcher = fetcher
        self.matcher = matcher
        self.sender = sender
        self.settings = settings
        self.lease_ttl = timedelta(seconds=settings.lease_seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.polling = False
        # For /healthz (bot/health.py), monotonic seconds: since when this process polls, when a poll job last ended.
        self.polling_since: float | None = None
        self.last_poll_done: float | None = None
        self.shortest_interval: float | None = None  # seconds, of the feeds polled
        self._lock = threading.Lock()
        # Polls get their own bounded pool; the lease and digests never wait behind a slow feed.
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            executors={
                "default": {"type": "threadpool", "max_workers": 2},
                "polls": {"type": "threadpool", "max_workers": POLL_WORKERS},
            },
        )

    def start(self) -> None:
        self.scheduler.add_job(
            self._keep_lease,
            IntervalTrigger(seconds=max(1, self.settings.lease_seconds // 3)),
            id="lease",
            name="polling lease",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=self.settings.lease_seconds,
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.start()

    def alive(self) -> bool:
        """Whether APScheduler's thread runs (it has no public accessor)."""
        thread = getattr(self.scheduler, "_thread", None)
        return self.scheduler.running and thread is not None and thread.is_alive()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
        if self.polling:
            release(self.databases.get(), LEASE, self.holder)

    # --- leadership -------------------------------------------------------------

    def _keep_lease(self) -> None:
        try:
            leader = hold(self.databases.get(), LEASE, self.holder, self.lease_ttl)
        except StorageUnavailable as error:  # nothing changes until the database can be written again
            log.warning("could not renew the polling lease (%s); trying again at the next renewal", error)
            return
        with self._lock:
            if leader and not self.polling:
                log.info("this process now polls the feeds (%s)", self.holder)
                self.polling = True
                self.polling_since = time.monotonic()
                self._add_digest_jobs()
                self._reconcile(initial=True)
            elif leader:
                self._reconcile(initial=False)  # changes made through another process
            elif self.polling:
                log.warning("lost the polling lease; another process polls now")
                self.polling = False
                for job in self.scheduler.get_jobs():
                    if job.id != "lease":
                        job.remove()

    # --- jobs ---------------------------------------------------------------------

    def reconcile(self) -> None:
        """Make the poll jobs match the feeds table (no-op unless polling)."""
        with self._lock:
            if self.polling:
                self._reconcile(initial=False)

    def _reconcile(self, *, initial: bool) -> None:
        feeds = enabled_feeds(self.databases.get())
        wanted = {f"poll-feed-{feed.id}": feed for feed in feeds}
        self.shortest_interval = min((feed.interval_minutes * 60.0 for feed in feeds), default=None)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("poll-feed-") and job.id not in wanted:
                job.remove()
        start = datetime.now(UTC)
        for position, (job_id, feed) in enumerate(wanted.items()):
            interval = feed.interval_minutes * 60
            existing = self.scheduler.get_job(job_id)
            if existing and existing.trigger.interval.total_seconds() == interval and not initial:
                continue
            self.scheduler.add_job(
                self._poll,
                IntervalTrigger(seconds=interval, jitter=JITTER_SECONDS),
                executor="polls",
                args=[feed.id],
                id=job_id,
                name=f"poll {feed.name}",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                # APScheduler's default grace of 1 s silently drops runs on a busy machine.
                misfire_grace_time=max(60, interval // 2),
                next_run_time=start + timedelta(seconds=position),
            )

    def _add_digest_jobs(self) -> None:
        for period, days in ((WatchMode.DAILY, "*"), (WatchMode.WEEKLY, "mon")):
            self.scheduler.add_job(
                self.sender.send_digests,
                CronTrigger(
                    day_of_week=days,
                    hour=self.settings.digest_hour,
                    minute=self.settings.digest_minute,
                    timezone=self.settings.timezone,
                ),
                kwargs={"modes": (period,), "period": period},
                id=f"digest-{period}",
                name=f"{period} digest",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=3600,
            )

    def _poll(self, feed_id: int) -> None:
        """One feed's job. A feed whose host is busy with another request is
        not waited for (that would hold a worker other hosts' feeds need):
        it is polled again a few seconds later."""
        try:
            db = self.databases.get()
            feed = get_feed(db, feed_id)
            if feed is None or not feed.enabled or feed.paused:
                return
            if feed.failing_since and feed.next_poll_at and feed.next_poll_at > datetime.now(UTC).isoformat():
                return  # backing off after failures, or as the server's Retry-After asked
            with metrics.POLLS.time():
                outcome = poll_feed(db, self.fetcher, feed, self.matcher, host_wait=0)
        except Exception as error:  # poll_feed records its own failures; this is e.g. the database unreadable
            log.warning("poll of feed %s failed: %s", feed_id, failure_reason(error))
            return
        finally:
            self.last_poll_done = time.monotonic()
        if outcome.status == "busy":
            self._poll_again_soon(feed_id)
            return
        log.info("poll %s", outcome.summary())
        if outcome.alerts:
            self.sender.wake.set()

    def _poll_again_soon(self, feed_id: int) -> None:
        self.scheduler.add_job(
            self._poll,
            DateTrigger(datetime.now(UTC) + timedelta(seconds=HOST_BUSY_RETRY_SECONDS)),
            executor="polls",
            args=[feed_id],
            id=f"retry-feed-{feed_id}",
            name=f"poll feed {feed_id} again (its host was busy)",
            replace_existing=True,
            misfire_grace_time=60,
        )
