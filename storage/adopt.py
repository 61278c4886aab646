"""News stories that arrived before their case join it once it exists.

News never opens a case (:func:`storage.joins.find_news_case` joins existing
ones), and every feed polls on its own schedule, so a story often arrives
before the agency's release or the court's docket entry that opens its case,
or before a later item adds the name or docket number the story gives. Such a
story (caseless, about a case) waits in ``news_waiting``, its words in
``news_waiting_words``. At the end of every batch of a feed that opens cases,
the waiting stories that name a case that gained names or docket numbers
since the last look (opened, or named anew) are found by those words, never
by reading all news, and put to the same rule as at arrival. One that the
rule now joins to one of those cases, dated at most :data:`news_window`
before that case's first event, joins it as it would have had it arrived
after it: the case's row is updated, its event is found or made in the case
(delivered alerts of a found event show the new source). It alerts no one:
its watchers were alerted when it arrived. A story that did alert keeps its
event, which joins the case with it: its alerts, sent or still to send, show
the story.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from sqlite_utils import Database

from feeds.extract import Extraction, agency_of_plaintiff, extract
from feeds.news import name_forms
from feeds.text import fold
from feeds.types import FeedItem, FeedPlan, StoredItem, describe_error
from storage.alerts import mark_event_changed
from storage.cases import join_case
from storage.database import savepoint, storage_reason
from storage.engine import each_text
from storage.events import event_key, join_event
from storage.joins import party_key

log = logging.getLogger(__name__)

news_window = timedelta(days=30)
"""How long before a case's first event a waiting story may be dated and still
join it (``CASEWATCH_NEWS_WINDOW_DAYS``, set by :func:`set_news_window`)."""

_CHUNK = 500  # SQL parameters a statement


def set_news_window(days: int) -> None:
    """The window of :data:`news_window`, in days (the bot sets it from its settings at start)."""
    global news_window
    news_window = timedelta(days=days)


def adopt_waiting_news(db: Database, plan: FeedPlan) -> int:
    """After ``plan``'s items are stored (inside its transaction): a news
    feed's stories that joined no case start waiting; after a feed that opens
    cases, the waiting stories that name a case that gained names or docket
    numbers since the last look (opened, or named anew) are put to the
    arrival rule, and join that case if it picks it. Returns the stories that
    joined a case. A story that fails is left waiting (it is tried again when
    a case it names gains a name or docket), logged, and costs no other."""
    if not plan.items:
        return 0
    if not plan.opens_cases:
        about_a_case = [p.item.key for p in plan.items if p.extraction.news and p.extraction.news.about_a_case]
        _start_waiting(db, plan.feed_id, about_a_case)
        return 0
    cases = _cases_named_anew(db)
    if not cases or db.execute("SELECT 1 FROM news_waiting LIMIT 1").fetchone() is None:
        return 0
    gained = _gained(db, cases)
    adopted = 0
    for story in _waiting_stories(db, gained):
        try:
            with savepoint(db, "adopt_story"):
                adopted += _adopt(db, story, gained)
        except _Declined:
            continue
        except Exception as error:
            if storage_reason(error) is not None:
                raise
            log.warning("news item %s could not join its case: %s", story.id, describe_error(error))
    return adopted


class _Declined(Exception):
    """The rule joins the story to none of the batch's cases: undo what looking wrote."""


def _chunks(values: Sequence[object]) -> Iterable[Sequence[object]]:
    return (values[start : start + _CHUNK] for start in range(0, len(values), _CHUNK))


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


_NEWLY_CASELESS = (
    "SELECT id, event_at, title, summary FROM items WHERE feed_id = ? AND case_id IS NULL AND item_key IN ({})"
)
_INSERT_WORD = "INSERT INTO news_waiting_words (word, item_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
_DELETE_WORD = "DELETE FROM news_waiting_words WHERE word = ? AND item_id = ?"


def story_words(title: str, summary: str) -> set[str]:
    """The distinct folded words (two characters or more) by which a waiting story is found."""
    return {word for word in fold(f"{title}\n{summary}").split() if len(word) >= 2}


def _start_waiting(db: Database, feed_id: int, keys: list[str]) -> None:
    """The feed's items of ``keys`` that joined no case wait for it, found by their words."""
    for chunk in _chunks(keys):
        for item_id, event_at, title, summary in db.execute(
            _NEWLY_CASELESS.format(_marks(chunk)), [feed_id, *chunk]
        ).fetchall():
            db.execute(
                "INSERT INTO news_waiting (item_id, event_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [item_id, event_at]
            )
            db.conn.executemany(_INSERT_WORD, [(word, item_id) for word in story_words(title, summary)])


def _stop_waiting(db: Database, item_id: int, title: str, summary: str) -> None:
    db.execute("DELETE FROM news_waiting WHERE item_id = ?", [item_id])
    db.conn.executemany(_DELETE_WORD, [(word, item_id) for word in story_words(title, summary)])


_SEEN = (
    "SELECT party_rowid, docket_rowid, (SELECT coalesce(max(rowid), 0) FROM case_parties), "
    "(SELECT coalesce(max(rowid), 0) FROM case_dockets) FROM news_names_seen"
)
_GAINED = "SELECT case_id FROM case_parties WHERE rowid > ? UNION SELECT case_id FROM case_dockets WHERE rowid > ?"


def _cases_named_anew(db: Database) -> list[int]:
    """The cases that gained names or docket numbers since the last look
    (opened, or named anew), marked seen. Rows are numbered in the order
    written, so those after the last look are what batches added since,
    whatever wrote them: the usual batch, which adds none, costs one read."""
    party_seen, docket_seen, party_last, docket_last = db.execute(_SEEN).fetchone()
    if (party_seen, docket_seen) == (party_last, docket_last):
        return []
    db.execute("UPDATE news_names_seen SET party_rowid = ?, docket_rowid = ?", [party_last, docket_last])
    return sorted(case_id for (case_id,) in db.execute(_GAINED, [party_seen, docket_seen]))


@dataclass
class _Gained:
    """The cases that gained names or docket numbers: their defendants' and
    aliases' names, their dockets' short forms, each case's first event and
    agency; and what a story that one of them would join names (folded, as
    :func:`feeds.news.names_in` finds it), worked out only for a batch that
    has stories to check."""

    names: list[tuple[int, str]] = field(default_factory=list)
    dockets: list[tuple[int, str]] = field(default_factory=list)
    first_event_at: dict[int, str] = field(default_factory=dict)
    agency: dict[int, str | None] = field(default_factory=dict)

    def lookup_words(self) -> list[str]:
        """The words a story that names one of the cases holds one of: the
        first or last word of a name's key (the first words of every form
        :func:`feeds.news.name_forms` makes of it: the whole name, its first
        words, a surname), a docket's serial number."""
        words = {
            word for _, name in self.names for key in [party_key(name).split()] if key for word in (key[0], key[-1])
        }
        return sorted(words | set(self.by_docket))

    @cached_property
    def by_name(self) -> dict[str, set[int]]:
        """Every form under which news names a defendant or alias (not an agency named as a party) → its cases."""
        forms: dict[str, set[int]] = {}
        for case_id, name in self.names:
            if agency_of_plaintiff([name]) is None:
                for form in name_forms(name):
                    forms.setdefault(form, set()).add(case_id)
        return forms

    @cached_property
    def by_docket(self) -> dict[str, set[int]]:
        """Every docket's serial number, with and without its zeros (``01599``, ``1599``: stories write either) → its cases."""
        tokens: dict[str, set[int]] = {}
        for case_id, short in self.dockets:
            number = short.rsplit("-", 1)[-1]
            for token in {number, number.lstrip("0")}:
                if len(token) >= 2:
                    tokens.setdefault(token, set()).add(case_id)
        return tokens

    def in_window(self, cases: set[int], event_at: str) -> set[int]:
        """Those of ``cases`` that a story of ``event_at`` is not too old to join."""
        return {case for case in cases if event_at >= window_start(self.first_event_at[case])}

    def named_in(self, text: str) -> tuple[set[int], set[int]]:
        """The cases that ``text`` names: (by a party's name, by a docket number)."""
        padded = f" {fold(text)} "
        return tuple(  # type: ignore[return-value]
            {case for form, cases in forms.items() if f" {form} " in padded for case in cases}
            for forms in (self.by_name, self.by_docket)
        )


_CASE_NAMES = "SELECT case_id, name FROM case_parties WHERE role IN ('defendant', 'alias') AND case_id IN ({})"
_CASE_DOCKETS = "SELECT case_id, docket_short FROM case_dockets WHERE case_id IN ({})"
_CASES = "SELECT id, coalesce(first_event_at, ''), agency FROM cases WHERE id IN ({})"


def _gained(db: Database, cases: list[int]) -> _Gained:
    """What is known of ``cases`` that decides which waiting stories may join them."""
    gained = _Gained()
    for chunk in _chunks(cases):
        marks = _marks(chunk)
        gained.names += db.execute(_CASE_NAMES.format(marks), list(chunk)).fetchall()
        gained.dockets += db.execute(_CASE_DOCKETS.format(marks), list(chunk)).fetchall()
        for case_id, first, agency in db.execute(_CASES.format(marks), list(chunk)):
            gained.first_event_at[case_id] = first
            gained.agency[case_id] = agency
    return gained


def window_start(first_event_at: str) -> str:
    """The earliest time a story may be dated to join a case first heard of at ``first_event_at``."""
    try:
        return (datetime.fromisoformat(first_event_at) - news_window).isoformat()
    except ValueError:
        return first_event_at


class WaitingStory(NamedTuple):
    """A waiting story's item and its feed (see :data:`_WAITING`)."""

    id: int
    key: str
    link: str | None
    title: str
    summary: str
    author: str | None
    published_at: str | None
    event_at: str
    event_id: int
    case_id: int | None
    feed_url: str
    feed_kind: str
    feed_agency: str | None


_WAITING = (
    "SELECT items.id, items.item_key, items.link, items.title, items.summary, items.author, "
    "items.published_at, items.event_at, items.event_id, items.case_id, feeds.url, feeds.kind, feeds.agency "
    "FROM news_waiting JOIN items ON items.id = news_waiting.item_id JOIN feeds ON feeds.id = items.feed_id "
    "WHERE news_waiting.event_at >= ?1 AND news_waiting.item_id IN "
    "(SELECT item_id FROM news_waiting_words WHERE word IN ({words})) "
    "ORDER BY items.id"
)


def _waiting_stories(db: Database, gained: _Gained) -> list[WaitingStory]:
    """The waiting stories that may name a case of ``gained`` (by
    :meth:`_Gained.lookup_words`), dated at most the window before the
    earliest of their first events; oldest stored first."""
    if not gained.first_event_at:
        return []
    since = min(window_start(first) for first in gained.first_event_at.values())
    query = _WAITING.format(words=each_text(db, "?2"))
    return [WaitingStory(*row) for row in db.execute(query, [since, json.dumps(gained.lookup_words())])]


def _adopt(db: Database, story: WaitingStory, gained: _Gained) -> int:
    """Join the story to its case if the arrival rule now picks one of the
    ``gained`` cases that the story names, within that case's window; returns
    1 if it joined. What the rule cannot pick is ruled out first, cheaply: a
    story names its case, and a story with an agency joins by name only a case
    of that agency (or of none)."""
    item_id, title, summary, event_at, old_event = story.id, story.title, story.summary, story.event_at, story.event_id
    if story.case_id is not None:  # joined meanwhile by other means: it waits no longer
        _stop_waiting(db, item_id, title, summary)
        return 0
    by_name, by_docket = (gained.in_window(cases, event_at) for cases in gained.named_in(f"{title}\n{summary}"))
    if not (by_name or by_docket):
        return 0
    extraction = extract(
        title=title,
        summary=summary,
        author=story.author,
        feed_agency=story.feed_agency,
        feed_kind=story.feed_kind,
        feed_url=story.feed_url,
        link=story.link or "",
    )
    if extraction.news is None or not extraction.news.about_a_case:
        _stop_waiting(db, item_id, title, summary)
        return 0
    if extraction.agency:
        by_name = {case for case in by_name if gained.agency[case] in (extraction.agency, None)}
    if not (by_name or by_docket):
        return 0
    joined = join_case(db, extraction, event_at, may_open=False)  # as at arrival: the case's dates, agency, court
    if joined.case_id not in by_name | by_docket:
        raise _Declined
    if db.execute("SELECT 1 FROM alerts WHERE event_id = ? LIMIT 1", [old_event]).fetchone():
        # Its alerts (sent, or still to send) show the story: its event goes with it into the case.
        db.execute("UPDATE events SET case_id = ? WHERE id = ?", [joined.case_id, old_event])
        event_id = old_event
    else:
        event_id = _join_event_as_on_arrival(db, story, joined.case_id, extraction)
    db.execute("UPDATE items SET case_id = ?, event_id = ? WHERE id = ?", [joined.case_id, event_id, item_id])
    # Membership wins: the story no longer mentions the case it is now about.
    db.execute("DELETE FROM case_mentions WHERE case_id = ? AND item_id = ?", [joined.case_id, item_id])
    db.execute(
        "DELETE FROM events WHERE id = ?1 AND case_id IS NULL AND NOT EXISTS (SELECT 1 FROM items WHERE event_id = ?1)",
        [old_event],
    )
    _stop_waiting(db, item_id, title, summary)
    return 1


def _join_event_as_on_arrival(db: Database, story: WaitingStory, case_id: int | None, extraction: Extraction) -> int:
    """The case's event the story would have joined on arrival, found or made
    (a made one alerts no one: see the module's doc; a found one that was
    alerted shows the new source, as on arrival)."""
    item = FeedItem(story.key, None, story.link, story.title, story.summary, story.author, story.published_at)
    stored = StoredItem(story.id, case_id, story.event_at, item, extraction)
    event_id, is_new = join_event(db, event_key(stored), first_item_id=story.id, routine=extraction.routine)
    if not is_new:
        mark_event_changed(db, event_id)
    return event_id
