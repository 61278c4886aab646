"""Full-text search on either engine: one interface, two implementations.

SQLite keeps FTS5 (``item_search``, ``loose_item_search``, ``case_search``);
PostgreSQL has tsvector columns with GIN indexes (``items.search``, a partial
index of it for the items of no case, ``case_search.search`` and
``case_search.parties_search``: storage/pg_baseline.sql). storage/ reads and
writes full text only through :func:`full_text`'s object, so no other module
branches on the engine.

The words are the same on both engines by construction: a query is made of
``feeds.text.words`` (folded in Python), each quoted, never the user's syntax.
SQLite's index splits text with FTS5's ``unicode61 remove_diacritics 2`` (the
text given it through :func:`storage.fts_text.search_text`, which agrees with
``fold``); PostgreSQL's is ``to_tsvector('simple', fold(text))``: folded text
is lower-case letters and digits between single spaces, which the 'simple'
configuration keeps whole, word for word. A PostgreSQL query is
``to_tsquery('simple', …)`` of the same quoted words (``'w1' & 'w2':*``).

An index is named by what it holds: ``items`` (every item's title and
summary), ``loose`` (those of the items of no case), ``cases`` (a case's
parties, caption and docket numbers) and ``parties`` (its parties alone).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Literal

from feeds.text import fold, words
from storage.engine import POSTGRESQL, SQLITE, Connection, Cursor, Engine, engine_of, execute_planned
from storage.fts_text import search_text, search_text_sql

Index = Literal["items", "loose", "cases", "parties"]
NEWEST_BATCH = 200  # the first batch of :meth:`FullText.newest`; later ones are five times larger
COUNT_CAP = 1_000
"""On PostgreSQL a count of matching cases stops here (an exact count of a
word in half the rows reads every row: 162 ms at 500,000 items): ``/case``
then says "1000+ cases match". SQLite counts exactly (FTS5 counts a word's
list without reading rows)."""


def quoted(word: str) -> str:
    """``word`` as one literal of either engine's query syntax."""
    return '"{}"'.format(word.replace('"', '""'))


def ascii_words_match(wanted: set[str], texts: Collection[str | None]) -> bool:
    """Whether ``texts`` (ASCII) have every word of ``wanted`` (folded ASCII
    words) as FTS5's ``unicode61`` tokenizer splits them: on ASCII it keeps
    runs of letters and digits, lower-cased, as :func:`feeds.text.words` does
    (``tests/test_search_check.py`` checks every ASCII character against
    FTS5 itself). 20 µs a row less than copying the row into a check table."""
    found: set[str] = set()
    for text in texts:
        if text:
            found.update(words(text))
    return wanted <= found


class FullText:
    """What storage/ does with full text, on one engine (see :func:`full_text`)."""

    engine: Engine

    # --- queries: text the engine's match condition takes as its parameter ---------

    def words(self, tokens: list[str], *, prefix_last: bool = False) -> str:
        """A query requiring every token (the last one as a prefix if ``prefix_last``)."""
        raise NotImplementedError

    def longer_last(self, tokens: list[str]) -> str:
        """A query for what ``words(tokens, prefix_last=True)`` matches and
        ``words(tokens)`` does not: every token but the last, and a longer word
        beginning with the last token but not that token itself."""
        raise NotImplementedError

    def phrases(self, phrases: Collection[str]) -> str:
        """A query of the ``parties`` index: any of ``phrases`` (words in a row)."""
        raise NotImplementedError

    # --- SQL fragments ---------------------------------------------------------------

    def table(self, index: Index) -> str:
        """The table whose rows ``index`` matches."""
        raise NotImplementedError

    def rowid(self, index: Index) -> str:
        """The name of the table's id column (item or case id)."""
        return "rowid"

    def match(self, index: Index, parameter: str = "?") -> str:
        """The condition (on :meth:`table`) that a row matches the query ``parameter``."""
        raise NotImplementedError

    def rowids(self, index: Index, parameter: str = "?") -> str:
        """A ``SELECT`` of the ids that match the query ``parameter``."""
        return f"SELECT {self.rowid(index)} FROM {self.table(index)} WHERE {self.match(index, parameter)}"

    # --- reading -----------------------------------------------------------------------

    def execute(self, db: Connection, sql: str, parameters: list | None = None) -> Cursor:
        """Run a statement that matches full text (see :func:`storage.engine.execute_planned`)."""
        return execute_planned(db, sql, parameters)

    def newest(self, db: Connection, index: Index, query: str) -> Iterator[list[int]]:
        """The ids that match ``query``, newest (highest) first, a batch at a time
        (:data:`NEWEST_BATCH`, then five times as many), read only as far as asked."""
        raise NotImplementedError

    def matching(self, db: Connection, index: Index, query: str, *, limit: int) -> list[int]:
        """The newest ``limit`` ids that match ``query``, newest first."""
        sql = f"{self.rowids(index)} ORDER BY {self.rowid(index)} DESC LIMIT ?"
        return [rowid for (rowid,) in self.execute(db, sql, [query, limit])]

    def first(self, db: Connection, index: Index, query: str, limit: int) -> list[int]:
        """Any ``limit`` ids that match ``query`` (the first the index gives)."""
        return [rowid for (rowid,) in self.execute(db, f"{self.rowids(index)} LIMIT ?", [query, limit])]

    def any_match(self, db: Connection, index: Index, query: str) -> bool:
        return self.execute(db, f"{self.rowids(index)} LIMIT 1", [query]).fetchone() is not None

    def count(self, db: Connection, index: Index, query: str, *, cap: int) -> int:
        """How many rows match ``query``, counting no further than ``cap``."""
        sql = f"SELECT count(*) FROM ({self.rowids(index)} LIMIT ?) AS capped"
        return self.execute(db, sql, [query, cap]).fetchone()[0]

    def count_all(self, db: Connection, index: Index, query: str) -> int:
        """How many rows match ``query`` (SQLite: all; PostgreSQL: up to :data:`COUNT_CAP`)."""
        raise NotImplementedError

    def counts_exactly(self) -> bool:
        """Whether :meth:`count_all` is exact (else it stops at :data:`COUNT_CAP`)."""
        return True

    def check(
        self, db: Connection, index: Literal["items", "cases"], rowids: list[int], tokens: list[str]
    ) -> list[int]:
        """Which of ``rowids`` have every word of ``tokens``, newest first, reading
        only those rows (the index would walk every word's whole list)."""
        raise NotImplementedError

    def prepare(self, db: Connection) -> None:
        """What a new connection makes once, so that no search pays for it."""

    # --- writing ------------------------------------------------------------------------

    def index_items(self, db: Connection, rows: list[tuple[int, str, str]], loose: list[tuple[int, str, str]]) -> None:
        """Index items just stored: ``rows`` (id, title, summary, as :func:`search_text`
        gives them); ``loose``: those of them that belong to no case."""
        raise NotImplementedError

    def refresh_cases(self, db: Connection, case_ids: Collection[int]) -> None:
        """Rewrite the cases' rows from their parties, caption and dockets."""
        raise NotImplementedError


# --- SQLite: FTS5 ---------------------------------------------------------------------------

_FTS5_TABLES: dict[Index, str] = {
    "items": "item_search",
    "loose": "loose_item_search",
    "cases": "case_search",
    "parties": "case_search",
}
SEARCH_TOKENIZER = "unicode61 remove_diacritics 2"  # item_search's and case_search's: a check table splits alike
# Per checkable index: its table, its columns, and the query that reads their text for the given rowids.
_CHECKED_TEXT = {
    "items": (
        "item_search",
        "title, summary",
        f"SELECT id, {search_text_sql('title')}, {search_text_sql('summary')} FROM items WHERE id IN ({{}})",
    ),
    "cases": (
        "case_search",
        "parties, caption, dockets",
        "SELECT rowid, parties, caption, dockets FROM case_search WHERE rowid IN ({})",
    ),
}
# A case's full-text row: its parties ("name name_key | …"), its caption and
# every form of its docket numbers, made in SQLite from the case's rows.
CASE_SEARCH_ROW = f"""
    INSERT INTO case_search (rowid, parties, caption, dockets)
    SELECT id,
        coalesce((SELECT group_concat({search_text_sql("name")} || ' ' || name_key, ' | ')
                  FROM case_parties WHERE case_id = ?1), ''),
        coalesce({search_text_sql("caption")}, ''),
        coalesce((SELECT group_concat(display || ' ' || docket_key || ' ' || docket_short, ' ')
                  FROM case_dockets WHERE case_id = ?1), '')
    FROM cases WHERE id = ?1
"""
INSERT_ITEM_SEARCH = "INSERT INTO item_search (rowid, title, summary) VALUES (?, ?, ?)"
INSERT_LOOSE_SEARCH = "INSERT INTO loose_item_search (rowid, title, summary) VALUES (?, ?, ?)"


class Fts5(FullText):
    engine = SQLITE

    def execute(self, db: Connection, sql: str, parameters: list | None = None) -> Cursor:
        return db.execute(sql, parameters)

    def words(self, tokens: list[str], *, prefix_last: bool = False) -> str:
        parts = [quoted(token) for token in tokens]
        if prefix_last and parts:
            parts[-1] += "*"
        return " ".join(parts)

    def longer_last(self, tokens: list[str]) -> str:
        last = f"({quoted(tokens[-1])}* NOT {quoted(tokens[-1])})"
        rest = self.words(tokens[:-1])
        return f"{rest} AND {last}" if rest else last

    def phrases(self, phrases: Collection[str]) -> str:
        return f"parties : ({' OR '.join(quoted(phrase) for phrase in phrases)})"

    def table(self, index: Index) -> str:
        return _FTS5_TABLES[index]

    def match(self, index: Index, parameter: str = "?") -> str:
        return f"{_FTS5_TABLES[index]} MATCH {parameter}"

    def newest(self, db: Connection, index: Index, query: str) -> Iterator[list[int]]:
        """From one cursor: FTS5 walks its lists once, however many batches are
        read (a new query per batch, from ``rowid < last``, sought its place again).
        Several words' matches are first read forwards (:meth:`_all_if_few`)."""
        few = self._all_if_few(db, index, query, NEWEST_BATCH)
        if few is not None:
            if few:
                yield few
            return
        cursor = db.execute(f"{self.rowids(index)} ORDER BY rowid DESC", [query])
        size = NEWEST_BATCH
        while batch := [rowid for (rowid,) in cursor.fetchmany(size)]:
            yield batch
            size = NEWEST_BATCH * 5

    def matching(self, db: Connection, index: Index, query: str, *, limit: int) -> list[int]:
        few = self._all_if_few(db, index, query, limit)
        return few if few is not None else super().matching(db, index, query, limit=limit)

    def _all_if_few(self, db: Connection, index: Index, query: str, most: int) -> list[int] | None:
        """Every id that matches ``query``, newest first, when they are at most
        ``most``; else None. Only for several words (:meth:`words`: quoted words
        between spaces), read in ascending order and reversed here: to intersect
        lists FTS5 skips forwards through a long one by its doclist index, but
        backwards one entry at a time (a full name's items: 1.4 → 0.8 ms mean).
        Not for one word (read backwards as cheaply: this read would be wasted
        when it matches more) nor a prefix (``*``: the lists of every word it
        begins are merged in either order, and would be merged again). Common
        words matching more lose this read (~0.2 ms)."""
        if " " not in query or "*" in query:
            return None
        found = [rowid for (rowid,) in db.execute(f"{self.rowids(index)} ORDER BY rowid LIMIT ?", [query, most + 1])]
        if len(found) > most:
            return None
        found.reverse()
        return found

    def count_all(self, db: Connection, index: Index, query: str) -> int:
        table = _FTS5_TABLES[index]
        return db.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", [query]).fetchone()[0]

    def check(
        self, db: Connection, index: Literal["items", "cases"], rowids: list[int], tokens: list[str]
    ) -> list[int]:
        """The rows' text is copied into a temporary FTS5 table with the index's
        tokenizer and the query matched there: the same rows as the index gives.
        When the words and the rows' text are all ASCII (nearly always), the
        text is split here instead (:func:`ascii_words_match`)."""
        _, columns, read_text = _CHECKED_TEXT[index]
        marks = ", ".join("?" for _ in rowids)
        if all(token.isascii() for token in tokens):
            rows = db.execute(read_text.format(marks), rowids).fetchall()
            if all(text is None or text.isascii() for row in rows for text in row[1:]):
                wanted = set(tokens)
                return sorted((row[0] for row in rows if ascii_words_match(wanted, row[1:])), reverse=True)
        check = self._check_table(db, index)
        db.execute(f"INSERT INTO temp.{check} (rowid, {columns}) {read_text.format(marks)}", rowids)
        matches = [
            rowid
            for (rowid,) in db.execute(
                f"SELECT rowid FROM temp.{check} WHERE {check} MATCH ? ORDER BY rowid DESC", [self.words(tokens)]
            )
        ]
        self._empty(db, check)
        return matches

    def prepare(self, db: Connection) -> None:
        for index in _CHECKED_TEXT:
            self._check_table(db, index)  # type: ignore[arg-type]

    def _check_table(self, db: Connection, index: Literal["items", "cases"]) -> str:
        """The name of the connection's empty temporary FTS5 table for checking
        rows of ``index``, created the first time (by :meth:`prepare` in a
        server, so that no request pays for it)."""
        table, columns, _ = _CHECKED_TEXT[index]
        check = f"{table}_check"
        db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{check} USING fts5 "
            f"({columns}, content = '', tokenize = '{SEARCH_TOKENIZER}')"
        )
        self._empty(db, check)
        return check

    @staticmethod
    def _empty(db: Connection, check: str) -> None:
        """Empty a check table. It keeps no copy of the text (``content = ''``:
        only rowids are read from it), so it is emptied at once; deleting rows of
        an FTS5 table with content tokenizes their text again (~half the check's cost)."""
        db.execute(f"INSERT INTO temp.{check} ({check}) VALUES ('delete-all')")

    def index_items(self, db: Connection, rows: list[tuple[int, str, str]], loose: list[tuple[int, str, str]]) -> None:
        """A batch writes them together at its end: SQLite flushes FTS5's pending
        words to disk at every statement that opens a statement journal (each
        item's insert does), so indexing items one by one between them writes a
        small index segment per item, and merging those is most of the cost."""
        db.conn.executemany(INSERT_ITEM_SEARCH, rows)
        if loose:
            from storage.items import loose_index_written_by_store  # storage.items calls this module

            if loose_index_written_by_store(db):
                db.conn.executemany(INSERT_LOOSE_SEARCH, loose)

    def refresh_cases(self, db: Connection, case_ids: Collection[int]) -> None:
        """Two statements (one per case and step would each write a small full-text index segment)."""
        rows = [(case_id,) for case_id in case_ids]
        db.conn.executemany("DELETE FROM case_search WHERE rowid = ?", rows)
        db.conn.executemany(CASE_SEARCH_ROW, rows)


# --- PostgreSQL: tsvector and GIN ------------------------------------------------------------

_TSQUERY = "to_tsquery('simple', {})"
_PG_MATCHES: dict[Index, tuple[str, str, str]] = {  # table, id column, condition
    "items": ("items", "id", "search @@ {}"),
    "loose": ("items", "id", "case_id IS NULL AND search @@ {}"),  # the partial index loose_item_search
    "cases": ("case_search", "rowid", "search @@ {}"),
    "parties": ("case_search", "rowid", "parties_search @@ {}"),
}
# Each case's text as case_search holds it, in the order SQLite's CASE_SEARCH_ROW reads it
# (its parties' and dockets' primary keys), folded in Python.
_PG_CASE_TEXT = """
    SELECT id,
        coalesce((SELECT string_agg(name || ' ' || name_key, ' | ' ORDER BY role, name_key)
                  FROM case_parties WHERE case_id = cases.id), ''),
        coalesce(caption, ''),
        coalesce((SELECT string_agg(display || ' ' || docket_key || ' ' || docket_short, ' ' ORDER BY docket_key)
                  FROM case_dockets WHERE case_id = cases.id), '')
    FROM cases WHERE id IN ({})
"""
_PG_CASE_ROW = (
    "INSERT INTO case_search (rowid, parties, caption, dockets, search, parties_search) "
    "VALUES (?, ?, ?, ?, to_tsvector('simple', ?), to_tsvector('simple', ?)) "
    "ON CONFLICT (rowid) DO UPDATE SET parties = excluded.parties, caption = excluded.caption, "
    "dockets = excluded.dockets, search = excluded.search, parties_search = excluded.parties_search"
)
_PG_ITEM_WORDS = "UPDATE items SET search = to_tsvector('simple', ?) WHERE id = ?"


def _lexeme(word: str) -> str:
    """``word`` quoted for ``to_tsquery`` (folded words hold neither quotes nor backslashes; still escaped)."""
    return "'{}'".format(word.replace("\\", "\\\\").replace("'", "''"))


class TsVector(FullText):
    engine = POSTGRESQL

    def words(self, tokens: list[str], *, prefix_last: bool = False) -> str:
        parts = [_lexeme(token) for token in tokens]
        if prefix_last and parts:
            parts[-1] += ":*"
        return " & ".join(parts)

    def longer_last(self, tokens: list[str]) -> str:
        last = _lexeme(tokens[-1])
        return " & ".join([*map(_lexeme, tokens[:-1]), f"{last}:*", f"!{last}"])

    def phrases(self, phrases: Collection[str]) -> str:
        return " | ".join("({})".format(" <-> ".join(map(_lexeme, phrase.split()))) for phrase in phrases)

    def table(self, index: Index) -> str:
        return _PG_MATCHES[index][0]

    def match(self, index: Index, parameter: str = "?") -> str:
        return _PG_MATCHES[index][2].format(_TSQUERY.format(parameter))

    def newest(self, db: Connection, index: Index, query: str) -> Iterator[list[int]]:
        """A page at a time from the last id read (psycopg would read a cursor's
        every row at once): the planner walks the primary key backwards."""
        rowid = self.rowid(index)
        sql = f"{self.rowids(index)} ORDER BY {rowid} DESC LIMIT ?"
        after = f"{self.rowids(index)} AND {rowid} < ? ORDER BY {rowid} DESC LIMIT ?"
        size = NEWEST_BATCH
        batch = [found for (found,) in self.execute(db, sql, [query, size])]
        while batch:
            yield batch
            if len(batch) < size:
                return
            size = NEWEST_BATCH * 5
            batch = [found for (found,) in self.execute(db, after, [query, batch[-1], size])]

    def rowid(self, index: Index) -> str:
        return _PG_MATCHES[index][1]

    def count_all(self, db: Connection, index: Index, query: str) -> int:
        return self.count(db, index, query, cap=COUNT_CAP)

    def counts_exactly(self) -> bool:
        return False

    def check(
        self, db: Connection, index: Literal["items", "cases"], rowids: list[int], tokens: list[str]
    ) -> list[int]:
        """The rows' stored tsvectors, matched by primary key."""
        rowid = self.rowid(index)
        marks = ", ".join("?" for _ in rowids)
        sql = f"{self.rowids(index)} AND {rowid} IN ({marks}) ORDER BY {rowid} DESC"
        return [found for (found,) in self.execute(db, sql, [self.words(tokens), *rowids])]

    def index_items(self, db: Connection, rows: list[tuple[int, str, str]], loose: list[tuple[int, str, str]]) -> None:
        """Items of no case are in the partial index by their ``case_id``: ``loose`` needs nothing more."""
        db.conn.executemany(_PG_ITEM_WORDS, [(fold(f"{title} {summary}"), item_id) for item_id, title, summary in rows])

    def refresh_cases(self, db: Connection, case_ids: Collection[int]) -> None:
        """Two statements: the cases' text (read), their rows (written)."""
        ids = list(case_ids)
        if not ids:
            return
        rows = db.execute(_PG_CASE_TEXT.format(", ".join("?" for _ in ids)), ids).fetchall()
        db.conn.executemany(
            _PG_CASE_ROW,
            [
                (
                    case_id,
                    search_text(parties),
                    search_text(caption),
                    dockets,
                    fold(f"{parties} {caption} {dockets}"),
                    fold(parties),
                )
                for case_id, parties, caption, dockets in rows
            ],
        )


_ENGINES: dict[Engine, FullText] = {SQLITE: Fts5(), POSTGRESQL: TsVector()}


def full_text(db: Connection) -> FullText:
    """Full-text search on ``db``'s engine."""
    return _ENGINES[engine_of(db)]
