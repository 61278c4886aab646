"""Fetching over real HTTP from a local server."""

from __future__ import annotations

import pytest

from feeds import fetch as fetch_module
from feeds.fetch import Fetcher, FetchError, check_address
from tests.conftest import FeedServer

FEED = "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def test_user_agent_names_the_contact(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", FEED)
    Fetcher(contact="compliance@example.com", allow_private=True).fetch(url)
    (_, headers), *_ = feed_server.requests
    assert "Casewatch" in headers["User-Agent"]
    assert "compliance@example.com" in headers["User-Agent"]


def test_conditional_get_returns_not_modified(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", FEED, etag='"v1"')
    fetcher = Fetcher(contact="c@example.com", allow_private=True)
    first = fetcher.fetch(url)
    assert (first.not_modified, first.etag) == (False, '"v1"')
    second = fetcher.fetch(url, etag=first.etag)
    assert second.not_modified and second.body == b""
    assert feed_server.requests[1][1]["If-None-Match"] == '"v1"'


def test_gzip_is_decoded(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.xml", FEED, gzip=True)
    assert Fetcher(contact="c@example.com", allow_private=True).fetch(url).body == FEED.encode()


def test_response_size_is_capped(feed_server: FeedServer) -> None:
    url = feed_server.serve("/big.xml", b"x" * 5000)
    with pytest.raises(FetchError, match="too large"):
        Fetcher(contact="c@example.com", allow_private=True, max_bytes=1000).fetch(url)


def test_slow_server_times_out(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_module, "READ_TIMEOUT", 0.2)
    url = feed_server.serve("/slow.xml", FEED, delay=1.0)
    with pytest.raises(FetchError, match="timed out"):
        Fetcher(contact="c@example.com", allow_private=True).fetch(url)


def test_redirect_loop_is_reported(feed_server: FeedServer) -> None:
    feed_server.serve("/a", "", status=302, headers={"Location": "/b"})
    url_b = feed_server.serve("/b", "", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="too many redirects"):
        Fetcher(contact="c@example.com", allow_private=True).fetch(url_b)


def test_redirect_is_followed(feed_server: FeedServer) -> None:
    feed_server.serve("/new.xml", FEED)
    old = feed_server.serve("/old.xml", "", status=301, headers={"Location": "/new.xml"})
    result = Fetcher(contact="c@example.com", allow_private=True).fetch(old)
    assert result.body == FEED.encode() and result.url.endswith("/new.xml")


def test_rate_limit_carries_retry_after(feed_server: FeedServer) -> None:
    url = feed_server.serve("/busy.xml", "slow down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchError) as raised:
        Fetcher(contact="c@example.com", allow_private=True).fetch(url)
    assert raised.value.retry_after == 120
    assert "429" in str(raised.value)


def test_server_error_is_reported(feed_server: FeedServer) -> None:
    url = feed_server.serve("/err.xml", "oops", status=500)
    with pytest.raises(FetchError, match="HTTP 500"):
        Fetcher(contact="c@example.com", allow_private=True).fetch(url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/feed.xml", "http://localhost/feed.xml", "http://10.1.2.3/x", "http://169.254.169.254/latest/"],
)
def test_internal_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(FetchError, match="internal address"):
        check_address(url, allow_private=False)
    check_address(url, allow_private=True)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed.xml", "gopher://x/"])
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        check_address(url, allow_private=True)


def test_redirect_to_an_internal_address_is_refused(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hop is checked: a public-looking first hop cannot bounce us inside."""
    checked: list[str] = []

    def policy(url: str, *, allow_private: bool) -> None:
        checked.append(url)
        if len(checked) > 1:
            raise FetchError("resolves to an internal address")

    monkeypatch.setattr(fetch_module, "check_address", policy)
    url = feed_server.serve("/hop", "", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    with pytest.raises(FetchError, match="internal address"):
        Fetcher(contact="c@example.com", allow_private=False).fetch(url)
    assert checked[-1] == "http://169.254.169.254/latest/"
