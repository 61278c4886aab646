"""Fetch a feed over HTTP politely and safely.

Conditional GET (ETag / Last-Modified), connect and read timeouts, a cap on
the response size, gzip, a descriptive User-Agent with a contact address, and
redirects followed by hand so that every hop is checked against the address
policy (no loopback, private, link-local or metadata hosts unless allowed).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

USER_AGENT = "Casewatch/0.1 (compliance feed monitor; contact: {contact})"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5


class FetchError(Exception):
    """The feed could not be fetched; ``str()`` is a short reason for people."""

    def __init__(self, reason: str, *, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchResult:
    url: str
    not_modified: bool
    body: bytes
    etag: str | None
    last_modified: str | None


def check_address(url: str, *, allow_private: bool) -> None:
    """Refuse non-http(s) URLs, and hosts that resolve to internal addresses."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"only http and https feeds are allowed, not {parts.scheme or 'a bare path'}:")
    if not parts.hostname:
        raise FetchError("the URL has no host name")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise FetchError(f"cannot resolve {parts.hostname}: {error.strerror}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise FetchError(
                f"{parts.hostname} resolves to an internal address ({address}); "
                "set CASEWATCH_ALLOW_PRIVATE_FEEDS=1 to allow it"
            )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


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
    """One HTTP session for all feeds (connection reuse, one User-Agent), and
    never more than one request in flight per host."""

    def __init__(self, *, contact: str, allow_private: bool = False, max_bytes: int = MAX_BYTES):
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self._host_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.session = requests.Session()
        self.session.headers.update(
            {
                "User-Agent": USER_AGENT.format(contact=contact),
                "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1",
                "Accept-Encoding": "gzip, deflate",
            }
        )

    def _host_lock(self, url: str) -> threading.Lock:
        with self._guard:
            return self._host_locks.setdefault(urlsplit(url).netloc.lower(), threading.Lock())

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_address(current, allow_private=self.allow_private)
            with self._host_lock(current):
                result = self._get(current, headers, etag, last_modified)
            if isinstance(result, FetchResult):
                return result
            current = result
        raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")

    def _get(self, url: str, headers: dict, etag: str | None, last_modified: str | None) -> FetchResult | str:
        """One request: the result, or the next URL of a redirect."""
        try:
            response = self.session.get(
                url, headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), allow_redirects=False, stream=True
            )
        except requests.Timeout:
            raise FetchError("timed out") from None
        except requests.RequestException as error:
            raise FetchError(f"connection failed ({type(error).__name__})") from None
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
                raise FetchError(f"connection broke while reading ({type(error).__name__})") from None
            return FetchResult(
                url=url,
                not_modified=False,
                body=body,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
