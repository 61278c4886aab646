"""Hide filters on watches below the end-to-end tests: what a filter text
means (feeds.filters), and the outbox writing hidden alerts to their record
instead of alerting (storage.alerts.enqueue, storage.watch_filters), on a
migrated in-memory database. Over signed HTTP: test_watch_filters_e2e.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from feeds.filters import AlertSubject, HideFilter, hiding_filter, read_filter
from feeds.match import Hit
from feeds.vocabulary import Action, FeedKind, FilterKind
from storage import alerts as outbox
from storage.audit import audit_rows
from storage.database import write_transaction
from storage.engine import Connection
from storage.watch_filters import (
    MAX_FILTERS_PER_WATCH,
    TooManyFilters,
    add_filters,
    hidden_counts,
    hidden_in_channel,
    remove_filters,
    set_note,
)
from storage.watches import channel_watches, remove_watch
from tests import factories
from tests.factories import CHANNEL, TEAM, USER

PRO_HAC_VICE = "MOTION for Leave to Appear Pro Hac Vice of Jane Roe"


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("routine", FilterKind.ROUTINE, "routine"),
        ("Routine entries", FilterKind.ROUTINE, "routine"),
        ("order", FilterKind.ACTION, "order"),
        ("Orders", FilterKind.ACTION, "order"),
        ("guilty plea", FilterKind.ACTION, "plea"),
        ("Administrative Proceedings", FilterKind.ACTION, "administrative proceeding"),
        ('"Pro-Hac-Vice"', FilterKind.PHRASE, "pro hac vice"),
        ("notice of appearance", FilterKind.PHRASE, "notice of appearance"),
        ("Ørsted A/S", FilterKind.PHRASE, "orsted a s"),
    ],
)
def test_a_filter_names_a_kind_of_action_or_else_a_phrase_folded(text: str, kind: FilterKind, key: str) -> None:
    rule = read_filter(text)
    assert rule is not None and (rule.kind, rule.key) == (kind, key)


@pytest.mark.parametrize("text", ["", "   ", "!!", "—", "'\"'"])
def test_a_filter_of_nothing_once_folded_is_refused(text: str) -> None:
    assert read_filter(text) is None


def test_a_phrase_hides_whole_words_only_ignoring_case_accents_and_punctuation() -> None:
    (rule,) = [read_filter("pro hac vice")]
    assert rule is not None
    for text, hidden in [
        (PRO_HAC_VICE, True),
        ("PRO-HAC-VICE motion granted", True),
        ("Pró hac vicé", True),
        ("appro hac vice", False),  # not a whole word
        ("pro hac vicente", False),
    ]:
        subject = AlertSubject(action=Action.FILING, routine=False, text=text)
        assert (hiding_filter([rule], subject, include_routine=True) is rule) is hidden, text


def test_the_routine_default_comes_before_the_watchs_own_filters() -> None:
    subject = AlertSubject(action=Action.FILING, routine=True, text=PRO_HAC_VICE)
    rule = read_filter("pro hac vice")
    assert rule is not None
    found = hiding_filter([rule], subject, include_routine=False)
    assert found is not None and found.by_default
    assert hiding_filter([rule], subject, include_routine=True) is rule
    assert hiding_filter([], subject, include_routine=True) is None


def _event(db: Connection, *, action: Action = Action.FILING) -> tuple[int, int | None]:
    source = factories.feed(db, FeedKind.COURT, agency="PACER D.D.C.")
    what = factories.extraction(
        caption="SEC v. Acme Widgets Inc.", plaintiffs=["SEC"], defendants=["Acme Widgets"], action=action
    )
    stored, event_id, _ = factories.event(db, source, what)
    return event_id, stored.case_id


def _enqueue(db: Connection, event_id: int, case_id: int | None, hits: list[Hit], **subject: object) -> int:
    with write_transaction(db):
        return outbox.enqueue(db, event_id=event_id, case_id=case_id, hits=hits, **subject)  # type: ignore[arg-type]


def _rules(*texts: str) -> list[HideFilter]:
    return [rule for rule in map(read_filter, texts) if rule is not None]


def _hide(db: Connection, watch_id: int, *texts: str, channel: str = CHANNEL) -> list[HideFilter]:
    return add_filters(db, team_id=TEAM, channel_id=channel, watch_id=watch_id, user_id=USER, filters=_rules(*texts))


def test_a_hidden_alert_is_recorded_with_its_filter_and_other_channels_are_alerted(stored_db: Connection) -> None:
    event_id, case_id = _event(stored_db)
    quiet = factories.watch(stored_db, "Acme Widgets", channel="C_QUIET")
    loud = factories.watch(stored_db, "Acme Widgets", channel="C_LOUD")
    _hide(stored_db, quiet.id, "Pro Hac Vice", channel="C_QUIET")
    hits = [Hit(factories.watch_target(stored_db, w), w.term) for w in (quiet, loud)]
    created = _enqueue(
        stored_db, event_id, case_id, hits, routine=False, action=Action.FILING, text=f"Acme\n{PRO_HAC_VICE}"
    )
    assert created == 1
    assert [alert.channel_id for alert in outbox.due_alerts(stored_db)] == ["C_LOUD"]
    hidden, total = hidden_in_channel(stored_db, TEAM, "C_QUIET")
    assert total == 1 and hidden[0].rule.text == "Pro Hac Vice" and hidden[0].matched_term == "Acme Widgets"
    assert hidden_in_channel(stored_db, TEAM, "C_LOUD") == ([], 0)


def test_a_kind_filter_hides_that_kind_of_action_only(stored_db: Connection) -> None:
    watch = factories.watch(stored_db, "Acme Widgets")
    _hide(stored_db, watch.id, "orders")
    target = factories.watch_target(stored_db, watch)
    order_event, case_id = _event(stored_db, action=Action.ORDER)
    ruling_event, _ = _event(stored_db, action=Action.RULING)
    assert _enqueue(stored_db, order_event, case_id, [Hit(target, "Acme Widgets")], routine=False, action="order") == 0
    assert (
        _enqueue(stored_db, ruling_event, case_id, [Hit(target, "Acme Widgets")], routine=False, action="ruling") == 1
    )
    (hidden,), _ = hidden_in_channel(stored_db, TEAM, CHANNEL)
    assert (hidden.rule.kind, hidden.rule.text, hidden.action) == (FilterKind.ACTION, "orders", "order")


def test_routine_entries_left_out_by_default_are_recorded_as_hidden_by_default(stored_db: Connection) -> None:
    event_id, case_id = _event(stored_db)
    target = factories.watch_target(stored_db, factories.watch(stored_db, "Acme Widgets"))
    assert _enqueue(stored_db, event_id, case_id, [Hit(target, "Acme Widgets")], routine=True) == 0
    (hidden,), total = hidden_in_channel(stored_db, TEAM, CHANNEL)
    assert total == 1 and hidden.rule.by_default and hidden.rule.kind == FilterKind.ROUTINE


def test_another_watch_of_the_channel_that_lets_the_event_through_brings_the_alert(stored_db: Connection) -> None:
    event_id, case_id = _event(stored_db)
    hiding = factories.watch(stored_db, "Acme Widgets")
    plain = factories.watch(stored_db, "Acme")
    _hide(stored_db, hiding.id, "pro hac vice")
    for order in ((hiding, plain), (plain, hiding)):
        stored_db.execute("DELETE FROM alerts")
        hits = [Hit(factories.watch_target(stored_db, w), w.term) for w in order]
        assert _enqueue(stored_db, event_id, case_id, hits, routine=False, text=PRO_HAC_VICE) == 1
        assert hidden_in_channel(stored_db, TEAM, CHANNEL) == ([], 0)


def test_unhide_removes_a_filter_by_its_folded_text_and_alerts_follow_again(stored_db: Connection) -> None:
    watch = factories.watch(stored_db, "Acme Widgets")
    _hide(stored_db, watch.id, "pro hac vice", "orders")
    removed = remove_filters(
        stored_db,
        team_id=TEAM,
        channel_id=CHANNEL,
        watch_id=watch.id,
        user_id=USER,
        filters=_rules("PRO-HAC VICE"),
    )
    assert [rule.text for rule in removed] == ["pro hac vice"]
    (listed,) = channel_watches(stored_db, TEAM, CHANNEL)
    assert [rule.text for rule in listed.filters] == ["orders"]
    event_id, case_id = _event(stored_db)
    target = factories.watch_target(stored_db, watch)
    assert _enqueue(stored_db, event_id, case_id, [Hit(target, "Acme Widgets")], routine=False, text=PRO_HAC_VICE) == 1


def test_filters_are_unique_per_watch_and_limited(stored_db: Connection) -> None:
    watch = factories.watch(stored_db, "Acme Widgets")
    assert len(_hide(stored_db, watch.id, "pro hac vice", "Pro Hac Vice", "order", "orders")) == 2
    assert _hide(stored_db, watch.id, "pro-hac-vice") == []
    _hide(stored_db, watch.id, *(f"phrase {n}" for n in range(MAX_FILTERS_PER_WATCH - 2)))
    with pytest.raises(TooManyFilters):
        _hide(stored_db, watch.id, "one too many")
    (listed,) = channel_watches(stored_db, TEAM, CHANNEL)
    assert len(listed.filters) == MAX_FILTERS_PER_WATCH


def test_another_channels_watch_cannot_be_changed(stored_db: Connection) -> None:
    watch = factories.watch(stored_db, "Acme Widgets", channel="C_OTHER")
    with pytest.raises(KeyError):
        _hide(stored_db, watch.id, "order")
    with pytest.raises(KeyError):
        set_note(stored_db, team_id=TEAM, channel_id=CHANNEL, watch_id=watch.id, user_id=USER, note="mine")
    (listed,) = channel_watches(stored_db, TEAM, "C_OTHER")
    assert listed.filters == [] and listed.note is None


def test_what_was_hidden_outlives_the_watch_and_ages_out_after_seven_days(stored_db: Connection) -> None:
    event_id, case_id = _event(stored_db)
    watch = factories.watch(stored_db, "Acme Widgets")
    _hide(stored_db, watch.id, "pro hac vice")
    target = factories.watch_target(stored_db, watch)
    _enqueue(stored_db, event_id, case_id, [Hit(target, "Acme Widgets")], routine=False, text=PRO_HAC_VICE)
    assert hidden_counts(stored_db, TEAM, CHANNEL) == {watch.id: 1}
    remove_watch(stored_db, team_id=TEAM, channel_id=CHANNEL, watch_id=watch.id, user_id=USER)
    assert stored_db.execute("SELECT count(*) FROM watch_filters").fetchone() == (0,)
    assert hidden_in_channel(stored_db, TEAM, CHANNEL)[1] == 1
    later = datetime.now(UTC) + timedelta(days=7, minutes=1)
    assert hidden_in_channel(stored_db, TEAM, CHANNEL, now=later) == ([], 0)
    assert hidden_counts(stored_db, TEAM, CHANNEL, now=later) == {}


def test_a_note_is_kept_and_removed(stored_db: Connection) -> None:
    watch = factories.watch(stored_db, "Acme Widgets")
    set_note(stored_db, team_id=TEAM, channel_id=CHANNEL, watch_id=watch.id, user_id=USER, note="Q3 audit")
    factories.watch(stored_db, "Acme Widgets")  # /watch again (a new mode, say) keeps the note and filters
    assert channel_watches(stored_db, TEAM, CHANNEL)[0].note == "Q3 audit"
    set_note(stored_db, team_id=TEAM, channel_id=CHANNEL, watch_id=watch.id, user_id=USER, note=None)
    assert channel_watches(stored_db, TEAM, CHANNEL)[0].note is None


def test_every_change_is_audited(stored_db: Connection) -> None:
    watch = factories.watch(stored_db, "Acme Widgets")
    _hide(stored_db, watch.id, "pro hac vice")
    _hide(stored_db, watch.id, "Pro Hac Vice")  # nothing new: nothing to audit
    remove_filters(
        stored_db, team_id=TEAM, channel_id=CHANNEL, watch_id=watch.id, user_id=USER, filters=_rules("pro hac vice")
    )
    set_note(stored_db, team_id=TEAM, channel_id=CHANNEL, watch_id=watch.id, user_id=USER, note="Q3 audit")
    changes = [json.loads(detail) for *_, detail in audit_rows(stored_db, TEAM)][1:]  # after "watch added"
    assert changes == [
        {"term": "Acme Widgets", "hide": ["pro hac vice"]},
        {"term": "Acme Widgets", "unhide": ["pro hac vice"]},
        {"term": "Acme Widgets", "note": "Q3 audit"},
    ]
