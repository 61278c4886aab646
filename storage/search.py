"""Finding cases for ``/case``: by docket number, by party name, by words.

Any text is safe to search: user text never reaches the engine's query syntax
(FTS5's or tsquery's), only folded words each quoted (:mod:`storage.fulltext`),
so ``"``, ``*``, ``-``, ``NEAR``, ``OR``, ``:*`` or ``&|!`` are plain words and no
query can raise a syntax error.
"""

from __future__ import annotations

import difflib
import heapq
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from feeds.extract import find_dockets, leading_docket
from feeds.text import CORPORATE_SUFFIXES, name_key, words
from storage.case_activity import case_activity
from storage.cases import CaseView, case_views, cases_with_docket
from storage.engine import Connection as Database
from storage.engine import DataVersion, PerDatabase
from storage.fulltext import COUNT_CAP, NEWEST_BATCH, full_text

QUERY_CHARS = 300
QUERY_WORDS = 12
CANDIDATES = NEWEST_BATCH
ITEMS_SHOWN = 3
COMMON_CASES = 2_000  # a word in the names of at least this many cases is common (in their items too)
RARE_CANDIDATES = 500  # at most this many rows matching a query's rare words are checked for its common ones
COMMON_WORDS_KEPT = 50_000  # how many words' commonness a process remembers


@dataclass(frozen=True)
class ItemHit:
    """A stored item that belongs to no case (a speech, statistics, a rule proposal)."""

    event_at: str
    title: str
    link: str | None
    source: str


@dataclass
class SearchResult:
    query: str
    cases: list[CaseView]
    total: int
    suggestions: list[str] = field(default_factory=list)
    items: list[ItemHit] = field(default_factory=list)  # matching items of no case, newest first
    # ``total`` counts the cases matched by name (names, caption, docket numbers) only: they were
    # enough to fill the answer, so the words of items (which could add cases only to the count)
    # were not read. False: it counts both.
    by_name_only: bool = False
    # ``total`` is a lower bound: more cases matched by name than the engine counts (PostgreSQL
    # stops at storage.fulltext.COUNT_CAP), so the answer says "1000+".
    at_least: bool = False
    case_ids: list[int] = field(default_factory=list)  # the ids of ``cases``


def _dockets_in(query: str):
    dockets = find_dockets(query)
    if not dockets:
        docket, rest = leading_docket(query.strip())
        if docket and not rest:
            dockets = [docket]
    return dockets


def _cases_by_docket(db: Database, query: str) -> list[int]:
    case_ids: list[int] = []
    for docket in _dockets_in(query):
        for case_id, _ in cases_with_docket(db, docket):
            if case_id not in case_ids:
                case_ids.append(case_id)
    return case_ids


def search_words(query: str) -> list[str]:
    """The words of a query that are worth matching: folded, capped, corporate
    suffixes dropped when something else is left."""
    tokens = [token[:60] for token in words(query[:QUERY_CHARS])][:QUERY_WORDS]
    meaningful = [token for token in tokens if token not in CORPORATE_SUFFIXES]
    return meaningful or tokens


def _top(db: Database, case_ids: list[int], limit: int) -> list[int]:
    """The first ``limit`` of ``case_ids`` ranked most recently active first;
    ties: the better documented, then the oldest. The cases' last activity is
    known in memory (:mod:`storage.case_activity`), else read from their rows;
    only the cases active no earlier than the ``limit``-th most recent (and its
    ties) are kept, and items are counted only for those that tie on their
    last activity (a busy case has hundreds: counting them was most of the
    ranking's time)."""
    if not case_ids or limit <= 0:
        return []
    known = case_activity(db).keys_of(db, case_ids)
    if known is None:
        rows = _read_most_recent(db, case_ids, limit)
    else:
        rows = _most_recent(list(zip(case_ids, known, strict=True)), limit)
    tied = {last for last, count in Counter(last for _, last in rows).items() if count > 1}
    counted = [
        (
            last,
            db.execute("SELECT count(*) FROM items WHERE case_id = ?", [case_id]).fetchone()[0] if last in tied else 0,
            -case_id,
        )
        for case_id, last in rows
    ]
    counted.sort(reverse=True)
    return [-negative_id for _, _, negative_id in counted[:limit]]


def _most_recent(activity: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """The (case id, activity) pairs no older than the ``limit``-th most recent."""
    if len(activity) <= limit:
        return activity
    cut = heapq.nlargest(limit, (last for _, last in activity))[-1]
    return [(case_id, last) for case_id, last in activity if last >= cut]


def _read_most_recent(db: Database, case_ids: list[int], limit: int) -> list[tuple[int, str]]:
    """:func:`_most_recent` of the cases' rows."""
    marks = ", ".join("?" for _ in case_ids)
    rows: list[tuple[int, str]] = []
    for case_id, last in db.execute(
        f"SELECT id, coalesce(last_event_at, '') AS last FROM cases WHERE id IN ({marks}) ORDER BY last DESC",
        case_ids,
    ):
        if len(rows) >= limit and last != rows[-1][1]:
            break  # past the limit-th and its ties: the rest cannot be shown
        rows.append((case_id, last))
    return rows


class ItemCases:
    """The case of every stored item (0: none), in memory, so that full-text
    hits on items are told apart without reading the items table. The map
    reads only the items committed since it last looked, and the items that
    changed case since (a news story joining the case opened after it: the
    ``item_case_moves`` log), never inside a transaction, whose rows could
    still be rolled back and their ids reused."""

    def __init__(self) -> None:
        self._cases = array("i")
        self._moves_seen = 0  # the last row of item_case_moves applied
        self._lock = threading.Lock()

    def cases_of(self, db: Database, item_ids: list[int]) -> list[int]:
        """The case of each item (0: none)."""
        if item_ids and max(item_ids) >= len(self._cases):
            self.refresh(db)
        else:
            self._apply_moves(db)
        cases, known = self._cases, len(self._cases)
        if not item_ids or max(item_ids) < known:
            return list(map(cases.__getitem__, item_ids))
        return [cases[item_id] if item_id < known else self._read(db, item_id) for item_id in item_ids]

    @staticmethod
    def _read(db: Database, item_id: int) -> int:
        """An item stored in this connection's transaction, not yet committed."""
        row = db.execute("SELECT case_id FROM items WHERE id = ?", [item_id]).fetchone()
        return (row[0] or 0) if row else 0

    def refresh(self, db: Database) -> None:
        if db.conn.in_transaction:
            return
        with self._lock:
            (newest,) = db.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()
            if newest < len(self._cases) - 1:  # not the file it was read from (replaced from a backup?)
                self._cases = array("i")
                self._moves_seen = 0
            known = len(self._cases)
            for item_id, case_id in db.execute("SELECT id, case_id FROM items WHERE id >= ? ORDER BY id", [known]):
                if item_id >= len(self._cases):  # exactly up to this item: later ids are read when stored
                    self._cases.frombytes(bytes(self._cases.itemsize * (item_id + 1 - len(self._cases))))
                self._cases[item_id] = case_id or 0
            self._apply_moves_locked(db)

    def _apply_moves(self, db: Database) -> None:
        if db.conn.in_transaction:
            return
        with self._lock:
            self._apply_moves_locked(db)

    def _apply_moves_locked(self, db: Database) -> None:
        """Items known here that changed case since the last look (one index seek when none did)."""
        moved = db.execute(
            "SELECT item_case_moves.id, items.id, items.case_id FROM item_case_moves JOIN items "
            "ON items.id = item_case_moves.item_id WHERE item_case_moves.id > ? ORDER BY item_case_moves.id",
            [self._moves_seen],
        ).fetchall()
        for move_id, item_id, case_id in moved:
            if item_id < len(self._cases):  # a later item is read with its case when it is first needed
                self._cases[item_id] = case_id or 0
            self._moves_seen = move_id


# The ItemCases of a database, shared by the process's connections to it.
item_cases = PerDatabase(ItemCases)


def prepare_search(db: Database) -> None:
    """Read what searches keep in memory (the case of every item, every case's
    last activity) now rather than on the first ``/case``: a server calls this
    before it listens."""
    item_cases(db).refresh(db)
    case_activity(db).refresh(db)


WARM_QUERIES = ("Securities and Exchange Commission", "1:23-cv-01599", "fraud")


def warm_search(db: Database) -> None:
    """Search a few typical queries on a new connection, so that the pages
    every search reads (indexes' roots, full-text structure) are in its cache,
    and what it makes once for searching is made (SQLite: its tables for
    checking rare words' rows)."""
    full_text(db).prepare(db)
    for query in WARM_QUERIES:
        search_cases(db, query)


def _cases_by_words(
    db: Database,
    expression: str,
    limit: int,
    item_matches: Iterator[list[int]],
    tokens: list[str] | None = None,
    name: str | None = None,
) -> tuple[list[int], int, bool]:
    """Cases whose names, caption or dockets match, then, when those are fewer
    than ``limit``, cases matched only by the words of their items; each group
    ranked by :func:`_top`. Only the
    newest ``CANDIDATES`` matches of each kind are ranked (FTS5 walks rowids in
    order cheaply), so a word in every case costs no more than a rare one.
    ``item_matches``: the items whose words match, newest first, in batches
    (:func:`_newest_matches`, read only if needed; a caller may leave out items it knows belong to no case).
    ``tokens``: the words of ``expression`` when it is ``full_text(db).words(tokens)``
    (then a query with common and rare words can go through the rare ones).
    Returns the first ``limit`` ids, how many cases matched in all, and whether
    that count is of the cases matched by name only (see :func:`_ranked`).
    ``name``: see :func:`_ranked`."""
    if tokens and (all_by_name := _matches_through_rare_words(db, "cases", tokens)) is not None:
        return _ranked(db, all_by_name[:CANDIDATES], len(all_by_name), item_matches, limit, name, tokens)
    text = full_text(db)
    by_name = text.matching(db, "cases", expression, limit=CANDIDATES)
    name_total = len(by_name) if len(by_name) < CANDIDATES else text.count_all(db, "cases", expression)
    return _ranked(db, by_name, name_total, item_matches, limit, name, tokens)


def _ranked(
    db: Database,
    by_name: list[int],
    name_total: int,
    item_matches: Iterator[list[int]],
    limit: int,
    name: str | None = None,
    tokens: list[str] | None = None,
) -> tuple[list[int], int, bool]:
    """:func:`_cases_by_words`' answer from the newest cases matched by name
    (``by_name``, of ``name_total``) and the items that match. When the names
    fill the answer, the items are not read: they could add cases only to the
    count, and reading the newest thousand matches of a common word (or
    walking a common word's whole list for a name) was most of a search's
    time; the count is then of the cases matched by name, and says so.
    ``name``: the query as typed; when it is a party's name (:func:`_same_name_cases`), the
    cases of that name written without its initials come next (the items found
    them only when an item spelled the initial out); when they are more than the
    answer has room for, those whose items have every word of the query
    (``tokens``) go first, as when the items found them. When they fill the
    answer the count is by name; otherwise the items fill the rest, as for any
    query (a company's founder's case that its items name must not be lost)."""
    top = _top(db, by_name, limit)
    if len(top) >= limit:
        return top, name_total, True
    known = set(by_name)
    if name is not None and (same_name := _same_name_cases(db, name)) is not None:
        extra = [case_id for case_id in same_name if case_id not in known]
        name_total, room = name_total + len(extra), limit - len(top)
        if len(extra) > room and tokens:
            mentioned = _cases_with_items_matching(db, extra, tokens)
            top += _top(db, [case_id for case_id in extra if case_id in mentioned], room)
            extra = [case_id for case_id in extra if case_id not in mentioned]
        top += _top(db, extra, limit - len(top))
        if len(top) >= limit:
            return top, name_total, True
        known.update(same_name)
    by_text = _cases_by_item_words(db, item_matches, known=known)
    return top + _top(db, by_text, limit - len(top)), name_total + len(by_text), False


_common_words: dict[str, bool] = {}


def _is_common(db: Database, token: str) -> bool:
    """Whether the names of at least ``COMMON_CASES`` cases have the word
    ``token`` (counted in case_search, whose lists are a tenth of
    item_search's: "exchange" is in 61,637 cases and 564,555 items), so likely
    many items too; remembered by the process. A word of one letter (a middle
    initial, "Laura D. Reed") is common: few case names have it, but item text
    has it everywhere ("D. Mass.", "S.D.N.Y.", "U.S."), and walking its list
    was most of a full name's search. Only speed depends on it: a
    word taken for common or rare wrongly makes a search slower, never different."""
    if len(token) == 1:
        return True
    common = _common_words.get(token)
    if common is None:
        text = full_text(db)
        count = text.count(db, "cases", text.words([token]), cap=COMMON_CASES)
        if len(_common_words) >= COMMON_WORDS_KEPT:
            _common_words.clear()
        common = _common_words[token] = count >= COMMON_CASES
    return common


def _matches_through_rare_words(db: Database, index: Literal["items", "cases"], tokens: list[str]) -> list[int] | None:
    """The rowids of the full-text ``index`` (items or cases) that
    have every word of ``tokens``, newest first, when some words are common and
    the others (the rare ones) are together in at most ``RARE_CANDIDATES`` rows;
    else None (FTS5 alone is as fast).

    FTS5 intersects by walking every word's list, so one common word costs its
    whole list ("exchange": 565,000 items, 10-15 ms) whatever the others. Here
    the index intersects the rare words only, and their few rows are checked
    for the whole query (:meth:`storage.fulltext.FullText.check`): the same
    rows as ``words(tokens)`` on ``index``."""
    if len(tokens) < 2:
        return None
    common = [_is_common(db, token) for token in tokens]
    if all(common) or not any(common):
        return None
    text = full_text(db)
    rare = text.words([token for token, is_common in zip(tokens, common, strict=True) if not is_common])
    candidates = text.first(db, index, rare, RARE_CANDIDATES + 1)
    if len(candidates) > RARE_CANDIDATES:
        return None
    if not candidates:
        return []
    return text.check(db, index, candidates, tokens)


def _same_name_cases(db: Database, query: str) -> list[int] | None:
    """When ``query`` is the name of a party (its ``name_key``, "Barbara A.
    Russell"), the cases with a party of that name or of that name without its
    initials ("Barbara Russell": the same person, whose case the full-text
    match misses for want of the initial), newest first; else None."""
    key = name_key(query)
    without_initials = " ".join(word for word in key.split() if len(word) > 1)
    keys = list(dict.fromkeys(k for k in (key, without_initials) if k))
    if not keys:
        return None
    marks = ", ".join("?" for _ in keys)
    rows = db.execute(
        f"SELECT case_id, name_key FROM case_parties WHERE name_key IN ({marks}) ORDER BY case_id DESC", keys
    ).fetchall()
    if not any(found == key for _, found in rows):
        return None
    return list(dict.fromkeys(case_id for case_id, _ in rows))


def _cases_with_items_matching(db: Database, case_ids: list[int], tokens: list[str]) -> set[int]:
    """Which of ``case_ids`` (a few cases of one name) have an item with every
    word of ``tokens``: their items checked (the item index would walk every
    word's whole list)."""
    marks = ", ".join("?" for _ in case_ids)
    item_ids = [item_id for (item_id,) in db.execute(f"SELECT id FROM items WHERE case_id IN ({marks})", case_ids)]
    if not item_ids:
        return set()
    matching = full_text(db).check(db, "items", item_ids, tokens)
    return set(item_cases(db).cases_of(db, matching))


def _newest_matches(db: Database, expression: str, tokens: list[str] | None = None) -> Iterator[list[int]]:
    """The ids of the items whose words match, newest first, a batch at a time
    (:meth:`storage.fulltext.FullText.newest`); the batches after the first only
    while an item of a case may be among them (:func:`_only_items_of_no_case`:
    only the first is read for items of no case). ``tokens``: the words of
    ``expression`` when it is ``full_text(db).words(tokens)``, so that a query
    with common and rare words can go through the rare ones."""
    if tokens and (matches := _matches_through_rare_words(db, "items", tokens)) is not None:
        for start in range(0, len(matches), CANDIDATES):
            yield matches[start : start + CANDIDATES]
        return
    batches = full_text(db).newest(db, "items", expression)
    first = next(batches, None)
    if first is None:
        return
    yield first
    if not _only_items_of_no_case(db, expression, first):  # asked for more: items of a case are wanted
        yield from batches


def _only_items_of_no_case(db: Database, expression: str, newest: list[int]) -> bool:
    """Whether no item that matches ``expression`` belongs to a case, asked
    when its ``newest`` matches (the first batch) hold none that does: the
    items' index and the index of items of no case then count their matches
    (FTS5 counts without making rows), and equal counts end the walk for items
    of a case before it reads every match ("enforcement results", a phrase of
    16,000 press releases of no case: 6-8 ms of walking against ~2 ms of
    counting). Only where counts are exact (SQLite)."""
    text = full_text(db)
    if not text.counts_exactly() or any(item_cases(db).cases_of(db, newest)):
        return False
    return text.count_all(db, "items", expression) == text.count_all(db, "loose", expression)


def _cases_by_item_words(db: Database, item_matches: Iterator[list[int]], *, known: set[int]) -> list[int]:
    """The cases (other than ``known``) of the newest ``CANDIDATES * 5`` matching
    items (``item_matches``, newest first) that belong to a case, in the order met."""
    cases = item_cases(db)
    found: list[int] = []
    seen = set(known)
    wanted = CANDIDATES * 5  # items of a case still to read
    for batch in item_matches:
        of_a_case = list(filter(None, cases.cases_of(db, batch)))[:wanted]
        wanted -= len(of_a_case)
        new = [case_id for case_id in dict.fromkeys(of_a_case) if case_id not in seen]
        seen.update(new)
        found.extend(new)
        if not wanted:
            break
    return found


class _FirstBatchKept:
    """Batches of item ids (:func:`_newest_matches`) that keep the first one
    read ([] if there was none), so that the items of no case among them are
    picked without reading them again."""

    def __init__(self, batches: Iterator[list[int]]) -> None:
        self._batches = batches
        self.first: list[int] | None = None  # None: not read

    def __iter__(self) -> _FirstBatchKept:
        return self

    def __next__(self) -> list[int]:
        try:
            batch = next(self._batches)
        except StopIteration:
            if self.first is None:
                self.first = []
            raise
        if self.first is None:
            self.first = batch
        return batch


def _items_without_case(
    db: Database, tokens: list[str], newest: list[int] | None = None, limit: int = ITEMS_SHOWN
) -> list[ItemHit]:
    """The newest items of no case that have every word of ``tokens`` (the newest ``CANDIDATES`` matches are read).
    ``newest``: those matches when the search read them already (then they are not read again, nor
    the index of items of no case asked first whether any matches)."""
    if newest is None:
        text = full_text(db)
        expression = text.words(tokens)
        if not text.any_match(db, "loose", expression):
            return []  # no item of no case matches at all
        newest = next(_newest_matches(db, expression, tokens), [])  # the first batch: the newest CANDIDATES
    loose = [
        item_id for item_id, case_id in zip(newest, item_cases(db).cases_of(db, newest), strict=True) if not case_id
    ]
    if not loose:
        return []
    marks = ", ".join("?" for _ in loose)
    rows = db.execute(
        "SELECT items.event_at, items.title, items.link, feeds.name FROM items JOIN feeds ON feeds.id = items.feed_id "
        f"WHERE items.id IN ({marks}) ORDER BY items.event_at DESC, items.id DESC LIMIT ?",
        [*loose, limit],
    )
    return [ItemHit(*row) for row in rows]


def _closest_term(db: Database, token: str) -> str:
    """The indexed word closest to ``token``: among words sharing its first two
    letters (most typos come later in a word), else its first letter."""
    for prefix in dict.fromkeys((token[:2], token[:1])):
        candidates = [
            term
            for (term,) in db.execute(
                "SELECT term FROM search_terms WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?",
                [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1), max(1, len(token) - 2), len(token) + 2],
            )
        ]
        close = difflib.get_close_matches(token, candidates, n=1, cutoff=0.7)
        if close:
            return close[0]
    return token


def _suggestions(db: Database, tokens: list[str]) -> list[str]:
    """Spellings of the query that exist in the case index ("did you mean")."""
    corrected = []
    for token in tokens:
        corrected.append(_closest_term(db, token))
    if corrected == tokens:
        return []
    wanted = f" {' '.join(corrected)} "
    names: list[str] = []
    text = full_text(db)
    for case_id in text.matching(db, "cases", text.words(corrected), limit=20):
        for name, key in db.execute(
            "SELECT name, name_key FROM case_parties WHERE case_id = ? AND role = 'defendant'", [case_id]
        ):
            if wanted in f" {key} " and name not in names:
                names.append(name)
        if len(names) >= 3:
            break
    return names[:3] or [" ".join(corrected)]


def search_cases(db: Database, query: str, *, limit: int = 3) -> SearchResult:
    """The best ``limit`` cases for ``query``, how many matched in all, and
    suggestions when nothing did."""
    result = find_cases(db, query, limit=limit)
    result.cases = case_views(db, result.case_ids)
    return result


def find_cases(db: Database, query: str, *, limit: int = 3) -> SearchResult:
    """:func:`search_cases` without the cases' cards (``cases`` empty, ``case_ids`` theirs)."""
    query = query.strip()[:QUERY_CHARS]
    case_ids = _cases_by_docket(db, query)
    total = len(case_ids)
    by_name_only = False
    tokens = search_words(query)
    at_least = False
    exact_matches = None
    if not case_ids and tokens:
        text = full_text(db)
        exact = text.words(tokens)
        exact_matches = _FirstBatchKept(_newest_matches(db, exact, tokens))
        case_ids, total, by_name_only = _cases_by_words(db, exact, limit, exact_matches, tokens, query)
        if not case_ids and len(tokens[-1]) >= 3:
            # No item that matched the exact words belongs to a case (they were all read): the
            # prefix pass reads only the items it adds (a word longer than the last token).
            longer = _newest_matches(db, text.longer_last(tokens))
            case_ids, total, by_name_only = _cases_by_words(db, text.words(tokens, prefix_last=True), limit, longer)
        at_least = total >= COUNT_CAP and not text.counts_exactly()
    suggestions = _suggestions(db, tokens) if not case_ids and tokens else []
    return SearchResult(
        query=query,
        cases=[],
        case_ids=case_ids[:limit],
        total=total,
        suggestions=suggestions,
        items=_items_without_case(db, tokens, exact_matches.first if exact_matches else None) if tokens else [],
        by_name_only=by_name_only,
        at_least=at_least,
    )


class SearchCache:
    """The answers to the last ``size`` different queries, for as long as the
    database is unchanged (``size`` 0: none kept).

    The database's version (:class:`storage.engine.DataVersion`), read on a
    connection of the cache's own that never writes, changes whenever any other
    connection (of this process or another) commits; then every answer is dropped. An answer is
    computed after the version is read, so it is never older than the version
    it is kept under. Answers are shared between threads: never change one."""

    def __init__(self, path: str | Path, size: int) -> None:
        self.size = size if str(path) not in ("", ":memory:") else 0  # each connection its own in-memory database
        self._path = path
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, SearchResult] = OrderedDict()
        self._version: object | None = None
        self._versions = DataVersion(path)  # used under the lock only

    def search(self, db: Database, query: str) -> SearchResult:
        """:func:`search_cases` of ``query``, from the cache when it can be."""
        if self.size <= 0:
            return search_cases(db, query)
        key = query.strip()[:QUERY_CHARS]  # all that search_cases reads of it
        with self._lock:
            version = self._data_version()
            if version is None:
                return search_cases(db, query)
            if version != self._version:
                self._answers.clear()
                self._version = version
            elif (kept := self._answers.get(key)) is not None:
                self._answers.move_to_end(key)
                return kept
        result = search_cases(db, query)
        with self._lock:
            if self._version == version:
                self._answers[key] = result
                if len(self._answers) > self.size:
                    self._answers.popitem(last=False)
        return result

    def _data_version(self) -> object | None:
        """The database's version (None: unknown, so nothing is kept or used)."""
        return self._versions.read()
