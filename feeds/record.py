"""What Casewatch reads from one feed item, as a plain JSON-ready record.

``python -m bot extract`` prints these records and ``bench.extraction`` scores
them against the labelled set, so both see exactly what polling sees: the item
goes through :func:`extract_item`, the one call that polling makes too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feeds.extract import Extraction, extract
from feeds.parse import parse_feed
from feeds.types import FeedItem, FeedSource, ParsedFeed, skipped_item

__all__ = ["FeedSource", "ReadItem", "extract_item", "extract_or_skip", "extraction_record", "read_feed"]


def extract_item(item: FeedItem, source: FeedSource, parsed: ParsedFeed) -> Extraction:
    """Extract one parsed item the way polling does (``bot.ingest`` calls this)."""
    return extract(
        title=item.title,
        summary=item.summary,
        author=item.author,
        feed_agency=source.agency,
        feed_kind=source.kind,
        feed_url=f"{source.url} {parsed.link or ''}",
        feed_title=parsed.title,
        link=item.link or "",
    )


def extract_or_skip(item: FeedItem, source: FeedSource, parsed: ParsedFeed) -> Extraction | str:
    """:func:`extract_item`; if it raises, how the feed's health names the item
    polling leaves out (``'guid': reason``): one bad item costs only itself."""
    try:
        return extract_item(item, source, parsed)
    except Exception as error:
        return skipped_item(item, error)


@dataclass(frozen=True)
class ReadItem:
    """One item of a feed with what was read from it (``error`` when extraction failed)."""

    index: int
    item: FeedItem
    extraction: Extraction | None
    error: str | None = None


def read_feed(body: bytes, source: FeedSource, *, fetched_at: datetime | None = None) -> list[ReadItem]:
    """Parse ``body`` and extract every item, in feed order. An item whose
    extraction raises is kept with its error (polling would skip it)."""
    parsed = parse_feed(body, base_url=source.url, court_feed=source.kind == "court", fetched_at=fetched_at)
    read = []
    for index, item in enumerate(parsed.items):
        try:
            read.append(ReadItem(index, item, extract_item(item, source, parsed)))
        except Exception as error:  # one bad item is reported, not fatal
            read.append(ReadItem(index, item, None, f"{type(error).__name__}: {error}"))
    return read


def parties(extraction: Extraction) -> list[dict[str, Any]]:
    """Every party with its role and aliases (plaintiffs first)."""
    named = [{"name": name, "role": extraction.plaintiff_role, "aliases": []} for name in extraction.plaintiffs]
    named += [
        {"name": party.name, "role": party.role, "aliases": list(party.aliases)} for party in extraction.defendants
    ]
    return named


def amounts(extraction: Extraction) -> list[dict[str, Any]]:
    """Money amounts with their kind (penalty, disgorgement, fine …; "other" where the text does not say)."""
    kinds = {amount.value: amount.kind for amount in extraction.amount_kinds}
    return [{"value": value, "kind": kinds.get(value, "other")} for value in extraction.amounts]


def extraction_record(read: ReadItem, *, case: dict[str, Any] | None = None) -> dict[str, Any]:
    """The extraction record of the issue-8 contract for one item."""
    item, extraction = read.item, read.extraction
    record: dict[str, Any] = {
        "index": read.index,
        "title": item.title,
        "link": item.link,
        "published": item.published_at,
    }
    if extraction is None:
        return record | {"error": read.error}
    named = parties(extraction)
    return record | {
        "dockets": [docket.display for docket in extraction.dockets],
        "docket_keys": [docket.key for docket in extraction.dockets],
        "court": extraction.court,
        "caption": extraction.caption,
        "parties": named,
        "aliases": [alias for party in named for alias in party["aliases"]],
        "action": extraction.action,
        "action_detail": extraction.action_detail,
        "amounts": amounts(extraction),
        "case": case,
        "mentions": [],
    }
