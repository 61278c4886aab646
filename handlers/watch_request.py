"""Reading what a user typed after ``/watch`` and ``/unwatch``.

``/watch binance`` · ``/watch "Changpeng Zhao" aka CZ`` · ``/watch 1:23-cv-01599``
· ``/watch binance daily`` (or ``weekly``) · ``/watch binance all`` (routine
docket entries too).
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass

from feeds.extract import find_dockets, leading_docket
from feeds.text import name_key
from feeds.vocabulary import WatchKind, WatchMode
from storage.watches import WatchSpec

TERM_CHARS = 100
MAX_ALIASES = 10
OPTION_WORDS = {*WatchMode, "all"}
WATCH_EXAMPLES = '`/watch binance` · `/watch "Changpeng Zhao" aka CZ` · `/watch 1:23-cv-01599` · `/watch binance daily`'


_NUMBER = re.compile(r"#?([0-9]{1,12})")
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs"}  # controls; zero-width and direction marks; lone surrogates


@dataclass(frozen=True)
class BadRequest:
    message: str


def visible_text(text: str) -> str:
    """``text`` without the characters nobody can see and no feed will contain
    (controls, zero-width characters, bidi overrides, byte-order marks: Unicode
    categories Cc and Cf); line breaks, tabs and other separators become spaces."""
    return "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in INVISIBLE_CATEGORIES
    )


def only_invisible(text: str) -> bool:
    """Whether ``text`` had something in it, but nothing visible."""
    return bool(text.strip()) and not visible_text(text).strip()


def invisible_refusal(example: str) -> BadRequest:
    return BadRequest(
        "That text has only invisible characters (control, zero-width or text-direction marks), "
        f"which no feed can match. Type the name itself, e.g. `{example}`."
    )


def written_number(text: str) -> int | None:
    """``12`` or ``#12`` (ASCII digits only) as a number, else ``None``."""
    found = _NUMBER.fullmatch(text.strip())
    return int(found.group(1)) if found else None


def _words(text: str) -> list[str] | BadRequest:
    text = visible_text(text)
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    try:
        return shlex.split(text)
    except ValueError:
        return BadRequest("A quotation mark is not closed.")


def parse_watch(text: str) -> WatchSpec | BadRequest:
    if only_invisible(text):
        return invisible_refusal("/watch binance")
    words = _words(text.strip()[:1000])
    if isinstance(words, BadRequest):
        return words
    mode, include_routine = WatchMode.INSTANT, False
    while words and words[-1].lower() in OPTION_WORDS:
        option = words.pop().lower()
        if option == "all":
            include_routine = True
        else:
            mode = WatchMode(option)
    if not words:
        return BadRequest("Say what to watch: a company, a person or a docket number.")
    groups: list[list[str]] = [[]]
    for word in words:
        if word.lower() in ("aka", "a/k/a"):
            groups.append([])
        else:
            groups[-1].append(word)
    term = " ".join(groups[0]).strip()
    aliases = [" ".join(group).strip() for group in groups[1:] if group]
    if not term:
        return BadRequest("Put the name before `aka`.")
    if len(term) > TERM_CHARS or any(len(alias) > TERM_CHARS for alias in aliases):
        return BadRequest(f"Names can be at most {TERM_CHARS} characters.")
    if len(aliases) > MAX_ALIASES:
        return BadRequest(f"At most {MAX_ALIASES} aliases per watch.")
    docket = _docket(term)
    if docket:
        return WatchSpec(
            kind=WatchKind.DOCKET, term=docket.display, term_key=docket.key, mode=mode, include_routine=include_routine
        )
    key = name_key(term)
    if len(key.replace(" ", "")) < 2:
        return BadRequest("That name is too short to watch: it would match almost everything.")
    alias_keys = tuple((alias, name_key(alias)) for alias in aliases if len(name_key(alias).replace(" ", "")) >= 2)
    return WatchSpec(
        kind=WatchKind.NAME, term=term, term_key=key, aliases=alias_keys, mode=mode, include_routine=include_routine
    )


def _docket(term: str):
    docket, rest = leading_docket(term)
    if docket and not rest:
        return docket
    found = find_dockets(term)
    return found[0] if len(found) == 1 else None


def unwatch_target(text: str) -> tuple[WatchKind, str] | int | BadRequest:
    """A watch number (its id), or (kind, key) of the watch to remove."""
    if only_invisible(text):
        return invisible_refusal("/unwatch binance")
    words = _words(text.strip()[:1000])
    if isinstance(words, BadRequest):
        return words
    term = " ".join(words).strip()
    if not term:
        return BadRequest("Say which watch to remove: its name, its docket number or its number in `/watchlist`.")
    return named_watch(term)


def named_watch(term: str) -> tuple[WatchKind, str] | int:
    """The watch ``term`` names: its number in ``/watchlist`` (``12``, ``#12``),
    else (kind, key) by docket number or name (the key may be empty)."""
    number = written_number(term)
    if number is not None:
        return number
    docket = _docket(term)
    if docket:
        return (WatchKind.DOCKET, docket.key)
    return (WatchKind.NAME, name_key(term))
