"""The cases' last activity that a process keeps for ranking (storage.search.LastActivity).

The ranking must be the same as reading every candidate's row: these tests
rank through the kept values (``KEPT_FROM`` 1: every ranking uses them) while
another connection stores, moves and commits, as a server's ingest does.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import storage.search as search
from feeds.vocabulary import FeedKind
from storage.database import open_database, write_transaction
from storage.search import prepare_search, search_cases
from tests import factories
from tests.pg import EngineDatabase


@pytest.fixture
def kept_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "KEPT_FROM", 1)


def _quillon_case(db, source, number: int, day: int) -> int:
    what = factories.extraction(defendants=[f"Quillon Widgets {number} Inc."], dockets=[f"1:24-cv-0{number}001"])
    item = factories.feed_item(
        f"SEC charges Quillon Widgets {number} Inc.", published_at=f"2024-06-{day:02d}T15:00:00+00:00"
    )
    return factories.stored_item(db, source, what, item).case_id


def test_a_case_whose_new_item_is_the_newest_is_ranked_first_at_once(
    stored_engine_db: EngineDatabase, kept_always: None
) -> None:
    """The server's connection ranks (and keeps) the cases; the ingest's
    connection commits a newer item to the oldest case, then moves a story
    into another: each next search ranks by the case's new last activity."""
    ingest, server = stored_engine_db.open(), stored_engine_db.open()
    source = factories.feed(ingest)
    oldest, _, newest = (_quillon_case(ingest, source, number, day) for number, day in ((0, 1), (1, 2), (2, 3)))
    prepare_search(server)
    assert [case.id for case in search_cases(server, "quillon", limit=1).cases] == [newest]

    _quillon_case(ingest, source, 0, 20)  # the oldest case's new item: now the most recently active
    assert [case.id for case in search_cases(server, "quillon", limit=1).cases] == [oldest]

    news = factories.feed(ingest, FeedKind.NEWS, agency="News")
    story = factories.stored_item(ingest, news, factories.news_extraction("A story"), factories.feed_item("A story"))
    # the server's map has read the story (of no case) before it moves:
    middle = next(case.id for case in search_cases(server, "quillon").cases if case.id not in (oldest, newest))
    with write_transaction(ingest):  # a story adopted by a case, as storage.adopt does it: its date is the case's
        ingest.execute("UPDATE items SET case_id = ? WHERE id = ?", [middle, story.id])
        ingest.execute("UPDATE cases SET last_event_at = ? WHERE id = ?", ["2024-06-25T15:00:00+00:00", middle])
    assert [case.id for case in search_cases(server, "quillon", limit=1).cases] == [middle]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, "2024-01-01", "2024-02-01", "2024-03-01", "2024-03-01T09:00:00Z"]), st.integers(0, 3)
        ),
        min_size=1,
        max_size=12,
    ),
    st.integers(min_value=1, max_value=5),
    st.randoms(use_true_random=False),
)
def test_ranking_through_the_kept_activity_is_ranking_every_row(
    cases: list[tuple[str | None, int]], limit: int, rng: random.Random
) -> None:
    """As the in-memory ranking test of tests/test_storage_and_search.py, on a
    file (whose cases' activity the process keeps), ranked twice: once as read,
    once from what was kept, after a case's activity changed with a new item."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "KEPT_FROM", 1)
        db = open_database(Path(folder) / "ranked.db")
        source = factories.feed(db)
        for case_id, (last, items) in enumerate(cases, start=1):
            db.execute("INSERT INTO cases (id, last_event_at, created_at) VALUES (?, ?, '')", [case_id, last])
            for number in range(items):
                _item(db, source.id, f"{case_id}-{number}", case_id)
        db.conn.commit()
        candidates = rng.sample(range(1, len(cases) + 1), rng.randint(1, len(cases)))
        assert search._top(db, candidates, limit) == _every_row_ranked(cases, candidates, limit)
        changed = rng.choice(candidates)
        with write_transaction(db):  # a new item, and the case's date as storing it leaves it
            _item(db, source.id, "new", changed)
            db.execute("UPDATE cases SET last_event_at = '2024-04-01' WHERE id = ?", [changed])
        cases[changed - 1] = ("2024-04-01", cases[changed - 1][1] + 1)
        assert search._top(db, candidates, limit) == _every_row_ranked(cases, candidates, limit)
        db.close()


def _item(db, feed_id: int, key: str, case_id: int) -> None:
    db.execute(
        "INSERT INTO items (feed_id, item_key, title, seen_at, event_at, case_id) VALUES (?, ?, '', '', '', ?)",
        [feed_id, key, case_id],
    )


def _every_row_ranked(cases: list[tuple[str | None, int]], candidates: list[int], limit: int) -> list[int]:
    every = sorted(
        ((cases[case_id - 1][0] or "", cases[case_id - 1][1], -case_id) for case_id in candidates), reverse=True
    )
    return [-negative_id for _, _, negative_id in every[:limit]]
