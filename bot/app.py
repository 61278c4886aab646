"""Build the Bolt app: a Web API client (pointed at ``SLACK_API_URL``) and the
listeners from ``handlers``. Wiring only."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.config import Settings
from bot.oauth import OAuth
from feeds.fetch import Fetcher
from handlers import actions, commands, events, feed_commands, installs
from handlers.background import BackgroundWork
from handlers.commands import CaseReply, case_replier
from handlers.feed_commands import PollNow
from handlers.interactive import answer_errors
from storage.database import ThreadDatabases
from storage.search import SearchCache


def web_client(settings: Settings) -> WebClient:
    """Bolt's client (listeners, ``respond``): retries a 429 once after its
    Retry-After, never a dropped connection (the request may have been done).
    Without a token in OAuth mode: Bolt gives each request its workspace's."""
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )


def sender_client(settings: Settings, token: str | None = None) -> WebClient:
    """The alert sender's client (with ``token``, a workspace's in OAuth mode;
    else ``SLACK_BOT_TOKEN``): no retries of its own (slack_sdk's default
    re-sends a post after a dropped connection, when Slack may have posted it);
    the outbox owns retries."""
    return WebClient(
        token=token or settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_timeout_seconds,
        retry_handlers=[],
    )


class _DropMessage(logging.Filter):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.message


def quiet_bolt_app(**options: object) -> App:
    """Bolt's ``App(**options)`` without the warning that ``token`` is unused
    beside ``client``: Bolt reads ``SLACK_BOT_TOKEN`` by itself and warns
    although our client was made with that very token. Only that warning,
    only while the app is made."""
    bolt_log = logging.getLogger("slack_bolt.App")
    same_token = _DropMessage(warning_client_prioritized_and_token_skipped())
    bolt_log.addFilter(same_token)
    try:
        return App(**options)
    finally:
        bolt_log.removeFilter(same_token)


def case_reply(settings: Settings, databases: ThreadDatabases) -> CaseReply:
    """The answer to ``/case``, searching through recent answers kept
    (:class:`storage.search.SearchCache`): one for the Bolt listener and the
    server's signed ``/case`` path alike."""
    return case_replier(databases, SearchCache(databases.path, settings.case_cache_answers).search)


def create_app(
    settings: Settings,
    databases: ThreadDatabases,
    client: WebClient,
    fetcher: Fetcher,
    on_feeds_changed: Callable[[], None],
    poll_feed_now: PollNow,
    oauth: OAuth | None = None,
    answer_case: CaseReply | None = None,
) -> App:
    """The Bolt app. Listeners run before the request is answered
        (``process_before_response``), so a command's answer is in the HTTP
        response itself; whatever may take long (fetching a feed, Slack's Web API)
        runs after it: as a lazy listener or as :class:`BackgroundWork`. ``/feeds
    poll`` runs the ingest pipeline through ``poll_feed_now`` (handlers never
    import the poller). With ``oauth``, each request acts with its workspace's
    token, and uninstalls pause the workspace. ``answer_case`` (default
    :func:`case_reply`): what ``/case`` answers, given when the server answers
    it outside Bolt too."""
    app = quiet_bolt_app(
        client=client,
        signing_secret=settings.slack_signing_secret,
        # Socket Mode requests arrive over an authenticated WebSocket, unsigned.
        request_verification_enabled=not settings.socket_mode,
        process_before_response=True,
        oauth_flow=oauth.flow if oauth else None,
        user_facing_authorize_error_message=installs.NOT_INSTALLED if oauth else None,
    )
    app.error(answer_errors)
    if oauth:
        installs.register(app, databases, oauth.store, on_removed=oauth.workspaces.forget)
    commands.register(
        app,
        databases,
        news_search=settings.news_search_url,
        on_feeds_changed=on_feeds_changed,
        case_reply=answer_case or case_reply(settings, databases),
    )
    actions.register(app, databases)
    events.register(app, databases)
    feed_commands.register(
        app,
        databases,
        fetcher,
        admins=settings.admins,
        on_change=on_feeds_changed,
        background=BackgroundWork(),
        poll_feed_now=poll_feed_now,
    )
    return app
