"""Wording a user reads, found rough when trying Casewatch by hand (issue 10's QA)."""

from __future__ import annotations

from sqlite_utils import Database

from handlers.feeds_answer import feed_statuses, plain_feed_list, slack_feed_list
from tests import factories


def test_a_feed_with_one_item_says_one_item_not_one_items(memory_db: Database) -> None:
    source = factories.feed(memory_db)
    factories.stored_item(memory_db, source, factories.extraction())
    statuses = feed_statuses(memory_db)
    for listed in (plain_feed_list(statuses), slack_feed_list(statuses)):
        assert "· 1 item\n" in listed and "1 items" not in listed
