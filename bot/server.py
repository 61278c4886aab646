"""``python -m bot run``: the Slack app plus the feed scheduler.

HTTP mode serves Bolt's WSGI adapter with waitress (Bolt's own ``App.start()``
is for development only); Socket Mode is used when ``SLACK_APP_TOKEN`` is set.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import waitress
from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.request.internals import build_context
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot import metrics
from bot.app import case_reply, create_app, sender_client, web_client
from bot.collector import settle_after_start
from bot.config import Settings
from bot.health import Health
from bot.ingest import default_matcher, poll_feed
from bot.oauth import OAuth, oauth
from bot.read_workers import ReadWorkers
from bot.scheduler import Scheduler
from bot.sender import AUTH_ERRORS, AlertSender
from bot.shutdown import HttpServer, Server, SocketModeServer, finish_work, serve_until_stopped, stop_on_signals
from bot.slack_poster import WebApiPoster
from bot.slack_request import MalformedRequest, parse, signed
from feeds.catalog import load_catalog
from feeds.fetch import Fetcher
from handlers.commands import CaseReply
from storage.adopt import set_news_window
from storage.database import ThreadDatabases
from storage.feeds import sync_catalog
from storage.search import WARM_QUERIES, prepare_search, warm_search
from storage.workspaces import resume

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
MAX_REQUEST_BYTES = 1024 * 1024
HTTP_THREADS = 8
TEXT = {"Content-Type": ["text/plain; charset=utf-8"]}
JSON_HEADER = [("Content-Type", "application/json")]
PROBE_PATHS = frozenset({"/healthz", "/metrics"})
COMMAND_KEY = "casewatch.command"  # the slash command a request carries, once read (for the /case histogram)


def bolt_request(text: str, found: dict, environ: dict) -> BoltRequest:
    """Bolt's request for the body ``text``, which :func:`bot.slack_request.parse`
    read as ``found``: Bolt is given ``found`` instead of reading the body a
    second time. (Bolt's own reading took any form body containing the word
    "payload", in a command's text or a user's or a channel's name, for an
    interaction and found nothing in it.) Bolt still checks the signature of
    the raw body ``text``."""
    request = BoltRequest(
        body="", query=environ.get("QUERY_STRING", ""), headers=WsgiHttpRequest(environ).get_headers()
    )
    request.raw_body = text
    request.body = found
    request.context = build_context(BoltContext(), found)
    return request


def probe_application(status: Callable[[], dict], exposition: Callable[[], bytes] | None = None) -> Callable:
    """``GET /healthz`` (JSON: ``status()``, 503 unless its ``ok`` holds; see
    :mod:`bot.health`) and ``GET /metrics`` (Prometheus text, ``exposition()``;
    see :mod:`bot.metrics`); 404 for anything else."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method == "GET":
            answer = {"ok": True, **status()}
            body = json.dumps(answer).encode()
            start_response("200 OK" if answer["ok"] else "503 Service Unavailable", [*JSON_HEADER, _length(body)])
            return [body]
        if path == "/metrics" and method == "GET" and exposition is not None:
            body = exposition()
            start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE), _length(body)])
            return [body]
        body = b"Not Found"
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), _length(body)])
        return [body]

    return application


def _length(body: bytes) -> tuple[str, str]:
    return ("Content-Length", str(len(body)))


def timed_case_requests(application: Callable) -> Callable:
    """``application``, with the time it takes to answer each ``/case``
    (marked by :data:`COMMAND_KEY` once the request is read) in
    ``casewatch_case_request_duration_seconds``."""

    def timed(environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        answer = application(environ, start_response)
        if environ.get(COMMAND_KEY) == "/case":
            metrics.CASE_REQUESTS.observe(time.perf_counter() - started)
        return answer

    return timed


# Fields with which Bolt's middleware answers a request itself or treats it as an event (SslCheck,
# UrlVerification, IgnoringSelfEvents): a /case carrying one goes through Bolt.
BOLT_ANSWERS_ITSELF = frozenset(("ssl_check", "type", "event"))


def is_plain_case_command(found: dict) -> bool:
    """Whether a signed, well-formed request is a ``/case`` command that
    Bolt's middleware (single workspace) would hand to the ``/case`` listener
    as it is; Slack's own slash commands always are."""
    return found.get("command") == "/case" and BOLT_ANSWERS_ITSELF.isdisjoint(found)


def acknowledged(reply: dict) -> BoltResponse:
    """The response Bolt's ``ack(**reply)`` makes: the same JSON, byte for byte, and headers."""
    return Ack()(**reply)


def wsgi_application(
    app: App,
    status: Callable[[], dict],
    signing_secret: str,
    exposition: Callable[[], bytes] | None = None,
    answer_case: CaseReply | None = None,
) -> Callable:
    """``POST /slack/events`` for Bolt, and :func:`probe_application`'s
    ``GET /healthz`` and ``GET /metrics``; in OAuth mode also Bolt's ``GET
    /slack/install`` ("Add to Slack") and ``GET /slack/oauth_redirect``. A
    request with a bad signature is answered 401, a signed one that is
    malformed 400 (see :mod:`bot.slack_request`), before Bolt reads it.

    With ``answer_case`` (the function the app's ``/case`` listener answers
    with) and a single workspace (no OAuth), a signed ``/case`` is answered
    with it directly, as Bolt's ``ack()`` would answer it, without Bolt's
    dispatch (middleware, context, listener matching: ~0.4 ms a request).
    Bolt's single-workspace authorisation checks its token once, at start, so
    it has nothing to check per request; in OAuth mode each request's
    workspace is authorised (installed, not paused) by Bolt, so every request
    goes through Bolt. A ``/case`` that raises is handed to Bolt, which
    answers it as it always has (its error handler, its log line)."""
    probes = probe_application(status, exposition)
    fast_case = answer_case if app.oauth_flow is None else None

    def answer(start_response: Callable, code: int, body: str, headers: dict | None = None) -> Iterable[bytes]:
        response = WsgiHttpResponse(status=code, headers=headers, body=body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def refuse(start_response: Callable, code: int) -> Iterable[bytes]:
        return answer(start_response, code, HTTPStatus(code).phrase, TEXT)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in PROBE_PATHS:
            return probes(environ, start_response)
        if app.oauth_flow is not None and environ.get("REQUEST_METHOD") == "GET":
            install = oauth_page(app.oauth_flow, environ)
            if install is not None:
                return answer(start_response, install.status, install.body, install.headers)
        if environ.get("PATH_INFO") != EVENTS_PATH or environ.get("REQUEST_METHOD") != "POST":
            return refuse(start_response, 404)
        length = environ.get("CONTENT_LENGTH") or "0"
        body = environ["wsgi.input"].read(int(length)) if length.isdigit() else b""
        stamp, signature = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), environ.get("HTTP_X_SLACK_SIGNATURE")
        if not signed(body, stamp, signature, signing_secret):
            return refuse(start_response, 401)
        try:
            found = parse(body, environ.get("CONTENT_TYPE") or "")
        except MalformedRequest as problem:
            log.warning("refused a malformed Slack request: %s", problem)
            return refuse(start_response, 400)
        environ[COMMAND_KEY] = found.get("command")
        if fast_case is not None and is_plain_case_command(found):
            try:
                response = acknowledged(fast_case(found))
                return answer(start_response, response.status, response.body, response.headers)
            except Exception:  # Bolt answers it as before: its error handler, its logging
                log.debug("/case raised outside Bolt; handing the request to Bolt", exc_info=True)
        response = app.dispatch(bolt_request(body.decode(), found, environ))
        return answer(start_response, response.status, response.body, response.headers)

    return application


def oauth_page(flow: OAuthFlow, environ: dict) -> BoltResponse | None:
    """Bolt's answer to a GET of the install page or the OAuth redirect; None for another path."""
    request = BoltRequest(
        body="", query=environ.get("QUERY_STRING", ""), headers=WsgiHttpRequest(environ).get_headers()
    )
    if environ.get("PATH_INFO") == flow.install_path:
        return flow.handle_installation(request)
    if environ.get("PATH_INFO") == flow.redirect_uri_path:
        return flow.handle_callback(request)
    return None


def warm_request_path(application: Callable, signing_secret: str) -> str:
    """Answer one signed ``/case`` in-process before listening, so that the
    first real request finds every step it takes (signature, Bolt's dispatch,
    the listener, Block Kit, JSON) already run once: lazy imports, compiled
    patterns, caches. Nothing is posted: the answer is only the response.
    Returns its HTTP status line."""
    fields = {"command": "/case", "text": WARM_QUERIES[0], "team_id": "T0", "channel_id": "C0", "user_id": "U0"}
    body = urlencode(fields).encode()
    stamp = str(int(time.time()))
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": EVENTS_PATH,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp,
        "HTTP_X_SLACK_SIGNATURE": SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=body),
        "wsgi.input": io.BytesIO(body),
    }
    answered: list[str] = []
    b"".join(application(environ, lambda status, headers: answered.append(status)))
    status = answered[0] if answered else "no answer"
    if not status.startswith("200"):
        log.warning("warming /case before listening got %s", status)
    return status


def oauth_mode(
    settings: Settings, databases: ThreadDatabases, client: WebClient, wake_sender: Callable[[], None]
) -> OAuth:
    """OAuth mode (:mod:`bot.oauth`): an install in a paused workspace resumes
    it, and its waiting alerts are sent at once."""

    def installed(team_id: str) -> None:
        released = resume(databases.get(), team_id, held_errors=AUTH_ERRORS)
        log.info("workspace %s resumed (%d held alerts released)", team_id, released)
        wake_sender()

    return oauth(settings, databases.get, client, lambda token: sender_client(settings, token), on_installed=installed)


def serve_probes(application: Callable, host: str, port: int) -> None:
    """Serve ``/healthz`` and ``/metrics`` at ``host:port`` from a thread of
    their own (Socket Mode has no HTTP server for Slack to share)."""
    server = waitress.create_server(application, host=host, port=port, threads=2, ident="Casewatch")
    threading.Thread(target=server.run, name="probes", daemon=True).start()
    log.info("serving /healthz and /metrics at http://%s:%d", host, port)


def run(settings: Settings, readers: ReadWorkers | None = None) -> None:
    """Serve Slack and poll until stopped; ``readers``: the feed-reading workers
    (``CASEWATCH_READ_WORKERS``), started by the caller before it imported this
    module, so that they share only what reading feeds needs."""
    set_news_window(settings.news_window_days)
    log.info("database: %s", settings.db_shown)
    databases = ThreadDatabases(settings.db_url, busy_timeout_ms=settings.busy_timeout_ms)
    sync_catalog(databases.get(), load_catalog(settings.feeds_path))
    client = web_client(settings)
    fetcher = Fetcher(
        contact=settings.contact,
        allow_private=settings.allow_private_feeds,
        deadline=settings.fetch_deadline_seconds,
    )
    installs = oauth_mode(settings, databases, client, lambda: sender.wake.set()) if settings.oauth else None
    sender = AlertSender(
        databases,
        installs.workspaces if installs else WebApiPoster(sender_client(settings)),
        stale_after=timedelta(seconds=settings.stale_send_seconds),
        post_interval=settings.post_interval_seconds,
        auth_check_seconds=settings.auth_check_seconds,
    )
    matcher = default_matcher()
    scheduler = Scheduler(databases, fetcher, matcher, sender, settings, readers)
    answer_case = case_reply(settings, databases)
    app = create_app(
        settings,
        databases,
        client,
        fetcher,
        on_feeds_changed=scheduler.reconcile,
        poll_feed_now=lambda feed: poll_feed(databases.get(), fetcher, feed, matcher, readers=readers),
        oauth=installs,
        answer_case=answer_case,
    )
    stop = threading.Event()
    sender_thread = sender.start(stop)  # their first work (auth.test, the polling lease) runs while the server warms up
    scheduler.start()
    health = Health(settings.db_url, sender_thread, scheduler)
    health.start(stop)
    exposed = metrics.exposition(metrics.registry(metrics.DatabaseCollector(databases, lambda: scheduler.polling)))
    application = wsgi_application(app, health.status, settings.slack_signing_secret, exposed, answer_case=answer_case)
    prepare_search(databases.get())  # so that the first /case is as quick as the next
    watches = matcher.index(databases.get()).size  # built now, so that the first poll is as quick as the next
    log.info("matching against %d watched names, dockets and cases", watches)
    databases.prepare(HTTP_THREADS + 2, warm_search)  # the request threads' and pollers' (sender and lease: their own)
    if not settings.socket_mode and not settings.oauth:  # with OAuth, Bolt would refuse it: no workspace T0 installed
        warm_request_path(application, settings.slack_signing_secret)
    settle_after_start()  # no collection during a request walks start-up's objects again
    # SIGTERM (systemd, Docker, Kubernetes) and Ctrl-C stop in order (bot.shutdown): no new work, the polls and
    # sends under way finished (bounded), the polling lease released for the next process, then Slack closed.
    stopping = stop_on_signals()
    server: Server | None = None
    try:
        if settings.socket_mode:
            if settings.metrics_port:
                serve_probes(probe_application(health.status, exposed), settings.host, settings.metrics_port)
            log.info("connecting to Slack in Socket Mode")
            server = SocketModeServer(app, settings.slack_app_token)
        else:
            log.info("serving Slack requests at http://%s:%d%s", settings.host, settings.port, EVENTS_PATH)
            server = HttpServer(
                timed_case_requests(application),  # not the warm-up's /case: only those Slack sends
                host=settings.host,
                port=settings.port,
                threads=HTTP_THREADS,
                ident="Casewatch",
                max_request_body_size=MAX_REQUEST_BYTES,
            )
        serve_until_stopped(server, stopping)
    finally:
        finished = finish_work(scheduler, sender, sender_thread, settings.shutdown_seconds)
        if server is not None:
            server.close()
        if readers is not None:
            readers.close(wait=finished)  # a poll still under way past the bound may be waiting on a worker
        log.info("stopped")
    if not finished:  # a poll's worker thread would be joined at exit, past the bound: leave now
        logging.shutdown()
        os._exit(0)
