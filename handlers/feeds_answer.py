"""The feed list for /feeds and ``python -m bot feeds``: health at a glance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from feeds.health import Health
from handlers.mrkdwn import escape, slack_date, truncate
from storage.feeds import Feed, feed_health, listed_feeds

FEEDS_HELP = (
    "`/feeds` lists every feed and its health. Admins can also: `/feeds add <url> [name]` · "
    "`/feeds pause <name or number>` · `/feeds resume <…>` · `/feeds remove <…>` · `/feeds poll <…>`\n"
    "Examples: `/feeds add https://www.sec.gov/news/pressreleases.rss SEC press` · `/feeds pause 3` · "
    '`/feeds poll "SEC press"`'
)


@dataclass(frozen=True)
class FeedStatus:
    position: int
    feed: Feed
    health: Health


def feed_statuses(db: Database, now: datetime | None = None) -> list[FeedStatus]:
    now = now or datetime.now(UTC)
    return [
        FeedStatus(
            position,
            feed,
            feed_health(db, feed, now),
        )
        for position, feed in enumerate(listed_feeds(db), 1)
    ]


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") + " UTC" if iso else "never"


def _slack_when(iso: str | None) -> str:
    """A time in the reader's own zone (Slack's date formatting)."""
    return slack_date(iso, with_time=True, missing="never")


def _next_poll(feed: Feed, status: Health, when: Callable[[str | None], str]) -> str:
    if status.state == "paused":
        return "—"
    return when(feed.next_poll_at) if feed.next_poll_at else "at the next run"


def _facts(status: FeedStatus, when: Callable[[str | None], str], text: Callable[[str], str]) -> list[str]:
    """A feed's facts in two lines: ``when`` shows a time, ``text`` shows untrusted text."""
    feed = status.feed
    stored = f"{feed.items_stored:,} item{'s' if feed.items_stored != 1 else ''}"
    return [
        f"{text(feed.agency or '—')} · {text(feed.kind)} · every {feed.interval_minutes} min · {stored}",
        f"last success {when(feed.last_success_at)} · next poll {_next_poll(feed, status.health, when)}",
    ]


def _slack_health(status: Health) -> str:
    """:meth:`Health.describe` in mrkdwn, its date in the reader's time zone."""
    if status.state == "failing" and status.since:
        return f"failing since {_slack_when(status.since)}: {escape(truncate(status.detail or '', 200))}"
    if status.state == "quiet" and status.since:
        return f"quiet since {slack_date(status.since)} (nothing new for {escape(truncate(status.detail or '', 100))})"
    return escape(truncate(status.describe(), 200))


def slack_feed_list(statuses: list[FeedStatus]) -> str:
    if not statuses:
        return "No feeds yet. " + FEEDS_HELP
    icons = {
        "ok": ":large_green_circle:",
        "failing": ":red_circle:",
        "quiet": ":large_yellow_circle:",
        "pending": ":white_circle:",  # drawn grey: nothing known yet
        "paused": ":double_vertical_bar:",
    }
    lines = [f"*Feeds ({len(statuses)})*"]
    for status in statuses:
        feed = status.feed
        lines.append(
            f"{icons[status.health.state]} *{status.position}. {escape(feed.name)}* · {_slack_health(status.health)}"
        )
        lines += [f"      {fact}" for fact in _facts(status, _slack_when, escape)]
    return "\n".join(lines)


# The colour of each health on a terminal (ANSI): pending and paused grey, as in Slack.
TERMINAL_COLOURS = {"ok": "32", "failing": "31", "quiet": "33", "pending": "90", "paused": "90"}


def plain_feed_list(statuses: list[FeedStatus], *, colour: bool = False) -> str:
    """The feed list as text; with ``colour``, each health in its colour (for a terminal)."""
    if not statuses:
        return "No feeds."
    lines = []
    for status in statuses:
        health = status.health.describe()
        if colour:
            health = f"\x1b[{TERMINAL_COLOURS[status.health.state]}m{health}\x1b[0m"
        lines.append(f"{status.position:>3}. {status.feed.name} [{health}]")
        lines += [f"     {fact}" for fact in _facts(status, _when, str)]
        lines.append(f"     {status.feed.url}")
    return "\n".join(lines)
