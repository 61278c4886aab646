"""Full-text search behaving alike on SQLite (FTS5) and PostgreSQL (tsvector/GIN),
through storage.fulltext (issue 11): each test runs once per engine (``engine_db``).

The cases and items are written with plain rows and indexed through the same
interface the store step uses (``full_text(db).refresh_cases`` / ``index_items``),
so these tests depend only on full-text search; ``find_cases`` is ``/case``'s
search without the cards."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import storage.fulltext as fulltext
import storage.search as search
from feeds.extract import find_dockets
from feeds.text import name_key
from handlers.case_answer import headline
from storage.database import open_database
from storage.engine import Connection, DataVersion
from storage.fts_text import search_text
from storage.fulltext import full_text
from storage.joins import BatchSurnames, find_news_case, find_release_case
from storage.search import SearchResult, find_cases
from tests import factories
from tests.pg import Databases, EngineDatabase


class World:
    """Cases and items written as rows, then indexed as the store step indexes them."""

    def __init__(self, db: Connection) -> None:
        self.db = db
        (self.feed,) = db.execute(
            "INSERT INTO feeds (name, url, kind, interval_minutes, created_at) "
            "VALUES ('SEC', 'https://www.sec.gov/x', 'regulator', 10, '2024-01-01') RETURNING id"
        ).fetchone()
        self.day = 0

    def _next_day(self) -> str:
        self.day += 1
        return f"2024-{1 + self.day // 28:02d}-{1 + self.day % 28:02d}T12:00:00+00:00"

    def case(self, *defendants: str, docket: str | None = None, agency: str = "SEC") -> int:
        """A case against ``defendants`` (its caption "SEC v. <first>"), most recently active of all so far."""
        day = self._next_day()
        (case_id,) = self.db.execute(
            "INSERT INTO cases (caption, caption_key, agency, first_event_at, last_event_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [f"{agency} v. {defendants[0]}", name_key(defendants[0]), agency, day, day, day],
        ).fetchone()
        self.db.conn.executemany(
            "INSERT INTO case_parties (case_id, role, name, name_key) VALUES (?, 'defendant', ?, ?)",
            [(case_id, name, name_key(name)) for name in defendants],
        )
        for found in find_dockets(docket) if docket else []:
            self.db.execute(
                "INSERT INTO case_dockets (case_id, docket_key, docket_short, display) VALUES (?, ?, ?, ?)",
                [case_id, found.key, found.short, found.display],
            )
        terms = sorted({word for name in defendants for word in name_key(name).split()})
        self.db.conn.executemany(
            "INSERT INTO search_terms (term) VALUES (?) ON CONFLICT DO NOTHING", [(term,) for term in terms]
        )
        full_text(self.db).refresh_cases(self.db, [case_id])
        return case_id

    def item(self, title: str, summary: str = "", *, case_id: int | None = None) -> int:
        (item_id,) = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchone()
        day = self._next_day()
        self.db.execute(
            "INSERT INTO items (id, feed_id, item_key, title, summary, seen_at, event_at, case_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [item_id, self.feed, f"item-{item_id}", title, summary, day, day, case_id],
        )
        row = (item_id, search_text(title), search_text(summary))
        full_text(self.db).index_items(self.db, [row], [row] if case_id is None else [])
        return item_id


@pytest.fixture
def world(engine_db: EngineDatabase) -> World:
    return World(engine_db.open())


def test_a_word_of_an_items_text_finds_its_case(world: World) -> None:
    acme = world.case("Acme Widgets Inc.", docket="1:24-cv-01001")
    world.item("SEC charges Acme Widgets Inc.", "A staking program sold as MetaMask Staking", case_id=acme)
    world.case("Harbor Lending LLC", docket="1:24-cv-02002")
    found = find_cases(world.db, "metamask")
    assert (found.case_ids, found.total, found.by_name_only) == ([acme], 1, False)


def test_several_words_must_all_be_there(world: World) -> None:
    staking = world.case("Acme Widgets Inc.")
    world.item("SEC charges Acme Widgets Inc.", "an unregistered staking program", case_id=staking)
    lending = world.case("Harbor Lending LLC")
    world.item("SEC charges Harbor Lending LLC", "an unregistered lending program", case_id=lending)
    assert find_cases(world.db, "unregistered program").case_ids == [lending, staking]
    assert find_cases(world.db, "unregistered staking").case_ids == [staking]
    assert find_cases(world.db, "staking lending").case_ids == []


def test_the_last_word_as_a_prefix_when_the_whole_word_finds_no_case(world: World) -> None:
    acme = world.case("Acme Widgets Inc.")
    world.item("SEC charges Acme Widgets Inc.", "Enforcement resultsharing scheme", case_id=acme)
    world.item("Agency reports enforcement results", "Enforcement results of the year")  # of no case
    for query in ("enforcement results", "enforcement result", "result"):
        found = find_cases(world.db, query)
        assert (found.case_ids, found.total) == ([acme], 1), query
    assert [item.title for item in find_cases(world.db, "enforcement results").items] == [
        "Agency reports enforcement results"
    ]


def test_a_docket_number_in_any_form_finds_its_case(world: World) -> None:
    binance = world.case("Binance Holdings Limited", docket="1:23-cv-01599")
    world.case("Coinbase, Inc.", docket="1:23-cv-04738")
    for query in ("1:23-cv-01599", "23-cv-1599", "Civil Action No. 23-1599", "23-1599"):
        assert find_cases(world.db, query).case_ids == [binance], query


def test_a_partys_name_finds_its_case_whatever_the_spelling(world: World) -> None:
    binance = world.case("Binance Holdings Limited", "Changpeng Zhao")
    world.case("Coinbase, Inc.")
    for query in ("binance", "BINANCE", "Binance Holdings Ltd.", "Bínance", "changpeng zhao"):
        found = find_cases(world.db, query)
        assert (found.case_ids, found.by_name_only) == ([binance], False), query


def test_letters_without_a_decomposition_fold_alike_in_names(world: World) -> None:
    """ø ł æ ß are folded the same way in the index (Python on PostgreSQL, the
    letters table on SQLite) and in the query, on both engines."""
    cases = {name: world.case(name) for name in ("Jørgen Ødegaard", "Łukasz Wałęsa", "Æther Straße GmbH")}
    for query, defendant in [
        ("Ødegaard", "Jørgen Ødegaard"),
        ("odegaard", "Jørgen Ødegaard"),
        ("JORGEN ODEGAARD", "Jørgen Ødegaard"),
        ("Łukasz Wałęsa", "Łukasz Wałęsa"),
        ("lukasz walesa", "Łukasz Wałęsa"),
        ("aether", "Æther Straße GmbH"),
        ("Æther strasse", "Æther Straße GmbH"),
    ]:
        assert find_cases(world.db, query).case_ids == [cases[defendant]], query


def test_letters_without_a_decomposition_fold_alike_in_item_text(world: World) -> None:
    acme = world.case("Acme Widgets Inc.")
    world.item("Grønland Minerals fined", "Władysław Nowak testified", case_id=acme)
    for query in ("gronland", "Grønland", "GRØNLAND minerals", "wladyslaw"):
        assert find_cases(world.db, query).case_ids == [acme], query


def test_a_misspelt_name_gets_the_same_did_you_mean_on_both_engines(world: World) -> None:
    world.case("Binance Holdings Limited")
    world.case("Jørgen Ødegaard")
    found = find_cases(world.db, "binanse")
    assert (found.case_ids, found.suggestions) == ([], ["Binance Holdings Limited"])
    assert find_cases(world.db, "odegard").suggestions == ["Jørgen Ødegaard"]
    assert find_cases(world.db, "zzzzqqq").suggestions == []


def test_counts_of_cases_matched_by_name_and_by_item_words(world: World) -> None:
    named = [world.case(f"Quillon Widgets {number} Inc.") for number in range(4)]
    harbor = world.case("Harbor Lending LLC")
    world.item("SEC charges Harbor Lending LLC", "It sold Quillon Widgets notes.", case_id=harbor)
    found = find_cases(world.db, "Quillon Widgets")
    assert (found.case_ids, found.total, found.by_name_only, found.at_least) == (named[:-4:-1], 4, True, False)
    everything = find_cases(world.db, "Quillon Widgets", limit=10)
    assert (sorted(everything.case_ids), everything.total) == (sorted([*named, harbor]), 5)


def test_a_count_past_the_cap_says_at_least_on_postgresql(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL counts matching cases no further than COUNT_CAP (an exact count
    reads every matching row); SQLite's FTS5 counts exactly."""
    for number in range(6):
        world.case(f"Quillon Widgets {number} Inc.")
    monkeypatch.setattr(search, "CANDIDATES", 2)  # the count is read only past the newest CANDIDATES
    monkeypatch.setattr(search, "COUNT_CAP", 4)
    monkeypatch.setattr(fulltext, "COUNT_CAP", 4)
    found = find_cases(world.db, "quillon")
    exact = full_text(world.db).counts_exactly()
    assert (found.total, found.at_least) == ((6, False) if exact else (4, True))


def test_a_capped_count_reads_as_at_least() -> None:
    result = SearchResult(query="quillon", cases=[], total=1000, by_name_only=True, at_least=True)
    assert headline(result, "*quillon*") == "1000+ cases match *quillon* by name; showing the best 0"


def test_items_of_no_case_are_found_in_the_loose_index_and_leave_it_when_they_join_a_case(world: World) -> None:
    """The loose index: FTS5's loose_item_search (kept by the store step and a
    trigger) or PostgreSQL's partial GIN index on items of no case."""
    acme = world.case("Acme Widgets Inc.")
    world.item("SEC charges Acme Widgets Inc.", case_id=acme)
    story = world.item("Harbor Lending's founder speaks", "An interview about lending")
    found = find_cases(world.db, "harbor lending")
    assert (found.case_ids, [item.title for item in found.items]) == ([], ["Harbor Lending's founder speaks"])
    assert full_text(world.db).any_match(world.db, "loose", full_text(world.db).words(["interview"]))

    world.db.execute("UPDATE items SET case_id = ? WHERE id = ?", [acme, story])  # as news adoption moves it

    found = find_cases(world.db, "harbor lending")
    assert (found.case_ids, found.items) == ([acme], [])
    assert not full_text(world.db).any_match(world.db, "loose", full_text(world.db).words(["interview"]))


def test_a_case_is_found_through_an_item_older_than_the_newest_page_of_matches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fulltext, "NEWEST_BATCH", 2)  # pages of 2, then 10
    acme = world.case("Acme Widgets Inc.")
    world.item("Acme's staking program", case_id=acme)
    loose = [world.item(f"Staking report {number}") for number in range(15)]
    pages = list(full_text(world.db).newest(world.db, "items", full_text(world.db).words(["staking"])))
    assert [len(page) for page in pages] == [2, 10, 4]
    assert [item_id for page in pages for item_id in page] == [*reversed(loose), 1]
    assert find_cases(world.db, "staking").case_ids == [acme]


def test_a_case_is_found_through_an_old_item_that_joined_it_behind_pages_of_items_of_no_case(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the newest matches are all of no case, the search counts the
    matches of the items' index and of the loose index before walking on: an
    item that joined a case after it was stored must have left the loose index."""
    monkeypatch.setattr(fulltext, "NEWEST_BATCH", 2)  # pages of 2, then 10
    acme = world.case("Acme Widgets Inc.")
    story = world.item("Staking program explained")  # stored of no case ...
    loose = [world.item(f"Staking report {number}") for number in range(15)]
    found = find_cases(world.db, "staking")
    assert (found.case_ids, [item.title for item in found.items]) == ([], ["Staking report 14", "Staking report 13"])
    world.db.execute("UPDATE items SET case_id = ? WHERE id = ?", [acme, story])  # ... then joined Acme's case
    found = find_cases(world.db, "staking")
    assert (found.case_ids, found.total, len(loose)) == ([acme], 1, 15)


@pytest.mark.parametrize(("matches", "page_sizes"), [(0, []), (1, [1]), (3, [3]), (4, [3, 1]), (20, [3, 15, 2])])
def test_the_newest_matches_come_newest_first_however_many_there_are(
    world: World, monkeypatch: pytest.MonkeyPatch, matches: int, page_sizes: list[int]
) -> None:
    """Fewer matches than a page, exactly a page, one more, several pages, of
    one word and of several: the same ids in the same order, whichever way the
    engine reads them."""
    monkeypatch.setattr(fulltext, "NEWEST_BATCH", 3)  # pages of 3, then 15
    text = full_text(world.db)
    world.item("Staking notice")  # one of the two words
    items = [world.item(f"Staking report {number}") for number in range(matches)]
    world.item("Another report")
    world.case("Staking Limited")
    cases = [world.case(f"Staking Partners {number}") for number in range(matches)]
    world.case("Partners Limited")
    for words in (["staking", "report"], ["report", "staking"]):
        pages = list(text.newest(world.db, "items", text.words(words)))
        assert [len(page) for page in pages] == page_sizes
        assert [item_id for page in pages for item_id in page] == items[::-1]
    for limit in (1, 3, 4, 25):
        assert text.matching(world.db, "cases", text.words(["staking", "partners"]), limit=limit) == cases[::-1][:limit]
        assert text.matching(world.db, "items", text.words(["report", "staking"]), limit=limit) == items[::-1][:limit]
        assert text.matching(world.db, "items", text.words(["staking"]), limit=limit) == [*items[::-1], 1][:limit]


def test_rare_words_rows_are_checked_for_the_common_ones_alike(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "COMMON_CASES", 3)
    monkeypatch.setattr(search, "_common_words", {})
    common = [world.case(f"Exchange Holdings {number}") for number in range(4)]
    voyager = world.case("Voyager Exchange Holdings")
    world.case("Voyager Digital")
    items = [world.item("Exchange holdings voyager", case_id=case_id) for case_id in (common[0], voyager)]
    assert search._matches_through_rare_words(world.db, "cases", ["voyager", "exchange"]) == [voyager]
    assert search._matches_through_rare_words(world.db, "items", ["voyager", "exchange"]) == items[::-1]
    assert find_cases(world.db, "voyager exchange holdings").case_ids == [voyager, common[0]]


HOSTILE = [
    "acme & | ! ( ) :* \\ ' \"",
    "'acme'",
    "acme:*",
    "!acme",
    "acme\\",
    "acme\\'",
    "(acme",
    "acme)) | ((",
    "acme <-> widgets",
    "acme & !widgets",
    '"acme" OR NEAR(widgets*)',
    "acme:A",
    "'') & ('",
    "\\\\:*",
    "&",
    "",
    "acme " * 500,
    "名字 日本語 acme",
]


@pytest.mark.reliability("query text with tsquery / FTS5 operators, quotes and backslashes", kind="input")
def test_operators_quotes_and_backslashes_in_a_query_are_searched_as_words(world: World) -> None:
    acme = world.case("Acme Widgets Inc.")
    world.item("SEC charges Acme Widgets Inc.", "about acme", case_id=acme)
    for query in HOSTILE:
        found = find_cases(world.db, query)
        words = search.search_words(query)
        if words and all(word in {"acme", "widgets"} for word in words):
            assert found.case_ids == [acme], query
        assert found.total >= len(found.case_ids), query
    assert world.db.execute("SELECT count(*) FROM items").fetchone()[0] == 1


# --- joins: a release or a story finds its case by a party's name ---------------------


def test_a_release_naming_a_surname_joins_the_docketless_case_of_that_person(world: World) -> None:
    zhao = world.case("Wei Zhao")  # docketless: found through the parties' words, not the name key's index
    world.case("Zhao Holdings Ltd.", agency="CFTC")
    release = factories.extraction(agency="SEC", defendants=["Zhao"], dockets=["1:24-cv-07777"])
    assert find_release_case(world.db, release) == zhao
    assert BatchSurnames.read(world.db, [release]).named("SEC", ["zhao"], (), lambda case_id: None) == [
        (zhao, None, world.db.execute("SELECT last_event_at FROM cases WHERE id = ?", [zhao]).fetchone()[0], "wei zhao")
    ]


def test_a_story_joins_the_case_its_headline_names(world: World) -> None:
    world.case("Binance Holdings Limited", agency="CFTC")
    binance = world.case("Binance Holdings Limited", "Changpeng Zhao", docket="1:23-cv-01599")
    world.case("Coinbase, Inc.")
    story = factories.news_extraction("SEC wins ruling against Binance founder Changpeng Zhao")
    assert find_news_case(world.db, story) == binance


def test_a_name_of_common_words_is_found_by_its_key(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import storage.joins as joins

    monkeypatch.setattr(joins, "COMMON_CASES", 2)
    monkeypatch.setattr(joins, "_common_words", set())
    world.case("Palisade Capital LLC")
    capital = [world.case(f"Capital Group {number}") for number in range(3)]
    harbor = world.case("Harbor Capital")
    assert joins._named_case_ids(world.db, ["harbor", "capital"]) >= {harbor}
    assert joins._named_case_ids(world.db, ["capital", "group", "1"]) >= {capital[1]}


# --- the cache of answers follows every write -------------------------------------------


def test_the_data_version_changes_with_every_write_and_not_with_reads(engine_db: EngineDatabase) -> None:
    writer = engine_db.open()
    versions = DataVersion(engine_db.url)
    assert versions.read() is not None

    def unchanged_by_a_read() -> bool:
        before = versions.read()
        writer.execute("SELECT count(*) FROM items").fetchone()
        return versions.read() == before

    # PostgreSQL's version is the cluster's: another test's write to its own database may land between the two
    # reads. A read that changed it would do so every time; another writer hits one attempt in a while.
    assert any(unchanged_by_a_read() for _ in range(5))
    before = versions.read()
    World(writer).case("Acme Widgets Inc.")
    after = versions.read()
    assert after != before and versions.read() == after


# --- the same answers on both engines ------------------------------------------------------

NAMES = ["Acme", "Ødegaard", "Harbor", "Lending", "Quillon", "Widgets", "Exchange", "Holdings", "Voyager", "Zhao"]
TEXT = [*NAMES, "staking", "fraud", "results", "resultsharing", "Grønland", "Wałęsa", "Æther", "notes"]


def _build(db: Connection) -> None:
    """The same seeded world on each engine."""
    rng = random.Random(11)
    world = World(db)
    for number in range(40):
        names = rng.sample(NAMES, rng.randint(1, 3))
        case_id = world.case(" ".join(names), f"{rng.choice(NAMES)} {rng.choice(NAMES)}")
        for _ in range(rng.randint(0, 3)):
            world.item(" ".join(rng.sample(TEXT, 3)), " ".join(rng.sample(TEXT, 4)), case_id=case_id)
        if number % 4 == 0:
            world.item(" ".join(rng.sample(TEXT, 3)), " ".join(rng.sample(TEXT, 2)))


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory, pg_databases: Databases) -> Iterator[list[Connection]]:
    sqlite = open_database(tmp_path_factory.mktemp("both") / "both.db")
    url = pg_databases.create()
    postgres = open_database(url)
    for db in (sqlite, postgres):
        _build(db)
    yield [sqlite, postgres]
    sqlite.close()
    postgres.close()
    pg_databases.drop(url)


@cache
def _answer(db: Connection, query: str) -> tuple:
    found = find_cases(db, query, limit=5)
    return found.case_ids, found.total, found.by_name_only, found.suggestions, [item.title for item in found.items]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*TEXT, "resul", "odegard", "zzz", "Inc.", "1:24-cv-01001"]), min_size=1, max_size=3))
def test_the_same_queries_give_the_same_answers_on_both_engines(
    both_engines: list[Connection], query: list[str]
) -> None:
    sqlite, postgres = both_engines
    text = " ".join(query)
    assert _answer(postgres, text) == _answer(sqlite, text)


def test_no_module_outside_fulltext_and_engine_names_an_fts5_table_in_sql() -> None:
    """search.py, joins.py, cases.py and items.py read and write full text only through storage.fulltext."""
    storage = Path(__file__).resolve().parent.parent / "storage"
    statements = re.compile(
        r"MATCH \?|(INSERT INTO|DELETE FROM) (item_search|loose_item_search|case_search)|group_concat"
    )
    for module in ("search.py", "joins.py", "cases.py", "items.py"):
        assert not statements.findall((storage / module).read_text()), module


def test_a_storys_mentions_are_recorded_once(world: World) -> None:
    """A story naming a case and its agency in passing records the mention, once however often it is read."""
    from storage.joins import record_mentions

    cftc = world.case("Acme Widgets Inc.", agency="CFTC")
    body = "The SEC sued Acme Widgets on Monday. The CFTC's parallel case against Acme Widgets continues."
    story = world.item("SEC sues Acme Widgets over crypto lending", body)
    reading = factories.news_extraction("SEC sues Acme Widgets over crypto lending", body)
    for _ in range(2):
        record_mentions(world.db, story, reading, None)
    assert world.db.execute("SELECT case_id, item_id FROM case_mentions").fetchall() == [(cftc, story)]
