"""OAuth installs and install states (issue 11: OAuth on either engine).

The rows of slack_sdk's SQLite3 installation and state stores, in their tables
and columns (migration m027), as plain dicts: ``bot.installation_store`` turns
them into slack_sdk's ``Installation`` and ``Bot``. The newest row of a
workspace is its installation (a token rotation adds a row); rows are never
updated; ``installed_at`` is the database's default (UTC text, to the
second, as SQLite's ``CURRENT_TIMESTAMP``). A workspace's key is ``(client_id, enterprise_id, team_id)``, with ``''``
for an absent enterprise or team (an org-wide Enterprise Grid install has no team).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.database import write_transaction
from storage.engine import Connection

BOT_COLUMNS = (
    "app_id",
    "enterprise_id",
    "enterprise_name",
    "team_id",
    "team_name",
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
    "is_enterprise_install",
)
INSTALLATION_COLUMNS = (
    "app_id",
    "enterprise_id",
    "enterprise_name",
    "enterprise_url",
    "team_id",
    "team_name",
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
    "user_id",
    "user_token",
    "user_scopes",
    "user_refresh_token",
    "user_token_expires_at",
    "incoming_webhook_url",
    "incoming_webhook_channel",
    "incoming_webhook_channel_id",
    "incoming_webhook_configuration_url",
    "is_enterprise_install",
    "token_type",
)
# The bot fields of an installation that a user's own install may lack (slack_sdk fills them from the newest with a bot).
_BOT_FIELDS = ("bot_token", "bot_id", "bot_user_id", "bot_scopes", "bot_refresh_token", "bot_token_expires_at")
_WORKSPACE = "client_id = ? AND enterprise_id = ? AND team_id = ?"


def save_installation(
    db: Connection, client_id: str, installation: Mapping[str, Any], bot: Mapping[str, Any] | None
) -> None:
    """Store an install (``INSTALLATION_COLUMNS``) and its bot (``BOT_COLUMNS``;
    None: it has no bot token), in one transaction."""
    with write_transaction(db):
        _insert(db, "slack_installations", INSTALLATION_COLUMNS, client_id, installation)
        if bot is not None:
            _insert(db, "slack_bots", BOT_COLUMNS, client_id, bot)


def save_bot(db: Connection, client_id: str, bot: Mapping[str, Any]) -> None:
    """Store a bot (``BOT_COLUMNS``): a new install's, or a rotated token's."""
    with write_transaction(db):
        _insert(db, "slack_bots", BOT_COLUMNS, client_id, bot)


def _insert(db: Connection, table: str, columns: tuple[str, ...], client_id: str, row: Mapping[str, Any]) -> None:
    values = [row[column] for column in columns]
    names = ", ".join(("client_id", *columns))
    marks = ", ".join("?" for _ in range(len(columns) + 1))
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", [client_id, *values])


def find_bot(db: Connection, client_id: str, enterprise_id: str, team_id: str) -> dict[str, Any] | None:
    """The workspace's newest bot row (``BOT_COLUMNS`` and ``installed_at``), or None."""
    columns = ", ".join((*BOT_COLUMNS, "installed_at"))
    return _first(
        db,
        f"SELECT {columns} FROM slack_bots WHERE {_WORKSPACE} ORDER BY id DESC LIMIT 1",
        [client_id, enterprise_id, team_id],
    )


def find_installation(
    db: Connection, client_id: str, enterprise_id: str, team_id: str, user_id: str | None
) -> dict[str, Any] | None:
    """The workspace's newest install (``user_id``'s, if given), or None. When
    that one is a user's install or has no bot token, its bot fields are the
    workspace's newest install with a bot token's (as slack_sdk's store does)."""
    columns = ", ".join((*INSTALLATION_COLUMNS, "installed_at"))
    by_user = "" if user_id is None else " AND user_id = ?"
    key = [client_id, enterprise_id, team_id]
    found = _first(
        db,
        f"SELECT {columns} FROM slack_installations WHERE {_WORKSPACE}{by_user} ORDER BY id DESC LIMIT 1",
        key if user_id is None else [*key, user_id],
    )
    if found is not None and (user_id is not None or found["bot_token"] is None):
        bot = _first(
            db,
            f"SELECT {', '.join(_BOT_FIELDS)} FROM slack_installations "
            f"WHERE {_WORKSPACE} AND bot_token IS NOT NULL ORDER BY id DESC LIMIT 1",
            key,
        )
        found.update(bot or {})
    return found


def _first(db: Connection, sql: str, parameters: list[Any]) -> dict[str, Any] | None:
    return next(iter(db.query(sql, parameters)), None)


def delete_bots(db: Connection, client_id: str, enterprise_id: str, team_id: str) -> None:
    with write_transaction(db):
        db.execute(f"DELETE FROM slack_bots WHERE {_WORKSPACE}", [client_id, enterprise_id, team_id])


def delete_installations(db: Connection, client_id: str, enterprise_id: str, team_id: str, user_id: str | None) -> None:
    """The workspace's installs (``user_id``'s only, if given)."""
    by_user = "" if user_id is None else " AND user_id = ?"
    key = [client_id, enterprise_id, team_id]
    with write_transaction(db):
        db.execute(
            f"DELETE FROM slack_installations WHERE {_WORKSPACE}{by_user}", key if user_id is None else [*key, user_id]
        )


def installed_team_ids(db: Connection, client_id: str) -> list[str]:
    """The workspaces with a bot installation of the app ``client_id``."""
    rows = db.execute(
        "SELECT DISTINCT team_id FROM slack_bots WHERE client_id = ? AND bot_token IS NOT NULL ORDER BY team_id",
        [client_id],
    )
    return [team_id for (team_id,) in rows]


def issue_state(db: Connection, state: str, expire_at: float, now: float) -> None:
    """Keep an "Add to Slack" link's state until ``expire_at`` (epoch seconds),
    dropping the states expired by ``now``."""
    with write_transaction(db):
        db.execute("DELETE FROM oauth_states WHERE expire_at <= ?", [now])
        db.execute("INSERT INTO oauth_states (state, expire_at) VALUES (?, ?)", [state, expire_at])


def consume_state(db: Connection, state: str, now: float) -> bool:
    """Whether ``state`` was issued and has not expired by ``now``; it cannot be
    used again (one statement: of two redirects with it, one wins)."""
    with write_transaction(db, exclusive=False):
        return db.execute("DELETE FROM oauth_states WHERE state = ? AND expire_at > ?", [state, now]).rowcount > 0
