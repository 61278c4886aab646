"""Fetch a feed over HTTP politely and safely.

Conditional GET (ETag / Last-Modified), connect and read timeouts and a total
deadline per fetch (a server dripping a byte every few seconds is cut off), a
cap on the response size, gzip, a descriptive User-Agent with a contact
address, and redirects followed by hand so that every hop is checked against
the address policy (no loopback, private, link-local or metadata hosts, also
in their IPv4-mapped and other IPv6 forms, unless allowed).

The address a connection is made to is the one that was checked: each hop
resolves its host once, refuses it if any address is internal, and connects
to one of those addresses (the Host header, TLS SNI and certificate check
still use the host name), so DNS rebinding between check and connect cannot
slip through. Never more than one request at a time per host; a connection
the server keeps open serves the host's next fetch if it comes within
``IDLE_SECONDS`` (it was made to a checked address).

Built on ``http.client`` over a socket the fetch opens itself, not on
``requests``: per fetch, requests cost about three times the bare request's CPU
(a prepared request, a pool manager and its connection pool, urllib3's
response and a session-less adapter), which at hundreds of 304s a round was
most of a poll. The total deadline needs no timer thread: before every read
and write the socket's timeout is set to the read timeout or the time the
fetch has left, whichever is shorter.
"""

from __future__ import annotations

import functools
import http.client
import io
import ipaddress
import select
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, quote, urljoin, urlsplit

import certifi

from feeds.errors import FetchError, HostBusy

USER_AGENT = "Casewatch/0.1 (compliance feed monitor; contact: {contact})"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
DEADLINE = 60.0
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
# How long a connection the server keeps open waits for the host's next fetch
# (feeds of one host are polled one after another in a round; servers commonly
# close an idle connection after 5 s).
IDLE_SECONDS = 4.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_READ_SIZE = 64 * 1024
# What a request target may hold as is; anything else is percent-encoded (as requests did).
_SAFE_IN_TARGET = "!#$%&'()*+,/:;=?@[]~"
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


def _http_parts(url: str) -> SplitResult:
    """``url`` split, if it is http(s) with a host name (else FetchError)."""
    try:
        parts = urlsplit(url)
    except ValueError as error:  # a bracketed host that is no IPv6 address: https://[docs]/feed.xml
        netloc = url.partition("//")[2].partition("/")[0]
        raise FetchError(f"the URL's host is not a name or an IP address ({netloc[:100]})") from error
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"only http and https feeds are allowed, not {parts.scheme or 'a bare path'}:")
    if not parts.hostname:
        raise FetchError("the URL has no host name")
    return parts


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError as error:
        raise FetchError(f"the URL's port is not a port number ({parts.netloc})") from error
    return port or (443 if parts.scheme.lower() == "https" else 80)


def _checked_addresses(parts: SplitResult, *, allow_private: bool, resolve: Resolve) -> list[str]:
    """The addresses of the URL's host, after refusing them if any is internal (unless allowed)."""
    addresses = _resolved(parts.hostname or "", _port(parts), resolve)
    if not allow_private:
        _refuse_internal(parts.hostname or "", addresses)
    return addresses


def check_address(url: str, *, allow_private: bool, resolve: Resolve = resolve_host) -> None:
    """Refuse non-http(s) URLs, and hosts that resolve to internal addresses.

    A quick check with a clear message (for an admin adding a feed); a fetch
    checks the addresses it connects to itself."""
    parts = _http_parts(url)
    if not allow_private:
        _checked_addresses(parts, allow_private=False, resolve=resolve)


def host_key(url: str) -> str:
    """What "the same host" means for the one-request-per-host rule."""
    return urlsplit(url).netloc.lower()


def _seconds(value: float) -> str:
    return f"{value:g} s"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Certificates checked against certifi's authorities (those requests used), built once."""
    return ssl.create_default_context(cafile=certifi.where())


class _Deadline:
    """One fetch's total time, counted from when the fetch holds its host
    (waiting for the host is not the server's fault), redirects included."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends_at: float | None = None
        self.cut = False  # whether the last wait given out was cut short by the deadline

    def start(self) -> None:
        if self.ends_at is None:
            self.ends_at = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return self.seconds if self.ends_at is None else max(0.0, self.ends_at - time.monotonic())

    def wait(self, limit: float) -> float:
        """How long the next socket operation may wait: ``limit``, or less if
        the deadline comes first. Raises TimeoutError once it has passed."""
        left = self.remaining()
        self.cut = left <= limit
        if left <= 0:
            raise TimeoutError("the fetch deadline has passed")
        return min(limit, left)

    @property
    def expired(self) -> bool:
        return self.cut or self.remaining() <= 0


class _DeadlineSocket:
    """A connected socket as ``http.client`` uses it, whose every read and
    write waits at most the read timeout and never past the fetch's deadline:
    a server that drips a byte at a time is cut off when the deadline comes."""

    def __init__(self, sock: socket.socket, deadline: _Deadline):
        self._sock = sock
        self._deadline = deadline
        self._readers = 0
        self._closed = False

    def _arm(self) -> None:
        self._sock.settimeout(self._deadline.wait(READ_TIMEOUT))

    def serve(self, deadline: _Deadline) -> None:
        """Count this socket's waits against another fetch's deadline (a connection kept alive)."""
        self._deadline = deadline

    def ended_while_idle(self) -> bool:
        """Whether the server closed the connection (or sent something unasked) since its last answer."""
        readable, _, _ = select.select([self._sock], [], [], 0)
        return bool(readable)

    def sendall(self, data: bytes) -> None:
        self._arm()
        self._sock.sendall(data)

    def recv_into(self, buffer: memoryview | bytearray) -> int:
        self._arm()
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(_SocketReader(self))

    def close(self) -> None:
        """Close the socket once no response reads from it any more (as
        ``socket.makefile`` does: http.client closes the connection of a
        response that ends with it before the body is read)."""
        self._closed = True
        if not self._readers:
            self._sock.close()

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closed and not self._readers:
            self._sock.close()


class _SocketReader(io.RawIOBase):
    """The raw stream under a response's buffered reader."""

    def __init__(self, sock: _DeadlineSocket):
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


class _HTTPConnection(http.client.HTTPConnection):
    """http.client's request and response handling over a socket the fetch opened."""


class _HTTPSConnection(http.client.HTTPConnection):
    default_port = 443  # the Host header leaves 443 out (the socket is TLS already)


class _Decoder:
    """The body as sent (gzip and deflate undone, a gzip body of several members
    too), never more than ``limit`` bytes of it: a small compressed body that
    unpacks to gigabytes stops at the limit."""

    def __init__(self, encoding: str, limit: int):
        self.encoding = encoding.strip().lower()
        self.limit = limit
        self.size = 0
        self._gzip = self.encoding in ("gzip", "x-gzip")
        self._members_done = 0
        self._unpack: zlib._Decompress | None
        if self._gzip:
            self._unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._unpack = zlib.decompressobj()
        else:  # identity, or an encoding we did not ask for: kept as sent
            self._unpack = None
        self._raw_deflate = False

    def feed(self, data: bytes) -> bytes:
        if self._unpack is None:
            return self._counted(data)
        unpacked = []
        while data:
            try:
                unpacked.append(self._counted(self._unpack.decompress(data, self.limit - self.size + 1)))
            except zlib.error as error:
                if self._members_done:  # trailing bytes after a whole gzip body: ignored, as browsers do
                    self._unpack = None
                    break
                if self.encoding != "deflate" or self._raw_deflate or self.size:
                    raise FetchError(f"the {self.encoding} body cannot be decoded") from error
                self._raw_deflate = True  # "deflate" sent without its zlib header, as some servers do
                self._unpack = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            if not (self._gzip and self._unpack.eof and self._unpack.unused_data):
                break
            data = self._unpack.unused_data  # the next member of the gzip body
            self._members_done += 1
            self._unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return b"".join(unpacked)

    def finish(self) -> bytes:
        return self._counted(self._unpack.flush()) if self._unpack is not None else b""

    def _counted(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.limit:
            raise FetchError(f"response too large (over {self.limit:,} bytes)")
        return data


def _retry_after(headers: Message) -> float | None:
    """The seconds a 429's or 503's ``Retry-After`` asks us to wait: a number of
    seconds or an HTTP date; None when it asks for nothing (absent, unreadable, past)."""
    value = (headers.get("Retry-After") or "").strip()
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


def _read_capped(response: http.client.HTTPResponse, limit: int) -> bytes:
    declared = response.getheader("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(f"response too large ({int(declared):,} bytes; the limit is {limit:,})")
    decoder = _Decoder(response.getheader("Content-Encoding", ""), limit)
    chunks = []
    while chunk := response.read1(_READ_SIZE):
        chunks.append(decoder.feed(chunk))
    chunks.append(decoder.finish())
    return b"".join(chunks)


def _target(parts: SplitResult) -> str:
    """The request target: path and query, percent-encoded where they must be."""
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return quote(target, safe=_SAFE_IN_TARGET)


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
        # Connections the servers keep open, by scheme and host, with when each went idle.
        self._idle: dict[str, tuple[http.client.HTTPConnection, float]] = {}
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
        deadline = _Deadline(self.deadline)
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            parts = _http_parts(current)
            lock = self._host_lock(current)
            if not lock.acquire(timeout=self.deadline if host_wait is None else max(0.0, host_wait)):
                raise HostBusy(f"another request to {parts.hostname} is under way")
            try:
                deadline.start()
                result = self._get(current, parts, headers, etag, last_modified, deadline)
            finally:
                lock.release()
            if isinstance(result, FetchResult):
                return result
            current = result
        raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")

    def _timed_out(self, deadline: _Deadline) -> FetchError:
        return FetchError(f"timed out after {_seconds(self.deadline)}" if deadline.expired else "timed out")

    def _connect(self, parts: SplitResult, addresses: list[str], deadline: _Deadline) -> http.client.HTTPConnection:
        """A connection to the first of the checked ``addresses`` that answers (TLS for https)."""
        host, port = parts.hostname or "", _port(parts)
        last_error: OSError | None = None
        for address in addresses:
            try:
                sock = socket.create_connection((address, port), deadline.wait(CONNECT_TIMEOUT))
            except OSError as error:  # refused, unreachable or timed out: the next address
                last_error = error
                continue
            try:
                if parts.scheme.lower() == "https":
                    sock.settimeout(deadline.wait(READ_TIMEOUT))
                    sock = _tls_context().wrap_socket(sock, server_hostname=host)
                    connection: http.client.HTTPConnection = _HTTPSConnection(host, port)
                else:
                    connection = _HTTPConnection(host, port)
            except BaseException:
                sock.close()
                raise
            connection.sock = _DeadlineSocket(sock, deadline)  # type: ignore[assignment]
            return connection
        raise last_error or OSError(f"no address of {host} to connect to")

    def _kept(self, key: str) -> http.client.HTTPConnection | None:
        """The connection kept open to ``key`` (scheme and host), unless it has
        been idle too long or the server closed it; closes the others gone stale."""
        now = time.monotonic()
        with self._guard:
            stale = [other for other, (_, since) in self._idle.items() if now - since > IDLE_SECONDS]
            closing = [self._idle.pop(other)[0] for other in stale]
            kept = self._idle.pop(key, None)
        for connection in closing:
            connection.close()
        if kept is None:
            return None
        connection = kept[0]
        if connection.sock.ended_while_idle():  # type: ignore[union-attr]
            connection.close()
            return None
        return connection

    def _keep(self, key: str, connection: http.client.HTTPConnection) -> None:
        with self._guard:
            self._idle[key] = (connection, time.monotonic())

    def _get(
        self,
        url: str,
        parts: SplitResult,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
        deadline: _Deadline,
    ) -> FetchResult | str:
        """One request (on the host's kept connection, else a new one to a
        checked address): the result, or the next URL of a redirect."""
        if deadline.remaining() <= 0:
            raise self._timed_out(deadline)
        key = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        connection = self._kept(key)
        response = self._ask_again(connection, parts, headers, deadline) if connection is not None else None
        if connection is None or response is None:
            addresses = _checked_addresses(parts, allow_private=self.allow_private, resolve=self.resolve)
            connection, response = self._ask(parts, addresses, headers, deadline)
        keep = False
        try:
            with response:
                result = self._answer(url, response, etag, last_modified, deadline)
                keep = isinstance(result, FetchResult) and not response.will_close  # its answer read to the end
            return result
        finally:
            if keep:
                self._keep(key, connection)
            else:
                connection.close()

    def _ask_again(
        self, connection: http.client.HTTPConnection, parts: SplitResult, headers: dict[str, str], deadline: _Deadline
    ) -> http.client.HTTPResponse | None:
        """The answer on a kept connection, or None (and the connection closed)
        if the server closed it before answering: then the request goes again on
        a new one (a GET may be repeated)."""
        connection.sock.serve(deadline)  # type: ignore[union-attr]
        try:
            return self._request(connection, parts, headers, deadline)
        except FetchError as error:
            if not isinstance(error.__cause__, ConnectionError):
                connection.close()
                raise
        connection.close()
        return None

    def _ask(
        self, parts: SplitResult, addresses: list[str], headers: dict[str, str], deadline: _Deadline
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """A new connection to a checked address, and its answer."""
        try:
            connection = self._connect(parts, addresses, deadline)
        except TimeoutError as error:
            raise self._timed_out(deadline) from error
        except (OSError, ValueError) as error:
            raise FetchError(f"connection failed ({type(error).__name__})") from error
        try:
            return connection, self._request(connection, parts, headers, deadline)
        except BaseException:
            connection.close()
            raise

    def _request(
        self, connection: http.client.HTTPConnection, parts: SplitResult, headers: dict[str, str], deadline: _Deadline
    ) -> http.client.HTTPResponse:
        try:
            connection.putrequest("GET", _target(parts), skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            return connection.getresponse()
        except TimeoutError as error:
            raise self._timed_out(deadline) from error
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise FetchError(f"connection failed ({type(error).__name__})") from error

    def _answer(
        self,
        url: str,
        response: http.client.HTTPResponse,
        etag: str | None,
        last_modified: str | None,
        deadline: _Deadline,
    ) -> FetchResult | str:
        location = response.getheader("Location")
        if response.status in _REDIRECTS and location:
            return urljoin(url, location)
        if response.status == 304:
            return FetchResult(url, True, b"", etag, last_modified)
        if response.status in (429, 503):
            raise FetchError(f"HTTP {response.status} (rate limited)", retry_after=_retry_after(response.headers))
        if response.status >= 400:
            raise FetchError(f"HTTP {response.status} {response.reason or ''}".strip())
        try:
            body = _read_capped(response, self.max_bytes)
        except TimeoutError as error:
            raise self._timed_out(deadline) from error
        except (OSError, http.client.HTTPException) as error:
            raise FetchError(f"connection broke while reading ({type(error).__name__})") from error
        return FetchResult(
            url=url,
            not_modified=False,
            body=body,
            etag=response.getheader("ETag"),
            last_modified=response.getheader("Last-Modified"),
        )
