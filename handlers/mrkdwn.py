"""Safe Slack mrkdwn from untrusted text.

Slack reads ``<…>`` as links and mentions (``<!channel>``, ``<https://x|label>``)
and ``&`` as the start of an escape; Slack's rule is to escape exactly ``&``,
``<`` and ``>`` in text. Links we build ourselves go through :func:`link`.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit


def escape(text: str | None) -> str:
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    """``<url|label>`` for http(s) URLs; other URLs are dropped, leaving the label."""
    if not url or urlsplit(url).scheme.lower() not in ("http", "https"):
        return escape(label)
    safe_url = quote(url, safe=":/?#[]@!$&'()*+,;=%~.-_")
    safe_url = safe_url.replace("&", "&amp;")
    safe_label = escape(label).replace("|", "¦")
    return f"<{safe_url}|{safe_label}>"


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
