"""Safe Slack mrkdwn from untrusted text, within Slack's limits.

Slack reads ``<…>`` as links and mentions (``<!channel>``, ``<https://x|label>``)
and ``&`` as the start of an escape; Slack's rule is to escape exactly ``&``,
``<`` and ``>`` in text. Links we build ourselves go through :func:`link`.

Slack refuses a whole message (``invalid_blocks``, ``msg_too_long``) when one
field is over its limit, so every field is capped by construction: lengths are
counted as Slack may count them (UTF-16 code units, escapes included), text is
cut between characters and never inside an escape or a link, and lists are cut
on whole entries (:func:`join_within`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, time
from urllib.parse import quote, urlsplit

TEXT_LIMIT = 3000  # a section's text, a context element's text
HEADER_LIMIT = 150  # a header's plain_text
FALLBACK_LIMIT = 40_000  # a message's ``text``
BLOCKS_LIMIT = 50
CONTEXT_ELEMENTS_LIMIT = 10
LINK_URL_LIMIT = 1000  # longer links are shown as their label and host, unlinked
LABEL_CHARS = 300
ELLIPSIS = "…"
_MORE_ROOM = 30  # room kept for "…and N more"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{2,20}$")


def slack_length(text: str) -> int:
    """Length in UTF-16 code units: never less than Slack's count of characters."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2  # in C: a per-character loop cost ~0.5 ms a /case


def escape(text: str | None, limit: int | None = None) -> str:
    """``text`` with ``&``, ``<`` and ``>`` escaped; with ``limit``, cut (with
    an ellipsis) so that the escaped text is at most ``limit`` long."""
    if not text:
        return ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if limit is None or slack_length(escaped) <= limit:
        return escaped
    kept: list[str] = []
    used = 0
    for char in text:
        piece = _ESCAPES.get(char, char)
        used += slack_length(piece)
        if used > limit - 1:
            break
        kept.append(piece)
    return "".join(kept).rstrip() + ELLIPSIS


def unescape(text: str) -> str:
    """The text :func:`escape` was given (uncut)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# An http(s) URL with a plain host whose every character ``quote`` keeps: most links, which then need
# neither ``urlsplit`` nor ``quote`` (~20 us a link; a /case answer has 15).
_PLAIN_HTTP_URL = re.compile(r"https?://[a-z0-9.-]+(?::[0-9]*)?(?:[/?#][a-z0-9_.~:/?#\[\]@!$&'()*+,;=%-]*)?", re.I)
_LINK_SAFE = ":/?#[]@!$&'()*+,;=%~.-_"


def _linkable(url: str | None) -> str | None:
    """``url`` made safe inside ``<…|…>``, or None if it is not an http(s) URL with a host."""
    if url and _PLAIN_HTTP_URL.fullmatch(url):  # most links: nothing to parse or quote
        return url.replace("&", "&amp;")
    return _linkable_by_parsing(url)


def _linkable_by_parsing(url: str | None) -> str | None:
    """:func:`_linkable` for any text: parsed, checked, and quoted."""
    try:
        parts = urlsplit(url or "")
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
    except ValueError:
        return None
    return quote(url or "", safe=_LINK_SAFE).replace("&", "&amp;")


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def link(url: str | None, label: str, *, label_limit: int = LABEL_CHARS) -> str:
    """``<url|label>`` for http(s) URLs; other URLs are dropped, leaving the
    label. A URL longer than :data:`LINK_URL_LIMIT` is shown as the label and
    its host, unlinked, so that one link cannot push a block over its limit."""
    shown = escape(label, label_limit).replace("|", "¦")
    safe_url = _linkable(url)
    if safe_url is None:
        return shown
    if slack_length(safe_url) > LINK_URL_LIMIT:
        host = escape(_host(url or ""), 100)
        return f"{shown} ({host})" if host else shown
    return f"<{safe_url}|{shown}>"


def truncate(text: str, limit: int) -> str:
    """Plain (not yet escaped) text cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def cut(mrkdwn: str, limit: int) -> str:
    """Built mrkdwn cut to ``limit`` (with an ellipsis), never inside an
    escape (``&amp;``) or a link (``<url|label>``)."""
    if slack_length(mrkdwn) <= limit:
        return mrkdwn
    end = used = 0
    while used + slack_length(mrkdwn[end]) <= limit - 1:
        used += slack_length(mrkdwn[end])
        end += 1
    head = mrkdwn[:end]
    opening = head.rfind("<")
    if opening > head.rfind(">"):
        head = head[:opening]
    ampersand = head.rfind("&")
    if ampersand >= 0 and ";" not in head[ampersand:]:
        head = head[:ampersand]
    return head.rstrip() + ELLIPSIS


def join_within(parts: Sequence[str], limit: int, *, separator: str = "\n") -> str:
    """Whole ``parts`` (built mrkdwn) joined by ``separator``, as many as fit in
    ``limit``, then "…and N more"; a first part too long on its own is cut
    with :func:`cut`. Never cuts through a link or an escape."""
    joined = separator.join(parts)
    if slack_length(joined) <= limit:
        return joined
    room = limit - _MORE_ROOM
    kept: list[str] = []
    used = 0
    for part in parts:
        used += slack_length(part) + (slack_length(separator) if kept else 0)
        if used > room:
            break
        kept.append(part)
    if not kept:
        kept = [cut(parts[0], room)]
    left_out = len(parts) - len(kept)
    return separator.join(kept + ([f"{ELLIPSIS}and {left_out} more"] if left_out else []))


DAY_FORMAT = "{date_short}"
DAY_AND_TIME_FORMAT = "{date_short} {time}"


def _instant(iso: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def slack_date(iso: str | None, *, with_time: bool = False, missing: str = "undated") -> str:
    """``<!date^1719576000^{date_short}|2024-06-28>``: Slack shows the date (and,
    ``with_time``, the time) in each reader's own time zone; the fallback, for
    clients that cannot, is in UTC. A day alone (``2024-06-28``, or midnight UTC,
    as feeds that give no time are stored) is read at noon UTC, so that it is
    the same day for readers from UTC-11 to UTC+11. Text that is not a date is
    shown escaped; no date at all is ``missing``."""
    if not iso:
        return missing
    moment = _instant(iso)
    if moment is None:
        return escape(iso, 40)
    moment = moment.astimezone(UTC)
    if not with_time and moment.time() == time(0, 0):
        moment = moment.replace(hour=12)
    if with_time:
        return f"<!date^{int(moment.timestamp())}^{DAY_AND_TIME_FORMAT}|{moment:%Y-%m-%d %H:%M} UTC>"
    return f"<!date^{int(moment.timestamp())}^{DAY_FORMAT}|{moment:%Y-%m-%d}>"


def mention_user(user_id: str) -> str:
    """``<@U0001>`` for a Slack user id; anything else escaped, never a mention."""
    return f"<@{user_id}>" if _SLACK_ID.match(user_id) else escape(user_id)


def mention_channel(channel_id: str) -> str:
    """``<#C0001>`` for a Slack channel id; anything else escaped."""
    return f"<#{channel_id}>" if _SLACK_ID.match(channel_id) else escape(channel_id)
