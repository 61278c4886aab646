"""Prometheus metrics (``GET /metrics``): what this process does, counted
where the work happens (sends, polls, ``/case``), and what the database
holds, read at each scrape by :class:`DatabaseCollector`. Every name is listed
in the README's "Metrics and health" section.

The counters and histograms belong to the module, so the sender, the
scheduler and the server update them without being handed anything; each
``run`` exposes them in its own registry with its database's figures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from storage.database import ThreadDatabases
from storage.monitoring import FEED_HEALTHS, alert_counts, feed_vitals, items_stored, oldest_pending_seconds

CONTENT_TYPE = CONTENT_TYPE_LATEST
ITEMS_RECOUNT_SECONDS = 30.0  # counting 1M items takes ~8 ms warm, ~160 ms cold: not at every scrape
SEND_OUTCOMES = ("ok", "retried", "rate_limited", "permanent_error")
disable_created_metrics()  # no *_created series: the process's start time is process_start_time_seconds

SENDS = Counter(
    "casewatch_sends",
    "Posts of alerts and digests to Slack, by outcome: ok, retried (a network error, a 5xx, maybe posted), "
    "rate_limited (429), permanent_error (held until fixed)",
    ["outcome"],
    registry=None,
)
for _outcome in SEND_OUTCOMES:
    SENDS.labels(_outcome)
POLLS = Histogram(
    "casewatch_poll_duration_seconds",
    "How long one feed's poll took (fetch, parse, store, match), in this process",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=None,
)
CASE_REQUESTS = Histogram(
    "casewatch_case_request_duration_seconds",
    "How long the server took to answer a /case request (over HTTP, or its acknowledgement in Socket Mode)",
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=None,
)


def sent(outcome: str) -> None:
    """Count one post's outcome (one of :data:`SEND_OUTCOMES`)."""
    SENDS.labels(outcome).inc()


class TimedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, with the time it takes to answer each
    ``/case`` (the acknowledgement sent) in ``casewatch_case_request_duration_seconds``."""

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started = time.perf_counter()
        super().handle(client, req)
        if req.type == "slash_commands" and req.payload.get("command") == "/case":
            CASE_REQUESTS.observe(time.perf_counter() - started)


class DatabaseCollector(Collector):
    """The figures read from the database at each scrape (milliseconds on a
    1M-item database; the item count is refreshed every
    :data:`ITEMS_RECOUNT_SECONDS`), and whether this process polls."""

    def __init__(self, databases: ThreadDatabases, polling: Callable[[], bool]):
        self.databases = databases
        self.polling = polling
        self._items = (0, float("-inf"))  # (count, when counted, monotonic)
        self._items_lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        db = self.databases.get()
        now = datetime.now(UTC)
        feeds = feed_vitals(db, now)
        by_health = GaugeMetricFamily("casewatch_feeds", "Feeds by health, as /feeds shows it", labels=["health"])
        for state in FEED_HEALTHS:
            by_health.add_metric([state], sum(1 for feed in feeds if feed.health == state))
        yield by_health
        since = GaugeMetricFamily(
            "casewatch_feed_seconds_since_success",
            "Seconds since the feed's last successful poll (catalog and /feeds add feeds; absent until one)",
            labels=["feed_id", "feed"],
        )
        for feed in feeds:
            if feed.operator_chosen and feed.seconds_since_success is not None:
                since.add_metric([str(feed.id), feed.name], feed.seconds_since_success)
        yield since
        yield GaugeMetricFamily("casewatch_items_stored", "Items stored", value=self._items_stored())
        alerts = GaugeMetricFamily("casewatch_alerts", "Alerts by state (see README)", labels=["status"])
        for state, number in alert_counts(db).items():
            alerts.add_metric([state], number)
        yield alerts
        yield GaugeMetricFamily(
            "casewatch_oldest_pending_alert_age_seconds",
            "How long the oldest alert waiting to be sent has waited (0: none waits)",
            value=oldest_pending_seconds(db, now),
        )
        yield GaugeMetricFamily(
            "casewatch_polling_lease_held", "1 if this process holds the polling lease", value=int(self.polling())
        )

    def _items_stored(self) -> int:
        with self._items_lock:
            count, counted_at = self._items
            if time.monotonic() - counted_at >= ITEMS_RECOUNT_SECONDS:
                self._items = (count := items_stored(self.databases.get()), time.monotonic())
            return count


def registry(database: DatabaseCollector) -> CollectorRegistry:
    """This process's registry: the module's counters and histograms, the
    database's figures, and the process's own (CPU, memory, open files)."""
    exposed = CollectorRegistry()
    for collector in (SENDS, POLLS, CASE_REQUESTS, database):
        exposed.register(collector)
    ProcessCollector(registry=exposed)
    return exposed


def exposition(exposed: CollectorRegistry) -> Callable[[], bytes]:
    """The text ``GET /metrics`` answers."""
    return lambda: generate_latest(exposed)
