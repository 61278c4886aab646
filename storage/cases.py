"""Cases: items from every feed about one matter, grouped.

An item joins an existing case that has the same docket number (in any of its
forms, unless the courts differ), else the same caption, else (when it gives no
docket) the same agency and the same set of defendants. Otherwise it opens a
new case, if it names anything a case can be known by. An item about no case
(action "none": a speech, statistics, a rule proposal) joins and opens none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlite_utils import Database

from feeds.extract import Extraction
from feeds.types import Docket
from feeds.vocabulary import Action
from storage.database import now_iso
from storage.engine import each_int, each_text, insert_id
from storage.fulltext import full_text
from storage.joins import BatchSurnames, find_news_case, find_release_case, party_key
from storage.related import RELATED_SHOWN, RelatedCase, display_caption, link_cases
from storage.status import statuses_of_cases


def _coalesce(known: str | None, new: str | None) -> str | None:
    return new if known is None else known


def _sql_min(known: str | None, new: str) -> str | None:
    """The first event as :data:`_UPDATE_CASE` leaves it (SQLite's ``min(known, new)``): NULL stays NULL."""
    return None if known is None else min(known, new)


def _sql_max(known: str | None, new: str) -> str | None:
    """The last event as :data:`_UPDATE_CASE` leaves it (SQLite's ``max(known, new)``): NULL stays NULL."""
    return None if known is None else max(known, new)


def _court_conflict(known: str | None, new: str | None) -> bool:
    return bool(known and new and known != new)


def _defendant_keys(db: Database, case_id: int) -> set[str]:
    rows = db.execute("SELECT name_key FROM case_parties WHERE case_id = ? AND role = 'defendant'", [case_id])
    return {key for (key,) in rows}


def _has_dockets(db: Database, case_id: int) -> bool:
    return db.execute("SELECT 1 FROM case_dockets WHERE case_id = ? LIMIT 1", [case_id]).fetchone() is not None


def cases_with_docket(db: Database, docket: Docket) -> list[tuple[int, str | None]]:
    """(case id, court) of every case known by this docket number, most recently
    active first. A typed number (``23-cv-01599``) matches the same type or a
    typeless form (``Case No. 23-1599``); a typeless one matches any type."""
    if docket.key != docket.short:
        where, params = "docket_key = ? OR (docket_short = ? AND docket_key = docket_short)", [docket.key, docket.short]
    else:
        where, params = "docket_short = ?", [docket.short]
    rows = db.execute(
        f"SELECT DISTINCT case_dockets.case_id, case_dockets.court, cases.last_event_at FROM case_dockets "
        f"JOIN cases ON cases.id = case_dockets.case_id WHERE {where} ORDER BY cases.last_event_at DESC",
        params,
    )
    return [(case_id, court) for case_id, court, _ in rows]


# The docket rows that may answer any of a batch's docket numbers (see
# cases_with_docket): those with one of its keys or one of its short forms.
_BATCH_DOCKETS = (
    "SELECT case_dockets.case_id, docket_key, docket_short, case_dockets.court, cases.last_event_at "
    "FROM case_dockets JOIN cases ON cases.id = case_dockets.case_id "
    "WHERE docket_key IN ({keys}) OR docket_short IN ({shorts}) ORDER BY case_dockets.rowid"
)


_DocketRow = tuple[int, int, str, str, str | None]  # (order written, case id, key, short form, court)


@dataclass
class BatchCases:
    """What a batch reads of its cases before its first item, in one query
    each instead of one an item, kept up to date as its items open cases,
    name, rename and date them (see :func:`join_case`): the cases known by
    its docket numbers (:meth:`cases_with` answers as :func:`cases_with_docket`
    would at that moment), and the state of those cases and of every case
    its items join (:meth:`state`). The rows of the cases its items joined
    are written once, at its end (:meth:`write`): until then, whatever
    reads a case's last event in the batch asks :meth:`last_event_at`."""

    by_key: dict[str, list[_DocketRow]] = field(default_factory=dict)
    by_short: dict[str, list[_DocketRow]] = field(default_factory=dict)
    last_event_at_of: dict[int, str] = field(default_factory=dict)
    """The last event of each case known by a docket number (the order of :meth:`cases_with`)."""
    written: int = 0
    states: dict[int, _KnownCase] = field(default_factory=dict)
    unwritten: dict[int, None] = field(default_factory=dict)
    """The cases whose row changed in memory since it was last written."""
    surnames: BatchSurnames | None = None
    """The batch's surname rows (see :func:`storage.joins.find_release_case`), read up front."""

    @classmethod
    def read(cls, db: Database, extractions: Iterable[Extraction]) -> BatchCases:
        extractions = list(extractions)
        dockets = [docket for extraction in extractions for docket in extraction.dockets]
        known = cls()
        if not dockets:
            return known
        keys = json.dumps(sorted({docket.key for docket in dockets}))
        shorts = json.dumps(sorted({docket.short for docket in dockets}))
        query = _BATCH_DOCKETS.format(keys=each_text(db, "?1"), shorts=each_text(db, "?2"))
        for case_id, key, short, court, last_event_at in db.execute(query, [keys, shorts]):
            known._add(case_id, key, short, court)
            known.last_event_at_of[case_id] = last_event_at or ""
        known.states = _known_cases(db, known.last_event_at_of)
        known.surnames = BatchSurnames.read(db, [e for e in extractions if known._may_look_by_surname(e)])
        return known

    def _may_look_by_surname(self, extraction: Extraction) -> bool:
        """Whether :func:`find_case` may look for the item's case by a
        surname (:func:`storage.joins.find_release_case`): it names an agency,
        defendants and dockets, and no case known by one of its dockets is of
        its court (or of none) at the batch's start (dockets are only added,
        so one found then is found later)."""
        if extraction.news is not None or not (extraction.agency and extraction.defendants and extraction.dockets):
            return False
        return not any(
            not _court_conflict(court, extraction.court)
            for docket in extraction.dockets
            for _, court in self.cases_with(docket)
        )

    def last_event_at(self, case_id: int, stored: str | None) -> str | None:
        """The case's last event as the batch left it (``stored``: the database's; see :class:`storage.joins.CaseDates`)."""
        return self.states[case_id].last_event_at if case_id in self.unwritten else stored

    def surnames_named(self, agency: str, ours: list[str], unindexed: Collection[int]) -> list[tuple] | None:
        """See :class:`storage.joins.CaseDates`."""
        if self.surnames is None:
            return None
        return self.surnames.named(agency, ours, unindexed, self.states.get)

    def write(self, db: Database) -> None:
        """Write what the batch changed of its cases' rows (one ``executemany``)."""
        if self.unwritten:
            rows = [self.states[case_id].row(case_id) for case_id in self.unwritten]
            db.conn.executemany(_WRITE_CASE_DATES, [(row[0], *row[4:]) for row in rows])
            self.unwritten.clear()

    def state(self, db: Database, case_id: int) -> _KnownCase:
        """The case's caption, names and dockets, as this batch's items left them."""
        known = self.states.get(case_id)
        if known is None:
            known = self.states[case_id] = _known_case(db, case_id)
        return known

    def _add(self, case_id: int, key: str, short: str, court: str | None) -> None:
        row = (self.written, case_id, key, short, court)
        self.written += 1
        self.by_key.setdefault(key, []).append(row)
        self.by_short.setdefault(short, []).append(row)

    def cases_with(self, docket: Docket) -> list[tuple[int, str | None]]:
        """:func:`cases_with_docket`, from memory."""
        rows = self.by_short.get(docket.short, [])
        if docket.key != docket.short:  # typed: the same key, or a typeless form of the same number
            rows = sorted({*self.by_key.get(docket.key, []), *(row for row in rows if row[2] == row[3])})
        found = dict.fromkeys((case_id, court) for _, case_id, _, _, court in rows)
        return sorted(found, key=lambda case: self.last_event_at_of[case[0]], reverse=True)

    def joined(
        self, db: Database, case_id: int, extraction: Extraction, event_at: str, changed: bool, caption_key: str | None
    ) -> str | None:
        """An item of ``event_at`` joined the case (``changed``: its caption
        is longer; ``caption_key``: the item's): the case's row as :data:`_UPDATE_CASE` would leave it, kept
        in memory, and written now only if a column that finding a case
        filters on (caption key, agency, court) changed; returns the case's
        last event."""
        known = self.states[case_id]
        before = known.row(case_id)
        if changed:
            known.caption = extraction.caption
        known.caption_key = _coalesce(known.caption_key, caption_key)
        known.agency = _coalesce(known.agency, extraction.agency)
        known.court = _coalesce(known.court, extraction.court)
        known.first_event_at = _sql_min(known.first_event_at, event_at)
        known.last_event_at = _sql_max(known.last_event_at, event_at)
        after = known.row(case_id)
        if after[1:4] != before[1:4]:  # caption key, agency, court
            db.execute(_WRITE_CASE, after)
            self.unwritten.pop(case_id, None)
        elif after != before:
            self.unwritten[case_id] = None
        if case_id in self.last_event_at_of:
            self.last_event_at_of[case_id] = known.last_event_at or ""
        return known.last_event_at

    def added(self, case_id: int, dockets: Iterable[Docket], court: str | None, last_event_at: str) -> None:
        """The case is now known by these docket numbers too."""
        for docket in dockets:
            self._add(case_id, docket.key, docket.short, court)
        self.last_event_at_of[case_id] = last_event_at


def find_case(
    db: Database, extraction: Extraction, unindexed: Collection[int] = (), batch: BatchCases | None = None
) -> int | None:
    """The existing case ``extraction`` belongs to, if any. ``unindexed``: the
    docketless cases whose names changed since their search row was last
    written (see :func:`join_case`); ``batch``: what the batch read up front
    (else read here)."""
    if extraction.news is not None:
        return find_news_case(db, extraction, batch)
    for docket in extraction.dockets:
        found = batch.cases_with(docket) if batch is not None else cases_with_docket(db, docket)
        for case_id, court in found:
            if not _court_conflict(court, extraction.court):
                return case_id
    caption_key = extraction.caption_key
    if caption_key:
        rows = db.execute(
            "SELECT id, court, last_event_at FROM cases WHERE caption_key = ? ORDER BY last_event_at DESC",
            [caption_key],
        ).fetchall()
        if batch is not None and batch.unwritten:  # the order of the last events the batch moved
            rows = sorted(rows, key=lambda row: batch.last_event_at(row[0], row[2]) or "", reverse=True)
        for case_id, court, _ in rows:
            if _court_conflict(court, extraction.court):
                continue
            if extraction.dockets and _has_dockets(db, case_id):
                continue  # both have docket numbers and none matched: different cases
            return case_id
    if extraction.agency and extraction.defendants and not extraction.dockets:
        keys = {party_key(party.name) for party in extraction.defendants}
        rows = db.execute(
            "SELECT DISTINCT cases.id FROM case_parties JOIN cases ON cases.id = case_parties.case_id "
            "WHERE case_parties.role = 'defendant' AND case_parties.name_key = ? AND cases.agency = ?",
            [next(iter(sorted(keys))), extraction.agency],
        ).fetchall()
        for (case_id,) in rows:
            if _defendant_keys(db, case_id) == keys:
                return case_id
    return find_release_case(db, extraction, unindexed, batch)


@dataclass(frozen=True)
class CaseJoin:
    """The case an item joined (None: none), whether :func:`refresh_case` is
    due, and the case's match keys after the item's names were added (the
    name keys of its parties, every form of its docket numbers)."""

    case_id: int | None
    refresh_due: bool = False
    party_keys: list[str] = field(default_factory=list)
    docket_keys: set[str] = field(default_factory=set)
    opened: bool = False  # the item opened the case


_NO_CASE = CaseJoin(None)
# What storing an item needs of its case, in one query: its row, its
# names (role, name key) and its dockets (key, short form).
_CASE_ROW = "caption, caption_key, agency, court, first_event_at, last_event_at"
_CASE_STATE = (
    f"SELECT 0, {_CASE_ROW} FROM cases WHERE id = ?1 "
    "UNION ALL SELECT 1, role, name_key, NULL, NULL, NULL, NULL FROM case_parties WHERE case_id = ?1 "
    "UNION ALL SELECT 2, docket_key, docket_short, NULL, NULL, NULL, NULL FROM case_dockets WHERE case_id = ?1"
)
_CASES_STATE = (
    "WITH wanted (id) AS ({wanted}) "
    f"SELECT id, 0, {_CASE_ROW} FROM cases WHERE id IN (SELECT id FROM wanted) "
    "UNION ALL SELECT case_id, 1, role, name_key, NULL, NULL, NULL, NULL FROM case_parties "
    "WHERE case_id IN (SELECT id FROM wanted) "
    "UNION ALL SELECT case_id, 2, docket_key, docket_short, NULL, NULL, NULL, NULL FROM case_dockets "
    "WHERE case_id IN (SELECT id FROM wanted)"
)
_WRITE_CASE = (
    "UPDATE cases SET caption = ?, caption_key = ?, agency = ?, court = ?, first_event_at = ?, last_event_at = ? "
    "WHERE id = ?"
)
# What a batch writes of a case at its end: what changed since the case's row
# was last written (see BatchCases.joined: the other columns are written at once).
_WRITE_CASE_DATES = "UPDATE cases SET caption = ?, first_event_at = ?, last_event_at = ? WHERE id = ?"
_INSERT_PARTY = "INSERT INTO case_parties (case_id, role, name, name_key) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
_INSERT_DOCKET = (
    "INSERT INTO case_dockets (case_id, docket_key, docket_short, display, court) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
INSERT_TERM = "INSERT INTO search_terms (term) VALUES (?) ON CONFLICT DO NOTHING"


@dataclass
class _KnownCase:
    """A case as storing an item finds it (see :data:`_CASE_STATE`)."""

    caption: str | None = None
    caption_key: str | None = None
    agency: str | None = None
    court: str | None = None
    first_event_at: str | None = None
    last_event_at: str | None = None
    names: set[tuple[str, str]] = field(default_factory=set)
    dockets: dict[str, str] = field(default_factory=dict)

    def read(self, kind: int, first: str, second: str, *row: str | None) -> None:
        """One row of :data:`_CASE_STATE` (kind 0: the case's row; 1: a name; 2: a docket)."""
        if kind == 0:
            self.caption, self.caption_key = first, second
            self.agency, self.court, self.first_event_at, self.last_event_at = row
        elif kind == 1:
            self.names.add((first, second))
        else:
            self.dockets[first] = second

    def row(self, case_id: int) -> tuple:
        """The values of :data:`_WRITE_CASE`."""
        return (
            self.caption,
            self.caption_key,
            self.agency,
            self.court,
            self.first_event_at,
            self.last_event_at,
            case_id,
        )

    def join(self, case_id: int, refresh_due: bool, opened: bool) -> CaseJoin:
        """The join, with the case's match keys as known now."""
        party_keys = [key for _, key in self.names]
        return CaseJoin(case_id, refresh_due, party_keys, {*self.dockets, *self.dockets.values()}, opened)


def _known_case(db: Database, case_id: int) -> _KnownCase:
    known = _KnownCase()
    for row in db.execute(_CASE_STATE, [case_id]):
        known.read(*row)
    return known


def _known_cases(db: Database, case_ids: Collection[int]) -> dict[int, _KnownCase]:
    """:func:`_known_case` of several cases, in one query."""
    known = {case_id: _KnownCase() for case_id in case_ids}
    if known:
        query = _CASES_STATE.format(wanted=each_int(db, "?1"))
        for case_id, *row in db.execute(query, [json.dumps(list(known))]):
            known[case_id].read(*row)
    return known


def _add_names(
    db: Database, case_id: int, extraction: Extraction, known: _KnownCase, terms: set[str] | None
) -> tuple[bool, list[Docket]]:
    """Record the item's parties and dockets on the case (``known``: as read
    before, brought up to date here); returns whether any was new, and the
    new dockets. Only new
    ones are written; the words of new names go to the search terms, or into
    ``terms`` for the caller to write (a batch writes them once, at its end)."""
    names = [("plaintiff", name) for name in extraction.plaintiffs]
    for party in extraction.defendants:
        names.append(("defendant", party.name))
        names.extend(("alias", alias) for alias in party.aliases)
    new_names: dict[tuple[str, str], str] = {}
    for role, name in names:
        key = party_key(name)
        if key and (role, key) not in known.names:
            new_names.setdefault((role, key), name[:300])
    if new_names:
        db.conn.executemany(_INSERT_PARTY, [(case_id, role, name, key) for (role, key), name in new_names.items()])
        known.names.update(new_names)
        new_terms = {word for _, key in new_names for word in key.split()}
        if terms is None:
            db.conn.executemany(INSERT_TERM, [(term,) for term in new_terms])
        else:
            terms.update(new_terms)
    new_dockets: dict[str, Docket] = {}
    for docket in extraction.dockets:
        if docket.key not in known.dockets:
            new_dockets.setdefault(docket.key, docket)
    if new_dockets:
        db.conn.executemany(
            _INSERT_DOCKET,
            [(case_id, key, docket.short, docket.display, extraction.court) for key, docket in new_dockets.items()],
        )
        known.dockets.update((key, docket.short) for key, docket in new_dockets.items())
    return bool(new_names or new_dockets), list(new_dockets.values())


def refresh_case_search(db: Database, case_id: int) -> None:
    """Rewrite the case's full-text row from its parties and dockets."""
    full_text(db).refresh_cases(db, [case_id])


def assign_case(db: Database, extraction: Extraction, event_at: str, *, may_open: bool = True) -> int | None:
    """The case id for a new item (found or created), with the case updated;
    None when the item names no party, caption or docket, or when it matches
    no case and ``may_open`` is false (news joins cases, it never opens one),
    and when the item is about no case (action "none")."""
    joined = join_case(db, extraction, event_at, may_open=may_open)
    if joined.refresh_due and joined.case_id is not None:
        refresh_case(db, joined.case_id)
    return joined.case_id


def refresh_case(db: Database, case_id: int) -> None:
    """After a case's names, dockets or caption changed: its search row and its related cases."""
    refresh_cases(db, [case_id])


def refresh_cases(db: Database, case_ids: Collection[int]) -> None:
    """:func:`refresh_case` for several cases: their search rows rewritten
    together (:meth:`storage.fulltext.FullText.refresh_cases`), then their related cases."""
    full_text(db).refresh_cases(db, case_ids)
    link_cases(db, case_ids)


_INSERT_CASE = (
    "INSERT INTO cases (caption, caption_key, agency, court, first_event_at, last_event_at, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# The dates as SQLite's scalar min()/max() would leave them (NULL stays NULL), written as both engines read them.
_UPDATE_CASE = """
    UPDATE cases SET
        caption = CASE WHEN ?5 = 1 THEN ?1 ELSE caption END, caption_key = coalesce(caption_key, ?2),
        agency = coalesce(agency, ?3), court = coalesce(court, ?4),
        first_event_at = CASE WHEN first_event_at > ?6 THEN ?6 ELSE first_event_at END,
        last_event_at = CASE WHEN last_event_at < ?6 THEN ?6 ELSE last_event_at END
    WHERE id = ?7
    RETURNING last_event_at
"""


def join_case(
    db: Database,
    extraction: Extraction,
    event_at: str,
    *,
    may_open: bool = True,
    terms: set[str] | None = None,
    unindexed: Collection[int] = (),
    batch: BatchCases | None = None,
) -> CaseJoin:
    """Like :func:`assign_case`, leaving the refresh of the case's search row
    and related cases to the caller (a batch refreshes each case once), and
    the search terms of new names too if ``terms`` is given (see
    :func:`_add_names`): returns the case, whether :func:`refresh_case` is
    due and the case's match keys. A caller that leaves refreshes for later
    names in ``unindexed`` the cases due one that have no docket (only those
    are found through search rows), so that finding a case does not trust
    their search rows. ``batch``: what the batch read up front (see
    :class:`BatchCases`), kept up to date here."""
    if extraction.action == Action.NONE or not (
        extraction.caption or extraction.defendants or extraction.dockets or extraction.news
    ):
        return _NO_CASE
    case_id = find_case(db, extraction, unindexed, batch)
    if case_id is None and not may_open:
        return _NO_CASE
    caption_key = extraction.caption_key  # a property, computed anew at each read
    values = [extraction.caption, caption_key, extraction.agency, extraction.court]
    opened = case_id is None
    if case_id is None:
        case_id = insert_id(db, _INSERT_CASE, [*values, event_at, event_at, now_iso()])
        known = _KnownCase(*values, first_event_at=event_at, last_event_at=event_at)  # no names or dockets yet
        changed = True
        last_event_at = event_at
        if batch is not None:
            batch.states[case_id] = known
    else:
        known = batch.state(db, case_id) if batch is not None else _known_case(db, case_id)
        changed = bool(extraction.caption) and (known.caption is None or len(extraction.caption) > len(known.caption))
        if batch is not None:  # the case's row is written at the batch's end
            last_event_at = batch.joined(db, case_id, extraction, event_at, changed, caption_key)
        else:
            (last_event_at,) = db.execute(_UPDATE_CASE, [*values, changed, event_at, case_id]).fetchone()
            if changed:
                known.caption = extraction.caption
    if extraction.news is not None:  # a story never renames its case
        return known.join(case_id, changed, opened)
    added, new_dockets = _add_names(db, case_id, extraction, known, terms)
    if batch is not None and new_dockets:
        batch.added(case_id, new_dockets, extraction.court, last_event_at)
    return known.join(
        case_id, added or changed, opened
    )  # the search row changes only with names, dockets or the caption


# --- reading a case ---------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    event_at: str
    title: str
    summary: str
    action: str | None
    link: str | None
    source: str
    amounts: list[int]
    docket_entry: str | None

    @property
    def headline(self) -> str:
        return entry_headline(self.title, self.summary, self.docket_entry)


def entry_headline(title: str, summary: str, docket_entry: str | None) -> str:
    """What happened, in one line: a court entry's own text with its document
    number (its title is only the caption), else the item's title."""
    if not docket_entry:
        return title
    rest = summary.split("]", 1)[1] if "]" in summary else ""
    rest = re.sub(r"\(\s*(\d+)\s*\)", r"(doc. \1)", rest).strip()
    if not rest:
        return docket_entry
    return f"{docket_entry} {rest}" if rest.startswith("(") else f"{docket_entry}: {rest}"


@dataclass
class CaseView:
    id: int
    caption: str
    agency: str | None
    court: str | None
    dockets: list[str]
    defendants: list[str]
    first_event_at: str | None
    last_event_at: str | None
    latest_action: str | None
    latest_action_at: str | None
    sources: int
    items: int
    timeline: list[TimelineEntry] = field(default_factory=list)
    amounts: list[int] = field(default_factory=list)
    status: str = "pending"
    related: list[RelatedCase] = field(default_factory=list)  # the first few
    related_total: int = 0
    mentioned_in: list[Mention] = field(default_factory=list)  # the newest stories naming the case in passing


@dataclass(frozen=True)
class Mention:
    """A news story of another case (or of none) that names this case in passing."""

    title: str
    link: str | None
    source: str


MENTIONS_SHOWN = 3


def case_view(db: Database, case_id: int, *, timeline_limit: int = 5) -> CaseView:
    return case_views(db, [case_id], timeline_limit=timeline_limit)[0]


def known_case_view(db: Database, case_id: int) -> CaseView | None:
    """The card of ``case_id``, or None if there is no such case (a button
    from an answer about a case that is gone)."""
    if db.execute("SELECT 1 FROM cases WHERE id = ?", [case_id]).fetchone() is None:
        return None
    return case_view(db, case_id)


def _each_case(ids: list[int], query: str) -> tuple[str, list]:
    """``query`` (one case's, ``case_id = ?`` and any further parameter) once
    per case in one compound statement, each part its own LIMITed subquery, and
    its parameters."""
    parts = " UNION ALL ".join(f"SELECT * FROM ({query}) AS part_{number}" for number in range(len(ids)))
    return parts, list(ids)


def case_views(db: Database, case_ids: list[int], *, timeline_limit: int = 5) -> list[CaseView]:
    """The cards of ``case_ids``, in that order: the same as one
    :func:`case_view` each, in a few statements for all of them (a ``/case``
    answer shows three cards; each statement costs 25-80 us whatever it reads)."""
    if not case_ids:
        return []
    ids = list(dict.fromkeys(case_ids))
    marks = ", ".join("?" for _ in ids)
    cases = {
        row[0]: row
        for row in db.execute(
            f"SELECT id, caption, agency, court, first_event_at, last_event_at FROM cases WHERE id IN ({marks})", ids
        )
    }
    missing = [case_id for case_id in ids if case_id not in cases]
    if missing:
        raise LookupError(f"no case {missing[0]}")
    defendants = _names_by_case(
        db, f"SELECT case_id, rowid, name FROM case_parties WHERE case_id IN ({marks}) AND role = 'defendant'", ids
    )
    dockets = _names_by_case(db, f"SELECT case_id, rowid, display FROM case_dockets WHERE case_id IN ({marks})", ids)
    counts = {
        case_id: (items, sources)
        for case_id, items, sources in db.execute(
            f"SELECT case_id, count(*), count(DISTINCT feed_id) FROM items WHERE case_id IN ({marks}) GROUP BY case_id",
            ids,
        )
    }
    timelines = _timelines(db, ids, timeline_limit)
    latest = _latest_events(db, ids)
    related_ids, related_totals = _related_ids(db, ids)
    shown_related = list(dict.fromkeys(related for case_id in ids for related in related_ids[case_id]))
    statuses = statuses_of_cases(db, [*ids, *shown_related])
    related = _related_cards(db, shown_related, statuses)
    amounts: dict[int, set[int]] = {case_id: set() for case_id in ids}
    for case_id, encoded in db.execute(
        f"SELECT case_id, amounts FROM items WHERE case_id IN ({marks}) AND amounts != '[]'", ids
    ):
        amounts[case_id].update(json.loads(encoded))
    mentions = _mentions(db, ids)
    views = {}
    for case_id in ids:
        _, caption, agency, court, first_event_at, last_event_at = cases[case_id]
        items, sources = counts.get(case_id, (0, 0))
        action, action_at = latest.get(case_id, (None, None))
        views[case_id] = CaseView(
            id=case_id,
            caption=display_caption(caption, agency, defendants[case_id]),
            agency=agency,
            court=court,
            dockets=dockets[case_id],
            defendants=defendants[case_id],
            first_event_at=first_event_at,
            last_event_at=last_event_at,
            latest_action=action,
            latest_action_at=action_at,
            sources=sources,
            items=items,
            timeline=timelines[case_id],
            amounts=sorted(amounts[case_id], reverse=True),
            status=statuses[case_id],
            related=[related[related_id] for related_id in related_ids[case_id]],
            related_total=related_totals[case_id],
            mentioned_in=mentions[case_id],
        )
    return [views[case_id] for case_id in case_ids]


# Each card's related cases, most recently active first (as storage.related.related_ids orders them).
_RELATED_LINKS = (
    "SELECT case_links.case_id, case_links.related_id FROM case_links JOIN cases ON cases.id = case_links.related_id "
    "WHERE case_links.case_id IN ({marks}) ORDER BY case_links.case_id, cases.last_event_at DESC, cases.id DESC"
)


def _related_ids(db: Database, ids: list[int]) -> tuple[dict[int, list[int]], dict[int, int]]:
    """The first :data:`RELATED_SHOWN` related cases of each case, and how many it has in all."""
    shown: dict[int, list[int]] = {case_id: [] for case_id in ids}
    totals = dict.fromkeys(ids, 0)
    for case_id, related_id in db.execute(_RELATED_LINKS.format(marks=", ".join("?" for _ in ids)), ids):
        totals[case_id] += 1
        if len(shown[case_id]) < RELATED_SHOWN:
            shown[case_id].append(related_id)
    return shown, totals


def _related_cards(db: Database, ids: list[int], statuses: dict[int, str]) -> dict[int, RelatedCase]:
    """Each of ``ids`` as a card's related-case line shows it (what
    :func:`storage.related.related_cases` gives), read together."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    cases = {
        case_id: (caption, agency)
        for case_id, caption, agency in db.execute(f"SELECT id, caption, agency FROM cases WHERE id IN ({marks})", ids)
    }
    defendants = _names_by_case(
        db, f"SELECT case_id, rowid, name FROM case_parties WHERE case_id IN ({marks}) AND role = 'defendant'", ids
    )
    return {
        case_id: RelatedCase(
            case_id, display_caption(caption, agency, defendants[case_id][:4]), agency, statuses[case_id]
        )
        for case_id, (caption, agency) in cases.items()
    }


def _names_by_case(db: Database, query: str, ids: list[int]) -> dict[int, list[str]]:
    """(case_id, rowid, text) rows grouped by case, each case's in rowid order."""
    rows = sorted(db.execute(query, ids).fetchall(), key=lambda row: row[1])
    found: dict[int, list[str]] = {case_id: [] for case_id in ids}
    for case_id, _, text in rows:
        found[case_id].append(text)
    return found


_TIMELINE = (
    "SELECT items.case_id, items.id, items.event_at, items.title, items.summary, items.action, items.link, "
    "items.amounts, items.docket_entry, feeds.name FROM items JOIN feeds ON feeds.id = items.feed_id "
    "WHERE items.case_id = ? ORDER BY items.event_at DESC, items.id DESC LIMIT {limit}"
)
# The latest event, dated by its first report (the court's order, not the next day's news).
_LATEST_EVENT = (
    "SELECT case_id, action, event_day FROM events WHERE case_id = ? AND action NOT IN ('filing', 'update') "
    "ORDER BY event_day DESC, id DESC LIMIT 1"
)


def _timelines(db: Database, ids: list[int], limit: int) -> dict[int, list[TimelineEntry]]:
    """The newest ``limit`` items of each case, newest first."""
    timelines: dict[int, list[TimelineEntry]] = {case_id: [] for case_id in ids}
    if limit <= 0:
        return timelines
    query, parameters = _each_case(ids, _TIMELINE.format(limit=int(limit)))
    rows = db.execute(query, parameters).fetchall()
    rows.sort(key=lambda row: (row[2], row[1]), reverse=True)  # each case's own order, whatever the parts' order
    for case_id, _, event_at, title, summary, action, link, amounts, docket_entry, source in rows:
        timelines[case_id].append(
            TimelineEntry(
                event_at=event_at,
                title=title,
                summary=summary,
                action=action,
                link=link,
                source=source,
                amounts=json.loads(amounts),
                docket_entry=docket_entry,
            )
        )
    return timelines


_MENTIONS = (
    "SELECT case_mentions.case_id, items.event_at, items.id, items.title, items.link, feeds.name "
    "FROM case_mentions JOIN items ON items.id = case_mentions.item_id JOIN feeds ON feeds.id = items.feed_id "
    f"WHERE case_mentions.case_id = ? ORDER BY items.event_at DESC, items.id DESC LIMIT {MENTIONS_SHOWN}"
)


def _mentions(db: Database, ids: list[int]) -> dict[int, list[Mention]]:
    """The newest :data:`MENTIONS_SHOWN` stories mentioning each case, newest first."""
    mentions: dict[int, list[Mention]] = {case_id: [] for case_id in ids}
    query, parameters = _each_case(ids, _MENTIONS)
    rows = sorted(db.execute(query, parameters).fetchall(), key=lambda row: (row[1], row[2]), reverse=True)
    for case_id, _, _, title, link, source in rows:
        mentions[case_id].append(Mention(title, link, source))
    return mentions


def _latest_events(db: Database, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each case's latest event that is not a filing or an update: (action, day)."""
    query, parameters = _each_case(ids, _LATEST_EVENT)
    return {case_id: (action, day) for case_id, action, day in db.execute(query, parameters)}


def case_to_join(db: Database, extraction: Extraction) -> dict | None:
    """The case this item would join (``{"id", "caption"}``), read only; None if it would open or join none."""
    case_id = find_case(db, extraction)
    if case_id is None:
        return None
    row = db.execute("SELECT caption FROM cases WHERE id = ?", [case_id]).fetchone()
    return {"id": case_id, "caption": row[0] if row else None}
