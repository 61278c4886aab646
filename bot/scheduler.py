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
from bot.read_workers import ReadWorkers
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
DIGEST_GRACE_SECONDS = 3600  # a digest job that starts late still runs within an hour of its time


def latest_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The trigger's last time at or before ``now`` (within eight days): the
    start of the period a digest run belongs to, however late the run."""
    latest = None
    fire = trigger.get_next_fire_time(None, now - timedelta(days=8))
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


class Scheduler:
    def __init__(
        self,
        databases: ThreadDatabases,
        fetcher: Fetcher,
        matcher: Matcher,
        sender: AlertSender,
        settings: Settings,
        readers: ReadWorkers | None = None,
    ):
        self.databases = databases
        self.readers = readers
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
        self._stopping = threading.Event()
        self._polls = threading.Condition()
        self._running: set[int] = set()  # the feeds being polled now
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
        """Stop at once, without waiting for the polls under way (see :mod:`bot.shutdown` for ``run``'s stop)."""
        self.stop_polling()
        self.release_lease()

    def stop_polling(self) -> set[int]:
        """Start no more jobs (no poll, no lease renewal, no digest); returns
        the feeds whose polls are under way (see :meth:`wait_for_polls`)."""
        self._stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        with self._polls:
            return set(self._running)

    def wait_for_polls(self, timeout: float) -> set[int]:
        """Wait up to ``timeout`` seconds for the polls under way; returns the feeds still being polled."""
        with self._polls:
            self._polls.wait_for(lambda: not self._running, timeout=timeout)
            return set(self._running)

    def release_lease(self) -> None:
        """Hand polling to the next process at once (no wait for the lease to expire)."""
        with self._lock:
            if self.polling:
                release(self.databases.get(), LEASE, self.holder)
                self.polling = False

    # --- leadership -------------------------------------------------------------

    def _keep_lease(self) -> None:
        if self._stopping.is_set():
            return
        try:
            leader = hold(self.databases.get(), LEASE, self.holder, self.lease_ttl)
        except StorageUnavailable as error:  # nothing changes until the database can be written again
            log.warning("could not renew the polling lease (%s); trying again at the next renewal", error)
            return
        with self._lock:
            if self._stopping.is_set():  # stopping began while this renewal ran: it is not kept
                if leader:
                    release(self.databases.get(), LEASE, self.holder)
                self.polling = False
            elif leader and not self.polling:
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

    def _digest_trigger(self, period: WatchMode) -> CronTrigger:
        return CronTrigger(
            day_of_week="mon" if period == WatchMode.WEEKLY else "*",
            hour=self.settings.digest_hour,
            minute=self.settings.digest_minute,
            timezone=self.settings.timezone,
        )

    def _add_digest_jobs(self) -> None:
        """The daily and weekly digests; and, in a process that takes polling
        over less than an hour after a digest time, that period's digests now
        (each channel's once: :meth:`_send_digests`)."""
        now = datetime.now(UTC)
        for period in (WatchMode.DAILY, WatchMode.WEEKLY):
            trigger = self._digest_trigger(period)
            self.scheduler.add_job(
                self._send_digests,
                trigger,
                args=[period],
                id=f"digest-{period}",
                name=f"{period} digest",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=DIGEST_GRACE_SECONDS,
            )
            started = latest_fire_time(trigger, now)
            if started is not None and now - started <= timedelta(seconds=DIGEST_GRACE_SECONDS):
                self.scheduler.add_job(
                    self._send_digests,
                    DateTrigger(now),
                    args=[period],
                    id=f"digest-{period}-catch-up",
                    name=f"{period} digest of {started.isoformat()} (catching up)",
                    replace_existing=True,
                    misfire_grace_time=DIGEST_GRACE_SECONDS,
                )

    def _send_digests(self, period: WatchMode) -> None:
        started = latest_fire_time(self._digest_trigger(period), datetime.now(UTC))
        if started is None:
            return
        period_start = started.astimezone(UTC).isoformat(timespec="minutes")
        try:
            posted = self.sender.send_digests((period,), period=period, period_start=period_start)
        except StorageUnavailable as error:  # the channels not reached get theirs at a later run of the period
            log.warning("%s digests of the period from %s stopped: %s", period, period_start, error)
            return
        log.info("%d %s digest(s) posted for the period from %s", posted, period, period_start)

    def _poll(self, feed_id: int) -> None:
        """One feed's job, unless the process is stopping (a job queued before
        the stop does not start); :meth:`wait_for_polls` waits for it."""
        with self._polls:
            if self._stopping.is_set():
                return
            self._running.add(feed_id)
        try:
            self._poll_once(feed_id)
        finally:
            with self._polls:
                self._running.discard(feed_id)
                self._polls.notify_all()

    def _poll_once(self, feed_id: int) -> None:
        """Poll one feed. A feed whose host is busy with another request is
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
                outcome = poll_feed(db, self.fetcher, feed, self.matcher, host_wait=0, readers=self.readers)
        except Exception as error:  # poll_feed records its own failures; this is e.g. the database unreadable
            log.warning("poll of feed %s failed: %s", feed_id, failure_reason(error), extra={"feed_id": feed_id})
            return
        finally:
            self.last_poll_done = time.monotonic()
        if outcome.status == "busy":
            self._poll_again_soon(feed_id)
            return
        log.info("poll %s", outcome.summary(), extra={"feed_id": feed_id})
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
