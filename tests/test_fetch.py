"""Fetching over real HTTP from a local server."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


def test_a_gzip_body_of_several_members_is_decoded_whole(feed_server: FeedServer) -> None:
    half = len(FEED) // 2
    packed = gzip.compress(FEED[:half].encode()) + gzip.compress(FEED[half:].encode())
    url = feed_server.serve("/members.xml", packed, headers={"Content-Encoding": "gzip"})
    assert Fetcher(contact="c@example.com", allow_private=True).fetch(url).body == FEED.encode()


def test_response_size_is_capped(feed_server: FeedServer) -> None:
    url = feed_server.serve("/big.xml", b"x" * 5000)
    with pytest.raises(FetchError, match="too large"):
        Fetcher(contact="c@example.com", allow_private=True, max_bytes=1000).fetch(url)


@pytest.mark.reliability("a small gzip body that unpacks to more than the size cap", kind="abuse")
def test_unpacked_size_is_capped(feed_server: FeedServer) -> None:
    url = feed_server.serve("/bomb.xml", b"x" * 50_000, gzip=True)  # about 100 bytes on the wire
    with pytest.raises(FetchError, match="too large"):
        Fetcher(contact="c@example.com", allow_private=True, max_bytes=1000).fetch(url)


def test_a_path_outside_ascii_is_percent_encoded(feed_server: FeedServer) -> None:
    url = feed_server.serve("/caf%C3%A9%20news.xml", FEED)
    result = Fetcher(contact="c@example.com", allow_private=True).fetch(url.replace("caf%C3%A9%20", "café "))
    assert result.body == FEED.encode()


@pytest.mark.reliability("a feed server that accepts the connection and never answers", kind="feed fault")
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


@pytest.mark.reliability("a feed redirecting to a private or metadata address", kind="abuse")
def test_redirect_to_an_internal_address_is_refused(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hop is checked: a public-looking first hop cannot bounce us inside.
    (127.0.0.1 stands for a public server here: it is where the test's server is.)"""
    policy = fetch_module.is_internal
    monkeypatch.setattr(fetch_module, "is_internal", lambda address: str(address) != "127.0.0.1" and policy(address))
    url = feed_server.serve("/hop", "", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    with pytest.raises(FetchError, match=r"internal address \(169.254.169.254\)"):
        Fetcher(contact="c@example.com", allow_private=False).fetch(url)
    assert feed_server.count("/hop") == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]/x",
        "http://[::127.0.0.1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://[::ffff:7f00:1]/x",
        "http://[::ffff:a9fe:a9fe]/latest/",
        "http://[64:ff9b::7f00:1]/x",
        "http://[64:ff9b::10.0.0.1]/x",
        "http://[2002:7f00:1::]/x",
        "http://[fe80::1]/x",
        "http://0x7f000001/x",
    ],
)
@pytest.mark.reliability("a feed URL naming a private address in an IPv6 or numeric disguise", kind="abuse")
def test_disguised_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="internal address"):
        check_address(url, allow_private=False)


def test_public_addresses_in_ipv6_forms_are_allowed() -> None:
    for url in ("http://[64:ff9b::808:808]/x", "http://[::ffff:8.8.8.8]/x", "http://[2606:4700::1111]/x"):
        check_address(url, allow_private=False)


@pytest.mark.reliability("DNS rebinding: a public address when checked, an internal one when connecting", kind="abuse")
def test_dns_rebinding_cannot_move_the_connection(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The name answers a public address to the first lookup and the metadata
    address to every later one (a DNS server outside the machine, stood in for
    here; 127.0.0.1 stands for the public server). The fetch looks the name up
    once and connects to the address it checked, so the rebinding never counts."""
    policy = fetch_module.is_internal
    monkeypatch.setattr(fetch_module, "is_internal", lambda address: str(address) != "127.0.0.1" and policy(address))
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1"])
    lookups: list[str] = []

    def rebinding_dns(host: str, *args: object, **kwargs: object) -> list:
        if host != "rebind.example":
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(host)
        address = next(answers, "169.254.169.254")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, feed_server.httpd.server_port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    feed_server.serve("/feed.xml", FEED)
    url = f"http://rebind.example:{feed_server.httpd.server_port}/feed.xml"
    assert Fetcher(contact="c@example.com", allow_private=False).fetch(url).body == FEED.encode()
    assert lookups == ["rebind.example"]


def test_the_resolver_is_a_constructor_argument(feed_server: FeedServer) -> None:
    """An internal answer from the hook is refused before any request; with
    private feeds allowed, its answer is what the connection uses, looked up
    once per fetch."""
    feed_server.serve("/feed.xml", FEED)
    url = f"http://feeds.example:{feed_server.httpd.server_port}/feed.xml"
    with pytest.raises(FetchError, match="internal address"):
        Fetcher(contact="c@example.com", resolve=lambda host, port: ["::ffff:127.0.0.1"]).fetch(url)
    assert feed_server.requests == []
    calls: list[str] = []

    def local(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    assert Fetcher(contact="c@example.com", allow_private=True, resolve=local).fetch(url).body == FEED.encode()
    assert feed_server.requests[0][1]["Host"] == f"feeds.example:{feed_server.httpd.server_port}"
    assert calls == ["feeds.example"]


@pytest.mark.reliability("a feed server dripping one byte at a time", kind="feed fault")
def test_a_dripping_server_is_cut_off_at_the_deadline(feed_server: FeedServer) -> None:
    url = feed_server.serve("/drip.xml", FEED, drip=0.1)  # about 8 s for the whole answer
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^timed out after 1 s$"):
        Fetcher(contact="c@example.com", allow_private=True, deadline=1).fetch(url)
    assert time.monotonic() - started < 3


@pytest.fixture
def header_dripper() -> Iterator[str]:
    """A server that answers every connection with its status line one byte
    every 0.1 s (about 2 s for the line) and never gets to its headers."""
    listener = socket.create_server(("127.0.0.1", 0))
    closing = threading.Event()

    def drip(connection: socket.socket) -> None:
        with connection:
            connection.recv(4096)
            for byte in b"HTTP/1.1 200 OK\r\n":
                if closing.wait(0.1):  # the peer is slow: behaviour under test
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up

    def serve() -> None:
        while not closing.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
    closing.set()
    listener.close()


@pytest.mark.reliability("a feed server dripping its status line and headers", kind="feed fault")
def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline(header_dripper: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^timed out after 0.5 s$"):
        Fetcher(contact="c@example.com", allow_private=True, deadline=0.5).fetch(header_dripper)
    assert time.monotonic() - started < 1.5


class KeepAliveServer:
    """An HTTP/1.1 feed server that keeps connections open and counts them.
    With ``drop_second``, it closes a connection when asked a second request
    on it, without answering (as a server does whose idle timeout struck just
    as the request came)."""

    def __init__(self, *, drop_second: bool = False) -> None:
        self.connections = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                server.connections += 1
                self.answered = 0

            def do_GET(self) -> None:
                if drop_second and self.answered == 1:
                    self.close_connection = True
                    return
                self.answered += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(FEED)))
                self.end_headers()
                self.wfile.write(FEED.encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/feed.xml"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_feeds_of_one_host_share_a_kept_alive_connection() -> None:
    server = KeepAliveServer()
    try:
        fetcher = Fetcher(contact="c@example.com", allow_private=True)
        assert [fetcher.fetch(server.url).body for _ in range(3)] == [FEED.encode()] * 3
        assert server.connections == 1
    finally:
        server.close()


@pytest.mark.reliability("a feed server closing a kept-alive connection as the next request comes", kind="feed fault")
def test_a_kept_connection_the_server_dropped_is_replaced() -> None:
    server = KeepAliveServer(drop_second=True)
    try:
        fetcher = Fetcher(contact="c@example.com", allow_private=True)
        assert [fetcher.fetch(server.url).body for _ in range(2)] == [FEED.encode()] * 2
        assert server.connections == 2
    finally:
        server.close()
