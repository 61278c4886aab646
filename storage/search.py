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
from storage.cases import CaseView, case_view

QUERY_CHARS = 300
QUERY_WORDS = 12
CANDIDATES = 200


@dataclass
class SearchResult:
    query: str
    cases: list[CaseView]
    total: int
    suggestions: list[str] = field(default_factory=list)


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
        column = "docket_key" if docket.key != docket.short else "docket_short"
        for (case_id,) in db.execute(
            f"SELECT case_dockets.case_id FROM case_dockets JOIN cases ON cases.id = case_dockets.case_id "
            f"WHERE {column} = ? ORDER BY cases.last_event_at DESC",
            [docket.key if column == "docket_key" else docket.short],
        ):
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


def _cases_by_words(db: Database, expression: str) -> list[int]:
    """Cases whose names, caption or dockets match, most recently active first
    (ties: the better documented first); then cases matched only by the words
    of their items."""
    by_name = [
        case_id
        for (case_id,) in db.execute(
            "SELECT case_search.rowid FROM case_search JOIN cases ON cases.id = case_search.rowid "
            "WHERE case_search MATCH ? ORDER BY cases.last_event_at DESC, "
            "(SELECT count(*) FROM items WHERE items.case_id = cases.id) DESC, cases.caption_key, cases.id "
            "LIMIT ?",
            [expression, CANDIDATES],
        )
    ]
    by_text = db.execute(
        "SELECT items.case_id FROM item_search JOIN items ON items.id = item_search.rowid "
        "WHERE item_search MATCH ? AND items.case_id IS NOT NULL ORDER BY items.event_at DESC LIMIT ?",
        [expression, CANDIDATES * 5],
    )
    ranked = list(dict.fromkeys(by_name))
    known = set(ranked)
    for (case_id,) in by_text:
        if case_id not in known:
            known.add(case_id)
            ranked.append(case_id)
    return ranked


def _suggestions(db: Database, tokens: list[str]) -> list[str]:
    """Spellings of the query that exist in the case index ("did you mean")."""
    corrected = []
    for token in tokens:
        candidates = [
            term
            for (term,) in db.execute(
                "SELECT term FROM case_search_terms WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?",
                [token[0], chr(ord(token[0]) + 1), max(1, len(token) - 2), len(token) + 2],
            )
        ]
        close = difflib.get_close_matches(token, candidates, n=1, cutoff=0.7)
        corrected.append(close[0] if close else token)
    if corrected == tokens:
        return []
    names = [
        name
        for (name,) in db.execute(
            "SELECT DISTINCT name FROM case_parties WHERE role = 'defendant' AND "
            "(' ' || name_key || ' ') LIKE ? ESCAPE '\\' LIMIT 3",
            ["% " + " ".join(corrected).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " %"],
        )
    ]
    return names or [" ".join(corrected)]


def search_cases(db: Database, query: str, *, limit: int = 3) -> SearchResult:
    """The best ``limit`` cases for ``query``, how many matched in all, and
    suggestions when nothing did."""
    query = query.strip()[:QUERY_CHARS]
    case_ids = _cases_by_docket(db, query)
    tokens = search_words(query)
    if not case_ids and tokens:
        case_ids = _cases_by_words(db, fts_query(tokens))
        if not case_ids and len(tokens[-1]) >= 3:
            case_ids = _cases_by_words(db, fts_query(tokens, prefix_last=True))
    suggestions = _suggestions(db, tokens) if not case_ids and tokens else []
    return SearchResult(
        query=query,
        cases=[case_view(db, case_id) for case_id in case_ids[:limit]],
        total=len(case_ids),
        suggestions=suggestions,
    )
