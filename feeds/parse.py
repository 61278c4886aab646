"""Turn fetched feed bytes into clean items with feedparser.

feedparser only parses here: fetching is ``feeds.fetch``'s job, because
feedparser's own fetching has no timeout.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser

from feeds.text import clean_text

_HTML_PAGE = re.compile(rb"<!doctype html|<html[\s>]", re.IGNORECASE)
TITLE_LIMIT = 500
SUMMARY_LIMIT = 4000


class FeedParseError(Exception):
    """The bytes are not a feed feedparser can read."""


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, cleaned: plain text, http(s) links only, UTC time."""

    key: str
    guid: str | None
    link: str | None
    title: str
    summary: str
    author: str | None
    published_at: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    items: list[FeedItem]
    problem: str | None = None
    """Set when the XML is malformed but some items could still be read."""


def safe_link(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) address, else None (no ``javascript:``)."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _published(entry: feedparser.FeedParserDict) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat(timespec="seconds")


def item_key(guid: str | None, link: str | None, entry_text: str, entry_text_identifies: bool) -> str:
    """The identity under which an item is stored once.

    The feed's guid, else its link. Court (CM/ECF) feeds reuse one guid for
    several docket entries, so there the entry's text and time are part of it.
    """
    base = guid or link or ""
    if entry_text_identifies or not base:
        digest = hashlib.sha256(entry_text.encode()).hexdigest()[:16]
        return f"{base}#{digest}"
    return base


def parse_feed(body: bytes, *, base_url: str, court_feed: bool) -> ParsedFeed:
    """Parse ``body``; raise :class:`FeedParseError` when it holds no feed."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    if not parsed.entries and not parsed.get("version"):
        if _HTML_PAGE.search(body[:4096]):
            raise FeedParseError("not a feed: the address returns an HTML page, not RSS or Atom")
        if parsed.bozo:
            raise FeedParseError(f"not a feed: {parsed.get('bozo_exception')}"[:300])
        raise FeedParseError("not a feed: no RSS or Atom document found")
    items = []
    for entry in parsed.entries:
        summary = clean_text(entry.get("summary") or entry.get("description"), SUMMARY_LIMIT)
        title = clean_text(entry.get("title"), TITLE_LIMIT) or summary[:120] or "(untitled)"
        guid = (entry.get("id") or "").strip()[:1000] or None
        link = safe_link(entry.get("link"))
        published_at = _published(entry)
        items.append(
            FeedItem(
                key=item_key(guid, link, f"{title}\n{summary}\n{published_at}", court_feed),
                guid=guid,
                link=link,
                title=title,
                summary=summary,
                author=clean_text(entry.get("author"), 200) or None,
                published_at=published_at,
            )
        )
    problem = None
    if parsed.bozo and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        problem = f"malformed XML ({parsed.bozo_exception})"[:300]
    return ParsedFeed(
        title=clean_text(parsed.feed.get("title"), 300),
        link=safe_link(parsed.feed.get("link")),
        items=items,
        problem=problem,
    )
