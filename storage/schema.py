"""Forward-only schema migrations, applied in order at every open.

Each migration is a function registered on :data:`migrations`
(:mod:`storage.migrator` records what ran). Never edit a released migration:
add a new one. m001–m021 are SQLite's history: a new PostgreSQL database starts
from ``pg_baseline.sql``, the schema at m021. From m022 on, write each migration
once for both engines, with :func:`storage.engine.ddl` for what differs.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from storage.engine import POSTGRESQL, Connection, ddl, engine_of
from storage.fts_text import search_text_sql
from storage.migrator import Migrations

BASELINE = "m021_search_folded_letters"
PG_BASELINE = Path(__file__).with_name("pg_baseline.sql")


def create_pg_baseline(db: Connection) -> None:
    """A new PostgreSQL database's schema, as SQLite's after :data:`BASELINE`."""
    db.executescript(PG_BASELINE.read_text(encoding="utf-8"))


migrations = Migrations(baseline=BASELINE, create_baseline=create_pg_baseline)


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


@migrations()
def m002_watches_events_alerts_audit(db: Database) -> None:
    db.executescript(
        """
        -- A channel's subscription to a name, a docket number or one case.
        CREATE TABLE watches (
            id INTEGER PRIMARY KEY,
            team_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('name', 'docket', 'case')),
            term TEXT NOT NULL,
            term_key TEXT NOT NULL,
            case_id INTEGER,
            mode TEXT NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'daily', 'weekly')),
            include_routine INTEGER NOT NULL DEFAULT 0,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_alert_at TEXT,
            alerts_sent INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_error_at TEXT,
            UNIQUE (team_id, channel_id, kind, term_key)
        );
        CREATE INDEX watches_term ON watches (team_id, kind, term_key);

        CREATE TABLE watch_aliases (
            watch_id INTEGER NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            alias_key TEXT NOT NULL,
            PRIMARY KEY (watch_id, alias_key)
        );

        -- Bumped on every watch change, so that every process rebuilds its matcher.
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta (key, value) VALUES ('watch_version', '0');

        -- One happening in a case (a complaint, a ruling …), however many feeds report it.
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            case_id INTEGER REFERENCES cases (id),
            action TEXT NOT NULL,
            event_day TEXT NOT NULL,
            identity TEXT NOT NULL,
            routine INTEGER NOT NULL DEFAULT 0,
            first_item_id INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX events_identity ON events (case_id, action, identity, event_day);
        ALTER TABLE items ADD COLUMN event_id INTEGER REFERENCES events (id);
        CREATE INDEX items_event ON items (event_id);

        -- The outbox: one row per (channel, event), written with the items that cause it.
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            team_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            event_id INTEGER NOT NULL REFERENCES events (id),
            case_id INTEGER,
            watch_id INTEGER NOT NULL,
            matched_term TEXT NOT NULL,
            mode TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
            needs_update INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            claimed_at TEXT,
            last_error TEXT,
            message_ts TEXT,
            thread_ts TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (team_id, channel_id, event_id)
        );
        CREATE INDEX alerts_due ON alerts (status, mode, next_attempt_at);
        CREATE INDEX alerts_channel ON alerts (team_id, channel_id, sent_at);
        CREATE INDEX alerts_update ON alerts (needs_update) WHERE needs_update = 1;

        -- Where each case's thread lives in each channel.
        CREATE TABLE case_threads (
            team_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            case_id INTEGER NOT NULL,
            thread_ts TEXT NOT NULL,
            PRIMARY KEY (team_id, channel_id, case_id)
        );

        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            team_id TEXT NOT NULL,
            channel_id TEXT,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_team_at ON audit (team_id, at);
        """
    )


@migrations()
def m003_feed_operations(db: Database) -> None:
    db.executescript(
        """
        ALTER TABLE feeds ADD COLUMN source TEXT NOT NULL DEFAULT 'catalog';  -- catalog | command | watch
        ALTER TABLE feeds ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE feeds ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE feeds ADD COLUMN next_poll_at TEXT;
        ALTER TABLE feeds ADD COLUMN failing_since TEXT;
        CREATE INDEX items_feed_event ON items (feed_id, event_at);

        -- Which process polls: whoever holds the lease, renewed before it expires.
        CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL);
        """
    )


@migrations()
def m004_feed_only_watched(db: Database) -> None:
    # Court feeds that list every case of a court keep only the entries of watched dockets and names.
    db.execute("ALTER TABLE feeds ADD COLUMN only_watched INTEGER NOT NULL DEFAULT 0")


@migrations()
def m005_search_terms(db: Database) -> None:
    # The words of party names, for "did you mean": a B-tree range scan, where the
    # fts5vocab table would read every term's doclist.
    db.executescript(
        """
        CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
        DROP TABLE case_search_terms;
        """
    )
    for (key,) in db.execute("SELECT DISTINCT name_key FROM case_parties").fetchall():
        db.conn.executemany("INSERT OR IGNORE INTO search_terms (term) VALUES (?)", [(word,) for word in key.split()])


@migrations()
def m006_drop_case_docket(db: Database) -> None:
    # The case's docket numbers live in case_dockets; this copy was never read.
    db.execute("ALTER TABLE cases DROP COLUMN docket")


@migrations()
def m007_alert_maybe_posted(db: Database) -> None:
    # An alert whose last attempt may have reached Slack (a timeout, a dropped
    # connection): the sender looks for it in the channel before posting again.
    db.execute("ALTER TABLE alerts ADD COLUMN maybe_posted INTEGER NOT NULL DEFAULT 0")


@migrations()
def m008_event_identity(db: Database) -> None:
    # What tells one case's events apart besides their kind and day: the docket
    # entry (document) number, the agency's release number, and the finer kind
    # of action (a ruling's "partial dismissal"), which the case's status reads.
    db.executescript(
        """
        ALTER TABLE events ADD COLUMN entry_no TEXT;
        ALTER TABLE events ADD COLUMN release_no TEXT;
        ALTER TABLE events ADD COLUMN action_detail TEXT;
        CREATE INDEX events_entry ON events (case_id, entry_no) WHERE entry_no IS NOT NULL;
        CREATE INDEX events_release ON events (case_id, release_no) WHERE release_no IS NOT NULL;
        """
    )


@migrations()
def m009_case_links(db: Database) -> None:
    # Cases that share a party (SEC v. Binance, CFTC v. Zhao, United States v.
    # Binance), both ways; kept current as cases gain parties.
    from storage.related import relink_all  # here: storage.related needs storage.database, which needs this module

    db.execute(
        "CREATE TABLE case_links (case_id INTEGER NOT NULL, related_id INTEGER NOT NULL, "
        "PRIMARY KEY (case_id, related_id)) WITHOUT ROWID"
    )
    relink_all(db)


@migrations()
def m010_refold_names(db: Database) -> None:
    # fold() now spells letters without a Unicode decomposition in ASCII
    # (ø → o, ł → l, æ → ae …): recompute every key made from a name.
    from feeds.text import fold, name_key
    from storage.cases import refresh_case_search
    from storage.related import relink_all

    db.register_function(name_key, deterministic=True, replace=True)
    db.register_function(fold, deterministic=True, replace=True)
    changed = [
        case_id
        for (case_id,) in db.execute("SELECT DISTINCT case_id FROM case_parties WHERE name_key != name_key(name)")
    ]
    # Two spellings of one name in a case become one row.
    db.executescript(
        """
        INSERT OR IGNORE INTO case_parties (case_id, role, name, name_key)
            SELECT case_id, role, name, name_key(name) FROM case_parties WHERE name_key != name_key(name);
        DELETE FROM case_parties WHERE name_key != name_key(name);
        UPDATE cases SET caption_key = fold(caption_key) WHERE caption_key IS NOT NULL;
        UPDATE events SET identity = substr(fold(identity), 1, 200) WHERE identity != '';
        DELETE FROM search_terms;
        UPDATE OR IGNORE watch_aliases SET alias_key = name_key(alias);
        UPDATE OR IGNORE watches SET term_key = name_key(term) WHERE kind = 'name';
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'watch_version';
        """
    )
    for (key,) in db.execute("SELECT DISTINCT name_key FROM case_parties").fetchall():
        db.conn.executemany("INSERT OR IGNORE INTO search_terms (term) VALUES (?)", [(word,) for word in key.split()])
    for case_id in changed:
        refresh_case_search(db, case_id)
    relink_all(db)


@migrations()
def m011_item_search_external_content(db: Database) -> None:
    # The items' full-text index reads their text from the items table
    # (external content) instead of keeping a second copy of it, and keeps no
    # column sizes (only bm25 ranking reads them; searches order by rowid). Storing an
    # item adds its row to the index; these triggers keep the index right
    # should an item's text ever change or an item go (an external-content
    # index must be told the old text to forget it).
    db.executescript(
        """
        DROP TABLE item_search;
        CREATE VIRTUAL TABLE item_search USING fts5 (
            title, summary, content = 'items', content_rowid = 'id', columnsize = 0,
            tokenize = 'unicode61 remove_diacritics 2'
        );
        INSERT INTO item_search (item_search) VALUES ('rebuild');
        CREATE TRIGGER items_search_update AFTER UPDATE OF title, summary ON items BEGIN
            INSERT INTO item_search (item_search, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
            INSERT INTO item_search (rowid, title, summary) VALUES (new.id, new.title, new.summary);
        END;
        CREATE TRIGGER items_search_delete AFTER DELETE ON items BEGIN
            INSERT INTO item_search (item_search, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
        END;
        """
    )


@migrations()
def m012_loose_item_search(db: Database) -> None:
    # The words of the items that belong to no case (speeches, statistics),
    # a few in a hundred: /case lists those that match, and most queries
    # match none, which this small index tells at once. Kept by triggers
    # whatever inserts or changes items (never 'rebuild' it: it would index
    # every item).
    db.executescript(
        """
        CREATE VIRTUAL TABLE loose_item_search USING fts5 (
            title, summary, content = 'items', content_rowid = 'id', columnsize = 0,
            tokenize = 'unicode61 remove_diacritics 2'
        );
        INSERT INTO loose_item_search (rowid, title, summary) SELECT id, title, summary FROM items WHERE case_id IS NULL;
        CREATE TRIGGER items_loose_insert AFTER INSERT ON items WHEN new.case_id IS NULL BEGIN
            INSERT INTO loose_item_search (rowid, title, summary) VALUES (new.id, new.title, new.summary);
        END;
        CREATE TRIGGER items_loose_update AFTER UPDATE OF title, summary, case_id ON items BEGIN
            INSERT INTO loose_item_search (loose_item_search, rowid, title, summary)
                SELECT 'delete', old.id, old.title, old.summary WHERE old.case_id IS NULL;
            INSERT INTO loose_item_search (rowid, title, summary)
                SELECT new.id, new.title, new.summary WHERE new.case_id IS NULL;
        END;
        CREATE TRIGGER items_loose_delete AFTER DELETE ON items WHEN old.case_id IS NULL BEGIN
            INSERT INTO loose_item_search (loose_item_search, rowid, title, summary)
                VALUES ('delete', old.id, old.title, old.summary);
        END;
        """
    )


@migrations()
def m013_case_card_indexes(db: Database) -> None:
    # A case card counts its items and their sources and adds up its amounts:
    # from the index alone (its items' feeds ride along with their dates), and
    # from the few items that name an amount, instead of reading every item of
    # a busy case.
    db.executescript(
        """
        CREATE INDEX items_case_event_feed ON items (case_id, event_at, feed_id);
        DROP INDEX items_case_event;
        CREATE INDEX items_case_amounts ON items (case_id) WHERE amounts != '[]';
        """
    )


@migrations()
def m014_items_without_copies(db: Database) -> None:
    # Nothing reads an item's guid (its key holds what identifies it) or its
    # caption (its case holds that): about 120 bytes an item.
    db.executescript(
        """
        ALTER TABLE items DROP COLUMN guid;
        ALTER TABLE items DROP COLUMN caption;
        """
    )


@migrations()
def m015_loose_items_indexed_by_store(db: Database) -> None:
    # Storing an item writes its row in the loose items' index itself when it
    # belongs to no case (``storage.items``; a batch with its items' full-text
    # rows, at its end). The trigger did it for every insert of an item: its
    # mere presence made each insert begin a transaction on the index and
    # cost about half the insert, though few items are loose.
    db.execute("DROP TRIGGER items_loose_insert")


@migrations()
def m016_news_waiting(db: Database) -> None:
    # News stories stored before their case existed (news never opens one):
    # they join it when a later batch opens the case or names it anew (see
    # storage.adopt). Those already stored wait from now on, for cases opened
    # or named anew from now on.
    db.executescript(
        """
        CREATE TABLE news_waiting (item_id INTEGER PRIMARY KEY, event_at TEXT NOT NULL);
        INSERT INTO news_waiting (item_id, event_at)
            SELECT items.id, items.event_at FROM items JOIN feeds ON feeds.id = items.feed_id
            WHERE feeds.kind = 'news' AND items.case_id IS NULL;
        -- A waiting story's words, by which the names of a case find it.
        CREATE TABLE news_waiting_words (word TEXT NOT NULL, item_id INTEGER NOT NULL, PRIMARY KEY (word, item_id))
            WITHOUT ROWID;
        -- The last case name and docket rows that waiting stories were looked for by:
        -- the rows after them are the names and dockets that cases gained since.
        CREATE TABLE news_names_seen (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            party_rowid INTEGER NOT NULL,
            docket_rowid INTEGER NOT NULL
        );
        INSERT INTO news_names_seen (id, party_rowid, docket_rowid) VALUES (
            1, (SELECT coalesce(max(rowid), 0) FROM case_parties), (SELECT coalesce(max(rowid), 0) FROM case_dockets)
        );
        """
    )
    from storage.adopt import story_words  # here: storage.adopt needs storage.database, which needs this module

    waiting = (
        "SELECT items.id, items.title, items.summary FROM news_waiting JOIN items ON items.id = news_waiting.item_id"
    )
    for item_id, title, summary in db.execute(waiting).fetchall():
        db.conn.executemany(
            "INSERT OR IGNORE INTO news_waiting_words (word, item_id) VALUES (?, ?)",
            [(word, item_id) for word in story_words(title, summary)],
        )


@migrations()
def m017_item_case_moves(db: Database) -> None:
    # An item that changes case (a news story joining the case opened after it,
    # storage.adopt) is logged here, so that a process keeping every item's case
    # in memory for searching (storage.search.ItemCases) learns of it.
    db.executescript(
        """
        CREATE TABLE item_case_moves (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL);
        CREATE TRIGGER items_case_moved AFTER UPDATE OF case_id ON items
            WHEN old.case_id IS NOT new.case_id BEGIN
            INSERT INTO item_case_moves (item_id) VALUES (new.id);
        END;
        """
    )


@migrations()
def m018_case_mentions(db: Database) -> None:
    # The cases a news story names in passing (storage.joins.news_mentions),
    # never its own case: the card of a mentioned case links the story.
    db.executescript(
        """
        CREATE TABLE case_mentions (
            case_id INTEGER NOT NULL, item_id INTEGER NOT NULL, PRIMARY KEY (case_id, item_id)
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m019_paused_workspaces(db: Database) -> None:
    # A workspace that uninstalled the app (or revoked its bot token, or was
    # never installed in OAuth mode): its alerts wait, kept, until it installs
    # the app again (storage.workspaces).
    db.executescript(
        """
        CREATE TABLE paused_workspaces (
            team_id TEXT PRIMARY KEY, paused_at TEXT NOT NULL, reason TEXT NOT NULL
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m020_watch_filters_and_notes(db: Database) -> None:
    # A channel's hide filters on a watch (feeds.filters), its note on why it
    # follows it, and a record of every alert a filter (or the routine-entry
    # default) hid, so that /watchlist hidden can say what was hidden and why.
    db.executescript(
        """
        ALTER TABLE watches ADD COLUMN note TEXT;
        CREATE TABLE watch_filters (
            id INTEGER PRIMARY KEY,
            watch_id INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('action', 'routine', 'phrase')),
            key TEXT NOT NULL,
            text TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (watch_id, kind, key)
        );
        CREATE TABLE hidden_alerts (
            id INTEGER PRIMARY KEY,
            team_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            event_id INTEGER NOT NULL,
            case_id INTEGER,
            watch_id INTEGER NOT NULL,
            matched_term TEXT NOT NULL,
            filter_kind TEXT NOT NULL,
            filter_text TEXT NOT NULL,
            by_default INTEGER NOT NULL DEFAULT 0,
            hidden_at TEXT NOT NULL,
            UNIQUE (team_id, channel_id, event_id)
        );
        CREATE INDEX hidden_alerts_recent ON hidden_alerts (team_id, channel_id, hidden_at);
        """
    )


@migrations()
def m021_search_folded_letters(db: Database) -> None:
    # The full-text indexes hold letters the tokenizer keeps (ø, æ, ß, ł …)
    # spelled as queries are folded (storage.fts_text): the triggers give the
    # index folded text, and the rows already indexed that hold such letters
    # are indexed again (an external-content index is told the text it was
    # given to forget it: the raw text, before this migration).
    title, summary = search_text_sql("title"), search_text_sql("summary")
    old_title, old_summary = search_text_sql("old.title"), search_text_sql("old.summary")
    new_title, new_summary = search_text_sql("new.title"), search_text_sql("new.summary")
    changed = f"({title} != title OR {summary} != summary)"
    db.executescript(
        f"""
        INSERT INTO item_search (item_search, rowid, title, summary)
            SELECT 'delete', id, title, summary FROM items WHERE {changed};
        INSERT INTO item_search (rowid, title, summary) SELECT id, {title}, {summary} FROM items WHERE {changed};
        INSERT INTO loose_item_search (loose_item_search, rowid, title, summary)
            SELECT 'delete', id, title, summary FROM items WHERE case_id IS NULL AND {changed};
        INSERT INTO loose_item_search (rowid, title, summary)
            SELECT id, {title}, {summary} FROM items WHERE case_id IS NULL AND {changed};
        DROP TRIGGER items_search_update;
        DROP TRIGGER items_search_delete;
        DROP TRIGGER items_loose_update;
        DROP TRIGGER items_loose_delete;
        CREATE TRIGGER items_search_update AFTER UPDATE OF title, summary ON items BEGIN
            INSERT INTO item_search (item_search, rowid, title, summary)
                VALUES ('delete', old.id, {old_title}, {old_summary});
            INSERT INTO item_search (rowid, title, summary) VALUES (new.id, {new_title}, {new_summary});
        END;
        CREATE TRIGGER items_search_delete AFTER DELETE ON items BEGIN
            INSERT INTO item_search (item_search, rowid, title, summary)
                VALUES ('delete', old.id, {old_title}, {old_summary});
        END;
        CREATE TRIGGER items_loose_update AFTER UPDATE OF title, summary, case_id ON items BEGIN
            INSERT INTO loose_item_search (loose_item_search, rowid, title, summary)
                SELECT 'delete', old.id, {old_title}, {old_summary} WHERE old.case_id IS NULL;
            INSERT INTO loose_item_search (rowid, title, summary)
                SELECT new.id, {new_title}, {new_summary} WHERE new.case_id IS NULL;
        END;
        CREATE TRIGGER items_loose_delete AFTER DELETE ON items WHEN old.case_id IS NULL BEGIN
            INSERT INTO loose_item_search (loose_item_search, rowid, title, summary)
                VALUES ('delete', old.id, {old_title}, {old_summary});
        END;
        """
    )
    name, caption = search_text_sql("name"), search_text_sql("caption")
    cases = [
        (case_id,)
        for (case_id,) in db.execute(
            f"SELECT id FROM cases WHERE {caption} != caption "
            f"UNION SELECT case_id FROM case_parties WHERE {name} != name"
        )
    ]
    db.conn.executemany("DELETE FROM case_search WHERE rowid = ?", cases)
    db.conn.executemany(
        f"""
        INSERT INTO case_search (rowid, parties, caption, dockets)
        SELECT id,
            coalesce((SELECT group_concat({name} || ' ' || name_key, ' | ') FROM case_parties WHERE case_id = ?1), ''),
            coalesce({caption}, ''),
            coalesce((SELECT group_concat(display || ' ' || docket_key || ' ' || docket_short, ' ')
                      FROM case_dockets WHERE case_id = ?1), '')
        FROM cases WHERE id = ?1
        """,
        cases,
    )


# The events that decide a case's status (storage.status.event_status gives them one); storage.status
# reads them with this text word for word, as SQLite uses a partial index only then.
DECIDING_EVENT = (
    "(action IN ('appeal', 'sentencing', 'verdict', 'judgment', 'settlement', 'plea', 'dismissal') "
    "OR (action = 'ruling' AND (instr(lower(action_detail), 'summary judgment') > 0 "
    "OR instr(lower(action_detail), 'dismiss') > 0)) "
    "OR (action = 'administrative proceeding' AND instr(lower(action_detail), 'settle') > 0))"
)


@migrations()
def m022_case_card_events(db: Database) -> None:
    # A /case card's status and latest event, read through small indexes instead of every
    # event of a busy docket (hundreds of filings and rulings): the events that decide a
    # status, and the events a card may show as the latest (not filings or updates), by day.
    db.executescript(
        f"""
        CREATE INDEX events_deciding ON events (case_id) WHERE {DECIDING_EVENT};
        CREATE INDEX events_latest ON events (case_id, event_day) WHERE action NOT IN ('filing', 'update');
        """
    )


@migrations()
def m023_channel_turns(db: Connection) -> None:
    # Senders in several processes take turns per channel (storage.alerts.claim_next):
    # one alert in flight per channel (sending_alert), the next not before free_at
    # (paced from the last post, or a 429's Retry-After). A row is made the first
    # time a channel has a due alert. A stale send's recovery is claimed once
    # (alerts.recovery_at), so two processes never check and resend the same alert.
    for statement in (
        ddl(
            db,
            "CREATE TABLE channel_turns (team_id TEXT NOT NULL, channel_id TEXT NOT NULL, "
            "free_at TEXT NOT NULL DEFAULT '', sending_alert {int}, PRIMARY KEY (team_id, channel_id))",
        ),
        "ALTER TABLE alerts ADD COLUMN recovery_at TEXT",
    ):
        db.execute(statement)


@migrations()
def m025_digest_runs(db: Connection) -> None:
    # One scheduled digest a channel and period, whichever process posts it
    # (storage.alerts.start_digest_run); a process that takes over polling after
    # the digest time posts the period's digests the old one did not.
    db.execute(
        "CREATE TABLE digest_runs (team_id TEXT NOT NULL, channel_id TEXT NOT NULL, period TEXT NOT NULL, "
        "period_start TEXT NOT NULL, started_at TEXT NOT NULL, PRIMARY KEY (team_id, channel_id, period, period_start))"
    )


@migrations()
def m027_slack_oauth_tables(db: Connection) -> None:
    # OAuth installs on either engine (storage.installations): slack_sdk's SQLite3
    # stores' tables and columns, so a SQLite file where those stores made them keeps
    # its installs (IF NOT EXISTS: left as they are), and those stores can still use
    # the tables made here (the same defaults). Times as slack_sdk keeps them:
    # installed_at the UTC text of SQLite's CURRENT_TIMESTAMP, token expiry in epoch
    # seconds, a state's expiry in epoch seconds with fractions.
    for statement in (
        "CREATE TABLE IF NOT EXISTS slack_installations (id {id}, client_id TEXT NOT NULL, app_id TEXT NOT NULL, "
        "enterprise_id TEXT NOT NULL DEFAULT '', enterprise_name TEXT, enterprise_url TEXT, "
        "team_id TEXT NOT NULL DEFAULT '', team_name TEXT, bot_token TEXT, bot_id TEXT, bot_user_id TEXT, "
        "bot_scopes TEXT, bot_refresh_token TEXT, bot_token_expires_at {int}, user_id TEXT NOT NULL, "
        "user_token TEXT, user_scopes TEXT, user_refresh_token TEXT, user_token_expires_at {int}, "
        "incoming_webhook_url TEXT, incoming_webhook_channel TEXT, incoming_webhook_channel_id TEXT, "
        "incoming_webhook_configuration_url TEXT, is_enterprise_install {int} NOT NULL DEFAULT 0, "
        "token_type TEXT, installed_at TEXT NOT NULL DEFAULT {now})",
        "CREATE INDEX IF NOT EXISTS slack_installations_idx "
        "ON slack_installations (client_id, enterprise_id, team_id, user_id, installed_at)",
        "CREATE TABLE IF NOT EXISTS slack_bots (id {id}, client_id TEXT NOT NULL, app_id TEXT NOT NULL, "
        "enterprise_id TEXT NOT NULL DEFAULT '', enterprise_name TEXT, team_id TEXT NOT NULL DEFAULT '', "
        "team_name TEXT, bot_token TEXT NOT NULL, bot_id TEXT NOT NULL, bot_user_id TEXT NOT NULL, bot_scopes TEXT, "
        "bot_refresh_token TEXT, bot_token_expires_at {int}, is_enterprise_install {int} NOT NULL DEFAULT 0, "
        "installed_at TEXT NOT NULL DEFAULT {now})",
        "CREATE INDEX IF NOT EXISTS slack_bots_idx ON slack_bots (client_id, enterprise_id, team_id, installed_at)",
        "CREATE TABLE IF NOT EXISTS oauth_states (id {id}, state TEXT NOT NULL, expire_at DOUBLE PRECISION NOT NULL)",
    ):
        db.execute(ddl(db, statement))


_CASE_ACTIVITY_LOG_SQLITE = """
CREATE TABLE case_activity_changes (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL);
CREATE TRIGGER cases_activity_changed AFTER UPDATE OF last_event_at ON cases
    WHEN old.last_event_at IS NOT new.last_event_at BEGIN
    INSERT INTO case_activity_changes (case_id) VALUES (new.id);
    DELETE FROM case_activity_changes WHERE id <= (SELECT max(id) FROM case_activity_changes) - 50000;
END;
"""
_CASE_ACTIVITY_LOG_POSTGRESQL = """
CREATE TABLE case_activity_changes (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, case_id BIGINT NOT NULL);
CREATE FUNCTION cases_activity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_activity_changes (case_id) VALUES (NEW.id);
    DELETE FROM case_activity_changes WHERE id <= (SELECT max(id) FROM case_activity_changes) - 50000;
    RETURN NULL;
END
$$;
CREATE TRIGGER cases_activity_changed AFTER UPDATE OF last_event_at ON cases
    FOR EACH ROW WHEN (OLD.last_event_at IS DISTINCT FROM NEW.last_event_at) EXECUTE FUNCTION cases_activity_changed();
"""


@migrations()
def m028_case_activity_changes(db: Connection) -> None:
    # A case whose last activity changes is logged here (its newest 50,000 rows
    # kept: storage.case_activity.LOG_ROWS_KEPT), so that a process keeping every case's last activity in memory
    # for ranking /case's candidates (storage.case_activity) reads only what
    # changed. Cases added later are read by their ids, higher than any known.
    script = _CASE_ACTIVITY_LOG_POSTGRESQL if engine_of(db) == POSTGRESQL else _CASE_ACTIVITY_LOG_SQLITE
    db.executescript(script)


@migrations()
def m029_alert_edits(db: Connection) -> None:
    # An alert's needs_update counts the sources its message does not show yet
    # (it was a flag, cleared after an edit even when a source joined during it),
    # and edit_claimed_at lets one sender at a time edit it (storage.alerts.claim_edit).
    # alerts_update now holds the alerts the sender edits (needs_update > 0). A new
    # source found its event's alerts by reading every sent alert (alerts_due):
    # 133 ms a source at 1M sent alerts, 0.03 ms through alerts_event.
    for statement in (
        "ALTER TABLE alerts ADD COLUMN edit_claimed_at TEXT",
        "DROP INDEX alerts_update",
        "CREATE INDEX alerts_update ON alerts (id) WHERE needs_update > 0 AND status = 'sent' AND mode = 'instant'",
        "CREATE INDEX alerts_event ON alerts (event_id)",
    ):
        db.execute(statement)
