"""Read CourtListener docket feeds (``https://www.courtlistener.com/docket/<id>/feed/``).

Their shape, from CourtListener's ``cl/opinion_page/feeds.py`` (``DocketFeed``):
an Atom feed titled ``Docket updates for <case name>, <docket number>``; one
entry per docket entry, titled ``Entry #<n> in <case name>, <docket number>``
or ``Minute entry from <date> in <case name>, <docket number>``; the summary is
the entry's text; the link (also the id) is the docket page with
``#entry-<n>`` or ``#minute-entry-<pk>``; the date is midnight US/Pacific of
the filing day, which many entries share. The case name is cut at 100
characters with ``...``. The feed does not name the court: that comes from
the catalog entry of the feed (the docket page's court).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_HOST = re.compile(r"(?:^|\.)courtlistener\.com$", re.I)
_DOCKET_PATH = re.compile(r"^/docket/(?P<id>[0-9]+)/")
_ENTRY_ANCHOR = re.compile(r"^(?:minute-)?entry-(?P<number>[0-9]+)$")
_TITLE = re.compile(
    r"^\s*(?:Docket\s+updates\s+for|Entry\s+#(?P<number>[0-9]+)\s+in|Minute\s+entry\s+from\s+\S+\s+in)\s+(?P<rest>.+?)\s*$",
    re.I,
)
_TRAILING_DOCKET = re.compile(r",\s*(?P<docket>(?:[0-9]:)?[0-9]{2}-[0-9A-Za-z-]+)\s*$")


@dataclass(frozen=True)
class DocketEntry:
    """One entry of a CourtListener docket feed."""

    case_name: str | None
    docket_number: str | None
    entry_number: int | None


def _host(url: str) -> str:
    return (urlsplit(url.strip()).hostname or "").lower()


def is_courtlistener_feed(urls: str) -> bool:
    """Whether any address in ``urls`` (space-separated) is a CourtListener docket feed."""
    return any(_HOST.search(_host(url)) and _DOCKET_PATH.match(urlsplit(url).path) for url in urls.split())


def is_entry_link(link: str | None) -> bool:
    """Whether ``link`` is a CourtListener docket entry's own address: such a
    link identifies the entry, so the item is stored under it alone."""
    if not link or not _HOST.search(_host(link)):
        return False
    parts = urlsplit(link)
    return bool(_DOCKET_PATH.match(parts.path) and _ENTRY_ANCHOR.match(parts.fragment))


def split_case_title(text: str) -> tuple[str | None, str | None]:
    """``<case name>, <docket number>`` (either may be missing) → (case name, docket number)."""
    text = text.strip()
    docket = _TRAILING_DOCKET.search(text)
    if docket:
        return text[: docket.start()].strip() or None, docket["docket"]
    return text or None, None


def read_entry(*, title: str, link: str, feed_title: str) -> DocketEntry:
    """The case and entry number of one item; the feed's title names the case
    in full when an item's title is missing or cut short."""
    item_title, feed_case = _TITLE.match(title), _TITLE.match(feed_title)
    case_name, docket = split_case_title(item_title["rest"]) if item_title else (None, None)
    full_name, full_docket = split_case_title(feed_case["rest"]) if feed_case else (None, None)
    if full_name and (not case_name or case_name.endswith("...")):
        case_name = full_name
    if case_name and case_name.endswith("..."):
        case_name = case_name[:-3].rstrip(" ,")
    number = item_title["number"] if item_title and item_title["number"] else None
    if number is None:
        anchor = _ENTRY_ANCHOR.match(urlsplit(link).fragment) if link else None
        number = anchor["number"] if anchor and not urlsplit(link).fragment.startswith("minute-") else None
    return DocketEntry(
        case_name=case_name, docket_number=docket or full_docket, entry_number=int(number) if number else None
    )
