"""One error hierarchy for the feed steps (feeds/errors.py): every failure is a
:class:`FeedError` whose message is for people, whose ``__cause__`` is what
really went wrong (never hidden with ``from None``), and which carries the
server's ``Retry-After`` when it gave one."""

from __future__ import annotations

import json
import socket
import tomllib
import xml.sax
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.slack_request import MalformedRequest, parse
from feeds.catalog import CatalogError, load_catalog
from feeds.errors import FeedError, FeedParseError, FetchError, HostBusy, NotAFeed
from feeds.fetch import Fetcher
from feeds.parse import parse_feed
from feeds.probe import probe
from tests.conftest import FeedServer, free_port

FEED = "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item><title>x</title></item></channel></rss>"


def fetcher(**options: object) -> Fetcher:
    return Fetcher(contact="c@example.com", allow_private=True, **options)


def test_every_feed_step_error_is_a_feed_error() -> None:
    for error in (FetchError, HostBusy, FeedParseError, NotAFeed):
        assert issubclass(error, FeedError)
    assert issubclass(HostBusy, FetchError)


@pytest.mark.reliability("a feed server that refuses connections", kind="feed fault")
def test_a_refused_connection_keeps_its_cause() -> None:
    with pytest.raises(FeedError, match=r"connection failed \(ConnectionRefusedError\)") as raised:
        fetcher().fetch(f"http://127.0.0.1:{free_port()}/feed.xml")
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)


@pytest.mark.reliability("a feed host whose name does not resolve", kind="feed fault")
def test_a_name_that_does_not_resolve_keeps_its_cause() -> None:
    lookup_failure = socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def resolve(host: str, port: int) -> list[str]:
        raise lookup_failure

    with pytest.raises(FetchError, match=r"cannot resolve feeds\.invalid: Name or service not known") as raised:
        Fetcher(contact="c@example.com", resolve=resolve).fetch("https://feeds.invalid/rss")
    assert raised.value.__cause__ is lookup_failure


@pytest.mark.reliability("a feed server that answers too slowly for the fetch deadline", kind="feed fault")
def test_a_deadline_keeps_the_network_error_that_ended_it(feed_server: FeedServer) -> None:
    url = feed_server.serve("/slow.xml", FEED, delay=1.0)
    with pytest.raises(FetchError, match=r"^timed out") as raised:
        fetcher(deadline=0.3).fetch(url)
    assert isinstance(raised.value.__cause__, TimeoutError)


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(429, marks=pytest.mark.reliability("a feed server rate-limiting us (429)", kind="feed fault")),
        pytest.param(503, marks=pytest.mark.reliability("a feed server overloaded (503)", kind="feed fault")),
    ],
)
def test_retry_after_in_seconds_is_on_the_feed_error(feed_server: FeedServer, status: int) -> None:
    url = feed_server.serve("/busy.xml", "slow down", status=status, headers={"Retry-After": "120"})
    with pytest.raises(FeedError) as raised:
        fetcher().fetch(url)
    assert raised.value.retry_after == 120


@pytest.mark.reliability("a feed server asking us to come back at a date (Retry-After: HTTP-date)", kind="feed fault")
def test_retry_after_as_a_date_is_the_seconds_until_then(feed_server: FeedServer) -> None:
    until = datetime.now(UTC) + timedelta(minutes=10)
    url = feed_server.serve("/busy.xml", "", status=503, headers={"Retry-After": format_datetime(until, usegmt=True)})
    with pytest.raises(FeedError) as raised:
        fetcher().fetch(url)
    assert raised.value.retry_after is not None
    assert 590 <= raised.value.retry_after <= 600


@pytest.mark.reliability("a feed server answering with a Retry-After in the past or unreadable", kind="feed fault")
@pytest.mark.parametrize("value", ["Mon, 01 Jan 2001 00:00:00 GMT", "soon", "-5"])
def test_retry_after_that_asks_for_nothing_is_none(feed_server: FeedServer, value: str) -> None:
    url = feed_server.serve("/busy.xml", "", status=429, headers={"Retry-After": value})
    with pytest.raises(FeedError) as raised:
        fetcher().fetch(url)
    assert raised.value.retry_after is None


@pytest.mark.reliability("a feed URL answering with bytes that are no feed", kind="input")
def test_unreadable_bytes_keep_the_parser_error() -> None:
    with pytest.raises(FeedParseError, match="not a feed") as raised:
        parse_feed(b"\x00\x01 broken", base_url="https://example.org/rss", court_feed=False)
    assert isinstance(raised.value.__cause__, xml.sax.SAXParseException)


@pytest.mark.reliability("an admin adds a feed URL whose server refuses connections", kind="input")
def test_a_refused_probe_says_why_and_keeps_the_fetch_error() -> None:
    with pytest.raises(
        NotAFeed, match=r"^Could not fetch it: connection failed \(ConnectionRefusedError\)\.$"
    ) as raised:
        probe(fetcher(), f"http://127.0.0.1:{free_port()}/feed.xml")
    assert isinstance(raised.value.__cause__, FetchError)
    assert isinstance(raised.value.__cause__.__cause__, ConnectionRefusedError)


@pytest.mark.reliability("an admin adds a URL that answers with an HTML page", kind="input")
def test_a_page_that_is_no_feed_keeps_the_parse_error(feed_server: FeedServer) -> None:
    url = feed_server.serve("/page.html", "<!doctype html><html><body>hello</body></html>")
    with pytest.raises(NotAFeed, match="It does not answer with a feed") as raised:
        probe(fetcher(), url)
    assert isinstance(raised.value.__cause__, FeedParseError)


@pytest.mark.reliability("a feed catalog that is missing or not TOML", kind="input")
def test_catalog_errors_keep_their_cause(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="feed catalog not found") as missing:
        load_catalog(tmp_path / "nowhere.toml")
    assert isinstance(missing.value.__cause__, FileNotFoundError)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[feed]\nname = ")
    with pytest.raises(CatalogError, match="is not valid TOML") as invalid:
        load_catalog(broken)
    assert isinstance(invalid.value.__cause__, tomllib.TOMLDecodeError)


@pytest.mark.reliability("a signed Slack request whose body is not UTF-8 or not JSON", kind="abuse")
def test_malformed_slack_requests_keep_their_cause() -> None:
    with pytest.raises(MalformedRequest, match="the body is not UTF-8") as not_text:
        parse(b"\xff\xfe{}", "application/json")
    assert isinstance(not_text.value.__cause__, UnicodeDecodeError)
    with pytest.raises(MalformedRequest, match="the JSON body is not JSON") as not_json:
        parse(b'{"type": ', "application/json")
    assert isinstance(not_json.value.__cause__, json.JSONDecodeError)
