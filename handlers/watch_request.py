"""Reading what a user typed after ``/watch`` and ``/unwatch``.

``/watch binance`` · ``/watch "Changpeng Zhao" aka CZ`` · ``/watch 1:23-cv-01599``
· ``/watch binance daily`` (or ``weekly``) · ``/watch binance all`` (routine
docket entries too).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from feeds.extract import find_dockets, leading_docket
from feeds.text import name_key
from storage.watches import WatchSpec

TERM_CHARS = 100
MAX_ALIASES = 10
OPTION_WORDS = {"daily", "weekly", "instant", "all"}
WATCH_EXAMPLES = '`/watch binance` · `/watch "Changpeng Zhao" aka CZ` · `/watch 1:23-cv-01599` · `/watch binance daily`'


@dataclass(frozen=True)
class BadRequest:
    message: str


def _words(text: str) -> list[str] | BadRequest:
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    try:
        return shlex.split(text)
    except ValueError:
        return BadRequest("A quotation mark is not closed.")


def parse_watch(text: str) -> WatchSpec | BadRequest:
    words = _words(text.strip()[:1000])
    if isinstance(words, BadRequest):
        return words
    mode, include_routine = "instant", False
    while words and words[-1].lower() in OPTION_WORDS:
        option = words.pop().lower()
        if option == "all":
            include_routine = True
        else:
            mode = option
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
            kind="docket", term=docket.display, term_key=docket.key, mode=mode, include_routine=include_routine
        )
    key = name_key(term)
    if len(key.replace(" ", "")) < 2:
        return BadRequest("That name is too short to watch: it would match almost everything.")
    alias_keys = tuple((alias, name_key(alias)) for alias in aliases if len(name_key(alias).replace(" ", "")) >= 2)
    return WatchSpec(
        kind="name", term=term, term_key=key, aliases=alias_keys, mode=mode, include_routine=include_routine
    )


def _docket(term: str):
    docket, rest = leading_docket(term)
    if docket and not rest:
        return docket
    found = find_dockets(term)
    return found[0] if len(found) == 1 else None


def unwatch_target(text: str) -> tuple[str, str] | int | BadRequest:
    """A list number, or (kind, key) of the watch to remove."""
    words = _words(text.strip()[:1000])
    if isinstance(words, BadRequest):
        return words
    term = " ".join(words).strip()
    if not term:
        return BadRequest("Say which watch to remove: its name, its docket number or its number in `/watchlist`.")
    if term.lstrip("#").isdigit():
        return int(term.lstrip("#"))
    docket = _docket(term)
    if docket:
        return ("docket", docket.key)
    return ("name", name_key(term))
