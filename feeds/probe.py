"""Checking that a URL answers with a readable feed, before it is saved or
when the catalog is checked."""

from __future__ import annotations

from dataclasses import dataclass

from feeds.errors import FeedParseError, FetchError, NotAFeed
from feeds.fetch import Fetcher
from feeds.parse import FeedItem, parse_feed
from feeds.sources import classify
from feeds.vocabulary import FeedKind


@dataclass(frozen=True)
class Probe:
    url: str
    title: str
    kind: FeedKind
    agency: str
    items: list[FeedItem]


def probe(fetcher: Fetcher, url: str) -> Probe:
    """Fetch ``url`` and parse it; it must be a feed with at least one item."""
    url = url.strip().strip("<>")
    kind, agency = classify(url)
    try:
        fetched = fetcher.fetch(url)
        parsed = parse_feed(fetched.body, base_url=fetched.url, court_feed=kind == FeedKind.COURT)
    except FetchError as error:
        raise NotAFeed(f"Could not fetch it: {error}.") from error
    except FeedParseError as error:
        raise NotAFeed(f"It does not answer with a feed ({error}).") from error
    if not parsed.items:
        raise NotAFeed("It is a feed, but it has no items to read.")
    return Probe(url, parsed.title or (url.split("/")[2] if "//" in url else url), kind, agency, parsed.items)
