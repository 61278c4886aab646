"""Finding cases for ``/case``: by docket number, by party name, by words.

Any text is safe to search: user text never reaches FTS5's query syntax, only
folded words each wrapped in double quotes, so ``"``, ``*``, ``-``, ``NEAR`` or
``OR`` are plain words and no query can raise an FTS syntax error.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from sqlite_utils import Database

from feeds.extract import find_dockets, leading_docket
from feeds.text import CORPORATE_SUFFIXES, words
from storage.cases import CaseView, case_view, cases_with_docket

QUERY_CHARS = 300
QUERY_WORDS = 12
CANDIDATES = 200
ITEMS_SHOWN = 3


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


def fts_query(tokens: list[str], *, prefix_last: bool = False) -> str:
    """An FTS5 MATCH expression that requires every token, each a quoted string."""
    quoted = [f'"{token}"' for token in tokens]
    if prefix_last and quoted:
        quoted[-1] += "*"
    return " ".join(quoted)


def _rank(db: Database, case_ids: list[int]) -> list[int]:
    """Most recently active first; ties: the better documented, then the oldest."""
    if not case_ids:
        return []
    marks = ", ".join("?" for _ in case_ids)
    rows = db.execute(
        f"SELECT id, last_event_at, (SELECT count(*) FROM items WHERE items.case_id = cases.id) "
        f"FROM cases WHERE id IN ({marks})",
        case_ids,
    ).fetchall()
    rows.sort(key=lambda row: (row[1] or "", row[2], -row[0]), reverse=True)
    return [row[0] for row in rows]


def _cases_by_words(db: Database, expression: str) -> tuple[list[int], int]:
    """Cases whose names, caption or dockets match, then cases matched only by
    the words of their items; each group ranked by :func:`_rank`. Only the
    newest ``CANDIDATES`` matches of each kind are ranked (FTS5 walks rowids in
    order cheaply), so a word in every case costs no more than a rare one.
    Returns the ranked ids and how many cases matched in all."""
    by_name = [
        case_id
        for (case_id,) in db.execute(
            "SELECT rowid FROM case_search WHERE case_search MATCH ? ORDER BY rowid DESC LIMIT ?",
            [expression, CANDIDATES],
        )
    ]
    (name_total,) = db.execute("SELECT count(*) FROM case_search WHERE case_search MATCH ?", [expression]).fetchone()
    known = set(by_name)
    by_text: list[int] = []
    for (case_id,) in db.execute(
        "SELECT items.case_id FROM item_search JOIN items ON items.id = item_search.rowid "
        "WHERE item_search MATCH ? AND items.case_id IS NOT NULL ORDER BY item_search.rowid DESC LIMIT ?",
        [expression, CANDIDATES * 5],
    ):
        if case_id not in known:
            known.add(case_id)
            by_text.append(case_id)
    return _rank(db, by_name) + _rank(db, by_text), name_total + len(by_text)


def _items_without_case(db: Database, expression: str, limit: int = ITEMS_SHOWN) -> list[ItemHit]:
    """The newest items of no case whose words match (the newest ``CANDIDATES`` matches are read)."""
    rows = db.execute(
        "SELECT items.event_at, items.title, items.link, feeds.name FROM "
        "(SELECT rowid FROM item_search WHERE item_search MATCH ? ORDER BY rowid DESC LIMIT ?) AS hits "
        "JOIN items ON items.id = hits.rowid JOIN feeds ON feeds.id = items.feed_id "
        "WHERE items.case_id IS NULL ORDER BY items.event_at DESC, items.id DESC LIMIT ?",
        [expression, CANDIDATES, limit],
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
    for (case_id,) in db.execute(
        "SELECT rowid FROM case_search WHERE case_search MATCH ? ORDER BY rowid DESC LIMIT 20", [fts_query(corrected)]
    ):
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
    query = query.strip()[:QUERY_CHARS]
    case_ids = _cases_by_docket(db, query)
    total = len(case_ids)
    tokens = search_words(query)
    if not case_ids and tokens:
        case_ids, total = _cases_by_words(db, fts_query(tokens))
        if not case_ids and len(tokens[-1]) >= 3:
            case_ids, total = _cases_by_words(db, fts_query(tokens, prefix_last=True))
    suggestions = _suggestions(db, tokens) if not case_ids and tokens else []
    return SearchResult(
        query=query,
        cases=[case_view(db, case_id) for case_id in case_ids[:limit]],
        total=total,
        suggestions=suggestions,
        items=_items_without_case(db, fts_query(tokens)) if tokens else [],
    )
