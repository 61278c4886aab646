"""Turn fetched feed bytes into clean items.

A plain RSS or Atom document is read by ``feeds.xmlfeed`` (expat through
ElementTree, about a tenth of feedparser's time), which gives exactly what
feedparser would give or declines; feedparser reads everything else
(malformed XML, DOCTYPEs, encodings, constructs the fast reader does not
model). Either way the same code below turns the entries into items.

feedparser only parses here: fetching is ``feeds.fetch``'s job, because
feedparser's own fetching has no timeout. Its HTML sanitiser and its
resolution of relative URIs inside HTML are off (a quarter of its time):
Casewatch keeps no HTML at all. ``clean_text`` turns every field into plain
text, the content of ``<script>``, ``<style>`` and ``<applet>`` elements is
dropped here as the sanitiser dropped it, links are resolved against the
feed's address here and kept only when they are absolute http(s), and
everything is escaped for Slack when a message is built.
"""

from __future__ import annotations

import hashlib
import logging
import re
import xml.sax
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import feedparser

from feeds.courtlistener import is_entry_link
from feeds.errors import FeedParseError
from feeds.text import clean_text
from feeds.times import aware
from feeds.types import FeedItem, ParsedFeed, describe_error
from feeds.xmlfeed import Entry, read_feed, relative_id

__all__ = [
    "FeedItem",
    "FeedParseError",
    "ParsedFeed",
    "describe_error",
    "parse_feed",
    "parse_feed_with_feedparser",
    "safe_link",
]

log = logging.getLogger(__name__)
_HTML_PAGE = re.compile(rb"<!doctype html|<html[\s>]", re.IGNORECASE)
# What feedparser's sanitiser dropped with its content (an unclosed one takes the rest).
_UNSAFE_ELEMENT = re.compile(r"<(script|style|applet)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
TITLE_LIMIT = 500
SUMMARY_LIMIT = 4000
EARLIEST_DATE = datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_GRACE = timedelta(days=1)


def safe_link(url: str | None, base: str | None = None) -> str | None:
    """``url`` (resolved against ``base`` when relative) if it is an absolute
    http(s) address, else None (no ``javascript:``)."""
    if not url:
        return None
    url = url.strip()
    try:
        if base and "://" not in url[:12]:
            url = urljoin(base, url)
        parts = urlsplit(url)
    except ValueError:  # a host urllib refuses ("https://[docs]/x"): no link, and the item or feed kept
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def safe_date(parsed: Sequence[object] | None, fetched_at: datetime) -> datetime | None:
    """An entry's date (feedparser's UTC ``struct_time``) as an aware datetime,
    or None when it is missing or impossible (year 0 or 1, month 13 …).

    Dates before 1900 are taken for placeholders and dropped; dates more than a
    day after ``fetched_at`` are clamped to it, so a wrong year cannot pin a
    case to the top of ``/case`` (a day's grace covers time zones).
    """
    if not parsed:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in parsed[:6])  # type: ignore[call-overload]
        when = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    if when < EARLIEST_DATE:
        return None
    return fetched_at if when > fetched_at + FUTURE_GRACE else when


def _published(entry: Entry, fetched_at: datetime) -> str | None:
    # dict.get: feedparser's own get() maps a missing published date to the updated one, with a warning.
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed") or _zoneless_date(entry)
    when = safe_date(parsed, fetched_at)
    return when.isoformat(timespec="seconds") if when else None


def _zoneless_date(entry: Entry) -> tuple[int, ...] | None:
    """The entry's RFC 822 date in UTC when feedparser could not read it: it
    drops ``Fri, 28 Jun 2024 15:02:00``, a date without a zone (taken as UTC)."""
    written = dict.get(entry, "published") or dict.get(entry, "updated")
    try:
        when = parsedate_to_datetime(written)
    except (TypeError, ValueError, IndexError):
        return None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return tuple(when.astimezone(UTC).timetuple())[:6]


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


_CHARACTER_REFERENCE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_NO_CHARACTER = 0x110000


def _code_point(reference: re.Match[bytes]) -> int:
    """The number a character reference names (:data:`_NO_CHARACTER` if it has too many digits to name one)."""
    hexadecimal, decimal = reference.groups()
    if len(hexadecimal or decimal) > 8:
        return _NO_CHARACTER
    return int(hexadecimal, 16) if hexadecimal is not None else int(decimal)


def repair_character_references(body: bytes) -> bytes:
    """``body`` with its numeric character references that name no character
    made valid: feedparser raised on them (``chr()`` past U+10FFFF, UTF-8 of a
    surrogate), and the whole feed failed at every poll. A UTF-16 surrogate
    pair (``&#55357;&#56832;``: an emoji as JavaScript escapes it, which some
    sites publish) becomes its character; any other surrogate, a number past
    U+10FFFF and ``&#0;`` (which PostgreSQL's text cannot hold) become U+FFFD,
    as HTML reads them."""
    if b"&#" not in body:
        return body
    references = list(_CHARACTER_REFERENCE.finditer(body))
    pieces: list[bytes] = []
    written = position = 0
    while position < len(references):
        reference = references[position]
        point = _code_point(reference)
        position += 1
        end = reference.end()
        if 0xD800 <= point <= 0xDBFF and position < len(references) and references[position].start() == end:
            low = _code_point(references[position])
            if 0xDC00 <= low <= 0xDFFF:
                point = 0x10000 + ((point - 0xD800) << 10) + (low - 0xDC00)
                end = references[position].end()
                position += 1
        elif 0 < point < 0xD800 or 0xDFFF < point < _NO_CHARACTER:
            continue  # names a character: left as written
        named = 0 < point <= 0x10FFFF and not 0xD800 <= point <= 0xDFFF
        pieces += [body[written : reference.start()], b"&#x%X;" % point if named else b"&#xFFFD;"]
        written = end
    return b"".join([*pieces, body[written:]]) if pieces else body


def without_nul_bytes(body: bytes) -> bytes:
    """``body`` with each NUL byte a space: feedparser kept them in the text,
    and PostgreSQL refused the item (its text cannot hold NUL). A UTF-16 or
    UTF-32 body (a NUL in its first four bytes) is left as it is."""
    if b"\x00" not in body or b"\x00" in body[:4]:
        return body
    return body.replace(b"\x00", b" ")


def parse_feed(body: bytes, *, base_url: str, court_feed: bool, fetched_at: datetime | None = None) -> ParsedFeed:
    """Parse ``body``; raise :class:`FeedParseError` when it holds no feed.

    An entry that cannot be read is left out (and named in ``skipped``); the
    others are kept."""
    fetched_at = aware(fetched_at, "fetched_at") if fetched_at is not None else datetime.now(UTC)
    body = _repaired(body)
    raw = read_feed(body, base_url)
    if raw is None:
        return _parse_repaired_with_feedparser(body, base_url, court_feed, fetched_at)
    return _parsed_feed(raw.title, raw.link, raw.entries, None, base_url, court_feed, fetched_at)


def _repaired(body: bytes) -> bytes:
    """What either reader reads: see :func:`without_nul_bytes` and :func:`repair_character_references`."""
    return repair_character_references(without_nul_bytes(body))


def parse_feed_with_feedparser(
    body: bytes, *, base_url: str, court_feed: bool, fetched_at: datetime | None = None
) -> ParsedFeed:
    """:func:`parse_feed` by feedparser alone: what ``feeds.xmlfeed`` must equal."""
    fetched_at = aware(fetched_at, "fetched_at") if fetched_at is not None else datetime.now(UTC)
    return _parse_repaired_with_feedparser(_repaired(body), base_url, court_feed, fetched_at)


def _parse_repaired_with_feedparser(body: bytes, base_url: str, court_feed: bool, fetched_at: datetime) -> ParsedFeed:
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if any(relative_id(entry) for entry in parsed.entries):
        # feedparser resolves a relative guid (unless isPermaLink="false") against
        # the feed's address, and items are stored under it: keep those keys.
        parsed = feedparser.parse(
            body, sanitize_html=False, resolve_relative_uris=False, response_headers={"content-location": base_url}
        )
    if not parsed.entries and not parsed.get("version"):
        if _HTML_PAGE.search(body[:4096]):
            raise FeedParseError("not a feed: the address returns an HTML page, not RSS or Atom")
        if parsed.bozo:
            raise FeedParseError(f"not a feed: {parsed.get('bozo_exception')}"[:300]) from parsed.get("bozo_exception")
        raise FeedParseError("not a feed: no RSS or Atom document found")
    problem = None
    if parsed.bozo and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        problem = f"malformed XML ({parsed.bozo_exception})"[:300]
    return _parsed_feed(
        parsed.feed.get("title"), parsed.feed.get("link"), parsed.entries, problem, base_url, court_feed, fetched_at
    )


def _parsed_feed(
    title: str | None,
    link: str | None,
    entries: Sequence[Entry],
    problem: str | None,
    base_url: str,
    court_feed: bool,
    fetched_at: datetime,
) -> ParsedFeed:
    """The feed's entries (feedparser's or ``feeds.xmlfeed``'s) as clean items."""
    items, skipped = [], []
    for entry in entries:
        try:
            items.append(_item(entry, base_url, court_feed, fetched_at))
        except Exception as error:  # one unreadable entry must not cost the feed
            label = str(entry.get("id") or entry.get("link") or "(no guid)")[:100]
            skipped.append(f"{label!r}: {describe_error(error)}")
            log.warning("feed %s: skipped entry %r: %s", base_url, label, describe_error(error))
    return ParsedFeed(
        title=_text(title, 300),
        link=safe_link(link, base_url),
        items=items,
        problem=problem,
        skipped=tuple(skipped),
    )


def _text(raw: str | None, limit: int) -> str:
    """Plain text of a field that may hold HTML (see the module's doc)."""
    if not raw:
        return ""
    if "<" not in raw and "&" not in raw and "]]>" not in raw:
        # No entity, tag, comment or CDATA marker: clean_text would only fold the white space (as
        # split() does) and cap the length (which it still does); a quarter of parsing's time otherwise.
        text = " ".join(raw.split())
        return text if len(text) <= limit else clean_text(text, limit)
    if "<" in raw:
        raw = _UNSAFE_ELEMENT.sub(" ", raw)
    return clean_text(raw, limit)


def _item(entry: Entry, base_url: str, court_feed: bool, fetched_at: datetime) -> FeedItem:
    summary = _text(entry.get("summary") or entry.get("description"), SUMMARY_LIMIT)
    title = _text(entry.get("title"), TITLE_LIMIT) or summary[:120] or "(untitled)"
    guid = (entry.get("id") or "").strip()[:1000] or None
    link = safe_link(entry.get("link"), base_url)
    published_at = _published(entry, fetched_at)
    return FeedItem(
        # A CourtListener entry's link names the entry itself; CM/ECF guids do not.
        key=item_key(guid, link, f"{title}\n{summary}\n{published_at}", court_feed and not is_entry_link(link)),
        guid=guid,
        link=link,
        title=title,
        summary=summary,
        author=_text(entry.get("author"), 200) or None,
        published_at=published_at,
    )
