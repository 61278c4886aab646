"""OAuth mode: "Add to Slack" installs in any number of workspaces.

Installations (bot tokens, with refresh tokens when tokens rotate) and the
OAuth state live in the Casewatch database, on either engine, in the tables of
slack_sdk's own SQLite stores (``slack_installations``, ``slack_bots``,
``oauth_states``; :mod:`bot.installation_store`): those follow Slack's
installation fields (rotation, Enterprise Grid) and Bolt's interfaces, so
Casewatch adds only what is its own: a paused workspace (storage.workspaces,
migration m019).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.config import Settings
from bot.installation_store import DatabaseInstallationStore, DatabaseOAuthStateStore
from bot.workspaces import InstalledWorkspaces
from storage.engine import Connection

log = logging.getLogger(__name__)

# The bot scopes asked for at install: the same as manifest.json's (a test holds them equal).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
)
ROTATION_MINUTES = 120  # a rotating token is refreshed this long before it expires (Bolt's default)
STATE_SECONDS = 600  # how long an "Add to Slack" link stays valid
# The "Add to Slack" page (Bolt's default is headed "Slack App Installation", naming no app).
INSTALL_PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>Add Casewatch to Slack</title></head>
<body style="font-family: sans-serif; text-align: center; padding: 10px 15px">
<h2>Casewatch</h2>
<p>Regulator and court actions against the companies your channels watch, as they happen:
<code>/case</code> looks a case up, <code>/watch</code> alerts a channel of each new action.</p>
<p><a href="{url}"><img alt="Add to Slack" height="40" width="139"
 src="https://platform.slack-edge.com/img/add_to_slack.png"
 srcset="https://platform.slack-edge.com/img/add_to_slack.png 1x, https://platform.slack-edge.com/img/add_to_slack@2x.png 2x"
/></a></p>
<p>Slack shows what Casewatch asks to do in your workspace before anything is installed.</p>
</body>
</html>
"""
# What an admin who pressed Cancel on Slack's consent screen sees (Slack sends them back with error=access_denied).
CANCELLED_PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>Casewatch was not installed</title></head>
<body style="font-family: sans-serif; text-align: center; padding: 10px 15px">
<h2>Casewatch was not installed</h2>
<p>The install was cancelled on Slack's page; nothing changed in your workspace.
<a href="{install_path}">Add Casewatch to Slack</a> again when you are ready.</p>
</body>
</html>
"""


@dataclass(frozen=True)
class OAuth:
    """What OAuth mode wires together: Bolt's flow (install pages,
    per-request authorisation), the installation store, and the alert
    sender's per-workspace tokens."""

    flow: OAuthFlow
    store: InstallationStore
    workspaces: InstalledWorkspaces


def oauth(
    settings: Settings,
    database: Callable[[], Connection],
    client: WebClient,
    sender_client: Callable[[str], WebClient],
    on_installed: Callable[[str], None],
) -> OAuth:
    """OAuth mode on the database (``database``: the calling thread's
    connection). ``client`` (token-less, at ``SLACK_API_URL``) makes
    ``oauth.v2.access`` and ``auth.test`` calls; ``sender_client`` makes the
    alert sender's client for a token; ``on_installed(team_id)`` runs after
    each successful install."""
    workspaces = installed_workspaces(settings, database, client, sender_client)
    store = workspaces.store
    state_store = DatabaseOAuthStateStore(database, expiration_seconds=STATE_SECONDS)

    def installed(args: SuccessArgs) -> BoltResponse:
        team_id = args.installation.team_id or ""
        log.info("Casewatch was installed in workspace %s", team_id)
        on_installed(team_id)
        return args.default.success(args)

    def failed(args: FailureArgs) -> BoltResponse:
        log.warning("an install did not complete: %s", args.reason)
        if args.reason == "access_denied":
            return cancelled(args)
        return args.default.failure(args)

    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri or None,
        installation_store=store,
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=ROTATION_MINUTES,
        state_store=state_store,
        state_expiration_seconds=STATE_SECONDS,
        callback_options=CallbackOptions(success=installed, failure=failed),
    )
    # Bolt's own authorize would refresh rotating tokens at slack.com, whatever
    # SLACK_API_URL says, and call auth.test on every request: this one uses
    # ``client`` and remembers each token's auth.test.
    oauth_settings.authorize = InstallationStoreAuthorize(
        logger=log,
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_rotation_expiration_minutes=ROTATION_MINUTES,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )
    return OAuth(flow=CasewatchOAuthFlow(settings=oauth_settings), store=store, workspaces=workspaces)


class CasewatchOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow with Casewatch's own "Add to Slack" page (the app
    gives the flow its client when it is made)."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return INSTALL_PAGE.format(url=html.escape(url))


def cancelled(args: FailureArgs) -> BoltResponse:
    """The page of an install cancelled on Slack's consent screen (Bolt's
    default reads "Oops, Something Went Wrong … Refer to the documents")."""
    return BoltResponse(
        status=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion(),
        },
        body=CANCELLED_PAGE.format(install_path=html.escape(args.settings.install_path)),
    )


def installed_workspaces(
    settings: Settings,
    database: Callable[[], Connection],
    client: WebClient,
    sender_client: Callable[[str], WebClient],
) -> InstalledWorkspaces:
    """Each workspace's bot token for the alert sender, from the installation
    store in the database (refreshed through ``client`` when it rotates)."""
    store = DatabaseInstallationStore(database, client_id=settings.slack_client_id)
    rotator = TokenRotator(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, client=client
    )
    return InstalledWorkspaces(store, sender_client, rotator, ROTATION_MINUTES)
