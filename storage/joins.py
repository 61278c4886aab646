"""Joining agency press releases and news stories to the cases they report.

A press release carries no docket: it joins the case of the same agency whose
defendants it names (``Binance`` is Binance Holdings Limited); its aliases
(``Binance.US``) then become names of that case. A news story joins the case
its headline names, of the agency the headline names ("SEC" + "Binance" picks
SEC v. Binance over the CFTC and DOJ matters); only when the headline names no
case do a docket number it cites, then its body, decide. Other cases a story names are its mentions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Protocol

from sqlite_utils import Database

from feeds.extract import Extraction, agency_of_plaintiff
from feeds.news import agencies_named, may_be_surname, name_forms, names_in
from feeds.text import fold, name_key
from feeds.vocabulary import CasePartyRole

_PARTY_ROLES = (CasePartyRole.DEFENDANT, CasePartyRole.ALIAS)


@lru_cache(maxsize=4096)
def party_key(name: str) -> str:
    """``feeds.text.name_key``, remembered: the items of a feed name the same
    parties again and again (each entry of a docket its caption's)."""
    return name_key(name)


class CaseDates(Protocol):
    """What a batch knows of its cases that the database does not yet
    (:class:`storage.cases.BatchCases`: it writes its cases' rows at its end)."""

    def last_event_at(self, case_id: int, stored: str | None) -> str | None:
        """The case's last event as the batch left it (``stored``: as the database has it)."""
        ...

    def surnames_named(self, agency: str, ours: list[str], unindexed: Collection[int]) -> list[tuple] | None:
        """:func:`_surnames_named` from what the batch read up front (None: it read none)."""
        ...


class TouchedCase(Protocol):
    """A case as a batch's items left it (``storage.cases._KnownCase``)."""

    agency: str | None
    court: str | None
    last_event_at: str | None
    names: set[tuple[str, str]]
    dockets: dict[str, str]


def _dated(rows: list[tuple], dates: CaseDates | None, column: int) -> list[tuple]:
    """``rows`` (case id first) with their ``column``, a case's last event, as the batch left it."""
    if dates is None:
        return rows
    return [(*row[:column], dates.last_event_at(row[0], row[column]), *row[column + 1 :]) for row in rows]


def _court_conflict(known: str | None, new: str | None) -> bool:
    return bool(known and new and known != new)


def _words_prefix(short: str, long: str) -> bool:
    """``binance`` names ``binance holdings``: whole leading words."""
    return long == short or long.startswith(f"{short} ")


def _names_match(ours: str, theirs: str) -> bool:
    """Same name, or one is the other's leading words (``binance``) or trailing
    ones, a surname (``zhao``, ``bankman fried``)."""
    if not (ours and theirs):
        return False
    if _words_prefix(ours, theirs) or _words_prefix(theirs, ours):
        return True
    short, long = sorted((ours, theirs), key=len)
    return long.endswith(f" {short}")


def find_release_case(
    db: Database, extraction: Extraction, unindexed: Collection[int] = (), dates: CaseDates | None = None
) -> int | None:
    """The case of the same agency that shares the item's defendants, when
    the item gives no docket or the case has none yet (it was opened by a
    release before its court docket arrived). The item's first defendant, or
    the case's first, must be among the shared names; the case that has the
    item's first defendant wins, then the one sharing the most names, then the
    most recently active. ``unindexed``: the docketless cases whose names
    changed since their search row was last written (a batch rewrites them
    at its end); ``dates``: the last events the batch moved."""
    if not (extraction.agency and extraction.defendants):
        return None
    ours = _our_keys(extraction)
    if not ours:
        return None
    rows = _dated(_parties_named(db, extraction.agency, ours), dates, 2)
    if extraction.dockets:
        surnames = dates.surnames_named(extraction.agency, ours, unindexed) if dates is not None else None
        if surnames is None:
            surnames = _dated(_surnames_named(db, extraction.agency, ours, unindexed), dates, 2)
        rows += surnames
    scores: dict[int, tuple[bool, int, str]] = {}
    for case_id, court, last_event_at, key in rows:
        if _court_conflict(court, extraction.court):
            continue
        if extraction.dockets and _has_dockets(db, case_id):
            continue  # both have docket numbers and none matched: different cases
        shared = sum(1 for our in ours if _names_match(our, key))
        if shared:
            first, count, _ = scores.get(case_id, (False, 0, ""))
            first = first or _names_match(ours[0], key)
            scores[case_id] = (first, count + shared, last_event_at or "")
    best = [
        case_id for case_id in sorted(scores, key=lambda c: scores[c], reverse=True) if _anchored(db, case_id, ours)
    ]
    return best[0] if best else None


def _our_keys(extraction: Extraction) -> list[str]:
    """The name keys of the item's defendants and their aliases, by which it looks for its case."""
    ours = [party_key(party.name) for party in extraction.defendants]
    ours += [party_key(alias) for alias in extraction.aliases]
    return [key for key in ours if key]


_PARTY_ROWS = (
    "SELECT cases.id, cases.court, cases.last_event_at, case_parties.name_key FROM case_parties "
    "JOIN cases ON cases.id = case_parties.case_id WHERE cases.agency = ? AND case_parties.role IN ('defendant', 'alias') "
)


def _parties_named(db: Database, agency: str, ours: list[str]) -> list[tuple]:
    """(case id, court, last event, name key) of the agency's parties that may
    be one of ``ours``: a name whose leading or trailing words are all of a
    stored name (``binance``, ``zhao``), or a stored name beginning with one
    of ours. Index lookups only."""
    parts = {" ".join(words[i:j]) for key in ours for words in [key.split()] for i, j in _edges(len(words))}
    conditions = [f"case_parties.name_key IN ({', '.join('?' for _ in parts)})"]
    params: list[object] = [agency, *sorted(parts)]
    for key in ours:
        conditions.append("(case_parties.name_key >= ? AND case_parties.name_key < ?)")
        params += [f"{key} ", f"{key}!"]
    return db.execute(_PARTY_ROWS + f"AND ({' OR '.join(conditions)})", params).fetchall()


# A stored name ends with one of ours: no index reads a name by its last
# words, so the cases' full-text index (every party's name and name key) finds
# the cases that name one of ours anywhere, and the cases whose names changed
# since their search row was written are read as well.
_SURNAME_ROWS = (
    _PARTY_ROWS + "AND NOT EXISTS (SELECT 1 FROM case_dockets WHERE case_dockets.case_id = cases.id) "
    "AND EXISTS (SELECT 1 FROM json_each(?2) AS ours WHERE case_parties.name_key LIKE '% ' || ours.value) "
    "AND cases.id IN (SELECT rowid FROM case_search WHERE case_search MATCH ?3 "
    "UNION ALL SELECT value FROM json_each(?4)) "
    "ORDER BY cases.id"
)


def _surnames_named(db: Database, agency: str, ours: list[str], unindexed: Collection[int]) -> list[tuple]:
    """(case id, court, last event, name key) of the agency's parties of
    docketless cases whose name ends with one of ``ours`` (a court caption's
    ``Zhao`` is the release's ``Chang Zhao``)."""
    phrases = " OR ".join('"{}"'.format(key.replace('"', '""')) for key in ours)
    params = [agency, json.dumps(ours), f"parties : ({phrases})", json.dumps(sorted(unindexed))]
    return db.execute(_SURNAME_ROWS, params).fetchall()


# _SURNAME_ROWS for every name of a batch, in one query: the cases whose search
# row names one of them, then their parties (CROSS JOIN: in that order).
_BATCH_SURNAME_ROWS = (
    "WITH named (id) AS (SELECT rowid FROM case_search WHERE case_search MATCH ?2) "
    "SELECT ours.value, cases.id, cases.agency, cases.court, cases.last_event_at, case_parties.role, "
    "case_parties.name_key FROM named CROSS JOIN cases ON cases.id = named.id "
    "CROSS JOIN case_parties ON case_parties.case_id = cases.id CROSS JOIN json_each(?1) AS ours "
    "WHERE case_parties.role IN ('defendant', 'alias') AND case_parties.name_key LIKE '% ' || ours.value "
    "AND NOT EXISTS (SELECT 1 FROM case_dockets WHERE case_dockets.case_id = cases.id)"
)


@dataclass
class BatchSurnames:
    """:func:`_surnames_named` for every item of a batch, read in one query
    up front (the parties of docketless cases whose name ends with one of
    the batch's names, found through the cases' search rows) and brought up
    to date from the cases as the batch's items left them (:meth:`named`)."""

    rows: dict[str, list[tuple]]

    @classmethod
    def read(cls, db: Database, extractions: Iterable[Extraction]) -> BatchSurnames:
        keys = sorted(
            {
                key
                for extraction in extractions
                if extraction.news is None and extraction.agency and extraction.defendants and extraction.dockets
                for key in _our_keys(extraction)
            }
        )
        rows: dict[str, list[tuple]] = {}
        if keys:
            phrases = " OR ".join(_phrase(key) for key in keys)
            for our, *row in db.execute(_BATCH_SURNAME_ROWS, [json.dumps(keys), f"parties : ({phrases})"]):
                rows.setdefault(our, []).append(tuple(row))
        return cls(rows)

    def named(
        self, agency: str, ours: list[str], unindexed: Collection[int], touched: Callable[[int], TouchedCase | None]
    ) -> list[tuple] | None:
        """:func:`_surnames_named` now (None if a case in ``unindexed`` is
        not among ``touched``, the cases the batch's items left: then the
        database must answer). The cases the batch renamed are read from
        ``touched`` (their search rows are stale), the others from what was
        read up front, with their dockets, agency, court and last event as
        the batch left them."""
        found: dict[tuple[int, str, str], tuple] = {}
        for case_id in unindexed:
            case = touched(case_id)
            if case is None:
                return None
            if case.dockets or case.agency != agency:
                continue
            for role, key in case.names:
                if role in _PARTY_ROLES and any(key.endswith(f" {our}") for our in ours):
                    found[(case_id, role, key)] = (case_id, case.court, case.last_event_at, key)
        for our in ours:
            for case_id, its_agency, court, last_event_at, role, key in self.rows.get(our, ()):
                if case_id in unindexed:
                    continue
                case = touched(case_id)
                if case is not None:
                    if case.dockets:
                        continue
                    its_agency, court, last_event_at = case.agency, case.court, case.last_event_at
                if its_agency == agency:
                    found[(case_id, role, key)] = (case_id, court, last_event_at, key)
        return sorted(found.values(), key=lambda row: row[0])


def _edges(count: int) -> list[tuple[int, int]]:
    """The (start, end) of every leading and every trailing run of ``count`` words."""
    return [(0, end) for end in range(1, count + 1)] + [(start, count) for start in range(1, count)]


def _has_dockets(db: Database, case_id: int) -> bool:
    return db.execute("SELECT 1 FROM case_dockets WHERE case_id = ? LIMIT 1", [case_id]).fetchone() is not None


def _anchored(db: Database, case_id: int, ours: list[str]) -> bool:
    """The item's first name is the case's, or the case's first defendant is the item's."""
    theirs = [key for (key,) in db.execute(_CASE_NAMES, [case_id])]
    first_theirs = theirs[0] if theirs else ""
    return any(_names_match(ours[0], key) for key in theirs) or any(_names_match(our, first_theirs) for our in ours)


_CASE_NAMES = (
    "SELECT name_key FROM case_parties WHERE case_id = ? AND role IN ('defendant', 'alias') "
    "ORDER BY role = 'alias', rowid"
)


# --- news -------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    case_id: int
    agency: str | None
    last_event_at: str
    matched: int  # words of the text that name the case


def _candidates(
    db: Database, text: str, *, by_one_common_word: bool = True, dates: CaseDates | None = None
) -> list[_Candidate]:
    """Cases whose defendants or aliases ``text`` names: every case that may
    be named (:func:`_named_case_ids`), checked name form by name form.
    Without ``by_one_common_word``, only the cases named by more than one
    word or by a rare one (see :func:`_best_named`). ``dates``: the last
    events a batch moved."""
    ids = _named_case_ids(db, fold(text).split(), by_one_common_word)
    if not ids:
        return []
    cases: dict[int, tuple[str | None, str, set[str]]] = {}
    rows = db.execute(_CANDIDATE_PARTIES, [json.dumps(sorted(ids))]).fetchall()
    for case_id, agency, last_event_at, name in _dated(rows, dates, 2):
        _, _, forms = cases.setdefault(case_id, (agency, last_event_at or "", set()))
        forms |= _party_forms(name)
    named = names_in(text, set().union(*(forms for _, _, forms in cases.values())))
    found = []
    for case_id, (agency, last_event_at, forms) in cases.items():
        if its_names := forms & named:
            found.append(_Candidate(case_id, agency, last_event_at, max(len(form.split()) for form in its_names)))
    return found


_CANDIDATE_PARTIES = (
    "SELECT cases.id, cases.agency, coalesce(cases.last_event_at, ''), case_parties.name "
    "FROM json_each(?) AS candidate JOIN cases ON cases.id = candidate.value "
    "JOIN case_parties ON case_parties.case_id = cases.id AND case_parties.role IN ('defendant', 'alias') "
    "ORDER BY cases.id"
)


@lru_cache(maxsize=16384)
def _party_forms(name: str) -> frozenset[str]:
    """The forms under which news names the party ``name`` (none for an
    agency: "SEC" in a headline is the actor, not the SEC as a party)."""
    return frozenset() if agency_of_plaintiff([name]) is not None else frozenset(name_forms(name))


COMMON_CASES = 200
"""A word in the names of at least this many cases is common ("sec", "inc",
"capital", first names): a case is looked up by it only through what else
of the case's name the text has, never by reading every case that has it."""

_COMMON_KEPT = 20_000
_common_words: set[str] = set()


def _named_case_ids(db: Database, words: list[str], by_one_common_word: bool = True) -> set[int]:
    """Every case one of whose name forms (``feeds.news.name_forms``: a
    party's name, key, first words or surname, each a run of whole words of
    its search row) may be a run of adjacent ``words``; nothing is cut.

    A form with a rare word is found through that word: all its cases (fewer
    than ``COMMON_CASES``). A form of common words only is either one word,
    then the whole name key, its first word or its last (a surname), or
    begins with two adjacent common words: the key begins or ends with them.
    Those are looked up through the key's index (whole key or its first
    words) and through the search rows having them (last words), so a common
    word costs only the cases whose key begins or ends with it, never every
    case that has it somewhere. Which words are common only changes speed.
    Without ``by_one_common_word``, the cases named only by a single common
    word (a company's first word, a surname) are left out. As ever, a case
    is looked at only when its search row has a word of two letters or more
    of the text ("U.S." alone names no "U.S. Bank")."""
    tokens = [word for word in words if len(word) >= 2]
    rare = sorted({word for word in tokens if not _is_common(db, word)})
    runs = {word for word in tokens if word not in rare} if by_one_common_word else set()
    runs |= {
        f"{first} {second}"
        for first, second in pairwise(words)
        if first not in rare and second not in rare and max(len(first), len(second)) >= 2
    }
    ids: set[int] = set()
    if rare:
        expression = "parties : (" + " OR ".join(_phrase(word) for word in rare) + ")"
        ids |= {
            case_id
            for (case_id,) in db.execute("SELECT rowid FROM case_search WHERE case_search MATCH ?", [expression])
        }
    for run in sorted(runs):
        if may_be_surname(run):
            ids |= {case_id for (case_id,) in db.execute(_KEYS_BEGINNING_OR_ENDING, [run, f"parties : {_phrase(run)}"])}
        else:
            ids |= {case_id for (case_id,) in db.execute(_KEYS_BEGINNING, [run])}
    return ids


_KEYS_BEGINNING = (
    "SELECT case_id FROM case_parties WHERE role IN ('defendant', 'alias') "
    "AND (name_key = ?1 OR (name_key >= ?1 || ' ' AND name_key < ?1 || '!'))"
)
# A surname: no index reads a key by its last words; the search rows that have them do.
_KEYS_BEGINNING_OR_ENDING = (
    _KEYS_BEGINNING + " UNION SELECT case_parties.case_id FROM case_search "
    "JOIN case_parties ON case_parties.case_id = case_search.rowid "
    "WHERE case_search MATCH ?2 AND case_parties.role IN ('defendant', 'alias') "
    "AND case_parties.name_key LIKE '% ' || ?1"
)


def _phrase(words: str) -> str:
    return '"{}"'.format(words.replace('"', '""'))


def _is_common(db: Database, word: str) -> bool:
    """Whether at least ``COMMON_CASES`` cases' search rows name ``word``.
    Only the answer yes is remembered by the process (cases are only added,
    so a common word stays common; a rare one is counted again, cheaply, as
    it may become common). Only speed depends on it."""
    if word in _common_words:
        return True
    (count,) = db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM case_search WHERE case_search MATCH ? LIMIT ?)",
        [f"parties : {_phrase(word)}", COMMON_CASES],
    ).fetchone()
    if count < COMMON_CASES:
        return False
    if len(_common_words) >= _COMMON_KEPT:
        _common_words.clear()
    _common_words.add(word)
    return True


def _pick(candidates: list[_Candidate], agency: str | None) -> _Candidate | None:
    """The best-named, most recent case of the story's agency: a story about
    the CFTC's matter never joins the SEC's parallel case."""
    if agency:
        candidates = [c for c in candidates if c.agency in (agency, None)]
    return max(candidates, key=lambda c: (c.matched, c.last_event_at), default=None)


def find_news_case(db: Database, extraction: Extraction, dates: CaseDates | None = None) -> int | None:
    """The case a news story is about: named in its headline (with the
    headline's agency), else in its body; none for a story about no case.
    ``dates``: the last events a batch moved."""
    reading = extraction.news
    if reading is None or not reading.about_a_case:
        return None
    chosen = _best_named(db, reading.headline, extraction.agency, dates)
    if chosen:
        return chosen.case_id
    by_docket = _case_of_dockets(db, extraction, dates)
    if by_docket is not None:
        return by_docket
    chosen = _best_named(db, reading.body, extraction.agency, dates)
    return chosen.case_id if chosen else None


def _best_named(db: Database, text: str, agency: str | None, dates: CaseDates | None = None) -> _Candidate | None:
    """:func:`_pick` among the cases ``text`` names, the cases named by a
    single common word looked at only when no case is named by more. Safe: a
    case named by two words or more of the text, or by a rare one, is found
    without them (:func:`_named_case_ids`), and one named by two words or
    more beats every case named by one; a single common word ("Campbell",
    "Palisade") may name thousands of cases, each checked by its names."""
    chosen = _pick(_candidates(db, text, by_one_common_word=False, dates=dates), agency)
    if chosen and chosen.matched >= 2:
        return chosen
    return _pick(_candidates(db, text, dates=dates), agency)


def _case_of_dockets(db: Database, extraction: Extraction, dates: CaseDates | None = None) -> int | None:
    """The most recently active case known by a docket number the story cites
    (``dates``: the last events a batch moved)."""
    forms = sorted({form for docket in extraction.dockets for form in (docket.key, docket.short)})
    if not forms:
        return None
    marks = ", ".join("?" for _ in forms)
    query = (
        f"SELECT cases.id, cases.last_event_at FROM case_dockets JOIN cases ON cases.id = case_dockets.case_id "
        f"WHERE case_dockets.docket_key IN ({marks}) OR case_dockets.docket_short IN ({marks}) "
        f"ORDER BY cases.last_event_at DESC"
    )
    if dates is None:
        row = db.execute(f"{query} LIMIT 1", [*forms, *forms]).fetchone()
        return row[0] if row else None
    rows = _dated(db.execute(query, [*forms, *forms]).fetchall(), dates, 1)
    return max(rows, key=lambda row: row[1] or "", default=(None,))[0]


def news_mentions(
    db: Database, extraction: Extraction, case_id: int | None, dates: CaseDates | None = None
) -> list[int]:
    """Other cases the story names in passing: a sentence of it names the
    case's party and the case's agency (``SEC``, ``CFTC``, ``Justice
    Department``, ``prosecutors``), and it is not the story's own case. Per
    sentence and agency named, the one case the arrival rule would pick
    (:func:`_pick`) among those the sentence names best: "SEC charges
    Dovetail Lending" names its own case, not every SEC case of a "Dovetail"."""
    reading = extraction.news
    if reading is None:
        return []
    mentioned: list[int] = []
    for sentence in _SENTENCE.split(f"{reading.headline}. {reading.body}"):
        named_agencies = agencies_named(sentence)
        if not named_agencies:
            continue
        candidates = _candidates(db, sentence, dates=dates)
        best = max((candidate.matched for candidate in candidates), default=0)
        strongest = [candidate for candidate in candidates if candidate.matched == best]
        for agency in sorted(named_agencies):
            chosen = _pick([candidate for candidate in strongest if candidate.agency == agency], None)
            if chosen and chosen.case_id != case_id and chosen.case_id not in mentioned:
                mentioned.append(chosen.case_id)
    return mentioned


def record_mentions(
    db: Database, item_id: int, extraction: Extraction, case_id: int | None, dates: CaseDates | None = None
) -> None:
    """Record the cases a news story (``item_id``, of case ``case_id``) names
    in passing (``dates``: the last events a batch moved)."""
    mentioned = news_mentions(db, extraction, case_id, dates) if extraction.news is not None else []
    if mentioned:  # most stories mention no other case: no statement then
        db.conn.executemany(
            "INSERT INTO case_mentions (case_id, item_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(other, item_id) for other in mentioned],
        )


_SENTENCE = re.compile(r"(?<=[a-z0-9)'’])[.;]\s+(?=[A-Z])")
