"""Property tests of ``/watch <watch> hide|unhide|note …`` (handlers.watch_changes):
any text is read into a change, a one-line refusal with an example, or no
change at all (a watch to add), never an error; what is written in quotes comes
back as it was written; and every answer built from hostile names, phrases,
notes and feed text fits Slack's limits with no markup of anyone else's making."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import unquote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feeds.extract import find_dockets
from feeds.filters import HideFilter, read_filter
from feeds.text import fold, name_key
from feeds.vocabulary import FilterKind, WatchKind, WatchMode
from handlers.alert_message import alert_fallback, alert_message
from handlers.home import home_view
from handlers.watch_answer import ephemeral, watchlist
from handlers.watch_changes import (
    VERBS,
    WatchChange,
    hidden_list,
    hidden_now,
    not_watched,
    note_removed,
    note_set,
    parse_watch_change,
    unhidden,
)
from handlers.watch_request import BadRequest, visible_text, written_number
from storage.alerts import AlertView
from storage.watch_filters import HiddenAlert
from storage.watches import Watch
from tests.test_request_properties import hostile_text
from tests.test_slack_limits import assert_fits_slack, assert_no_foreign_markup, days, input_links, links, texts, views

SETTINGS = settings(max_examples=150, deadline=None)
VERB_WORDS = ["hide", "HIDE", "unhide", "note", "Note", "remove", "routine", "orders", "aka", "all", '"', "“", "”"]

# Text shaped like these commands: names, verbs, quotes and hostile pieces in any order.
command_text = st.one_of(
    hostile_text,
    st.lists(st.sampled_from(VERB_WORDS) | st.text(max_size=12), max_size=12).map(" ".join),
)
# A watch's name as typed: words with a letter or digit, no quote, no verb, not a number.
plain_word = st.text(st.characters(categories=["Ll", "Lu", "Nd"]), min_size=1, max_size=12).filter(
    lambda word: word.lower() not in VERBS
)
watch_names = (
    st.lists(plain_word, min_size=1, max_size=4)
    .map(" ".join)
    .filter(lambda name: len(name_key(name)) >= 2 and written_number(name) is None and not find_dockets(name))
)
# A phrase or note as written between quotes: any visible text but quotes.
quoted_texts = st.text(
    st.characters(
        categories=["Ll", "Lu", "Nd", "Po", "Pd", "Sm", "Sc"], include_characters=" ", exclude_characters='"“”„‟″'
    ),
    min_size=1,
    max_size=100,
)

# What people type for a double quote (curly quotes, low and reversed ones, a double prime): each reads as one.
WRITTEN_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'})


def watch_of(term: str, **fields: object) -> Watch:
    values: dict = {
        "id": 12,
        "team_id": "T0001",
        "channel_id": "C0001",
        "kind": WatchKind.NAME,
        "term": term,
        "term_key": name_key(term),
        "case_id": None,
        "mode": WatchMode.INSTANT,
        "include_routine": False,
        "created_by": "alice",  # not a user id: a mention would be markup of our making
        "created_at": "2026-11-26T00:00:00+00:00",
        "last_alert_at": None,
        "alerts_sent": 0,
        "last_error": None,
        "last_error_at": None,
    }
    return Watch(**{**values, **fields})


def answer_is_safe(text: str, allowed_links: frozenset[str] = frozenset()) -> None:
    message = ephemeral(text)
    assert_fits_slack(message)
    assert_no_foreign_markup(message, set(allowed_links))


@pytest.mark.reliability("arbitrary text after /watch <name> hide, unhide or note", kind="input")
@SETTINGS
@given(text=command_text)
@example(text='0 NOTE 0"″')  # a double prime (″) reads as a double quote, as curly quotes do
def test_any_text_is_a_change_a_one_line_refusal_or_no_change(text: str) -> None:
    found = parse_watch_change(text)
    if found is None:
        return
    if isinstance(found, BadRequest):
        assert "\n" not in found.message and "`/watch" in found.message
        answer_is_safe(found.message)
        return
    assert found.verb in VERBS
    if found.verb == "note":
        assert found.note is None or 0 < len(found.note) <= 300
        assert found.note is None or found.note in visible_text(text).translate(WRITTEN_QUOTES)
    else:
        assert 0 < len(found.filters) <= 10
        assert all(rule.key and len(rule.text) <= 100 for rule in found.filters)
    watch = watch_of(found.named or "binance", note=found.note, filters=list(found.filters))
    for answer in (
        not_watched(found),
        hidden_now(watch, list(found.filters), found.filters),
        unhidden(watch, list(found.filters), found.filters),
        unhidden(replace(watch, filters=[]), [], found.filters),
        note_set(watch, found.note or "why"),
        note_removed(watch),
        watchlist([watch], {watch.id: 3}),
    ):
        answer_is_safe(answer)


@SETTINGS
@given(
    name=watch_names, phrases=st.lists(quoted_texts, min_size=1, max_size=10), verb=st.sampled_from(["hide", "unhide"])
)
def test_each_quoted_phrase_is_one_filter_as_written(name: str, phrases: list[str], verb: str) -> None:
    text = f"{name} {verb} " + " ".join(f'"{phrase}"' for phrase in phrases)
    found = parse_watch_change(text)
    readable = [phrase for phrase in phrases if fold(phrase)]
    if len(readable) < len(phrases):
        assert isinstance(found, BadRequest) and "empty once punctuation is set aside" in found.message
        return
    assert isinstance(found, WatchChange), found
    assert (found.target, found.verb) == ((WatchKind.NAME, name_key(name)), verb)
    assert [rule.text for rule in found.filters] == [phrase.strip() for phrase in phrases]
    for rule, phrase in zip(found.filters, phrases, strict=True):
        assert rule == read_filter(phrase)
        assert rule.kind != FilterKind.PHRASE or rule.key == fold(phrase)


@SETTINGS
@given(name=watch_names, words=st.lists(plain_word, min_size=1, max_size=6))
def test_unquoted_words_after_hide_are_one_phrase(name: str, words: list[str]) -> None:
    found = parse_watch_change(f"{name} hide {' '.join(words)}")
    assert isinstance(found, WatchChange)
    assert [rule.text for rule in found.filters] == [" ".join(words)]


@SETTINGS
@given(name=watch_names, note=quoted_texts, number=st.integers(1, 10**6))
def test_a_quoted_note_comes_back_as_written_for_a_name_or_a_number(name: str, note: str, number: int) -> None:
    for target, expected in ((name, (WatchKind.NAME, name_key(name))), (f"#{number}", number)):
        found = parse_watch_change(f'{target} note "{note}"')
        if not note.strip():
            assert isinstance(found, BadRequest) and "Say the note" in found.message
            continue
        assert isinstance(found, WatchChange) and (found.target, found.note) == (expected, note.strip())


@SETTINGS
@given(name=watch_names, verb=st.sampled_from(["hide", "unhide", "note"]), rest=quoted_texts)
def test_a_quoted_name_holding_a_verb_is_a_watch_to_add(name: str, verb: str, rest: str) -> None:
    assert parse_watch_change(f'"{name} {verb} {rest}"') is None
    assert parse_watch_change(f"{verb} {name}") is None  # the verb first: a name that starts with it


hidden_alerts = st.builds(
    HiddenAlert,
    hidden_at=days,
    event_day=days,
    action=st.sampled_from(["filing", "order", "ruling", "unknown"]),
    headline=texts,
    link=links,
    caption=st.none() | texts,
    matched_term=texts,
    rule=st.builds(
        HideFilter, kind=st.sampled_from(list(FilterKind)), key=st.just(""), text=texts, by_default=st.booleans()
    ),
)


@settings(max_examples=60, deadline=None)
@given(hidden=st.lists(hidden_alerts, max_size=50), more=st.integers(0, 10**6))
def test_the_hidden_list_always_fits_and_escapes_everything(hidden: list[HiddenAlert], more: int) -> None:
    allowed = frozenset(unquote(item.link) for item in hidden if item.link)
    answer_is_safe(hidden_list(hidden, len(hidden) + more), allowed)


@SETTINGS
@given(view=views(), note=texts)
def test_an_alert_with_any_note_fits_and_escapes_it(view: AlertView, note: str) -> None:
    noted = replace(view, note=note)
    for message in (alert_message(noted), alert_fallback(noted)):
        assert_fits_slack(message)
        assert_no_foreign_markup(message, input_links(noted))


@settings(max_examples=60, deadline=None)
@given(notes=st.lists(texts, min_size=1, max_size=30))
def test_the_home_tab_with_any_notes_fits_and_escapes_them(notes: list[str]) -> None:
    watches = [watch_of(f"name {n}", id=n, note=note, channel_id=f"C{n % 3:04d}") for n, note in enumerate(notes)]
    blocks = home_view(watches, [])["blocks"]
    assert_fits_slack({"text": "home", "blocks": blocks})
    for block in blocks:
        if block["type"] == "section":  # the channels' mentions head their watches' lines, and are ours
            text = re.sub(r"^<#C000[012]>$", "", block["text"]["text"], flags=re.MULTILINE)
            assert_no_foreign_markup({"text": text}, set())


def test_unhiding_routine_entries_on_a_default_watch_says_how_to_include_them() -> None:
    found = parse_watch_change("Binance Holdings unhide routine")
    assert isinstance(found, WatchChange)
    answer = unhidden(watch_of("Binance Holdings"), [], found.filters)
    assert "did not hide routine docket entries; it hides nothing." in answer
    assert '`/watch "Binance Holdings" all` includes them' in answer
