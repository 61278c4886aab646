"""The store step's statements on both engines (issue 11 slice 2b): cases
opened, joined and widened, with their names and dockets, read up front by a
batch and as cards; events found, dated and numbered; statuses; related cases;
the outbox's enqueue; the waiting news' log. Each is read back alike on SQLite
and PostgreSQL.

These stay below storing an item; the tests of the whole step (test_case_assignment,
test_event_joining, test_alert_states, test_news_adoption, test_watch_filters) take
``stored_db``, and so run on both engines too."""

from __future__ import annotations

import json
from datetime import date

from feeds.match import Hit
from feeds.types import FeedPlan, HealthPlan, PlannedItem
from feeds.vocabulary import Action, FeedKind
from storage import adopt
from storage.alerts import due_alerts, enqueue
from storage.cases import BatchCases, case_views, cases_with_docket, join_case
from storage.database import now_iso, write_transaction
from storage.engine import Connection, each_int, each_text
from storage.events import BatchEvents, EventKey, join_event
from storage.items import INSERT_ITEM, item_row, loose_index_written_by_store, next_item_id
from storage.related import link_case, link_cases, related_cases, watched_related
from storage.status import statuses_of_cases
from tests import factories
from tests.factories import CHANNEL, TEAM, extraction, news_extraction

FILED = "2023-06-05T14:00:00+00:00"
LATER = "2024-06-28T20:41:12+00:00"
# Opened without an agency: finding its case then asks no full-text index (a release's
# surname lookup, storage.joins.find_release_case, needs the agency).
OPENING = extraction(
    caption="SEC v. Binance", plaintiffs=["SEC"], defendants=["Binance"], dockets=["23-cv-1599"], court="D.D.C."
)
WIDER = extraction(
    caption="SEC v. Binance Holdings Ltd., et al.",
    plaintiffs=["SEC"],
    defendants=["Binance Holdings Ltd.", "Changpeng Zhao"],
    dockets=["1:23-cv-01599"],
    court="D.D.C.",
    agency="SEC",
    action=Action.RULING,
)
HEALTH = HealthPlan(next_poll_at=LATER, retry_at=LATER)
ZHAO = extraction(caption="CFTC v. Zhao", plaintiffs=["CFTC"], defendants=["Changpeng Zhao"], dockets=["1:23-cv-01887"])


def open_case(db: Connection, what=OPENING, event_at: str = LATER) -> int:
    with write_transaction(db):
        joined = join_case(db, what, event_at)
    assert joined.opened and joined.case_id is not None
    return joined.case_id


def key(case_id: int | None, action: str, day: str, *, identity: str = "", entry_no: str | None = None) -> EventKey:
    return EventKey(case_id, action, date.fromisoformat(day), identity, entry_no, None, None)


def new_event(db: Connection, event_key: EventKey, first_item_id: int = 1) -> tuple[int, bool]:
    with write_transaction(db):
        return join_event(db, event_key, first_item_id=first_item_id, routine=False)


def test_a_case_is_opened_joined_and_widened_alike(any_db: Connection) -> None:
    case_id = open_case(any_db)
    with write_transaction(any_db):
        joined = join_case(any_db, WIDER, FILED)
    assert (joined.case_id, joined.opened) == (case_id, False)
    row = any_db.execute(
        "SELECT caption, agency, court, first_event_at, last_event_at FROM cases WHERE id = ?", [case_id]
    ).fetchone()
    assert tuple(row) == (WIDER.caption, "SEC", "D.D.C.", FILED, LATER)
    names = any_db.execute("SELECT role, name FROM case_parties WHERE case_id = ? ORDER BY rowid", [case_id]).fetchall()
    assert [tuple(name) for name in names] == [
        ("plaintiff", "SEC"),
        ("defendant", "Binance"),
        ("defendant", "Binance Holdings Ltd."),
        ("defendant", "Changpeng Zhao"),
    ]
    assert {term for (term,) in any_db.execute("SELECT term FROM search_terms")} >= {"binance", "changpeng", "zhao"}
    with write_transaction(any_db):  # the same names again: nothing new, nothing refused
        assert join_case(any_db, WIDER, LATER).party_keys
    (count,) = any_db.execute("SELECT count(*) FROM case_parties").fetchone()
    assert count == 4
    assert cases_with_docket(any_db, OPENING.dockets[0]) == [(case_id, "D.D.C.")]


def test_a_batch_reads_its_cases_up_front_and_writes_them_at_its_end_alike(any_db: Connection) -> None:
    case_id = open_case(any_db)
    other = open_case(any_db, ZHAO, FILED)
    with write_transaction(any_db):
        batch = BatchCases.read(any_db, [WIDER, ZHAO])
        assert batch.cases_with(WIDER.dockets[0]) == [(case_id, "D.D.C.")]
        assert batch.state(any_db, other).names == {("plaintiff", "cftc"), ("defendant", "changpeng zhao")}
        assert join_case(any_db, WIDER, "2025-01-02T00:00:00+00:00", batch=batch).case_id == case_id
        batch.write(any_db)
    row = any_db.execute("SELECT caption, first_event_at, last_event_at FROM cases WHERE id = ?", [case_id]).fetchone()
    assert tuple(row) == (WIDER.caption, LATER, "2025-01-02T00:00:00+00:00")


def test_events_are_found_dated_and_numbered_alike(any_db: Connection) -> None:
    case_id = open_case(any_db)
    ruling, is_new = new_event(any_db, key(case_id, "ruling", "2024-06-28", entry_no="23-cv-01599#12"))
    assert is_new
    again, is_new = new_event(any_db, key(case_id, "ruling", "2024-06-20", entry_no="23-cv-01599#12"))
    assert (again, is_new) == (ruling, False)
    (day,) = any_db.execute("SELECT event_day FROM events WHERE id = ?", [ruling]).fetchone()
    assert day == "2024-06-20"  # dated by its earliest report
    speech = key(None, "none", "2024-06-28", identity="remarks at the crypto conference")
    caseless, is_new = new_event(any_db, speech)
    assert is_new and new_event(any_db, speech) == (caseless, False)
    assert new_event(any_db, key(case_id, "none", "2024-06-28", identity=speech.identity))[1]  # a case's is another
    with write_transaction(any_db):  # a batch numbers its events itself; a lone item's event follows them
        batch = BatchEvents.read(any_db, [case_id])
        settled, is_new = batch.join(any_db, key(case_id, "settlement", "2024-07-01"), first_item_id=2, routine=False)
        assert is_new
        batch.write(any_db)
        later, is_new = join_event(
            any_db, key(None, "none", "2024-07-02", identity="statement"), first_item_id=3, routine=False
        )
    assert is_new and later == settled + 1


def test_statuses_and_cards_are_read_alike(any_db: Connection) -> None:
    binance = open_case(any_db)
    zhao = open_case(any_db, ZHAO, FILED)
    new_event(any_db, key(binance, "complaint", "2023-06-05"))
    new_event(any_db, key(zhao, "complaint", "2023-03-27"))
    assert statuses_of_cases(any_db, [binance, zhao]) == {binance: "filed", zhao: "filed"}
    with write_transaction(any_db):
        join_event(any_db, key(zhao, "settlement", "2023-12-12"), first_item_id=2, routine=False)
        join_event(any_db, key(binance, "filing", "2024-01-02", identity="notice"), first_item_id=3, routine=True)
        join_event(any_db, key(binance, "hearing", "2024-01-03"), first_item_id=4, routine=False)
    assert statuses_of_cases(any_db, [binance, zhao]) == {binance: "pending", zhao: "settled"}
    with write_transaction(any_db):
        link_case(any_db, zhao)
    cards = case_views(any_db, [zhao, binance], timeline_limit=3)
    assert [(card.id, card.caption, card.status, card.latest_action) for card in cards] == [
        (zhao, "CFTC v. Zhao", "settled", "settlement"),
        (binance, "SEC v. Binance", "pending", "hearing"),
    ]
    assert cards[0].dockets == ["1:23-cv-01887"] and cards[1].defendants == ["Binance"]
    assert [related.id for related in cards[0].related] == [] and cards[1].related_total == 0


def test_cases_sharing_a_party_are_related_both_ways_once_alike(any_db: Connection) -> None:
    binance = open_case(any_db)
    zhao = open_case(any_db, ZHAO, FILED)
    with write_transaction(any_db):
        join_case(any_db, WIDER, LATER)  # Binance's case names Changpeng Zhao too
        assert link_case(any_db, binance) == 2
        assert link_case(any_db, zhao) == 0  # linked already
    related, total = related_cases(any_db, binance)
    assert total == 1 and [(case.id, case.caption, case.status) for case in related] == [
        (zhao, "CFTC v. Zhao", "pending")
    ]
    assert [case.id for case in related_cases(any_db, zhao)[0]] == [binance]
    factories.watch(any_db, "Changpeng Zhao")
    assert watched_related(any_db, TEAM, CHANNEL, binance)[1] == 1
    assert watched_related(any_db, TEAM, "C_OTHER", binance)[1] == 0


DOE = extraction(caption="SEC v. John Doe", plaintiffs=["SEC"], defendants=["John Doe"], dockets=["1:24-cv-00002"])
DOE_TOO = extraction(
    caption="SEC v. Changpeng Zhao, John Doe", plaintiffs=["SEC"], defendants=["Changpeng Zhao", "John Doe"]
)


def test_a_batch_links_its_renamed_cases_as_one_case_at_a_time_would_alike(any_db: Connection) -> None:
    binance, zhao, doe, both = (open_case(any_db, what) for what in (OPENING, ZHAO, DOE, DOE_TOO))
    with write_transaction(any_db):
        join_case(any_db, WIDER, LATER)
        link_cases(any_db, [binance, doe])
        together = any_db.execute("SELECT case_id, related_id FROM case_links ORDER BY 1, 2").fetchall()
        any_db.execute("DELETE FROM case_links")
        for case_id in (binance, doe):
            link_case(any_db, case_id)
        one_by_one = any_db.execute("SELECT case_id, related_id FROM case_links ORDER BY 1, 2").fetchall()
    pairs = [(binance, zhao), (binance, both), (zhao, binance), (both, binance)]  # John Doe links nobody
    assert [tuple(row) for row in together] == [tuple(row) for row in one_by_one] == sorted(pairs)


def test_one_alert_per_channel_and_event_names_every_watched_term_alike(any_db: Connection) -> None:
    case_id = open_case(any_db)
    event_id, _ = new_event(any_db, key(case_id, "complaint", "2023-06-05"))
    watches = [factories.watch_target(any_db, factories.watch(any_db, term)) for term in ("Binance", "Binance Ltd")]
    hits = [Hit(watches[0], "Binance"), Hit(watches[1], "Binance Ltd"), Hit(watches[0], "Binance")]
    with write_transaction(any_db):
        created = enqueue(any_db, event_id=event_id, case_id=case_id, hits=hits, routine=False)
    (alert,) = due_alerts(any_db)
    assert created == 1 and (alert.event_id, alert.matched_term) == (event_id, "Binance, Binance Ltd")


def test_the_store_step_writes_the_loose_items_index_on_both_engines(any_db: Connection) -> None:
    assert loose_index_written_by_store(any_db)


def test_waiting_stories_are_found_by_the_words_of_a_case_named_anew_alike(any_db: Connection) -> None:
    news = factories.feed(any_db, FeedKind.NEWS, agency="News")
    story = factories.feed_item("Binance faces SEC lawsuit over unregistered offerings - Example News")
    reading = news_extraction(story.title)
    assert reading.news is not None and reading.news.about_a_case
    with write_transaction(any_db):  # the story's row as a batch writes it (its full-text rows aside)
        item_id = next_item_id(any_db)
        row = item_row(item_id, news.id, story, reading, seen_at=now_iso(), event_at=LATER, case_id=None, event_id=None)
        any_db.conn.executemany(INSERT_ITEM, [row])
        plan = FeedPlan(news.id, (PlannedItem(story, reading),), opens_cases=False, alert_since=None, health=HEALTH)
        adopt.adopt_waiting_news(any_db, plan)
        adopt.adopt_waiting_news(any_db, plan)  # waiting already: once
    (waiting,) = any_db.execute("SELECT item_id FROM news_waiting").fetchall()
    assert waiting[0] == item_id
    case_id = open_case(any_db)
    with write_transaction(any_db):
        named = adopt._cases_named_anew(any_db)
        assert named == [case_id] and adopt._cases_named_anew(any_db) == []  # marked seen
        stories = adopt._waiting_stories(any_db, adopt._gained(any_db, named))
    assert [found.id for found in stories] == [item_id]


def test_json_arrays_reach_both_engines_as_sets_of_values(any_db: Connection) -> None:
    """What the store step passes as one JSON parameter (storage.engine.each_int / each_text)."""
    ints = any_db.execute(f"SELECT sum(value) FROM ({each_int(any_db, '?')}) AS ids", [json.dumps([1, 2, 39])])
    assert ints.fetchone()[0] == 42
    texts = any_db.execute(
        f"SELECT count(*) FROM ({each_text(any_db, '?')}) AS words WHERE value >= 'b'",
        [json.dumps(["a", "b", "c"])],
    )
    assert texts.fetchone()[0] == 2
