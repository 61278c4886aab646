"""Wording a user reads, found rough when trying Casewatch by hand (issue 10's QA)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from feeds.filters import DEFAULT_ROUTINE, HideFilter, read_filter
from handlers.feeds_answer import feed_statuses, plain_feed_list, slack_feed_list
from handlers.home import home_view
from handlers.watch_changes import WatchChange, hidden_list, hidden_now, parse_watch_change
from handlers.watch_request import BadRequest
from storage.engine import Connection
from storage.watch_filters import HiddenAlert
from tests import factories
from tests.test_watch_change_properties import watch_of


def test_a_feed_with_one_item_says_one_item_not_one_items(stored_db: Connection) -> None:
    source = factories.feed(stored_db)
    factories.stored_item(stored_db, source, factories.extraction())
    statuses = feed_statuses(stored_db)
    for listed in (plain_feed_list(statuses), slack_feed_list(statuses)):
        assert "· 1 item\n" in listed and "1 items" not in listed


@pytest.mark.parametrize(
    "command",
    ['binance hide "pro hac vice"', "binance hide orders", 'binance hide "pro hac vice" orders routine'],
)
def test_the_undo_a_hide_suggests_is_a_command_that_removes_what_was_hidden(command: str) -> None:
    change = parse_watch_change(command)
    assert isinstance(change, WatchChange)
    answer = hidden_now(watch_of("binance", filters=list(change.filters)), list(change.filters), change.filters)
    suggested = re.search(r"Undo with `/watch ([^`]+)`", answer)
    assert suggested, answer
    undo = parse_watch_change(unescape(suggested[1]))
    assert isinstance(undo, WatchChange) and undo.verb == "unhide"
    assert {(rule.kind, rule.key) for rule in undo.filters} == {(rule.kind, rule.key) for rule in change.filters}


def hidden_alert(rule: HideFilter, term: str = "1:23-cv-01599") -> HiddenAlert:
    return HiddenAlert(
        hidden_at="2026-11-26T03:10:00+00:00",
        event_day="2026-11-26",
        action="filing",
        headline="Motion for Leave to Appear Pro Hac Vice (doc. 300)",
        link="https://ecf.dcd.uscourts.gov/cgi-bin/DktRpt.pl?259117",
        caption="SEC v. Binance Holdings Limited",
        matched_term=term,
        rule=rule,
    )


def test_watchlist_hidden_dates_each_alert_in_the_readers_time_zone() -> None:
    listed = hidden_list([hidden_alert(read_filter("pro hac vice"))], 1)
    assert "<!date^1795694400^{date_short}|2026-11-26>" in listed and "`2026-11-26`" not in listed


def test_watchlist_hidden_suggests_undoing_with_the_channels_own_watch_and_filter() -> None:
    listed = hidden_list([hidden_alert(read_filter("pro hac vice")), hidden_alert(DEFAULT_ROUTINE)], 2)
    assert '`/watch 1:23-cv-01599 unhide "pro hac vice"`' in listed and "`/watch 1:23-cv-01599 all`" in listed
    assert "binance" not in listed
    only_routine = hidden_list([hidden_alert(DEFAULT_ROUTINE, term="Acme Widgets")], 1)
    assert '`/watch "Acme Widgets" all`' in only_routine and "unhide" not in only_routine


@pytest.mark.parametrize("text", ['hide "pro hac vice"', 'unhide "pro hac vice"', 'note "Q3 audit"'])
def test_a_hide_or_note_without_its_watch_asks_which_watch_instead_of_watching_the_words(text: str) -> None:
    found = parse_watch_change(text)
    assert isinstance(found, BadRequest), found
    assert "which watch" in found.message and "`/watch binance " in found.message and "\n" not in found.message


def test_watchlist_hidden_with_nothing_hidden_gives_its_example_with_the_channels_own_watch() -> None:
    answer = hidden_list([], 0, [watch_of("Acme Widgets")])
    assert '`/watch #12 hide "pro hac vice"`' in answer and "binance" not in answer


@pytest.mark.parametrize(("count", "said"), [(1, "1 watch"), (3, "3 watches")])
def test_a_home_tab_of_one_page_counts_its_watches_instead_of_numbering_a_range(count: int, said: str) -> None:
    view = json.dumps(home_view([watch_of(f"Acme {n}", id=n) for n in range(1, count + 1)], []))
    assert f'"text": "{said}"' in view and "Watches 1" not in view
