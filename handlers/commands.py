"""Slash commands. ``register(app, databases)`` names every listener."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from handlers.case_answer import slack_answer, slack_usage
from storage.database import ThreadDatabases
from storage.search import search_cases

log = logging.getLogger(__name__)


def register(app: App, databases: ThreadDatabases) -> None:
    def case_command(ack: Ack, command: dict) -> None:
        """``/case QUERY``: answered in the acknowledgement itself, so the user
        sees it well inside Slack's 3-second window; ephemeral."""
        query = (command.get("text") or "").strip()
        if not query:
            ack(response_type="ephemeral", **slack_usage())
            return
        result = search_cases(databases.get(), query)
        ack(response_type="ephemeral", **slack_answer(result))

    app.command("/case")(case_command)
