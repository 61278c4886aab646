"""The text the full-text indexes hold: letters that SQLite's tokenizer keeps
as they are spelled the way :func:`feeds.text.fold` spells them.

FTS5's ``unicode61 remove_diacritics 2`` drops accents (é → e) but keeps
letters that are not a base letter plus an accent (ø, æ, ß, ł, đ, þ, œ, the
ﬁ ligature …), while a query's words are folded ("Ødegaard" → "odegaard"). So
every text an index is given goes through :func:`search_text` (in Python) or
:func:`search_text_sql` (in SQL: triggers and ``INSERT … SELECT``); the two
agree, and the index then holds "odegaard" whichever way the text wrote it.

The table is part of the schema: the triggers (migration m021) hold its SQL
form, and every indexed row was written with it. Changing it takes a
migration that rewrites both.
"""

from __future__ import annotations

import re

FOLDED_LETTERS: dict[str, str] = {
    "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "ß": "ss", "ẞ": "SS", "Ł": "L", "ł": "l",
    "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th", "Œ": "OE", "œ": "oe",
    "Ħ": "H", "ħ": "h", "ı": "i", "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl",
}  # fmt: skip
# At most about 24: each letter nests one ``replace`` in the SQL form, and
# SQLite's parser refuses a statement nested much deeper (a trigger holds four).
_TABLE = str.maketrans(FOLDED_LETTERS)
_FOLDED = re.compile(f"[{''.join(FOLDED_LETTERS)}]")


def search_text(text: str) -> str:
    """``text`` as the full-text indexes are given it. Text with none of the
    letters is returned as it is, most of it ASCII (``isascii`` is free); the
    rest holds accents more often than these letters, and one search for them
    costs ~1 µs where ``translate`` with a table costs ~150 µs an item."""
    if text.isascii() or _FOLDED.search(text) is None:
        return text
    return text.translate(_TABLE)


def search_text_sql(column: str) -> str:
    """The SQL expression of :func:`search_text` applied to ``column`` (a
    column name, not ``?``: it is read more than once). ASCII text (as many
    bytes as characters) is taken as it is; other text goes through one
    ``replace`` a letter (exact; no replacement makes another letter of the
    table), 30 µs a row that the guard saves nearly every row."""
    replaced = column
    for letter, plain in FOLDED_LETTERS.items():
        replaced = f"replace({replaced}, '{letter}', '{plain}')"
    return f"CASE WHEN length(CAST({column} AS BLOB)) = length({column}) THEN {column} ELSE {replaced} END"
