"""Case assignment (storage.cases.assign_case / find_case), driven directly on
a migrated in-memory database with hand-written extractions: which items join
which case. The same rules are exercised end to end, from feeds over HTTP, in
test_storage_and_search.py and test_releases.py."""

from __future__ import annotations

import pytest

import storage.items
from feeds.types import FeedPlan, HealthPlan, PlannedItem
from feeds.vocabulary import Action, FeedKind
from storage.batch import store_plan
from storage.cases import assign_case, find_case
from storage.engine import Connection
from tests import factories
from tests.factories import extraction, news_extraction
from tests.reliability import Observed

FILED = "2023-06-05T14:00:00+00:00"
LATER = "2024-06-28T20:41:12+00:00"
SEC_V_BINANCE = extraction(
    caption="SEC v. Binance Holdings Ltd., et al.",
    plaintiffs=["SEC"],
    defendants=["Binance Holdings Ltd.", "BAM Trading Services Inc.", "Changpeng Zhao"],
    dockets=["1:23-cv-01599"],
    court="D.D.C.",
    agency="SEC",
)


def case_count(db: Connection) -> int:
    (count,) = db.execute("SELECT count(*) FROM cases").fetchone()
    return count


@pytest.mark.parametrize(
    "written",
    ["1:23-cv-01599", "23-cv-1599", "1:23-cv-01599-ABJ", "Civil Action No. 23-1599", "Case No. 23-1599"],
)
def test_the_same_docket_in_any_form_joins_the_case(stored_db: Connection, written: str) -> None:
    case_id = assign_case(stored_db, SEC_V_BINANCE, FILED)
    entry = extraction(caption="SEC v. Binance", dockets=[written], court="D.D.C.", action=Action.RULING)
    assert find_case(stored_db, entry) == case_id
    assert assign_case(stored_db, entry, LATER) == case_id
    assert case_count(stored_db) == 1


def test_a_docket_without_a_court_joins_the_case_of_that_court(stored_db: Connection) -> None:
    case_id = assign_case(stored_db, SEC_V_BINANCE, FILED)
    assert assign_case(stored_db, extraction(dockets=["23-cv-01599"], defendants=["Binance"]), LATER) == case_id


def test_the_same_number_in_another_court_is_another_case(stored_db: Connection) -> None:
    dcd = assign_case(stored_db, SEC_V_BINANCE, FILED)
    sdny = extraction(
        caption="United States v. Doe", defendants=["John Doe"], dockets=["1:23-cv-01599"], court="S.D.N.Y."
    )
    assert find_case(stored_db, sdny) is None
    other = assign_case(stored_db, sdny, LATER)
    assert other not in (None, dcd)
    assert case_count(stored_db) == 2


def test_another_type_of_case_with_the_same_number_is_another_case(stored_db: Connection) -> None:
    civil = assign_case(stored_db, SEC_V_BINANCE, FILED)
    criminal = extraction(
        caption="United States v. Binance Holdings Ltd.",
        defendants=["Binance Holdings Ltd."],
        dockets=["2:23-cr-01599"],
        court="D.D.C.",
        action=Action.INDICTMENT,
    )
    assert assign_case(stored_db, criminal, LATER) not in (None, civil)


def test_the_same_caption_joins_when_the_item_gives_no_docket(stored_db: Connection) -> None:
    case_id = assign_case(stored_db, SEC_V_BINANCE, FILED)
    spelled_out = extraction(
        caption="Securities and Exchange Commission v. Binance Holdings Limited et al",
        plaintiffs=["Securities and Exchange Commission"],
        defendants=["Binance Holdings Limited"],
    )
    assert spelled_out.caption_key == SEC_V_BINANCE.caption_key == "sec v binance holdings"
    assert assign_case(stored_db, spelled_out, LATER) == case_id


def test_the_same_caption_with_another_docket_is_another_case(stored_db: Connection) -> None:
    case_id = assign_case(stored_db, SEC_V_BINANCE, FILED)
    appeal = extraction(
        caption="SEC v. Binance Holdings Ltd.",
        plaintiffs=["SEC"],
        defendants=["Binance Holdings Ltd."],
        dockets=["1:24-cv-00042"],
        court="D.D.C.",
    )
    assert assign_case(stored_db, appeal, LATER) not in (None, case_id)


def test_the_same_caption_in_another_court_is_another_case(stored_db: Connection) -> None:
    case_id = assign_case(stored_db, SEC_V_BINANCE, FILED)
    elsewhere = extraction(
        caption="SEC v. Binance Holdings Ltd.",
        plaintiffs=["SEC"],
        defendants=["Binance Holdings Ltd."],
        court="E.D.N.Y.",
    )
    assert assign_case(stored_db, elsewhere, LATER) not in (None, case_id)


def test_the_same_agency_and_defendants_join_without_docket_or_caption(stored_db: Connection) -> None:
    release = extraction(defendants=["Acme Widgets Inc.", "Jane Roe"], agency="SEC", release_no="LR-26001")
    case_id = assign_case(stored_db, release, FILED)
    again = extraction(defendants=["Jane Roe", "Acme Widgets Inc."], agency="SEC", action=Action.SETTLEMENT)
    assert assign_case(stored_db, again, LATER) == case_id
    another_agency = extraction(defendants=["Acme Widgets Inc.", "Jane Roe"], agency="CFTC")
    assert assign_case(stored_db, another_agency, LATER) not in (None, case_id)
    assert case_count(stored_db) == 2


def test_news_joins_the_case_its_headline_names(stored_db: Connection) -> None:
    case_id = assign_case(stored_db, SEC_V_BINANCE, FILED)
    story = news_extraction("Judge trims SEC lawsuit against Binance - Example News", "Most claims proceed.")
    assert assign_case(stored_db, story, LATER, may_open=False) == case_id


def test_news_never_opens_a_case(stored_db: Connection) -> None:
    story = news_extraction(
        "SEC sues Acme Widgets over crypto lending - Example News", "The SEC sued Acme Widgets Inc. on Monday."
    )
    assert story.news is not None and story.action == Action.COMPLAINT
    assert assign_case(stored_db, story, FILED, may_open=False) is None
    news_feed = factories.feed(stored_db, FeedKind.NEWS, agency="News")
    stored = factories.stored_item(stored_db, news_feed, story)
    assert stored.case_id is None
    assert case_count(stored_db) == 0


def test_an_item_about_no_case_joins_and_opens_none(stored_db: Connection) -> None:
    assign_case(stored_db, SEC_V_BINANCE, FILED)
    speech = extraction(caption="SEC v. Binance Holdings Ltd.", dockets=["1:23-cv-01599"], action=Action.NONE)
    assert assign_case(stored_db, speech, LATER) is None
    assert assign_case(stored_db, extraction(agency="SEC"), LATER) is None  # names nothing a case is known by
    assert case_count(stored_db) == 1


def test_a_joining_item_widens_the_case(stored_db: Connection) -> None:
    """Dates stretch to the item's, a longer caption wins, new names are added (and found by them)."""
    short = extraction(caption="SEC v. Binance", plaintiffs=["SEC"], defendants=["Binance"], dockets=["23-cv-1599"])
    case_id = assign_case(stored_db, short, LATER)
    assign_case(stored_db, SEC_V_BINANCE, FILED)
    caption, first, last = stored_db.execute(
        "SELECT caption, first_event_at, last_event_at FROM cases WHERE id = ?", [case_id]
    ).fetchone()
    assert (caption, first, last) == ("SEC v. Binance Holdings Ltd., et al.", FILED, LATER)
    by_name = extraction(defendants=["Changpeng Zhao"], agency="SEC", action=Action.SETTLEMENT)
    assert find_case(stored_db, by_name) == case_id


RELEASE_OF_ZHAO = extraction(defendants=["Changpeng Zhao"], agency="SEC", action=Action.COMPLAINT)
COURT_CAPTION_ZHAO = extraction(
    caption="SEC v. Zhao", defendants=["Zhao"], dockets=["1:23-cv-01599"], court="D.D.C.", agency="SEC"
)


def test_a_court_caption_joins_by_surname_the_case_a_release_opened(stored_db: Connection) -> None:
    """The release came before the docket: the caption's ``Zhao`` is its ``Changpeng Zhao``."""
    case_id = assign_case(stored_db, RELEASE_OF_ZHAO, FILED)
    assert assign_case(stored_db, COURT_CAPTION_ZHAO, LATER) == case_id
    assert assign_case(stored_db, extraction(caption="SEC v. Lee", defendants=["Lee"], dockets=["1:24-cv-7"]), LATER)
    assert case_count(stored_db) == 2


def test_in_one_feed_a_court_caption_joins_by_surname_the_case_its_release_opened(stored_db: Connection) -> None:
    """A batch rewrites its cases' search rows at its end; a later item of the
    same feed must still find the case an earlier one opened or renamed."""
    source = factories.feed(stored_db)
    items = (
        PlannedItem(factories.feed_item("SEC Charges Changpeng Zhao"), RELEASE_OF_ZHAO),
        PlannedItem(factories.feed_item("SEC v. Zhao", published_at=LATER), COURT_CAPTION_ZHAO),
    )
    health = HealthPlan(next_poll_at=LATER, retry_at=LATER)
    plan = FeedPlan(source.id, items, opens_cases=True, alert_since=None, health=health)
    batch = store_plan(stored_db, plan, match=lambda **_: [])
    assert batch.new_items == 2
    assert stored_db.execute("SELECT count(DISTINCT case_id), count(*) FROM items").fetchone() == (1, 2)
    assert case_count(stored_db) == 1


def test_in_one_feed_items_find_by_docket_the_cases_its_earlier_items_opened_and_dated(stored_db: Connection) -> None:
    """A batch reads the cases of its docket numbers once, up front; what its
    own items change (a case opened, a docket added, a case's last event)
    counts for its later items as when each item read the database itself."""
    sdny = extraction(
        caption="United States v. Doe", defendants=["John Doe"], dockets=["1:23-cv-01599"], court="S.D.N.Y."
    )
    dcd_entry = extraction(caption="SEC v. Binance", dockets=["1:23-cv-01599"], court="D.D.C.", action=Action.RULING)
    typeless = extraction(dockets=["Case No. 23-1599"], action=Action.FILING)
    sequence = [
        (sdny, LATER),  # opens a case
        (dcd_entry, "2025-01-10T10:00:00+00:00"),  # joins the one of its court
        (typeless, "2025-01-11T10:00:00+00:00"),  # joins the most recently active of the two
        (sdny, "2025-01-12T10:00:00+00:00"),
        (typeless, "2025-01-13T10:00:00+00:00"),
    ]
    one_by_one = factories.memory_database()
    for db in (stored_db, one_by_one):
        assign_case(db, SEC_V_BINANCE, FILED)
    expected = [assign_case(one_by_one, what, at) for what, at in sequence]
    source = factories.feed(stored_db)
    items = tuple(
        PlannedItem(factories.feed_item(f"entry {number}", published_at=at), what)
        for number, (what, at) in enumerate(sequence)
    )
    health = HealthPlan(next_poll_at=LATER, retry_at=LATER)
    plan = FeedPlan(source.id, items, opens_cases=True, alert_since=None, health=health)
    store_plan(stored_db, plan, match=lambda **_: [])
    joined = [case_id for (case_id,) in stored_db.execute("SELECT case_id FROM items ORDER BY id")]
    assert joined == expected
    assert expected[:3] == [2, 1, 1]


def test_in_one_feed_a_case_keeps_the_longest_caption_and_every_name_its_items_gave(stored_db: Connection) -> None:
    """A batch keeps what its items changed of a case (caption, names,
    dockets) for its later items, as when each item read the case itself."""
    short = extraction(caption="SEC v. Binance", defendants=["Binance"], dockets=["1:23-cv-01599"], court="D.D.C.")
    longer = extraction(caption=SEC_V_BINANCE.caption, defendants=["Changpeng Zhao"], dockets=["1:23-cv-01599"])
    again = extraction(
        caption="SEC v. Binance Holdings", defendants=["Binance", "Changpeng Zhao"], dockets=["Case No. 23-1599"]
    )
    source = factories.feed(stored_db)
    items = tuple(
        PlannedItem(factories.feed_item(f"entry {number}", published_at=f"2024-06-2{number}T10:00:00+00:00"), what)
        for number, what in enumerate([short, longer, again])
    )
    health = HealthPlan(next_poll_at=LATER, retry_at=LATER)
    plan = FeedPlan(source.id, items, opens_cases=True, alert_since=None, health=health)
    store_plan(stored_db, plan, match=lambda **_: [])
    assert stored_db.execute("SELECT caption FROM cases").fetchall() == [(SEC_V_BINANCE.caption,)]
    names = stored_db.execute("SELECT role, name FROM case_parties ORDER BY rowid").fetchall()
    assert names == [("defendant", "Binance"), ("defendant", "Changpeng Zhao")]
    (search_row,) = stored_db.execute("SELECT caption, parties, dockets FROM case_search").fetchall()
    assert search_row[0] == SEC_V_BINANCE.caption and "Changpeng Zhao" in search_row[1] and "23-1599" in search_row[2]


@pytest.mark.reliability("an item breaks storing after earlier items of its feed changed a case", kind="input")
def test_an_item_that_fails_after_its_feed_changed_a_case_leaves_the_case_as_the_other_items_made_it(
    stored_db: Connection, monkeypatch: pytest.MonkeyPatch, observed: Observed
) -> None:
    """A batch keeps its cases' rows and names in memory and writes them at
    its end. An item that fails after joining a case (it moved the case's
    last event, lengthened its caption and named a new party) is undone, and
    the items are stored again one by one: nothing the undone run kept in
    memory may reach the case."""
    real_insert_item = storage.items.insert_item

    def insert_item_with_a_bug(db, feed_id, item, *args, **fields):
        if "Poison" in item.title:
            raise RuntimeError("a bug in storing")
        return real_insert_item(db, feed_id, item, *args, **fields)

    monkeypatch.setattr(storage.items, "insert_item", insert_item_with_a_bug)
    opening = extraction(caption="SEC v. Binance", defendants=["Binance"], dockets=["1:23-cv-01599"], court="D.D.C.")
    longer = extraction(caption="SEC v. Binance Holdings", defendants=["BAM Trading"], dockets=["1:23-cv-01599"])
    poisoned = extraction(caption=SEC_V_BINANCE.caption, defendants=["Changpeng Zhao"], dockets=["1:23-cv-01599"])
    sequence = [
        ("entry", opening, "2024-06-20T10:00:00+00:00"),
        ("entry", longer, "2024-06-21T10:00:00+00:00"),
        ("Poison entry", poisoned, "2024-06-22T10:00:00+00:00"),
    ]
    source = factories.feed(stored_db)
    items = tuple(PlannedItem(factories.feed_item(title, published_at=at), what) for title, what, at in sequence)
    health = HealthPlan(next_poll_at=LATER, retry_at=LATER)
    plan = FeedPlan(source.id, items, opens_cases=True, alert_since=None, health=health)
    batch = store_plan(stored_db, plan, match=lambda **_: [])
    observed.record(items_lost=2 - batch.new_items)
    assert (batch.new_items, len(batch.skipped)) == (2, 1)
    case = stored_db.execute("SELECT caption, first_event_at, last_event_at FROM cases").fetchall()
    assert case == [("SEC v. Binance Holdings", "2024-06-20T10:00:00+00:00", "2024-06-21T10:00:00+00:00")]
    names = stored_db.execute("SELECT name FROM case_parties ORDER BY rowid").fetchall()
    assert names == [("Binance",), ("BAM Trading",)]
    (search_row,) = stored_db.execute("SELECT caption, parties FROM case_search").fetchall()
    assert search_row[0] == "SEC v. Binance Holdings" and "Zhao" not in search_row[1]


def test_in_one_feed_a_surname_no_longer_finds_the_case_an_earlier_item_gave_a_docket(stored_db: Connection) -> None:
    """A batch reads the cases its court captions' surnames may name up
    front (docketless cases only); once an earlier item of the feed gave such
    a case a docket, a caption with another docket opens its own case, as
    when each item read the database itself."""
    case_id = assign_case(stored_db, RELEASE_OF_ZHAO, FILED)  # indexed: stored before the feed
    other_docket = extraction(
        caption="SEC v. Zhao", defendants=["Zhao"], dockets=["1:24-cv-00042"], court="D.D.C.", agency="SEC"
    )
    source = factories.feed(stored_db)
    items = (
        PlannedItem(factories.feed_item("SEC v. Zhao", published_at=LATER), COURT_CAPTION_ZHAO),
        PlannedItem(factories.feed_item("SEC v. Zhao", published_at=LATER), other_docket),
    )
    health = HealthPlan(next_poll_at=LATER, retry_at=LATER)
    store_plan(
        stored_db, FeedPlan(source.id, items, opens_cases=True, alert_since=None, health=health), match=lambda **_: []
    )
    joined = [case for (case,) in stored_db.execute("SELECT case_id FROM items ORDER BY id")]
    assert joined == [case_id, case_id + 1]
    assert case_count(stored_db) == 2
