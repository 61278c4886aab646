"""The value types that ``feeds/``, ``storage/`` and the ingest pipeline share.

``feeds/`` makes them (a parsed item, its docket numbers and parties, a
feed's plan), ``storage/`` stores them, ``bot.ingest`` carries them from one
to the other. Plain frozen data, nothing here reads the network or the
database, so ``storage/`` may import this module and ``feeds/`` never
imports ``storage/``.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.extract import Extraction


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
    skipped: tuple[str, ...] = ()
    """Entries that could not be read at all, each as ``'guid': reason``."""


@dataclass(frozen=True)
class FeedSource:
    """Where a feed was published and what kind of source it is (as in the catalog)."""

    url: str
    kind: str
    agency: str | None


@dataclass(frozen=True)
class Docket:
    """A docket number in normalised form.

    ``key`` identifies the case across spellings (``23-cv-01599``); ``short``
    drops the case type for labels that omit it (``23-01599``); ``display`` is
    what people read (``1:23-cv-01599``).
    """

    display: str
    key: str
    short: str


@dataclass(frozen=True)
class Party:
    name: str
    aliases: tuple[str, ...] = ()
    role: str = "defendant"
    """The answering side's role: defendant, respondent, debtor, petitioner (see feeds.party_roles)."""


@dataclass(frozen=True)
class StoredItem:
    """A newly stored item, with what the matcher and the outbox need."""

    id: int
    case_id: int | None
    event_at: str
    item: FeedItem
    extraction: Extraction


# --- a feed's plan: what polling decided, for storage to apply in one call -------


@dataclass(frozen=True)
class PlannedItem:
    """A new item and what was read from it. ``keep_if_known``: an entry of a
    busy court feed that names no watch, kept only if it joins a case already known."""

    item: FeedItem
    extraction: Extraction
    keep_if_known: bool = False


@dataclass(frozen=True)
class FeedHealth:
    """What to record of a feed after a poll: healthy (with the validators of
    the answer), or failing for ``reason`` (validators kept, so the next poll
    fetches it all again)."""

    ok: bool
    next_poll_at: str
    reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class HealthPlan:
    """The feed's health, decided before its items are stored; an item that
    then cannot be stored turns a healthy poll into a failing one."""

    next_poll_at: str
    retry_at: str
    """When to poll again after a problem (the backoff)."""
    etag: str | None = None
    last_modified: str | None = None
    problem: str | None = None
    """The feed's own problem (malformed XML), already worded."""
    skipped: tuple[str, ...] = ()
    """Items left out before storing (unreadable, extraction failed)."""

    def after(self, skipped_while_storing: list[str]) -> FeedHealth:
        """The health to record once the items are stored."""
        problems = [self.problem] if self.problem else []
        skipped = [*self.skipped, *skipped_while_storing]
        if skipped:
            more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
            problems.append(f"{count(len(skipped), 'item')} could not be stored: {skipped[0]}{more}")
        if problems:
            return FeedHealth(ok=False, next_poll_at=self.retry_at, reason="; ".join(problems))
        return FeedHealth(ok=True, next_poll_at=self.next_poll_at, etag=self.etag, last_modified=self.last_modified)


@dataclass(frozen=True)
class FeedPlan:
    """Everything storing one feed's poll needs, decided without the database:
    the new items oldest first, whether they may open cases (news only joins),
    which alerts are too old (a first poll's backlog) and the health to record."""

    feed_id: int
    items: tuple[PlannedItem, ...]
    opens_cases: bool
    alert_since: str | None
    health: HealthPlan


@dataclass(frozen=True)
class StoredBatch:
    """What storing a plan did."""

    new_items: int
    alerts: int
    skipped: tuple[str, ...]
    health: FeedHealth


def describe_error(error: BaseException) -> str:
    """One line naming an unexpected error and where it was raised, for logs and feed health."""
    where = ""
    if error.__traceback__ is not None:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        where = f" at {Path(frame.filename).name}:{frame.lineno}"
    return f"{type(error).__name__}: {error}"[:200] + where


def skipped_item(item: FeedItem, error: BaseException) -> str:
    """How a left-out item is named in the feed's health: ``'guid': reason``."""
    return f"{(item.guid or item.link or item.title)[:100]!r}: {describe_error(error)}"


def count(number: int, noun: str) -> str:
    """``1 item``, ``3 items``."""
    return f"{number} {noun}{'s' if number != 1 else ''}"


@dataclass(frozen=True)
class PollOutcome:
    feed: str
    status: str  # "new" | "unchanged" | "error" | "busy" (its host was busy: not polled, try again soon)
    new_items: int = 0
    seen_items: int = 0
    error: str | None = None
    retry_after: float | None = None
    alerts: int = 0
    skipped: int = 0

    def summary(self) -> str:
        if self.status == "error":
            return f"{self.feed}: error: {self.error}"
        if self.status == "busy":
            return f"{self.feed}: not polled: {self.error}"
        skipped = f", {count(self.skipped, 'item')} skipped" if self.skipped else ""
        if self.status == "unchanged" and not skipped:
            return f"{self.feed}: unchanged"
        alerts = f", {count(self.alerts, 'alert')} queued" if self.alerts else ""
        return f"{self.feed}: {self.new_items} new of {self.seen_items}{alerts}{skipped}"
