"""Events: the Home tab, and held alerts released when the bot joins a channel.

The Home tab is built after the event is acknowledged (a Bolt lazy listener):
it waits on Slack's Web API. Releasing held alerts is one quick write, made
before the acknowledgement: if it fails, Slack is told so and sends the event again.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.home import MORE_ACTION, home_view
from handlers.interactive import acknowledge, request_database
from handlers.watch_request import written_number
from storage.alerts import latest_alerts, requeue_failed
from storage.database import ThreadDatabases
from storage.watches import watches_in_channels

log = logging.getLogger(__name__)


def _user_channels(client: WebClient, user_id: str) -> list[str]:
    channels: list[str] = []
    cursor = None
    for _ in range(10):  # at most 2,000 channels
        response = client.users_conversations(
            user=user_id, types="public_channel,private_channel", exclude_archived=True, limit=200, cursor=cursor
        )
        channels += [channel["id"] for channel in response.get("channels", [])]
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return channels


def register(app: App, databases: ThreadDatabases) -> None:
    def publish_home(client: WebClient, team_id: str, user_id: str, offset: int) -> None:
        try:
            channels = _user_channels(client, user_id)
        except SlackApiError as error:
            log.warning("cannot list the channels of %s: %s", user_id, error.response.get("error"))
            channels = []
        db = databases.get()
        watches = watches_in_channels(db, team_id, channels)
        view = home_view(watches, latest_alerts(db, team_id, channels), offset=offset)
        client.views_publish(user_id=user_id, view=view)

    def app_home_opened(event: dict, context: BoltContext, client: WebClient) -> None:
        if event.get("tab") not in (None, "home"):
            return
        publish_home(client, context.team_id, event["user"], 0)

    def home_page(body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
        """A click on the Home tab's "Show more" (or "Back to the first"): that page of watches."""
        offset = written_number(action.get("value") or "") or 0
        publish_home(client, context.team_id, body["user"]["id"], offset)

    def member_joined_channel(event: dict, context: BoltContext) -> None:
        if event.get("user") != context.bot_user_id:
            return
        with request_database(databases) as db:
            released = requeue_failed(db, context.team_id, event["channel"])
        if released:
            log.info("released %d held alerts for %s", released, event["channel"])

    app.event("app_home_opened")(ack=acknowledge, lazy=[app_home_opened])
    app.action(re.compile(f"^{MORE_ACTION}"))(ack=acknowledge, lazy=[home_page])
    app.event("member_joined_channel")(member_joined_channel)
