"""Real local peers for the tests: a feed server, a Slack Web API stand-in,
signed Slack requests and the bot as a subprocess. Everything listens on
127.0.0.1; nothing reaches the internet."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storage.engine import Connection
from tests.factories import memory_database
from tests.pg import SERVER_ENV as PG_SERVER_ENV
from tests.pg import Databases, EngineDatabase, TestDatabases, database_url, databases_of_one_test, postgres_server

pytest_plugins = ["tests.reliability"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"
INVALID_TOKEN = "xoxb-never-issued-by-slack-0000"  # the Slack stand-in answers every call with it invalid_auth
MANIFEST_BOT_SCOPES = tuple(json.loads((ROOT / "manifest.json").read_text())["oauth_config"]["scopes"]["bot"])


# --- feed server --------------------------------------------------------------


@dataclass
class Route:
    """What the feed server answers at one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    delay: float = 0.0
    gzip: bool = False
    answer_after: str | None = None  # answer only once a request for this other path has arrived
    drip: float = 0.0  # seconds between the body's bytes: a stalling peer that never trips a read timeout
    hold: threading.Event | None = None  # answer only once the test sets it


class FeedServer:
    """Serves feed routes on its own 127.0.0.1 port. Servers created with
    ``shares_log_with`` record requests in one log (to wait across hosts)."""

    def __init__(self, shares_log_with: FeedServer | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = shares_log_with.requests if shares_log_with else []
        self._changed = shares_log_with._changed if shares_log_with else threading.Condition()
        self.in_flight = 0
        self.most_in_flight = 0
        self.closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server._changed:
                    server.requests.append((self.path, dict(self.headers)))
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                    server._changed.notify_all()
                try:
                    status, headers, body = self.answer()
                finally:
                    # Out of flight before the client can read the answer and ask again.
                    with server._changed:
                        server.in_flight -= 1
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                route = server.routes.get(self.path)
                if route and route.drip:
                    self.drip(body, route.drip)
                else:
                    self.wfile.write(body)

            def drip(self, body: bytes, every: float) -> None:
                for offset in range(len(body)):
                    if server.closing.wait(every):  # the peer is slow: behaviour under test
                        return
                    try:
                        self.wfile.write(body[offset : offset + 1])
                        self.wfile.flush()
                    except OSError:
                        return  # the client gave up

            def answer(self) -> tuple[int, dict[str, str], bytes]:
                route = server.routes.get(self.path)
                if route is None:
                    return 404, {}, b""
                if route.delay:
                    time.sleep(route.delay)  # the peer is slow: behaviour under test, not synchronisation
                if route.answer_after and not server.wait_for_request(route.answer_after, timeout=5):
                    return 504, {}, b""
                if route.hold and not route.hold.wait(timeout=30):
                    return 504, {}, b""
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    return 304, {}, b""
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                if route.gzip:
                    headers["Content-Encoding"] = "gzip"
                return route.status, headers, gzip.compress(route.body) if route.gzip else route.body

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for_request(self, path: str, timeout: float = 10, count: int = 1) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.count(path) >= count, timeout=timeout)

    def count(self, path: str) -> int:
        return sum(1 for requested, _ in self.requests if requested == path)

    def serve(self, path: str, body: bytes | str, **options: object) -> str:
        self.routes[path] = Route(body=body.encode() if isinstance(body, str) else body, **options)
        return self.base + path

    def serve_file(self, path: str, fixture: str, **options: object) -> str:
        return self.serve(path, (FIXTURES / fixture).read_bytes(), **options)

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


# --- Slack Web API stand-in ----------------------------------------------------


@dataclass
class Failure:
    status: int
    body: dict | str
    headers: dict[str, str] = field(default_factory=dict)


SECTION_TEXT_LIMIT = 3000
CONTEXT_TEXT_LIMIT = 3000
MESSAGE_TEXT_LIMIT = 40_000
BLOCKS_LIMIT = 50
AUTH_ERROR = {"ok": False, "error": "invalid_auth"}


def block_kit_error(payload: dict) -> str | None:
    """Slack's refusal of a message that breaks its limits (None if it fits):
    ``msg_too_long`` for ``text`` over 40,000 characters, ``invalid_blocks``
    for more than 50 blocks or any block over its limits (section text 3,000,
    header 150, 10 context elements of at most 3,000 characters each …), as
    checked by slack_sdk's own Block Kit models."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    if len(payload.get("text") or "") > MESSAGE_TEXT_LIMIT:
        return "msg_too_long"
    blocks = payload.get("blocks") or []
    if len(blocks) > BLOCKS_LIMIT:
        return "invalid_blocks"
    for block in blocks:
        try:
            Block.parse(block).validate_json()
        except (SlackObjectFormationError, KeyError, TypeError, AttributeError):
            return "invalid_blocks"
        if block.get("type") == "context" and any(
            len(element.get("text", "")) > CONTEXT_TEXT_LIMIT for element in block.get("elements", [])
        ):
            return "invalid_blocks"
    return None


class SlackApi:
    """Answers Web API calls like Slack does and records each one.

    ``chat.postMessage`` stores the message (with its metadata) and returns a
    fresh ``ts``, refusing messages over Slack's limits (``invalid_blocks``,
    ``msg_too_long``) as Slack does; ``conversations.history`` / ``.replies``
    return stored messages; ``fail(method, …)`` queues error answers (429 with
    Retry-After, 500, ``not_in_channel`` …); ``hold_posts`` makes posts wait,
    after being stored, until released, to stand for a crash between send and
    record (``hold_updates`` does the same for ``chat.update``); ``answer_late(method, seconds)`` does the work and answers only
    after ``seconds`` (longer than the client's timeout: Slack slow to answer);
    ``drop_connection(method)`` does the work and hangs up without answering;
    ``auth_broken`` answers every call with ``invalid_auth`` (a revoked or
    rotated token), as a call with ``INVALID_TOKEN`` always is; ``scopes``
    are the token's, sent in the ``x-oauth-scopes`` header of every answer to a
    call with a token, as Slack does (manifest.json's unless changed);
    ``refuse_connections()`` stops listening until
    ``accept_connections()``.

    Workspaces (OAuth): ``install(code, team_id, token)`` makes
    ``oauth.v2.access`` answer ``code`` with a bot token of that workspace
    (rotating, with a refresh token, if ``refresh_token`` is given);
    ``auth.test`` answers each token's workspace; ``revoke(token)`` makes
    every call with it answer ``token_revoked``, as after an uninstall;
    ``tokens`` holds the token of each call (in ``calls``' order).
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.messages: list[dict] = []
        self.post_times: list[tuple[str, float]] = []  # (channel, time.monotonic()) of each stored post
        self.failures: dict[str, list[Failure]] = {}
        self.late_answers: dict[str, list[float]] = {}
        self.dropped_answers: dict[str, int] = {}
        self.auth_broken = False
        self.channels_of_user: dict[str, list[str]] = {}
        self.tokens: list[str | None] = []
        self.oauth_answers: dict[str, dict] = {}  # code or refresh token → oauth.v2.access's answer
        self.team_of_token: dict[str, str] = {}
        self.revoked: set[str] = set()
        self.socket_url: str | None = None  # what apps.connections.open hands out
        self.scopes: list[str] = list(MANIFEST_BOT_SCOPES)
        self.hold_posts = threading.Event()
        self.hold_posts.set()
        self.hold_updates = threading.Event()
        self.hold_updates.set()
        self.post_arrived = threading.Event()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ts = 1700000000
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode()
                if "json" in self.headers.get("Content-Type", ""):
                    payload = json.loads(raw or "{}")
                else:
                    payload = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                method = self.path.rsplit("/", 1)[-1]
                bearer = self.headers.get("Authorization", "")
                token = bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else payload.get("token")
                status, answer, headers = api.answer(method, payload, token)
                if api._drops(method):
                    self.close_connection = True  # the work is done; hang up without an answer
                    return
                delay = api._late_by(method)
                if delay:
                    time.sleep(delay)  # Slack slow to answer: behaviour under test, not synchronisation
                body = (json.dumps(answer) if isinstance(answer, dict) else answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json" if isinstance(answer, dict) else "text/html")
                    for name, value in headers.items():
                        self.send_header(name, value)
                    if token:
                        self.send_header("x-oauth-scopes", ",".join(api.scopes))
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

        self._handler = Handler
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        self.url = f"http://127.0.0.1:{self.port}/api/"
        self.response_url = f"http://127.0.0.1:{self.port}/respond/T0001"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def refuse_connections(self) -> None:
        """Stop listening: connections to the API are refused until :meth:`accept_connections`."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def accept_connections(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer_late(self, method: str, seconds: float, times: int = 1) -> None:
        """Do the work of the next ``times`` calls of ``method`` at once but answer after ``seconds``."""
        with self._lock:
            self.late_answers.setdefault(method, []).extend([seconds] * times)

    def drop_connection(self, method: str, times: int = 1) -> None:
        """Do the work of the next ``times`` calls of ``method``, then close the connection unanswered."""
        with self._lock:
            self.dropped_answers[method] = self.dropped_answers.get(method, 0) + times

    def _late_by(self, method: str) -> float:
        """Use up one queued ``answer_late`` delay of ``method`` (0 if none)."""
        with self._lock:
            queued = self.late_answers.get(method)
            return queued.pop(0) if queued else 0.0

    def _drops(self, method: str) -> bool:
        """Use up one queued ``drop_connection`` of ``method``."""
        with self._lock:
            if self.dropped_answers.get(method, 0) <= 0:
                return False
            self.dropped_answers[method] -= 1
            return True

    def fail(self, method: str, status: int, body: dict | str, times: int = 1, **headers: str) -> None:
        self.failures.setdefault(method, []).extend(Failure(status, body, headers) for _ in range(times))

    def install(
        self, code: str, team_id: str, token: str, *, refresh_token: str | None = None, expires_in: int = 43_200
    ) -> None:
        """``oauth.v2.access`` with ``code`` installs the app in ``team_id`` with the bot token ``token``."""
        answer = {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": f"UBOT{team_id}",
            "app_id": "A0001",
            "team": {"id": team_id, "name": f"Team {team_id}"},
            "enterprise": None,
            "authed_user": {"id": f"U{team_id}"},
            "is_enterprise_install": False,
        }
        if refresh_token:
            answer.update(refresh_token=refresh_token, expires_in=expires_in)
        with self._lock:
            self.oauth_answers[code] = answer
            self.team_of_token[token] = team_id

    def rotate(self, refresh_token: str, team_id: str, token: str, next_refresh_token: str) -> None:
        """A refresh with ``refresh_token`` hands out ``token`` (and ``next_refresh_token``)."""
        self.install(refresh_token, team_id, token, refresh_token=next_refresh_token)

    def revoke(self, token: str) -> None:
        with self._lock:
            self.revoked.add(token)

    def calls_with_token(self, method: str, token: str) -> list[dict]:
        """The calls of ``method`` made with ``token`` (without the lock, so
        that it may be a :meth:`wait_for` condition: a call being recorded has
        its token first, and ``zip`` stops at the shorter list)."""
        return [
            payload
            for (name, payload), used in zip(self.calls, self.tokens, strict=False)
            if name == method and used == token
        ]

    def _oauth_access(self, payload: dict) -> tuple[int, dict, dict[str, str]]:
        key = payload.get("refresh_token") if payload.get("grant_type") == "refresh_token" else payload.get("code")
        answer = self.oauth_answers.pop(key or "", None)
        return 200, answer or {"ok": False, "error": "invalid_code"}, {}

    def answer(self, method: str, payload: dict, token: str | None = None) -> tuple[int, dict | str, dict[str, str]]:
        with self._lock:
            self.tokens.append(token)
            self.calls.append((method, payload))
            self._changed.notify_all()
            queued = self.failures.get(method)
            if queued:
                failure = queued.pop(0)
                return failure.status, failure.body, failure.headers
            if self.auth_broken or token == INVALID_TOKEN:
                return 200, AUTH_ERROR, {}
            if method == "oauth.v2.access":
                return self._oauth_access(payload)
            if token in self.revoked:
                return 200, {"ok": False, "error": "token_revoked"}, {}
            if method == "auth.test":
                team_id = self.team_of_token.get(token or "", "T0001")
                return 200, {"ok": True, "team_id": team_id, "user_id": "UBOT", "bot_id": "BBOT", "team": "Test"}, {}
            if method in ("chat.postMessage", "chat.update"):
                return self._message(method, payload)
            if method == "conversations.history":
                found = [m for m in self.messages if m["channel"] == payload.get("channel") and not m.get("thread_ts")]
                return 200, {"ok": True, "messages": found[::-1], "has_more": False}, {}
            if method == "conversations.replies":
                ts = payload.get("ts")
                found = [
                    m
                    for m in self.messages
                    if m["channel"] == payload.get("channel") and ts in (m["ts"], m.get("thread_ts"))
                ]
                return 200, {"ok": True, "messages": found, "has_more": False}, {}
            if method == "apps.connections.open" and self.socket_url:
                return 200, {"ok": True, "url": self.socket_url}, {}
            if method == "users.conversations":
                channels = self.channels_of_user.get(payload.get("user", ""), [])
                return (
                    200,
                    {"ok": True, "channels": [{"id": c} for c in channels], "response_metadata": {"next_cursor": ""}},
                    {},
                )
            return 200, {"ok": True}, {}

    def _message(self, method: str, payload: dict) -> tuple[int, dict, dict[str, str]]:
        for key in ("blocks", "metadata"):
            if isinstance(payload.get(key), str):
                payload[key] = json.loads(payload[key])
        refusal = block_kit_error(payload)
        if refusal:
            return 200, {"ok": False, "error": refusal}, {}
        if method == "chat.update":
            for message in self.messages:
                if message["channel"] == payload["channel"] and message["ts"] == payload["ts"]:
                    message.update(blocks=payload.get("blocks"), text=payload.get("text"), updated=True)
            self._answer_when(self.hold_updates)
            return 200, {"ok": True, "channel": payload["channel"], "ts": payload["ts"]}, {}
        self._ts += 1
        message = {**payload, "ts": f"{self._ts}.000100"}
        self.messages.append(message)
        self.post_times.append((payload["channel"], time.monotonic()))
        self.post_arrived.set()
        self._answer_when(self.hold_posts)
        return 200, {"ok": True, "channel": payload["channel"], "ts": message["ts"], "message": message}, {}

    def _answer_when(self, released: threading.Event) -> None:
        """Wait (other calls still answered) until ``released`` is set."""
        self._lock.release()
        try:
            released.wait(timeout=30)
        finally:
            self._lock.acquire()

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10) -> bool:
        """Block until ``condition()`` holds after some call (or the timeout)."""
        with self._changed:
            return self._changed.wait_for(condition, timeout=timeout)

    def calls_of(self, method: str) -> list[dict]:
        return [payload for name, payload in self.calls if name == method]

    def posts(self, channel: str | None = None) -> list[dict]:
        return [m for m in self.messages if channel is None or m["channel"] == channel]

    def close(self) -> None:
        self.hold_posts.set()
        self.hold_updates.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def slack_api() -> Iterator[SlackApi]:
    api = SlackApi()
    yield api
    api.close()


# --- signed Slack requests -----------------------------------------------------


def slack_signature(body: str | bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    raw = body if isinstance(body, bytes) else body.encode()
    base = f"v0:{timestamp}:".encode() + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class HttpAnswer:
    status: int
    body: str

    def json(self) -> dict:
        return json.loads(self.body)


def post_signed(
    url: str, body: str | bytes, content_type: str, *, secret: str = SIGNING_SECRET, timestamp: int | str | None = None
) -> HttpAnswer:
    """POST ``body`` (text, or raw bytes as sent) with Slack's signature headers, as Slack signs requests."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    request = urllib.request.Request(
        url,
        data=body if isinstance(body, bytes) else body.encode(),
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": slack_signature(body, stamp, secret),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return HttpAnswer(response.status, response.read().decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read().decode(errors="replace"))


def post_slack(
    url: str, form: dict[str, str], *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> HttpAnswer:
    """POST a form-encoded Slack request (slash command) signed with ``secret``."""
    return post_signed(
        url, urllib.parse.urlencode(form), "application/x-www-form-urlencoded", secret=secret, timestamp=timestamp
    )


def post_event(url: str, event: dict, team_id: str = "T0001") -> HttpAnswer:
    """A signed Events API callback."""
    body = {
        "token": "legacy-unused",
        "team_id": team_id,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": event,
    }
    return post_signed(url, json.dumps(body), "application/json")


def post_button(url: str, action_id: str, value: str, response_url: str, team_id: str = "T0001") -> HttpAnswer:
    """A signed block_actions payload: a click on a button of an ephemeral message."""
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "test"},
        "user": {"id": "U0001", "team_id": team_id},
        "api_app_id": "A0001",
        "container": {"type": "message", "is_ephemeral": True},
        "channel": {"id": "C0001", "name": "compliance"},
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b", "action_ts": "1"}],
    }
    return post_signed(
        url, urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )


def slash_command(command: str, text: str, **extra: str) -> dict[str, str]:
    return {
        "token": "legacy-unused",
        "team_id": "T0001",
        "team_domain": "test",
        "channel_id": "C0001",
        "channel_name": "compliance",
        "user_id": "U0001",
        "user_name": "alice",
        "command": command,
        "text": text,
        "api_app_id": "A0001",
        "response_url": "https://hooks.slack.invalid/commands/T0001/1/abc",
        "trigger_id": "1.2.3",
        **extra,
    }


def write_catalog(path: Path, feeds: list[tuple[str, str, str]], agency: str = "SEC") -> Path:
    """A feed catalog of (name, url, kind) entries."""
    path.write_text(
        "\n".join(
            f'[[feed]]\nname = "{name}"\nurl = "{url}"\nagency = "{agency}"\nkind = "{kind}"\n'
            for name, url, kind in feeds
        )
    )
    return path


# --- the bot as a process ------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on and that stays free for
    whoever binds it next with SO_REUSEADDR (waitress, http.server) while
    parallel test workers start their own peers: one connection made to it and
    closed from its side leaves the port in TIME_WAIT, which the kernel does
    not hand out to another ``bind(("127.0.0.1", 0))`` for a minute."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            accepted, _ = listener.accept()
            accepted.close()
    return port


def far_digest_time() -> str:
    """A digest time (UTC) half a day away: no scheduled digest, nor the catch-up
    that a start within an hour after one runs, falls within a test (at the
    default 09:00, a test running then got a digest it did not ask for)."""
    return (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")


def bot_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "CASEWATCH_"))}
    env.update(
        {
            "CASEWATCH_DB": database_url(tmp_path / "casewatch.db"),
            "CASEWATCH_CONTACT": "ci@example.com",
            "CASEWATCH_ALLOW_PRIVATE_FEEDS": "1",
            "CASEWATCH_DIGEST_TIME": far_digest_time(),
            "CASEWATCH_TIMEZONE": "UTC",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def slack_bot_env(tmp_path: Path, api: SlackApi, catalog: Path, **overrides: str) -> dict[str, str]:
    """The environment of a bot that talks to the Slack stand-in ``api`` and polls ``catalog``."""
    settings = {
        "CASEWATCH_FEEDS": str(catalog),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api.url,
    }
    return bot_env(tmp_path, **{**settings, **overrides})


def run_bot(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def spawn_bot(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """Start ``python -m bot <args>`` without waiting; its stdout and stderr in one text pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def long_feed(copies: int) -> bytes:
    """The SEC's litigation releases with their 12 items repeated ``copies``
    times (each copy its own guid and link): a real feed that takes seconds to
    read (1,700 copies: 20,400 items, 7.6 MB, 2.4 s on the project's machine)."""
    text = (FIXTURES / "sec/litigation_releases_2024-06-part.xml").read_text()
    items = re.findall(r"<item>.*?</item>", text, re.S)
    head, tail = text[: text.index("<item>")], text[text.rindex("</item>") + len("</item>") :]
    copied = (
        item.replace("</guid>", f"?copy={n}</guid>").replace("\n</link>", f"?copy={n}</link>")
        for n in range(copies)
        for item in items
    )
    return (head + "".join(copied) + tail).encode()


def eventually(check: Callable[[], bool], timeout: float = 10, every: float = 0.1) -> bool:
    """Probe ``check`` until it holds or ``timeout`` passes: for state that only
    a request can observe (another process's database), like a readiness probe."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)  # probe interval
    return check()


def wait_until_healthy(base: str, process: subprocess.Popen, timeout: float = 30) -> None:
    """Poll ``/healthz`` until the server answers (or the process dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"bot exited early:\n{process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)  # retry interval of a readiness probe
    raise AssertionError("bot did not become healthy in time")


@pytest.fixture
def start_bot(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], str]]:
    """Start ``python -m bot run`` in HTTP mode; returns its base URL. The
    process is ``start.processes[-1]``."""
    processes: list[subprocess.Popen] = []

    def start(env: dict[str, str]) -> str:
        port = free_port()
        env = {**env, "PORT": str(port), "HOST": "127.0.0.1"}
        process = spawn_bot(["run"], env, tmp_path)
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, process)
        return base

    start.processes = processes  # type: ignore[attr-defined]
    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# --- a migrated database in memory (for tests below the end-to-end ones) ---------


@pytest.fixture
def memory_db(request: pytest.FixtureRequest) -> Iterator[Connection]:
    """A migrated database in memory; with ``CASEWATCH_TEST_PG`` set (design §5), a
    fresh PostgreSQL database on that server instead, except for a test marked
    ``sqlite_only`` (the PostgreSQL pass deselects those: ``-m "not sqlite_only"``)."""
    if os.environ.get(PG_SERVER_ENV) and request.node.get_closest_marker("sqlite_only") is None:
        yield from _database_on(request, "postgresql")
        return
    db = memory_database()
    yield db
    db.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only: the test is about SQLite itself (migrations of SQLite files, PRAGMA, file locks), or is "
        "the SQLite case of a test on both engines; the PostgreSQL pass (CASEWATCH_TEST_PG set) deselects it",
    )


# A test reaches a database only through these fixtures: the database fixtures, or a
# temporary folder (where a test names its database by path: ``bot_env``, the demo).
REACHES_A_DATABASE = frozenset(
    {
        "memory_db",
        "any_db",
        "stored_db",
        "engine_db",
        "stored_engine_db",
        "pg_databases",
        "tmp_path",
        "tmp_path_factory",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass runs the tests that can reach a database; one that cannot
    (parsing, extraction, matching, Block Kit; ``tests.factories.memory_database``
    is SQLite in both passes) would run the same code twice, so it runs in the
    SQLite pass only."""
    if not os.environ.get(PG_SERVER_ENV):
        return
    kept, engine_free = [], []
    for item in items:
        (kept if REACHES_A_DATABASE & set(getattr(item, "fixturenames", ())) else engine_free).append(item)
    if engine_free:
        config.hook.pytest_deselected(items=engine_free)
        items[:] = kept


@pytest.fixture(autouse=True)
def _databases_on_postgres(request: pytest.FixtureRequest) -> Iterator[None]:
    """In the PostgreSQL pass, the databases a test names by path (``bot_env``'s
    ``casewatch.db``, :func:`tests.pg.database_url`) are fresh PostgreSQL databases."""
    if not os.environ.get(PG_SERVER_ENV) or request.node.get_closest_marker("sqlite_only") is not None:
        yield
        return
    with databases_of_one_test(TestDatabases(request.getfixturevalue("pg_databases"))):
        yield


# --- PostgreSQL, and a fresh database on either engine (issue 11) ---------------


@pytest.fixture(scope="module")
def module_database_url(request: pytest.FixtureRequest) -> Iterator[Callable[[Path], str]]:
    """:func:`tests.pg.database_url` for a module's shared fixtures: the SQLite file
    at a path, or in the PostgreSQL pass a fresh database per path, dropped when the
    module's tests are done."""
    if not os.environ.get(PG_SERVER_ENV):
        yield str
        return
    databases = TestDatabases(request.getfixturevalue("pg_databases"))
    yield databases.url_for
    databases.close()


def sample_feeds_database(folder: Path, database_url: Callable[[Path], str]) -> Connection:
    """A database holding the demo's sample feeds, polled once: the demo's own
    (``run_demo``) in the SQLite pass, the same polling into PostgreSQL in the other."""
    from bot.demo import poll_sample_feeds, run_demo
    from storage.database import ThreadDatabases, open_database

    path = folder / "demo.db"
    url = database_url(path)
    if url == str(path):
        run_demo("binance", db_path=path)
    else:
        poll_sample_feeds(ThreadDatabases(url))  # its polling threads' connections end with the module's database
    return open_database(url)


# The SQLite case of a both-engine test runs in the SQLite pass; the PostgreSQL pass deselects it.
BOTH_ENGINES = [pytest.param("sqlite", marks=pytest.mark.sqlite_only), "postgresql"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL (without a database): see tests/pg.py."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def pg_databases(pg_server: str) -> Iterator[Databases]:
    databases = Databases(pg_server)
    yield databases
    databases.close()


@pytest.fixture(params=BOTH_ENGINES)
def engine_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EngineDatabase]:
    """A fresh migrated database, once on each engine."""
    yield from _engine_database(request, request.param, tmp_path)


def _engine_database(request: pytest.FixtureRequest, engine: str, tmp_path: Path) -> Iterator[EngineDatabase]:
    if engine == "sqlite":
        found = EngineDatabase("sqlite", str(tmp_path / "engine.db"))
        with sqlite3.connect(found.url) as file:  # a copy of a migrated database: faster than migrating
            memory_database().conn.backup(file)
        yield found
        found.close()
        return
    databases: Databases = request.getfixturevalue("pg_databases")
    found = EngineDatabase("postgresql", databases.create())
    yield found
    found.close()
    databases.drop(found.url)


def _database_on(request: pytest.FixtureRequest, engine: str) -> Iterator[Connection]:
    """A migrated database for storage calls: ``memory_db``'s SQLite in memory,
    or a fresh PostgreSQL database (see :func:`engine_db`)."""
    if engine == "sqlite":
        db = memory_database()
        yield db
        db.close()
        return
    databases: Databases = request.getfixturevalue("pg_databases")
    found = EngineDatabase("postgresql", databases.create())
    yield found.open()
    found.close()
    databases.drop(found.url)


@pytest.fixture(params=BOTH_ENGINES)
def any_db(request: pytest.FixtureRequest) -> Iterator[Connection]:
    """A migrated database for storage calls that search nothing, once on each engine."""
    yield from _database_on(request, request.param)


@pytest.fixture(params=BOTH_ENGINES)
def stored_db(request: pytest.FixtureRequest) -> Iterator[Connection]:
    """:func:`any_db` for tests that store items (and so write their full-text rows)."""
    yield from _database_on(request, request.param)


@pytest.fixture(params=BOTH_ENGINES)
def stored_engine_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EngineDatabase]:
    """:func:`engine_db` for tests that store items (and so write their full-text rows)."""
    yield from _engine_database(request, request.param, tmp_path)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """``--last-failed`` when nothing failed last time reruns nothing: that is a
    pass, not pytest's "no tests collected" (exit 5) that reads as a failure."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and session.config.getoption("lf", default=False):
        session.exitstatus = pytest.ExitCode.OK
