"""Storing, grouping into cases and searching, on the bundled demo feeds
served over local HTTP through the real pipeline."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

import storage.cases as cases
import storage.search as search
import storage.status as status
from bot.demo import DEMO_FEEDS, serve_directory
from bot.ingest import default_matcher, poll_feeds
from feeds.catalog import FeedSpec, load_catalog
from feeds.extract import find_dockets
from feeds.fetch import Fetcher
from feeds.vocabulary import FeedKind, WatchKind
from handlers.case_answer import plain_answer, slack_answer
from storage import alerts as outbox
from storage.database import ThreadDatabases, open_database, schema_version
from storage.engine import indexed_by
from storage.feeds import enabled_feeds, sync_catalog
from storage.fulltext import SEARCH_TOKENIZER, Fts5
from storage.schema import migrations
from storage.search import SearchCache, search_cases, search_words
from storage.status import EventFacts, case_status, status_of_case, statuses_of_cases
from storage.watches import WatchSpec, add_watch, case_watch_in_channel, cases_watched_in_channel
from tests import factories
from tests.conftest import sample_feeds_database
from tests.pg import database_url, query_plan, reads_through_an_index


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, module_database_url: Callable[[Path], str]) -> Database:
    return sample_feeds_database(tmp_path_factory.mktemp("demo"), module_database_url)


@pytest.mark.sqlite_only  # WAL and migrations of a SQLite file
def test_schema_is_versioned_and_migrations_are_idempotent(tmp_path: Path) -> None:
    every_migration = len(migrations.pending(Database(memory=True)))
    path = tmp_path / "x.db"
    first = open_database(path)
    assert schema_version(first) == every_migration >= 3
    first.close()
    again = open_database(path)
    assert schema_version(again) == every_migration
    assert not migrations.pending(again)
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT case_id FROM case_dockets WHERE docket_key = ?", ["23-cv-01599"]),
        ("SELECT case_id FROM case_dockets WHERE docket_short = ?", ["23-01599"]),
        ("SELECT id FROM cases WHERE caption_key = ?", ["sec v binance"]),
        ("SELECT case_id FROM case_parties WHERE name_key = ?", ["binance holdings"]),
        ("SELECT 1 FROM items WHERE feed_id = ? AND item_key = ?", [1, "k"]),
        ("SELECT id FROM items WHERE case_id = ? ORDER BY event_at DESC", [1]),
    ],
)
def test_every_lookup_uses_an_index(demo_db: Database, sql: str, params: list) -> None:
    plan = query_plan(demo_db, sql, params)
    assert reads_through_an_index(plan), plan


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        (
            lambda db: status._DECIDING_EVENTS.format(marks="?, ?, ?", indexed=indexed_by(db, "events_deciding")),
            "events_deciding",
        ),
        (lambda db: cases._LATEST_EVENT, "events_latest"),
    ],
)
def test_a_cards_status_and_latest_event_read_only_the_events_that_can_give_them(
    demo_db: Database, sql: Callable[[Database], str], index: str
) -> None:
    """A busy docket has hundreds of filings and rulings that decide nothing:
    a card reads its status and latest event through the small partial indexes."""
    statement = sql(demo_db)
    plan = query_plan(demo_db, statement, [1, 2, 3][: statement.count("?")])
    assert reads_through_an_index(plan, index), plan


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        (lambda db: f"SELECT id FROM {outbox.editable_alerts(db)} WHERE {outbox._EDITABLE}", "alerts_update"),
        (lambda db: outbox._NEW_SOURCE, "alerts_event"),
    ],
)
def test_the_sender_and_a_new_source_read_only_the_alerts_concerned(
    demo_db: Database, sql: Callable[[Database], str], index: str
) -> None:
    """Sent alerts pile up (one per channel and event): the sender's look for
    messages to edit, every second, and a new source's look for its event's
    alerts each read through a small index, not every sent alert."""
    statement = sql(demo_db)
    plan = query_plan(demo_db, statement, ["2026-01-01T00:00:00+00:00"] if "edit_claimed_at" in statement else [1])
    assert reads_through_an_index(plan, index), plan


def test_items_are_stored_once_however_often_seen(tmp_path: Path) -> None:
    databases = ThreadDatabases(tmp_path / "once.db")
    with serve_directory(DEMO_FEEDS) as base:
        catalog = tmp_path / "catalog.toml"
        catalog.write_text((DEMO_FEEDS / "catalog.toml").read_text().replace("{base}", base))
        db = databases.get()
        sync_catalog(db, load_catalog(catalog))
        fetcher = Fetcher(contact="t@example.com", allow_private=True)
        first = poll_feeds(databases, fetcher, enabled_feeds(db), default_matcher())
        count = db.execute("SELECT count(*) FROM items").fetchone()[0]
        second = poll_feeds(databases, fetcher, enabled_feeds(db), default_matcher())
    assert sum(o.new_items for o in first) == count == 19
    assert [o.status for o in second] == ["unchanged"] * len(second)
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == count


def test_items_from_three_sources_form_one_case(demo_db: Database) -> None:
    (case,) = search_cases(demo_db, "1:23-cv-01599").cases
    assert case.caption.startswith("Securities and Exchange Commission v. Binance Holdings Limited")
    assert (case.agency, case.court, case.dockets) == ("SEC", "D.D.C.", ["1:23-cv-01599"])
    assert case.sources == 3  # SEC press release, D.D.C. docket, news
    assert case.items == 5
    assert "Changpeng Zhao" in case.defendants
    assert [entry.event_at[:10] for entry in case.timeline] == sorted(
        (entry.event_at[:10] for entry in case.timeline), reverse=True
    )
    assert (case.latest_action, case.latest_action_at) == ("ruling", "2024-06-28")  # the court's day, not the news


def test_related_matters_stay_separate_cases(demo_db: Database) -> None:
    result = search_cases(demo_db, "binance", limit=10)
    captions = [case.caption for case in result.cases]
    assert result.total == 5
    assert captions[0].startswith("Securities and Exchange Commission v. Binance")
    assert any(c.startswith("Commodity Futures Trading Commission v. Changpeng Zhao") for c in captions)
    assert "United States v. Binance Holdings Limited" in captions
    assert "In the Matter of Binance Holdings, Ltd." in captions
    plea = next(c for c in result.cases if c.caption == "United States v. Binance Holdings Limited")
    assert plea.amounts[0] == 4_300_000_000
    assert (plea.court, plea.latest_action) == ("W.D. Wash.", "plea")


@pytest.mark.parametrize(
    "query",
    ["binance", "BINANCE", "Binance Holdings Ltd.", "binance holdings limited", "Bínance", "binance's", "binance.com"],
)
def test_party_names_match_ignoring_case_accents_punctuation_suffixes(demo_db: Database, query: str) -> None:
    result = search_cases(demo_db, query)
    assert result.cases and "Binance" in result.cases[0].caption


@pytest.mark.parametrize(
    "query", ["1:23-cv-01599", "1:23-cv-01599-ABJ", "23-cv-1599", "Civil Action No. 23-1599", "23-1599"]
)
def test_docket_numbers_match_in_any_form(demo_db: Database, query: str) -> None:
    result = search_cases(demo_db, query)
    assert [case.dockets[0] for case in result.cases] == ["1:23-cv-01599"]


def test_words_of_item_text_find_cases(demo_db: Database) -> None:
    result = search_cases(demo_db, "MetaMask staking")
    assert [case.caption for case in result.cases] == ["Securities and Exchange Commission v. Consensys Software Inc."]


def _quillon_world(db: Database, named: int) -> Database:
    """``named`` cases against Quillon Widgets companies, and one against
    someone else whose item names Quillon Widgets in its text only."""
    source = factories.feed(db)
    for number in range(named):
        what = factories.extraction(defendants=[f"Quillon Widgets {number} Inc."], dockets=[f"1:24-cv-0{number}001"])
        factories.stored_item(db, source, what, factories.feed_item(f"SEC charges Quillon Widgets {number} Inc."))
    other = factories.extraction(defendants=["Harbor Lending LLC"], dockets=["1:24-cv-09999"])
    item = factories.feed_item("SEC charges Harbor Lending LLC", summary="It sold Quillon Widgets notes.")
    factories.stored_item(db, source, other, item)
    return db


def test_when_names_fill_the_answer_the_count_is_of_cases_matched_by_name_and_says_so(memory_db: Database) -> None:
    """Names that give as many cases as the answer shows decide its cards
    alone: the words of items (reading a common word's newest thousand
    matches, most of a search's time) are then not read, and the headline
    counts the cases matched by name and says so. (Before: the case whose
    item only mentions the name was counted, and the count did not say how.)"""
    result = search_cases(_quillon_world(memory_db, named=4), "Quillon Widgets")
    assert len(result.cases) == 3 and result.total == 4 and result.by_name_only
    assert all("Quillon" in case.caption for case in result.cases)
    assert slack_answer(result)["text"] == "4 cases match *Quillon Widgets* by name; showing the best 3"
    assert plain_answer(result).splitlines()[0] == "4 cases match 'Quillon Widgets' by name; showing the best 3"


def test_when_names_give_fewer_cases_than_shown_items_words_fill_the_answer_and_count(memory_db: Database) -> None:
    result = search_cases(_quillon_world(memory_db, named=2), "Quillon Widgets")
    assert result.total == 3 and not result.by_name_only
    assert any("Harbor Lending" in case.caption for case in result.cases)
    assert slack_answer(result)["text"] == "3 cases match *Quillon Widgets*"


def _person_world(db: Database, *cases_of: tuple[str, str, str]) -> Database:
    """A case against each (defendant, docket, item title), its one item published in that order (oldest first)."""
    source = factories.feed(db)
    for day, (name, docket, title) in enumerate(cases_of, start=1):
        what = factories.extraction(defendants=[name], dockets=[docket])
        item = factories.feed_item(title, published_at=f"2024-06-{day:02d}T15:00:00+00:00")
        factories.stored_item(db, source, what, item)
    return db


def test_a_full_name_with_an_initial_finds_the_same_person_written_without_it(memory_db: Database) -> None:
    """ "Priya G. Alvarado" finds the case against "Priya Alvarado" through the
    party names (the name without its initial), not only when an item of
    that case happens to spell the initial out. (Before: 1 case, the other
    one missing: its item did not have the initial.) The items are still read
    to fill the answer, so the count is not "by name"."""
    db = _person_world(
        memory_db,
        ("Priya Alvarado", "1:24-cv-01001", "SEC charges Priya Alvarado"),
        ("Priya G. Alvarado", "1:24-cv-02002", "SEC charges Priya G. Alvarado"),
    )
    result = search_cases(db, "Priya G. Alvarado")
    assert sorted(case.dockets[0] for case in result.cases) == ["1:24-cv-01001", "1:24-cv-02002"]
    assert plain_answer(result).splitlines()[0] == "2 cases match 'Priya G. Alvarado'"


def test_the_same_name_without_its_initial_whose_items_have_the_full_name_goes_first(memory_db: Database) -> None:
    """When the cases of the name without its initial are more than the
    answer has room for, those whose items spell the full name (the same
    person, surely) are shown before more recent namesakes."""
    db = _person_world(
        memory_db,
        ("Joe Rogers", "1:24-cr-01001", "Joe J. Rogers indicted for fraud"),
        ("Joe J. Rogers", "1:24-cv-02002", "SEC charges Joe J. Rogers"),
        ("Joe Rogers", "1:24-cv-03003", "SEC charges Joe Rogers"),
        ("Joe Rogers", "1:24-cv-04004", "SEC charges Joe Rogers"),
    )
    result = search_cases(db, "Joe J. Rogers")
    assert [case.dockets[0] for case in result.cases] == ["1:24-cv-02002", "1:24-cr-01001", "1:24-cv-04004"]
    assert result.total == 4 and result.by_name_only


def test_a_companys_name_still_finds_the_case_of_its_founder_whose_items_name_it(memory_db: Database) -> None:
    """A company that is a party to one case only: the other cards come from
    the items that name it, as for any query (here its founder's case, the
    one a compliance officer must not miss). The party-name lookup adds the
    same name's other cases; it never stands in for reading the items."""
    db = _person_world(
        memory_db,
        ("Terravale Labs Pte. Ltd.", "1:24-cv-01001", "SEC charges Terravale Labs Pte. Ltd."),
        ("Dokan Kwell", "1:24-cr-02002", "Terravale Labs Pte. Ltd. founder Dokan Kwell extradited"),
    )
    result = search_cases(db, "Terravale Labs Pte. Ltd.")
    assert sorted(case.dockets[0] for case in result.cases) == ["1:24-cr-02002", "1:24-cv-01001"]
    assert result.total == 2 and not result.by_name_only


def test_no_match_suggests_close_names(demo_db: Database) -> None:
    result = search_cases(demo_db, "binanse")
    assert result.cases == [] and result.total == 0
    assert any("Binance" in suggestion for suggestion in result.suggestions)


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""binance',
        "binance*",
        "*",
        "-binance",
        "binance NEAR zhao",
        "NEAR(",
        "binance OR",
        "AND OR NOT",
        "'); DROP TABLE items; --",
        "{caption}: binance",
        "^binance",
        "名字 日本語",
        "🦀",
        "\x00",
        "x" * 5000,
        "binance " * 1000,
    ],
)
def test_any_text_is_safe_to_search(demo_db: Database, query: str) -> None:
    result = search_cases(demo_db, query)
    assert result.total >= 0
    assert demo_db.execute("SELECT count(*) FROM items").fetchone()[0] == 19


def test_fts_query_quotes_every_word() -> None:
    assert Fts5().words(search_words('binance" OR NEAR(x*)')) == '"binance" "or" "near" "x"'


def _store_release(db: Database, key: str, title: str, summary: str) -> None:
    """One SEC release stored through the real extraction and store path (feed 1)."""
    from feeds.extract import extract
    from feeds.parse import FeedItem
    from storage.items import store_items

    item = FeedItem(key, key, None, title, summary, None, None)
    extraction = extract(
        title=item.title, summary=item.summary, author=None, feed_agency="SEC", feed_kind="regulator", feed_url=""
    )
    store_items(db, 1, [(item, extraction)])


def test_a_typed_docket_finds_a_case_known_by_its_typeless_form(tmp_path: Path) -> None:
    db = open_database(database_url(tmp_path / "typeless.db"))
    sync_catalog(db, [FeedSpec("SEC", "https://www.sec.gov/x", "SEC", "regulator", 10)])
    _store_release(db, "k1", "SEC charges Acme", "SEC v. Acme Widgets Inc., Case No. 24-1234 (D. Del.)")
    for query in ("1:24-cv-01234", "24-cv-1234", "Case No. 24-1234"):
        assert [case.caption for case in search_cases(db, query).cases] == ["SEC v. Acme Widgets Inc."], query


ACTIONS = [
    "complaint", "indictment", "administrative proceeding", "plea", "verdict", "sentencing", "settlement",
    "judgment", "ruling", "dismissal", "appeal", "filing", "order", "opinion", "none", "update",
]  # fmt: skip
DETAILS = [
    None, "partial dismissal", "motion to dismiss denied", "summary judgment", "settled", "closed", "order",
    "Order DISMISSING the complaint", "Summary Judgment", "SETTLED", "motion to dİsmiss", "K",
]  # fmt: skip


@cache
def _status_db() -> Database:
    db = open_database(":memory:")
    db.execute("INSERT INTO cases (id, created_at) VALUES (1, ''), (2, ''), (3, '')")
    return db


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=3),
            st.sampled_from(ACTIONS),
            st.sampled_from(DETAILS),
            st.sampled_from(["2024-01-01", "2024-01-02", "2024-03-05"]),
            st.booleans(),
        ),
        max_size=24,
    )
)
def test_a_cases_status_read_in_sql_is_the_status_of_all_its_events(events: list) -> None:
    """status_of_case reads only the events that may decide; it must say what
    case_status says of every event, in the order the database gives them;
    the statuses of several cases read at once (a /case answer's cards) too."""
    db = _status_db()
    db.execute("DELETE FROM events")
    for index, (case_id, action, detail, day, routine) in enumerate(events):
        db.execute(
            "INSERT INTO events (case_id, action, event_day, identity, routine, first_item_id, created_at, "
            "action_detail) VALUES (?, ?, ?, ?, ?, ?, '', ?)",
            [case_id, action, day, str(index % 2), int(routine), index, detail],
        )
    expected = {}
    for case_id in (1, 2, 3):
        every = db.execute(
            "SELECT action, action_detail, event_day, routine FROM events WHERE case_id = ?", [case_id]
        ).fetchall()
        expected[case_id] = case_status(
            EventFacts(action, detail, day, bool(routine)) for action, detail, day, routine in every
        )
        assert status_of_case(db, case_id) == expected[case_id]
    assert statuses_of_cases(db, [3, 1, 2]) == expected


def test_connections_prepared_up_front_serve_the_threads_that_ask(tmp_path: Path) -> None:
    databases = ThreadDatabases(tmp_path / "pool.db")
    warmed: list[Database] = []
    databases.prepare(2, warmed.append)
    answers: list[object] = []

    def ask() -> None:
        db = databases.get()
        answers.append((db in warmed, db.execute("SELECT count(*) FROM items").fetchone()[0]))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
        thread.join()
    assert sorted(answers, key=str) == [(False, 0), (True, 0), (True, 0)]


def test_kept_answers_follow_every_change_to_the_database(tmp_path: Path) -> None:
    """The server's answer cache: a write by another connection, or by the one
    that searches, is in the next answer, which equals an uncached search."""
    path = tmp_path / "kept.db"
    db = open_database(path)
    sync_catalog(db, [FeedSpec("SEC", "https://www.sec.gov/x", "SEC", "regulator", 10)])
    cache = SearchCache(path, size=8)
    assert cache.search(db, "acme").cases == []
    assert cache.search(db, " acme ").cases == []  # kept, under the query as searched

    _store_release(open_database(path), "k1", "SEC charges Acme", "SEC v. Acme Widgets Inc., Case No. 24-1234")
    assert [case.caption for case in cache.search(db, "acme").cases] == ["SEC v. Acme Widgets Inc."]

    _store_release(db, "k2", "SEC charges Acme Gadgets", "SEC v. Acme Gadgets LLC, Case No. 24-2345")
    found = cache.search(db, "acme")
    assert sorted(case.caption for case in found.cases) == ["SEC v. Acme Gadgets LLC", "SEC v. Acme Widgets Inc."]
    assert found == search_cases(db, "acme") and cache.search(db, "acme") == found


def test_the_number_of_kept_answers_is_a_setting() -> None:
    from bot.config import ConfigError, settings_from_env

    assert settings_from_env({}).case_cache_answers == 128
    assert settings_from_env({"CASEWATCH_CASE_CACHE": "0"}).case_cache_answers == 0
    with pytest.raises(ConfigError) as refused:
        settings_from_env({"CASEWATCH_CASE_CACHE": "-1"})
    assert refused.value.problems == ["CASEWATCH_CASE_CACHE must be a whole number from 0 to 100000 (got '-1')"]


@pytest.mark.parametrize("query", ["enforcement results", "enforcement result", "result"])
def test_a_longer_last_word_finds_the_case_when_the_exact_words_match_only_items_of_no_case(
    memory_db: Database, query: str
) -> None:
    regulator = factories.feed(memory_db)
    news = factories.feed(memory_db, FeedKind.NEWS)
    item = factories.feed_item("SEC charges Acme Widgets Inc.", summary="Enforcement resultsharing scheme")
    factories.stored_item(memory_db, regulator, factories.extraction(caption="SEC v. Acme Widgets Inc."), item)
    story = factories.feed_item("Agency reports enforcement results", summary="Enforcement results of the year")
    factories.stored_item(memory_db, news, factories.news_extraction(story.title, story.summary), story)

    result = search_cases(memory_db, query)

    assert [case.caption for case in result.cases] == ["SEC v. Acme Widgets Inc."]
    assert result.total == 1
    assert [item.title for item in result.items] == (
        ["Agency reports enforcement results"] if query == "enforcement results" else []
    )


WORDS = [
    "Exchange",
    "EXCHANGE",
    "exchange's",
    "Holdings",
    "Hóldings",
    "holdings-trading",
    "Legacy",
    "Voyager",
    "voyagers",
    "D.",  # an initial: a word of one letter, common whatever the case names
]


@cache
def _common_and_rare_db() -> Database:
    """Items whose words are often "exchange" and "holdings" and seldom "legacy"
    or "voyager", in several spellings, stored by the real store path."""
    db = factories.memory_database()
    regulator, news = factories.feed(db), factories.feed(db, FeedKind.NEWS)
    rng = random.Random(9)
    for number in range(120):
        words = [rng.choice(WORDS[:6]) for _ in range(3)] + rng.sample(WORDS, rng.randint(0, 2))
        if number % 10 == 0:
            words.append(rng.choice(["Legacy Voyager", "Légacy Voyager", "voyager LEGACY"]))
        item = factories.feed_item(" ".join(words), summary=f"Release {number}")
        if number % 3:
            factories.stored_item(db, regulator, factories.extraction(caption=f"SEC v. {' '.join(words)} Inc."), item)
        else:
            factories.stored_item(db, news, factories.news_extraction(item.title), item)
    return db


def _fts_rows(db: Database, index: str, tokens: list[str]) -> list[int]:
    sql = f"SELECT rowid FROM {index} WHERE {index} MATCH ? ORDER BY rowid DESC"
    return [rowid for (rowid,) in db.execute(sql, [Fts5().words(tokens)])]


def _answer(db: Database, query: str, *, common_at: int) -> tuple:
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(search, "COMMON_CASES", common_at)
        patched.setattr(search, "_common_words", {})
        result = search_cases(db, query)
    return [case.caption for case in result.cases], result.total, [item.title for item in result.items]


NOTHING_COMMON = 10**9  # FTS5 alone answers
SOME_COMMON = 30  # in the test database: "exchange" and "holdings", not "legacy" or "voyager"


@pytest.mark.sqlite_only  # compares with FTS5 MATCH on item_search
@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*WORDS, "release", "zzz"]), min_size=1, max_size=4))
def test_matches_through_rare_words_are_the_items_fts5_matches(query: list[str]) -> None:
    db = _common_and_rare_db()
    tokens = search_words(" ".join(query))
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(search, "COMMON_CASES", SOME_COMMON)
        patched.setattr(search, "_common_words", {})
        for index, table in (("items", "item_search"), ("cases", "case_search")):
            through_rare = search._matches_through_rare_words(db, index, tokens)
            assert through_rare is None or through_rare == _fts_rows(db, table, tokens)
    answer = _answer(db, " ".join(query), common_at=SOME_COMMON)
    assert answer == _answer(db, " ".join(query), common_at=NOTHING_COMMON)


@pytest.mark.sqlite_only  # counts FTS5 MATCH queries on item_search
def test_a_query_with_common_and_rare_words_goes_through_the_rare_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    db = _common_and_rare_db()
    monkeypatch.setattr(search, "COMMON_CASES", SOME_COMMON)
    monkeypatch.setattr(search, "_common_words", {})
    tokens = search_words("Legacy Voyager Exchange Holdings Inc.")
    for index, table in (("items", "item_search"), ("cases", "case_search")):
        expected = _fts_rows(db, table, tokens)
        assert expected and search._matches_through_rare_words(db, index, tokens) == expected
    monkeypatch.setattr(search, "COMMON_CASES", NOTHING_COMMON)
    assert search._is_common(db, "d") and not search._is_common(db, "legacy")  # a middle initial is common
    query = "Legacy Voyager Exchange Holdings"
    answer = _answer(db, query, common_at=SOME_COMMON)
    assert answer[0] and answer == _answer(db, query, common_at=NOTHING_COMMON)


@pytest.mark.sqlite_only  # FTS5 tokenizer of the check tables
@pytest.mark.parametrize("index", ["item_search", "case_search"])
def test_the_check_table_splits_words_as_the_index_does(memory_db: Database, index: str) -> None:
    (sql,) = memory_db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [index]).fetchone()
    assert f"tokenize = '{SEARCH_TOKENIZER}'" in sql


def test_the_cases_a_channel_watches_are_read_together_as_one_at_a_time(memory_db: Database) -> None:
    """/case reads which of its cards the channel already watches (Watch or
    Unwatch button) in one statement: by case, by a docket's full key or its
    short form, never another channel's watch."""
    db = memory_db
    source = factories.feed(db)
    by_case, by_key, by_short, unwatched, elsewhere = (
        factories.stored_item(db, source, factories.extraction(defendants=[name], dockets=[docket])).case_id
        for name, docket in (
            ("Acme Widgets Inc.", "1:23-cv-01001"),
            ("Binance Holdings", "1:23-cv-01599"),
            ("Coinbase Inc.", "Case No. 23-cv-4738"),
            ("Dexter Trading", "1:23-cv-07777"),
            ("Elm Capital", "1:23-cv-08888"),
        )
    )
    ids = [by_case, by_key, by_short, unwatched, elsewhere]
    assert all(ids)
    add_watch(
        db,
        team_id=factories.TEAM,
        channel_id=factories.CHANNEL,
        user_id=factories.USER,
        spec=WatchSpec(kind=WatchKind.CASE, term="Acme", term_key=f"case:{by_case}", case_id=by_case),
    )
    full = find_dockets("1:23-cv-01599")[0]
    short = db.execute("SELECT docket_short FROM case_dockets WHERE case_id = ?", [by_short]).fetchone()[0]
    factories.watch(db, full.display, term_key=full.key, kind=WatchKind.DOCKET)
    factories.watch(db, short, term_key=short, kind=WatchKind.DOCKET)
    other = find_dockets("1:23-cv-08888")[0]
    factories.watch(db, other.display, term_key=other.key, kind=WatchKind.DOCKET, channel="C0002")
    one_at_a_time = {
        case_id for case_id in ids if case_watch_in_channel(db, factories.TEAM, factories.CHANNEL, case_id)
    }
    assert one_at_a_time == {by_case, by_key, by_short}
    assert cases_watched_in_channel(db, factories.TEAM, factories.CHANNEL, ids) == one_at_a_time
    assert cases_watched_in_channel(db, factories.TEAM, "C0002", ids) == {elsewhere}
    assert cases_watched_in_channel(db, factories.TEAM, factories.CHANNEL, []) == set()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([None, "2024-01-01", "2024-02-01", "2024-03-01"]), st.integers(0, 3)),
        min_size=1,
        max_size=12,
    ),
    st.integers(min_value=1, max_value=5),
    st.randoms(use_true_random=False),
)
def test_the_shown_cases_are_the_most_recently_active_ties_to_the_better_documented_then_the_oldest(
    cases: list[tuple[str | None, int]], limit: int, rng: random.Random
) -> None:
    """Ranking reads only the cases that can be shown (those active no earlier
    than the limit-th most recent, and its ties), counts the items of only
    those that tie, and must rank as if it read and counted all."""
    db = factories.memory_database()
    source = factories.feed(db)
    for case_id, (last, items) in enumerate(cases, start=1):
        db.execute("INSERT INTO cases (id, last_event_at, created_at) VALUES (?, ?, '')", [case_id, last])
        for number in range(items):
            db.execute(
                "INSERT INTO items (feed_id, item_key, title, seen_at, event_at, case_id) VALUES (?, ?, '', '', '', ?)",
                [source.id, f"{case_id}-{number}", case_id],
            )
    candidates = rng.sample(range(1, len(cases) + 1), rng.randint(1, len(cases)))
    every = sorted(
        ((cases[case_id - 1][0] or "", cases[case_id - 1][1], -case_id) for case_id in candidates), reverse=True
    )
    assert search._top(db, candidates, limit) == [-negative_id for _, _, negative_id in every[:limit]]
