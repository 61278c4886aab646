"""Casewatch's closed sets of words, as string enums.

Each member equals its string (``WatchMode.DAILY == "daily"``), so values go
into SQL and JSON unchanged and rows read back compare equal to members.
The sets the schema constrains with ``CHECK (column IN (...))`` must stay
equal to these enums: ``tests/test_vocabulary.py`` reads the migrated
schema and fails when one changes without the other.
"""

from __future__ import annotations

from enum import StrEnum


class FeedKind(StrEnum):
    """Who publishes a feed (``feeds.kind``). News items join cases, they never open one."""

    REGULATOR = "regulator"
    COURT = "court"
    NEWS = "news"


class FeedSource(StrEnum):
    """How a feed came to be polled (``feeds.source``)."""

    CATALOG = "catalog"  # the catalog file
    COMMAND = "command"  # an admin's /feeds add
    WATCH = "watch"  # a news search following a watched name


class WatchKind(StrEnum):
    """What a watch follows (``watches.kind``)."""

    NAME = "name"
    DOCKET = "docket"
    CASE = "case"


class WatchMode(StrEnum):
    """How a watch's alerts are delivered (``watches.mode``, ``alerts.mode``)."""

    INSTANT = "instant"
    DAILY = "daily"
    WEEKLY = "weekly"


class AlertStatus(StrEnum):
    """Where an alert is in the outbox (``alerts.status``; see ``storage.alerts``)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class FilterKind(StrEnum):
    """What a watch's hide filter hides (``watch_filters.kind``; see ``feeds.filters``)."""

    ACTION = "action"  # events of one kind of action
    ROUTINE = "routine"  # routine docket entries (appearances, summonses …)
    PHRASE = "phrase"  # items whose text holds the phrase as whole words


class CasePartyRole(StrEnum):
    """How a name is recorded on a case (``case_parties.role``)."""

    PLAINTIFF = "plaintiff"
    DEFENDANT = "defendant"
    ALIAS = "alias"


class Action(StrEnum):
    """The kind of action an item reports (``items.action``, ``events.action``)."""

    COMPLAINT = "complaint"
    INDICTMENT = "indictment"
    PLEA = "plea"
    VERDICT = "verdict"
    SENTENCING = "sentencing"
    SETTLEMENT = "settlement"
    JUDGMENT = "judgment"
    RULING = "ruling"
    DISMISSAL = "dismissal"
    ADMINISTRATIVE_PROCEEDING = "administrative proceeding"
    OPINION = "opinion"
    ORDER = "order"
    APPEAL = "appeal"
    FILING = "filing"  # any other docket entry
    NONE = "none"  # the item is about no case (a speech, statistics, a rule proposal)
    CASE_UPDATE = "update"  # an event whose items name no kind of action
