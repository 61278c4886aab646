"""Build the Bolt app: a Web API client (pointed at ``SLACK_API_URL``) and the
listeners from ``handlers``. Wiring only."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from handlers import actions, commands, events
from storage.database import ThreadDatabases


def web_client(settings: Settings) -> WebClient:
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)


def create_app(settings: Settings, databases: ThreadDatabases, client: WebClient) -> App:
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        # Socket Mode requests arrive over an authenticated WebSocket, unsigned.
        request_verification_enabled=not settings.socket_mode,
    )
    commands.register(app, databases)
    actions.register(app, databases)
    events.register(app, databases)
    return app
