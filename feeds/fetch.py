"""Fetch a feed over HTTP politely and safely.

Conditional GET (ETag / Last-Modified), connect and read timeouts and a total
deadline per fetch (a server dripping a byte every few seconds is cut off), a
cap on the response size, gzip, a descriptive User-Agent with a contact
address, and redirects followed by hand so that every hop is checked against
the address policy (no loopback, private, link-local or metadata hosts, also
in their IPv4-mapped and other IPv6 forms, unless allowed).

The address a connection is made to is the one that was checked: the
connection resolves the host itself, refuses it if any address is internal,
and connects to that address (the Host header, TLS SNI and certificate check
still use the host name), so DNS rebinding between check and connect cannot
slip through. Never more than one request at a time per host.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

from feeds.errors import FetchError, HostBusy

USER_AGENT = "Casewatch/0.1 (compliance feed monitor; contact: {contact})"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
DEADLINE = 60.0
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

Resolve = Callable[[str, int], list[str]]
"""(host, port) → the addresses the host name stands for."""


@dataclass(frozen=True)
class FetchResult:
    url: str
    not_modified: bool
    body: bytes
    etag: str | None
    last_modified: str | None


def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver's addresses for ``host``, in its order."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped ``::ffff:a.b.c.d``,
    compatible ``::a.b.c.d``, NAT64 ``64:ff9b::a.b.c.d``, 6to4, Teredo), if any."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address in _IPV4_COMPATIBLE or address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    return None


def is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local, metadata, reserved or multicast, in any form."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_internal(embedded)
    return not address.is_global or address.is_multicast


def _refuse_internal(host: str, addresses: list[str]) -> None:
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if is_internal(address):
            raise FetchError(
                f"{host} resolves to an internal address ({address}); set CASEWATCH_ALLOW_PRIVATE_FEEDS=1 to allow it"
            )


def _resolved(host: str, port: int, resolve: Resolve) -> list[str]:
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"cannot resolve {host}: {getattr(error, 'strerror', None) or error}") from error
    if not addresses:
        raise FetchError(f"cannot resolve {host}: no address")
    return addresses


def check_address(url: str, *, allow_private: bool, resolve: Resolve = resolve_host) -> None:
    """Refuse non-http(s) URLs, and hosts that resolve to internal addresses.

    A quick check with a clear message; each connection checks again what it
    connects to (see :class:`_FetchGuard`)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"only http and https feeds are allowed, not {parts.scheme or 'a bare path'}:")
    if not parts.hostname:
        raise FetchError("the URL has no host name")
    if allow_private:
        return
    _refuse_internal(parts.hostname, _resolved(parts.hostname, parts.port or 443, resolve))


def host_key(url: str) -> str:
    """What "the same host" means for the one-request-per-host rule."""
    return urlsplit(url).netloc.lower()


def _seconds(value: float) -> str:
    return f"{value:g} s"


class _FetchGuard:
    """One fetch's address policy and deadline, shared by its connections.

    Each connection resolves, checks and connects to a checked address; when
    the deadline passes, every connection of the fetch is shut down, which
    ends a read blocked on a stalling server at once."""

    def __init__(self, *, resolve: Resolve, allow_private: bool, deadline: float):
        self.resolve = resolve
        self.allow_private = allow_private
        self.deadline = deadline
        self.ends_at: float | None = None
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(deadline, self.expire)
        self._timer.daemon = True

    def start(self) -> None:
        """Start the clock (once the fetch holds its host: waiting for it is not the server's fault)."""
        if self.ends_at is None:
            self.ends_at = time.monotonic() + self.deadline
            self._timer.start()

    def stop(self) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        return self.deadline if self.ends_at is None else max(0.0, self.ends_at - time.monotonic())

    def connect(self, connection: HTTPConnection) -> socket.socket:
        host, port = connection._dns_host, connection.port
        addresses = _resolved(host, port, self.resolve)
        if not self.allow_private:
            _refuse_internal(host, addresses)
        timeout = min(connection.timeout or CONNECT_TIMEOUT, self.remaining())
        last_error: OSError | None = None
        for address in addresses:
            try:
                sock = create_connection((address, port), timeout, connection.source_address, connection.socket_options)
            except OSError as error:
                last_error = error
                continue
            self.track(sock)
            return sock
        if isinstance(last_error, socket.timeout):
            raise ConnectTimeoutError(connection, f"Connection to {host} timed out.") from last_error
        raise NewConnectionError(connection, f"Failed to establish a new connection: {last_error}") from last_error

    def track(self, sock: socket.socket) -> None:
        """Keep ``sock`` (the TCP socket, then its TLS wrapper) to shut down at the deadline."""
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            self._shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        """End the socket's reads and writes now, also those blocked in other threads."""
        with contextlib.suppress(OSError):  # closed already, or handed over to its TLS wrapper
            sock.shutdown(socket.SHUT_RDWR)


def _guarded(base: type[HTTPConnection], guard: _FetchGuard) -> type[HTTPConnection]:
    """``base`` with its TCP connection made by ``guard``, and its socket (TLS or not) known to it."""

    class Guarded(base):  # type: ignore[valid-type, misc]
        def _new_conn(self) -> socket.socket:
            return guard.connect(self)

        def connect(self) -> None:
            super().connect()
            guard.track(self.sock)

    return Guarded


class _GuardedAdapter(HTTPAdapter):
    """A requests transport whose connections go through one fetch's guard."""

    def __init__(self, guard: _FetchGuard):
        self._guard = guard
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        http, https = _guarded(HTTPConnection, self._guard), _guarded(HTTPSConnection, self._guard)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


def _retry_after(response: requests.Response) -> float | None:
    """The seconds a 429's or 503's ``Retry-After`` asks us to wait: a number of
    seconds or an HTTP date; None when it asks for nothing (absent, unreadable, past)."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        until = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if until.tzinfo is None:  # "-0000": a date in UTC that does not say so
        until = until.replace(tzinfo=UTC)
    seconds = (until - datetime.now(UTC)).total_seconds()
    return seconds if seconds > 0 else None


def _read_capped(response: requests.Response, limit: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(f"response too large ({int(declared):,} bytes; the limit is {limit:,})")
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise FetchError(f"response too large (over {limit:,} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


class Fetcher:
    """Fetches feeds for every part of Casewatch: one User-Agent, the address
    policy, a total ``deadline`` per fetch (seconds, redirects included), and
    never more than one request in flight per host.

    ``resolve`` looks host names up (the system resolver unless given)."""

    def __init__(
        self,
        *,
        contact: str,
        allow_private: bool = False,
        max_bytes: int = MAX_BYTES,
        deadline: float = DEADLINE,
        resolve: Resolve = resolve_host,
    ):
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.resolve = resolve
        self._host_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.headers = {
            "User-Agent": USER_AGENT.format(contact=contact),
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
            "Accept-Encoding": "gzip, deflate",
        }

    def _host_lock(self, url: str) -> threading.Lock:
        with self._guard:
            return self._host_locks.setdefault(host_key(url), threading.Lock())

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        host_wait: float | None = None,
    ) -> FetchResult:
        """Fetch ``url`` (conditionally). Raises :class:`FetchError`, or
        :class:`HostBusy` when another request to the host is under way for
        longer than ``host_wait`` seconds (default: one fetch deadline)."""
        headers = dict(self.headers)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        guard = _FetchGuard(resolve=self.resolve, allow_private=self.allow_private, deadline=self.deadline)
        adapter = _GuardedAdapter(guard)
        try:
            return self._follow(url, headers, etag, last_modified, guard, adapter, host_wait)
        finally:
            guard.stop()
            adapter.close()

    def _follow(
        self,
        url: str,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
        guard: _FetchGuard,
        adapter: _GuardedAdapter,
        host_wait: float | None,
    ) -> FetchResult:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_address(current, allow_private=self.allow_private, resolve=self.resolve)
            lock = self._host_lock(current)
            if not lock.acquire(timeout=self.deadline if host_wait is None else max(0.0, host_wait)):
                raise HostBusy(f"another request to {urlsplit(current).hostname} is under way")
            try:
                guard.start()
                result = self._get(current, headers, etag, last_modified, guard, adapter)
            finally:
                lock.release()
            if isinstance(result, FetchResult):
                return result
            current = result
        raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")

    def _timed_out(self, guard: _FetchGuard) -> FetchError:
        return FetchError(f"timed out after {_seconds(self.deadline)}" if guard.expired else "timed out")

    def _get(
        self,
        url: str,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
        guard: _FetchGuard,
        adapter: _GuardedAdapter,
    ) -> FetchResult | str:
        """One request: the result, or the next URL of a redirect."""
        if guard.remaining() <= 0:
            raise self._timed_out(guard)
        timeout = (min(CONNECT_TIMEOUT, guard.remaining()), min(READ_TIMEOUT, guard.remaining()))
        request = requests.Request("GET", url, headers=headers).prepare()
        try:
            response = adapter.send(request, stream=True, timeout=timeout)
        except requests.Timeout as error:
            raise self._timed_out(guard) from error
        except requests.RequestException as error:
            if guard.expired:
                raise self._timed_out(guard) from error
            raise FetchError(f"connection failed ({type(error).__name__})") from error
        with response:
            if response.is_redirect and response.headers.get("Location"):
                return urljoin(url, response.headers["Location"])
            if response.status_code == 304:
                return FetchResult(url, True, b"", etag, last_modified)
            if response.status_code in (429, 503):
                raise FetchError(f"HTTP {response.status_code} (rate limited)", retry_after=_retry_after(response))
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code} {response.reason or ''}".strip())
            try:
                body = _read_capped(response, self.max_bytes)
            except requests.RequestException as error:
                if guard.expired:
                    raise self._timed_out(guard) from error
                raise FetchError(f"connection broke while reading ({type(error).__name__})") from error
            if guard.expired:  # a body read "to the end" because the deadline closed the connection
                raise self._timed_out(guard)
            return FetchResult(
                url=url,
                not_modified=False,
                body=body,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
