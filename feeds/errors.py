"""Why a feed step failed: one hierarchy for fetching, parsing and checking feeds.

``str()`` of each is a short reason for people (it is shown in the feed's
health and in ``/feeds``); the underlying error, when there is one, is the
``__cause__`` (raised ``from`` it), so logs and debuggers see what really
happened. ``retry_after`` is how long the server asked us to wait (a 429's or
503's ``Retry-After``), in seconds, when it said.
"""

from __future__ import annotations


class FeedError(Exception):
    """A feed could not be polled, read or used; the message says why, for people."""

    def __init__(self, reason: str, *, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class FetchError(FeedError):
    """The feed could not be fetched (refused address, network, HTTP status, size, deadline)."""


class HostBusy(FetchError):
    """Another request to the same host is under way (not the feed's fault: try again soon)."""


class FeedParseError(FeedError):
    """The bytes are not a feed feedparser can read."""


class NotAFeed(FeedError):
    """A URL cannot be used as a feed (checked before it is added); the message says why."""


class FeedReadError(FeedError):
    """The feed's body could not be read in a worker process: reading it took
    too long, or every process that read it died (see :mod:`bot.read_workers`)."""
