"""The server answers a signed ``/case`` without Bolt's dispatch
(:func:`bot.server.wsgi_application` with ``answer_case``). Whatever reaches
it, over real signed HTTP, must be answered exactly as Bolt answers it: the
same status, headers and bytes, the same log lines. Two servers on one
database and one app, one with the fast path and one through Bolt only, get
the same requests."""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from bot.app import case_reply, create_app, web_client
from bot.config import settings_from_env
from bot.server import is_plain_case_command, wsgi_application
from feeds.fetch import Fetcher
from storage.database import ThreadDatabases
from storage.search import prepare_search
from tests import factories
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, SlackApi, slack_signature, slash_command
from tests.pg import database_url


@dataclass(frozen=True)
class Raw:
    status: int
    content_type: str | None
    body: bytes


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr."""


@dataclass
class Servers:
    fast: str  # host:port of the server with the signed /case path
    bolt: str  # host:port of the server that hands every request to Bolt
    databases: ThreadDatabases


def _serve(application: object) -> tuple[WSGIServer, str]:
    server = make_server("127.0.0.1", 0, application, handler_class=_Quiet)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, f"127.0.0.1:{server.server_port}"


@contextmanager
def running_servers(database: str) -> Iterator[Servers]:
    """A database (a path or URL) with four Acme cases, one app, and the two servers."""
    api = SlackApi()
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api.url,
        "CASEWATCH_DB": database,
    }
    settings = settings_from_env(env, need_slack=True)
    databases = ThreadDatabases(settings.db_url)
    db = databases.get()
    source = factories.feed(db)
    for number, name in enumerate(("Acme Widgets Inc.", "Acme Gadgets LLC", "Acme Holdings Corp.", "Acme Tools Co.")):
        what = factories.extraction(
            caption=f"SEC v. {name}", defendants=[name], dockets=[f"1:24-cv-0{1234 + number}"], agency="SEC"
        )
        factories.event(db, source, what, factories.feed_item(f"SEC charges {name} <!channel> & <others>"))
    prepare_search(db)
    answer_case = case_reply(settings, databases)
    app = create_app(
        settings,
        databases,
        web_client(settings),
        Fetcher(contact="ci@example.com"),
        lambda: None,
        lambda feed: None,
        answer_case=answer_case,
    )
    fast, fast_address = _serve(wsgi_application(app, dict, SIGNING_SECRET, answer_case=answer_case))
    bolt, bolt_address = _serve(wsgi_application(app, dict, SIGNING_SECRET))
    try:
        yield Servers(fast_address, bolt_address, databases)
    finally:
        for server in (fast, bolt):
            server.shutdown()
            server.server_close()
        api.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, module_database_url: Callable[[Path], str]) -> Iterator[Servers]:
    """Shared by the tests that only read."""
    with running_servers(module_database_url(tmp_path_factory.mktemp("fast-path") / "casewatch.db")) as running:
        yield running


def post(
    address: str, body: bytes, content_type: str, *, secret: str = SIGNING_SECRET, stamp: int | None = None
) -> Raw:
    """A POST to /slack/events signed as Slack signs it; the answer as it came."""
    timestamp = str(int(time.time()) if stamp is None else stamp)
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        connection.request(
            "POST",
            "/slack/events",
            body=body,
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": slack_signature(body, timestamp, secret),
            },
        )
        response = connection.getresponse()
        return Raw(response.status, response.getheader("Content-Type"), response.read())
    finally:
        connection.close()


def form(fields: dict[str, str]) -> tuple[bytes, str]:
    return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"


def both(servers: Servers, body: bytes, content_type: str, **signing: object) -> Raw:
    """The answer of the fast path, after checking it is Bolt's, byte for byte."""
    fast = post(servers.fast, body, content_type, **signing)  # type: ignore[arg-type]
    bolt = post(servers.bolt, body, content_type, **signing)  # type: ignore[arg-type]
    assert fast == bolt
    return fast


QUERIES = [
    "acme",  # four cases: the best three shown
    "Acme Widgets Inc.",
    "1:24-cv-01234",
    "Civil Action No. 24-1235",
    "help",
    "?",
    "",
    "   ",
    "\u2060\x1b",  # only invisible characters
    "zzqx",  # no case: suggestions and examples
    "<!channel> acme",
    '"*-NEAR OR',
    "x" * 5000,  # far over Slack's 3,000 characters of a text
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_signed_case_is_answered_byte_for_byte_as_bolt_answers_it(servers: Servers, query: str) -> None:
    answer = both(servers, *form(slash_command("/case", query)))
    assert answer.status == 200 and answer.content_type == "application/json;charset=utf-8"
    message = json.loads(answer.body)
    assert message["response_type"] == "ephemeral"
    assert len(message["text"]) <= 3000 and all(len(json.dumps(block)) < 12000 for block in message["blocks"])
    assert "<!channel>" not in answer.body.decode()


def test_cards_are_answered_with_their_watch_buttons(servers: Servers) -> None:
    message = json.loads(both(servers, *form(slash_command("/case", "acme"))).body)
    assert message["text"] == "4 cases match *acme* by name; showing the best 3"
    buttons = [
        element["text"]["text"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert buttons.count("Watch this case") == 3 and buttons.count("Share in channel") == 3


@pytest.mark.reliability("a /case with a forged signature or a replayed old timestamp", kind="abuse")
@pytest.mark.parametrize(
    ("secret", "age"), [pytest.param("forged", 0, id="forged"), pytest.param(SIGNING_SECRET, 600, id="stale")]
)
def test_a_bad_signature_or_a_stale_timestamp_is_refused_as_before(servers: Servers, secret: str, age: int) -> None:
    answer = both(servers, *form(slash_command("/case", "acme")), secret=secret, stamp=int(time.time()) - age)
    assert answer.status == 401 and b"Acme" not in answer.body


@pytest.mark.reliability("signed /case requests of shapes Slack does not send", kind="abuse")
@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"ssl_check": "1"}, id="ssl-check"),
        pytest.param({"type": "url_verification", "challenge": "c-123"}, id="url-verification"),
        pytest.param({"type": "event_callback"}, id="event-type"),
        pytest.param({"team_id": ""}, id="no-team"),
        pytest.param({"text": "\udcff"}, id="lone-surrogate"),
    ],
)
def test_a_case_that_bolt_would_answer_otherwise_is_answered_as_bolt_does(servers: Servers, fields: dict) -> None:
    command = {**slash_command("/case", "acme"), **fields}
    body = urllib.parse.urlencode(command, errors="surrogatepass").encode()
    both(servers, body, "application/x-www-form-urlencoded")


def test_a_case_sent_as_json_is_answered_as_bolt_does(servers: Servers) -> None:
    answer = both(servers, json.dumps(slash_command("/case", "acme")).encode(), "application/json")
    assert json.loads(answer.body)["text"].startswith("4 cases match")


@pytest.mark.reliability("the database loses a table while the server answers /case", kind="storage fault")
def test_a_case_that_fails_is_answered_and_logged_as_bolt_does(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    logged: dict[str, list[tuple[str, int, str]]] = {}
    answers = {}
    with running_servers(database_url(tmp_path / "casewatch.db")) as servers:
        servers.databases.get().execute("ALTER TABLE case_parties RENAME TO case_parties_gone")
        for name, address in (("fast", servers.fast), ("bolt", servers.bolt)):
            caplog.clear()
            with caplog.at_level(logging.INFO):
                answers[name] = post(address, *form(slash_command("/case", "Acme Widgets Inc.")))
            logged[name] = [(record.name, record.levelno, record.getMessage()) for record in caplog.records]
    assert answers["fast"] == answers["bolt"] and answers["fast"].status == 500
    assert (
        logged["fast"]
        == logged["bolt"]
        == [("handlers.interactive", logging.ERROR, "failed to handle a Slack request")]
    )


def test_only_a_plain_case_command_takes_the_path_without_bolt() -> None:
    command = slash_command("/case", "acme")
    assert is_plain_case_command(command)
    for other in ({"command": "/watch"}, {"ssl_check": "1"}, {"type": "url_verification"}, {"event": {}}):
        assert not is_plain_case_command({**command, **other})
