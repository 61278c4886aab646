"""``python -m bot run``: the Slack app plus the feed scheduler.

HTTP mode serves Bolt's WSGI adapter with waitress (Bolt's own ``App.start()``
is for development only); Socket Mode is used when ``SLACK_APP_TOKEN`` is set.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta

import waitress
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import create_app, sender_client, web_client
from bot.config import Settings
from bot.scheduler import Scheduler
from bot.sender import AlertSender
from bot.slack_poster import WebApiPoster
from feeds.catalog import load_catalog
from feeds.fetch import Fetcher
from feeds.poll import default_matcher
from storage.database import ThreadDatabases
from storage.feeds import sync_catalog

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
MAX_REQUEST_BYTES = 1024 * 1024


def wsgi_application(app: App, status: Callable[[], dict]) -> Callable:
    """Bolt's handler at ``POST /slack/events`` plus ``GET /healthz`` (JSON:
    whether this process polls the feeds)."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"ok": True, **status()}).encode()]
        return slack(environ, start_response)

    return application


def run(settings: Settings) -> None:
    databases = ThreadDatabases(settings.db_path, busy_timeout_ms=settings.busy_timeout_ms)
    sync_catalog(databases.get(), load_catalog(settings.feeds_path))
    client = web_client(settings)
    fetcher = Fetcher(
        contact=settings.contact,
        allow_private=settings.allow_private_feeds,
        deadline=settings.fetch_deadline_seconds,
    )
    sender = AlertSender(
        databases,
        WebApiPoster(sender_client(settings)),
        stale_after=timedelta(seconds=settings.stale_send_seconds),
        post_interval=settings.post_interval_seconds,
        auth_check_seconds=settings.auth_check_seconds,
    )
    scheduler = Scheduler(databases, fetcher, default_matcher(), sender, settings)
    app = create_app(settings, databases, client, fetcher, on_feeds_changed=scheduler.reconcile)
    stop = threading.Event()
    sender.start(stop)
    scheduler.start()
    # On SIGTERM (systemd, Kubernetes, Ctrl-C's sibling) leave through the
    # finally below, so the polling lease is released for the next process.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        if settings.socket_mode:
            log.info("connecting to Slack in Socket Mode")
            SocketModeHandler(app, settings.slack_app_token).start()
        else:
            log.info("serving Slack requests at http://%s:%d%s", settings.host, settings.port, EVENTS_PATH)
            waitress.serve(
                wsgi_application(app, lambda: {"polling": scheduler.polling}),
                host=settings.host,
                port=settings.port,
                threads=8,
                ident="Casewatch",
                max_request_body_size=MAX_REQUEST_BYTES,
            )
    finally:
        stop.set()
        scheduler.shutdown()
