"""slack_sdk's installation and OAuth state stores over Casewatch's database,
on either engine (issue 11): what slack_sdk's SQLite3 stores do, in the same
tables (a SQLite file they wrote keeps its installs), through storage/ (the
SQL, in :mod:`storage.installations`). Each call uses the calling thread's
connection (``database``: ``ThreadDatabases.get``).

Unlike slack_sdk's stores, a database that cannot be read raises
(``StorageUnavailable``) rather than reading as "not installed", which would
pause a workspace's alerts; and an org-wide install's ``delete_installation``
(no team) deletes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from storage import installations
from storage.engine import Connection

log = logging.getLogger(__name__)


class DatabaseInstallationStore(InstallationStore):
    """Installs of the app ``client_id`` (bot tokens, with refresh tokens when they rotate)."""

    def __init__(self, database: Callable[[], Connection], client_id: str) -> None:
        self.database = database
        self.client_id = client_id

    @property
    def logger(self) -> logging.Logger:
        return log

    def save(self, installation: Installation) -> None:
        bot = installation.to_bot() if installation.bot_token is not None else None
        installations.save_installation(
            self.database(), self.client_id, _installation_row(installation), None if bot is None else _bot_row(bot)
        )

    def save_bot(self, bot: Bot) -> None:
        if bot.bot_token is not None:
            installations.save_bot(self.database(), self.client_id, _bot_row(bot))

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        team = "" if is_enterprise_install else team_id or ""
        row = installations.find_bot(self.database(), self.client_id, enterprise_id or "", team)
        return None if row is None else Bot(**_typed(row))

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        team = "" if is_enterprise_install else team_id or ""
        row = installations.find_installation(self.database(), self.client_id, enterprise_id or "", team, user_id)
        return None if row is None else Installation(**_typed(row))

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        installations.delete_bots(self.database(), self.client_id, enterprise_id or "", team_id or "")

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        installations.delete_installations(self.database(), self.client_id, enterprise_id or "", team_id or "", user_id)

    def installed_team_ids(self) -> list[str]:
        """The workspaces with a bot installed."""
        return installations.installed_team_ids(self.database(), self.client_id)


class DatabaseOAuthStateStore(OAuthStateStore):
    """The states of "Add to Slack" links, each valid ``expiration_seconds`` and used once."""

    def __init__(self, database: Callable[[], Connection], expiration_seconds: int) -> None:
        self.database = database
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = str(uuid4())
        now = time.time()
        installations.issue_state(self.database(), state, now + self.expiration_seconds, now)
        return state

    def consume(self, state: str) -> bool:
        return installations.consume_state(self.database(), state, time.time())


def _bot_row(bot: Bot) -> dict[str, Any]:
    return {
        "app_id": bot.app_id,
        "enterprise_id": bot.enterprise_id or "",
        "enterprise_name": bot.enterprise_name,
        "team_id": bot.team_id or "",
        "team_name": bot.team_name,
        "bot_token": bot.bot_token,
        "bot_id": bot.bot_id,
        "bot_user_id": bot.bot_user_id,
        "bot_scopes": ",".join(bot.bot_scopes or ()),
        "bot_refresh_token": bot.bot_refresh_token,
        "bot_token_expires_at": bot.bot_token_expires_at,
        "is_enterprise_install": bool(bot.is_enterprise_install),
    }


def _installation_row(installation: Installation) -> dict[str, Any]:
    return {
        "app_id": installation.app_id,
        "enterprise_id": installation.enterprise_id or "",
        "enterprise_name": installation.enterprise_name,
        "enterprise_url": installation.enterprise_url,
        "team_id": installation.team_id or "",
        "team_name": installation.team_name,
        "bot_token": installation.bot_token,
        "bot_id": installation.bot_id,
        "bot_user_id": installation.bot_user_id,
        "bot_scopes": ",".join(installation.bot_scopes or ()),
        "bot_refresh_token": installation.bot_refresh_token,
        "bot_token_expires_at": installation.bot_token_expires_at,
        "user_id": installation.user_id,
        "user_token": installation.user_token,
        "user_scopes": ",".join(installation.user_scopes) if installation.user_scopes else None,
        "user_refresh_token": installation.user_refresh_token,
        "user_token_expires_at": installation.user_token_expires_at,
        "incoming_webhook_url": installation.incoming_webhook_url,
        "incoming_webhook_channel": installation.incoming_webhook_channel,
        "incoming_webhook_channel_id": installation.incoming_webhook_channel_id,
        "incoming_webhook_configuration_url": installation.incoming_webhook_configuration_url,
        "is_enterprise_install": bool(installation.is_enterprise_install),
        "token_type": installation.token_type,
    }


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as slack_sdk's models take it (the flag is stored as 0 or 1)."""
    return {**row, "is_enterprise_install": bool(row["is_enterprise_install"])}
