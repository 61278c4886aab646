"""Cleaning and normalising untrusted text from feeds and users."""

from __future__ import annotations

import functools
import html
import re
import unicodedata

# Real HTML tags only (a letter after ``<``), so Slack-looking text such as
# ``<!channel>`` or ``<https://x|y>`` survives as text and is escaped later.
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_SPACE = re.compile(r"\s+")
# Left in item text by feeds that wrap or escape twice: a comment goes, CDATA's
# markers go (its content is the text). An unclosed comment loses its marker only.
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_CDATA_MARKER = re.compile(r"<!\[CDATA\[|\]\]>")
_NON_WORD = re.compile(r"[\W_]+")
_POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)

CORPORATE_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "sa",
        "ag",
        "nv",
        "bv",
        "gmbh",
        "sarl",
        "spa",
        "pte",
        "pty",
        "srl",
        "kk",
        "ab",
        "as",
        "oy",
    ]
)


def clean_text(raw: str | None, limit: int) -> str:
    """Decode entities (twice: feeds leave ``&#039;`` behind), drop HTML tags,
    fold white space and cap the length."""
    if not raw:
        return ""
    text = html.unescape(html.unescape(raw))
    text = _CDATA_MARKER.sub(" ", text)
    text = _COMMENT.sub(lambda comment: " " if comment[0].endswith("-->") else comment[0][4:], text)
    text = _TAG.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


# Lower-case letters that Unicode does not decompose into a base letter and a
# mark, spelled as an English reader types them (``Ørsted`` → ``orsted``).
_UNDECOMPOSED = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "æ": "ae",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ĸ": "k",
        "ŋ": "n",
        "ƒ": "f",
        "ɨ": "i",
        "ʉ": "u",
    }
)


@functools.lru_cache(maxsize=4096)
def _fold_character(character: str) -> str:
    """One character of NFKD-decomposed text as fold() spells it: a combining
    mark goes, a letter is case-folded (and spelled in ASCII if Unicode does not
    decompose it), and whatever is not a letter or digit becomes a space."""
    if unicodedata.combining(character):
        return ""
    folded = character.casefold().translate(_UNDECOMPOSED)
    return folded if folded.isalnum() else _NON_WORD.sub(" ", folded)


# Every ASCII character folds to one ASCII character: a bytes table, the fastest translate.
_ASCII_FOLD_BYTES = bytes(ord(_fold_character(chr(code))) for code in range(128)) + bytes(range(128, 256))


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# A dash, quotes, an accented letter or two, here and there: longer runs, or many kinds, are of another script.
_SHORT_RUN = 8
_FEW_RUNS = 12


@functools.lru_cache(maxsize=4096)
def _fold_run(run: str) -> str:
    """A short run of non-ASCII characters as fold() spells it. Decomposing text
    decomposes each character on its own (only combining marks move, and
    fold() drops them), so a run folds alone as it would within its text."""
    return "".join(_fold_character(character) for character in unicodedata.normalize("NFKD", run))


def _spelled_in_ascii(text: str) -> str | None:
    """``text`` with each of its runs of non-ASCII characters folded, if they
    are few and short and all fold to ASCII; else None. Longest runs first, so
    that replacing a shorter one never touches part of a longer one."""
    # UTF-8's extra bytes: 1 to 3 a non-ASCII character. Mostly another script: no run will do.
    if (len(text.encode("utf-8", "surrogatepass")) - len(text)) * 4 >= len(text):
        return None
    runs = set(_NON_ASCII_RUN.findall(text))
    if len(runs) > _FEW_RUNS:
        return None
    for run in sorted(runs, key=len, reverse=True):
        if len(run) > _SHORT_RUN:
            return None
        spelled = _fold_run(run)
        if not spelled.isascii():
            return None
        text = text.replace(run, spelled)
    return text


def words(text: str) -> list[str]:
    """The words of ``text``, folded: lower case, no accents (``ø``, ``ł``, ``æ``
    … too), split wherever a character is not a letter or digit.

    One ``translate`` and a ``split`` in C, not a walk through the characters
    in Python: ASCII text through a bytes table, and so text with a few other
    characters (a dash, a curly quote, an accented name: most of what feeds
    publish) once they are folded (which the table leaves as they are); other
    text decomposed and through a table made of its distinct characters, each
    folded once and remembered."""
    if not text.isascii():
        spelled = _spelled_in_ascii(text)
        if spelled is None:
            text = unicodedata.normalize("NFKD", text)
            # Every character of the text in the table: translate() is slow on those it lacks.
            table = {ord(character): _fold_character(character) for character in set(text)}
            return text.translate(table).split()
        text = spelled
    return text.encode("ascii").translate(_ASCII_FOLD_BYTES).decode("ascii").split()


def fold(text: str) -> str:
    """Lower-case, strip accents (``ø``, ``ł``, ``æ`` … too), turn punctuation into spaces."""
    return " ".join(words(text))


def name_key(name: str) -> str:
    """A comparison key for a party name: folded, possessive ``'s`` and corporate
    suffixes removed. ``Binance Holdings Ltd.`` → ``binance holdings``."""
    # Decomposed first, like fold(), so the possessive is found whatever the case and normal form.
    folded = fold(_POSSESSIVE.sub("", unicodedata.normalize("NFKD", name)))
    tokens = folded.split()
    # Dotted suffixes fold into single letters ("S.A." → "s a"); rejoin them.
    joined: list[str] = []
    for token in tokens:
        if len(token) == 1 and joined and len(joined[-1]) <= 2 and joined[-1].isalpha():
            candidate = joined[-1] + token
            if candidate in CORPORATE_SUFFIXES:
                joined[-1] = candidate
                continue
        joined.append(token)
    while len(joined) > 1 and joined[-1] in CORPORATE_SUFFIXES:
        joined.pop()
    return " ".join(joined)
