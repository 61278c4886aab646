"""Changing a watch from ``/watch``: hide filters and notes, and how they read.

``/watch binance hide "pro hac vice"`` · ``/watch binance hide routine orders``
(unquoted words are one phrase; each quoted text is one) · ``/watch binance
unhide "pro hac vice"`` · ``/watch binance note "counterparty review for the
Q3 audit"`` · ``/watch binance note remove`` · ``/watch 12 hide …`` (the
watch's number in ``/watchlist``).

The verb is the first bare (unquoted) ``hide``, ``unhide`` or ``note`` after
at least one word: a name holding such a word is watched by quoting it
(``/watch "Hide Corp"``); a leading verb followed by quoted text (``hide "pro
hac vice"``) forgot its watch and is refused. Only double quotes quote, so apostrophes
(``clerk's notice``) stay in the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from feeds.filters import HideFilter, read_filter
from feeds.vocabulary import FilterKind, WatchKind
from handlers.case_answer import ACTION_LABELS
from handlers.mrkdwn import escape, link, slack_date, truncate
from handlers.watch_request import BadRequest, named_watch, visible_text
from storage.watch_filters import HIDDEN_DAYS, MAX_FILTERS_PER_WATCH, HiddenAlert
from storage.watches import Watch

VERBS = frozenset({"hide", "unhide", "note"})
FILTER_CHARS = 100
NOTE_CHARS = 300
MAX_FILTERS_AT_ONCE = 10
REMOVE_NOTE = "remove"
NOTE_SHOWN = 300  # escaped characters of a note in an answer or alert
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'})
_TOKEN = re.compile(r'"(?P<quoted>[^"]*)"|(?P<open>"[^"]*$)|(?P<bare>[^\s"]+)')


@dataclass(frozen=True)
class Token:
    text: str
    quoted: bool
    end: int  # where it ends in the text read
    unclosed: bool = False


@dataclass(frozen=True)
class WatchChange:
    """What to change on which watch: ``target`` is the watch's number or its
    (kind, key); ``named`` is how the user named it."""

    target: tuple[WatchKind, str] | int
    named: str
    verb: str
    filters: tuple[HideFilter, ...] = ()
    note: str | None = None  # with "note": the new note, or None to remove it


def _tokens(text: str) -> list[Token]:
    found = []
    for match in _TOKEN.finditer(text):
        if match["open"] is not None:
            found.append(Token(match["open"][1:], quoted=True, end=match.end(), unclosed=True))
        elif match["quoted"] is not None:
            found.append(Token(match["quoted"], quoted=True, end=match.end()))
        else:
            found.append(Token(match["bare"], quoted=False, end=match.end()))
    return found


def _plain(term: str) -> str:
    """A watch's term inside a code example: escaped, capped, quoted when it has several words."""
    shown = escape(truncate(term.replace("`", "").replace('"', ""), 100))
    return f'"{shown}"' if " " in shown else shown


def _example(named: str, verb: str) -> str:
    """An example for the user's own watch (their words, made safe to show in code)."""
    shown = _plain(named) or "binance"
    argument = '"counterparty review for the Q3 audit"' if verb == "note" else '"pro hac vice"'
    return f"`/watch {shown} {verb} {argument}`"


def parse_watch_change(text: str) -> WatchChange | BadRequest | None:
    """The change ``text`` asks for, a refusal explaining what is wrong, or
    None when ``text`` asks for no change (it is a watch to add)."""
    text = visible_text(text).translate(_QUOTES)[:2000]
    tokens = _tokens(text)
    if _verb_without_watch(tokens):
        verb = tokens[0].text.lower()
        return BadRequest(
            f"Say which watch to change first (its name, or its number in `/watchlist`): {_example('binance', verb)}."
        )
    at = next(
        (i for i, token in enumerate(tokens) if i and not token.quoted and token.text.lower() in VERBS),
        None,
    )
    if at is None:
        return None
    named = " ".join(token.text for token in tokens[:at]).strip()
    verb, arguments = tokens[at].text.lower(), tokens[at + 1 :]
    target = _target(named)
    if isinstance(target, BadRequest):
        return target
    if any(token.unclosed for token in arguments):
        return BadRequest(f"A quotation mark is not closed: write {_example(named, verb)}.")
    if verb == "note":
        return _note_change(target, named, text[tokens[at].end :].strip())
    return _filter_change(target, named, verb, arguments)


def _verb_without_watch(tokens: list[Token]) -> bool:
    """``hide "pro hac vice"`` or ``note "why"`` with no watch before the verb
    (unquoted words after a leading verb are a name that starts with it)."""
    leading = bool(tokens) and not tokens[0].quoted and tokens[0].text.lower() in VERBS
    return leading and any(token.quoted or token.unclosed for token in tokens[1:])


def _target(named: str) -> tuple[WatchKind, str] | int | BadRequest:
    target = named_watch(named)
    if target == (WatchKind.NAME, ""):
        return BadRequest('Say which watch to change first: `/watch binance hide "pro hac vice"`.')
    return target


def _phrases(arguments: list[Token]) -> list[str]:
    """Each quoted text is one phrase; consecutive unquoted words are one phrase."""
    phrases: list[str] = []
    run: list[str] = []
    for token in arguments:
        if token.quoted:
            if run:
                phrases.append(" ".join(run))
                run = []
            phrases.append(token.text)
        else:
            run.append(token.text)
    if run:
        phrases.append(" ".join(run))
    return phrases


def _filter_change(
    target: tuple[WatchKind, str] | int, named: str, verb: str, arguments: list[Token]
) -> WatchChange | BadRequest:
    phrases = _phrases(arguments)
    example = _example(named, verb)
    if not phrases:
        return BadRequest(f"Say what to {verb}: a kind of action (`routine`, `orders`) or a phrase, e.g. {example}.")
    if len(phrases) > MAX_FILTERS_AT_ONCE:
        return BadRequest(
            f"At most {MAX_FILTERS_AT_ONCE} phrases at once (a watch keeps up to {MAX_FILTERS_PER_WATCH}), e.g. {example}."
        )
    filters = []
    for phrase in phrases:
        if len(phrase.strip()) > FILTER_CHARS:
            return BadRequest(f"A phrase can be at most {FILTER_CHARS} characters, e.g. {example}.")
        rule = read_filter(phrase)
        if rule is None:
            return BadRequest(f"That phrase is empty once punctuation is set aside: give words, e.g. {example}.")
        filters.append(rule)
    return WatchChange(target, named, verb, filters=tuple(filters))


def _note_change(target: tuple[WatchKind, str] | int, named: str, written: str) -> WatchChange | BadRequest:
    """The note as written after ``note``: the text inside its quotes if it is
    one quoted text, else as it is; the bare word ``remove`` removes it."""
    if written.lower() == REMOVE_NOTE:
        return WatchChange(target, named, "note", note=None)
    quoted = written.startswith('"') and written.endswith('"') and written.count('"') == 2
    note = written[1:-1].strip() if quoted else written
    example = _example(named, "note")
    if not note:
        return BadRequest(f"Say the note, e.g. {example} (remove one with `note {REMOVE_NOTE}`).")
    if len(note) > NOTE_CHARS:
        return BadRequest(f"A note can be at most {NOTE_CHARS} characters (this one has {len(note)}), e.g. {example}.")
    return WatchChange(target, named, "note", note=note)


# --- how filters and notes read --------------------------------------------------


def filter_label(rule: HideFilter) -> str:
    """A filter in an answer (mrkdwn, escaped)."""
    if rule.kind == FilterKind.ROUTINE:
        return "routine docket entries" + (" (left out unless the watch asks for `all`)" if rule.by_default else "")
    if rule.kind == FilterKind.ACTION:
        return f"the kind *{escape(rule.text, FILTER_CHARS * 2)}*"
    return f"the phrase “{escape(rule.text, FILTER_CHARS * 2)}”"


def note_text(note: str, limit: int = NOTE_SHOWN) -> str:
    """A note as answers and alerts show it (escaped, capped, in italics)."""
    return f"_{escape(note, limit)}_"


def _term(watch: Watch) -> str:
    return f"*{escape(watch.term, 200)}*"


def _listing(rules: list[HideFilter] | tuple[HideFilter, ...]) -> str:
    return ", ".join(filter_label(rule) for rule in rules)


def not_watched(change: WatchChange) -> str:
    if isinstance(change.target, int):
        return f"This channel has no watch #{change.target}: `/watchlist` shows its watches and their numbers."
    named = escape(truncate(change.named, 100))
    return (
        f"This channel does not watch *{named}*: add it first with `/watch {named}`, then `{change.verb}`. "
        f'(To watch a name that holds the word "{change.verb}", quote it: `/watch "{named} {change.verb} …"`.)'
    )


def hidden_now(watch: Watch, added: list[HideFilter], asked: tuple[HideFilter, ...]) -> str:
    already = [rule for rule in asked if (rule.kind, rule.key) not in {(a.kind, a.key) for a in added}]
    lines = []
    if added:
        lines.append(
            f":no_bell: In this channel, {_term(watch)} now hides {_listing(added)}. Hidden alerts are not posted; "
            f"`/watchlist hidden` lists them for {HIDDEN_DAYS} days, with the filter that hid each."
        )
    if already:
        lines.append(f"{_term(watch)} already hid {_listing(already)}.")
    if any(rule.kind == FilterKind.ROUTINE for rule in added) and not watch.include_routine:
        lines.append("Routine docket entries were left out of this watch already (it does not ask for `all`).")
    undo = " ".join(_filter_argument(rule) for rule in added or asked)
    lines.append(f"Undo with `/watch {_plain(watch.term)} unhide {undo}`; `/watchlist` shows every filter.")
    return "\n".join(lines)


def _filter_argument(rule: HideFilter) -> str:
    """A filter as ``hide``/``unhide`` reads it, for a code example: a kind as
    its word, a phrase in quotes (escaped, with no quote or backtick of its own)."""
    if rule.kind == FilterKind.PHRASE:
        return f'"{escape(truncate(rule.text.replace("`", "").replace(chr(34), ""), FILTER_CHARS))}"'
    return escape(rule.text.replace("`", ""))


def unhidden(watch: Watch, removed: list[HideFilter], asked: tuple[HideFilter, ...]) -> str:
    if not removed:
        have = _listing(watch.filters) if watch.filters else "nothing"
        default = any(rule.kind == FilterKind.ROUTINE for rule in asked) and not watch.include_routine
        include = f" Routine docket entries are left out by default: `/watch {_plain(watch.term)} all` includes them."
        return f"{_term(watch)} did not hide {_listing(asked)}; it hides {have}." + (include if default else "")
    return f":bell: In this channel, {_term(watch)} no longer hides {_listing(removed)}."


def note_set(watch: Watch, note: str) -> str:
    return (
        f":memo: Note on {_term(watch)}: {note_text(note)}\nIt shows in `/watchlist`, the Home tab and the first "
        f"alert of each case here. Remove it with `/watch {_plain(watch.term)} note {REMOVE_NOTE}`."
    )


def note_removed(watch: Watch) -> str:
    if not watch.note:
        return f"{_term(watch)} had no note."
    return f":memo: The note on {_term(watch)} was removed (it said: {note_text(watch.note)})."


def _hidden_line(hidden: HiddenAlert) -> str:
    headline = link(hidden.link, truncate(hidden.headline, 150), label_limit=400)
    caption = f" · _{escape(truncate(hidden.caption, 100))}_" if hidden.caption else ""
    return (
        f"• {slack_date(hidden.event_day)} *{ACTION_LABELS.get(hidden.action, 'Update')}*: {headline}{caption}"
        f"\n    watch *{escape(hidden.matched_term, 200)}* · hidden by {filter_label(hidden.rule)}"
    )


def hidden_list(hidden: list[HiddenAlert], total: int, watches: Sequence[Watch] = ()) -> str:
    """``/watchlist hidden``: what filters kept out of this channel lately, and
    which filter; with nothing hidden, how to hide, with the channel's first of ``watches``."""
    if not total:
        which = f"#{watches[0].id}" if watches else "binance"
        return (
            f"Nothing was hidden in this channel in the last {HIDDEN_DAYS} days. "
            f'Hide what you do not need with `/watch {which} hide "pro hac vice"` (or a kind: `hide orders`).'
        )
    lines = [f"Hidden in this channel in the last {HIDDEN_DAYS} days ({total}), newest first:"]
    lines += [_hidden_line(item) for item in hidden]
    if total > len(hidden):
        lines.append(f"…and {total - len(hidden)} more.")
    lines += _undo_hints(hidden)
    return "\n".join(lines)


def _undo_hints(hidden: list[HiddenAlert]) -> list[str]:
    """How to stop hiding, with the channel's own watches and filters from the list."""
    added = next((item for item in hidden if not item.rule.by_default), None)
    routine = next((item for item in hidden if item.rule.by_default), None)
    hints = []
    if added:
        hints.append(
            f"Stop hiding one with `/watch {_plain(added.matched_term)} unhide {_filter_argument(added.rule)}`"
            " (the watch, then what it hides)"
        )
    if routine:
        hints.append(f"routine entries come with `/watch {_plain(routine.matched_term)} all`")
    text = "; ".join(hints)
    return [text[:1].upper() + text[1:] + "."] if hints else []
