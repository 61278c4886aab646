"""Uninstalls and revoked tokens (OAuth mode): the workspace's tokens are
deleted and its watches and pending alerts paused, kept for a reinstall."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltContext
from slack_sdk.oauth.installation_store import InstallationStore

from handlers.interactive import request_database
from storage.database import ThreadDatabases
from storage.workspaces import pause

log = logging.getLogger(__name__)

# What a request from a workspace with no installation is told (instead of Bolt's "for some unknown reason").
NOT_INSTALLED = (
    ":warning: Casewatch is not installed in this workspace: it was removed, its token was revoked, or it was "
    "never added here. A workspace admin can add it again from the app's *Add to Slack* page; this workspace's "
    "watches are kept, and the alerts that waited are sent then."
)


def register(app: App, databases: ThreadDatabases, store: InstallationStore, on_removed: Callable[[str], None]) -> None:
    """``on_removed(team_id)``: the workspace's bot token is gone (drop what is cached of it)."""

    def pause_workspace(context: BoltContext, reason: str) -> None:
        team_id = context.team_id or ""
        with request_database(databases) as db:
            pause(db, team_id, reason)
        on_removed(team_id)
        log.info("workspace %s paused: %s", team_id, reason)

    def app_uninstalled(context: BoltContext) -> None:
        store.delete_all(enterprise_id=context.enterprise_id, team_id=context.team_id)
        pause_workspace(context, "app uninstalled")

    def tokens_revoked(event: dict, context: BoltContext) -> None:
        tokens = event.get("tokens") or {}
        for user_id in tokens.get("oauth") or []:
            store.delete_installation(enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id)
        if tokens.get("bot"):
            store.delete_bot(enterprise_id=context.enterprise_id, team_id=context.team_id)
            pause_workspace(context, "bot token revoked")

    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
