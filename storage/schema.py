"""Forward-only schema migrations, applied in order at every open.

Each migration is a function registered on :data:`migrations`; sqlite-utils
records what ran in ``_sqlite_migrations``. Never edit a released migration:
add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("casewatch")


@migrations()
def m001_feeds_items_cases(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            agency TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL CHECK (kind IN ('regulator', 'court', 'news')),
            interval_minutes INTEGER NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            etag TEXT,
            last_modified TEXT,
            last_polled_at TEXT,
            last_success_at TEXT,
            last_new_item_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );

        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            caption TEXT,
            caption_key TEXT,
            agency TEXT,
            court TEXT,
            docket TEXT,
            first_event_at TEXT,
            last_event_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX cases_caption_key ON cases (caption_key);

        CREATE TABLE case_parties (
            case_id INTEGER NOT NULL REFERENCES cases (id),
            role TEXT NOT NULL CHECK (role IN ('plaintiff', 'defendant', 'alias')),
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            PRIMARY KEY (case_id, role, name_key)
        );
        CREATE INDEX case_parties_name_key ON case_parties (name_key);

        CREATE TABLE case_dockets (
            case_id INTEGER NOT NULL REFERENCES cases (id),
            docket_key TEXT NOT NULL,
            docket_short TEXT NOT NULL,
            display TEXT NOT NULL,
            court TEXT,
            PRIMARY KEY (case_id, docket_key)
        );
        CREATE INDEX case_dockets_key ON case_dockets (docket_key);
        CREATE INDEX case_dockets_short ON case_dockets (docket_short);

        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds (id),
            item_key TEXT NOT NULL,
            guid TEXT,
            link TEXT,
            title TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            author TEXT,
            published_at TEXT,
            seen_at TEXT NOT NULL,
            event_at TEXT NOT NULL,
            agency TEXT,
            action TEXT,
            caption TEXT,
            court TEXT,
            release_no TEXT,
            docket_entry TEXT,
            amounts TEXT NOT NULL DEFAULT '[]',
            case_id INTEGER REFERENCES cases (id),
            UNIQUE (feed_id, item_key)
        );
        CREATE INDEX items_case_event ON items (case_id, event_at);

        -- Full-text search: one row per case (names and dockets), one per item (text).
        CREATE VIRTUAL TABLE case_search USING fts5 (
            parties, caption, dockets, tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE VIRTUAL TABLE item_search USING fts5 (
            title, summary, tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE VIRTUAL TABLE case_search_terms USING fts5vocab (case_search, row);
        """
    )
