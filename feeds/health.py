"""A feed's health at a glance, and how long to wait before polling it again.

- *failing*: the last poll failed; polls back off exponentially (the feed's
  interval, doubled per consecutive failure, capped at 6 hours, never sooner
  than the server's Retry-After) and the first success clears it.
- *quiet*: nothing new for far longer than the feed's usual rhythm (five times
  the median gap between its recent items, at least a day, at most 30 days;
  a week while it has too few items to tell).
- *paused*: an admin paused it.
- *pending*: it has not been polled yet (neither success nor failure), so
  nothing is known about it: never shown as *ok*.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from feeds.times import aware, from_iso

MAX_BACKOFF = timedelta(hours=6)
QUIET_FACTOR = 5
QUIET_MIN = timedelta(days=1)
QUIET_MAX = timedelta(days=30)
QUIET_UNKNOWN_RHYTHM = timedelta(days=7)


def backoff(interval: timedelta, failures: int, retry_after: float | None = None) -> timedelta:
    """How long after the ``failures``-th failure in a row to poll again."""
    delay = min(MAX_BACKOFF, interval * (2 ** max(0, failures - 1)))
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def quiet_after(item_times: list[datetime]) -> timedelta:
    """How long without new items is unusual for a feed with these item times."""
    ordered = sorted(item_times)
    gaps = [later - earlier for earlier, later in itertools.pairwise(ordered) if later > earlier]
    if len(gaps) < 4:
        return QUIET_UNKNOWN_RHYTHM
    return min(QUIET_MAX, max(QUIET_MIN, statistics.median(gaps) * QUIET_FACTOR))


@dataclass(frozen=True)
class Health:
    state: str  # ok | failing | quiet | paused | pending
    since: str | None = None
    detail: str | None = None

    def describe(self) -> str:
        if self.state == "failing":
            return f"failing since {self.since[:16].replace('T', ' ')} UTC: {self.detail}"
        if self.state == "quiet":
            return f"quiet since {self.since[:10]} (nothing new for {self.detail})"
        if self.state == "pending":
            return "pending: not polled yet"
        return self.state


def health(
    *,
    paused: bool,
    failing_since: str | None,
    last_error: str | None,
    last_new_item_at: str | None,
    created_at: str,
    item_times: list[datetime],
    now: datetime,
    never_polled: bool = False,
) -> Health:
    now = aware(now, "now")
    if paused:
        return Health("paused")
    if failing_since:
        return Health("failing", failing_since, last_error)
    if never_polled:
        return Health("pending")
    last_new = from_iso(last_new_item_at or created_at)
    limit = quiet_after(item_times)
    if now - last_new > limit:
        return Health("quiet", last_new.isoformat(), f"over {_days(limit)}")
    return Health("ok")


def _days(span: timedelta) -> str:
    if span >= timedelta(days=2):
        return f"{span.days} days"
    return f"{int(span.total_seconds() // 3600)} hours"
