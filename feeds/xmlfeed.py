"""Read a plain RSS or Atom document the way feedparser reads it, in a fraction of its time.

feedparser calls a Python method for every element and every piece of text
(about 0.35 ms an item even without its sanitiser). This reader builds the
tree with ``xml.etree.ElementTree`` (expat, in C) and reads only what
``feeds.parse`` uses: each entry's title, summary, id, link, author and
dates, and the feed's title and link, as feedparser would give them
(``feeds.parse`` then cleans them the same way, whichever reader read them).

It is exact or it declines: :func:`read_feed` returns None, and feedparser
reads the document, for anything it does not know feedparser's answer to:
XML that is not well-formed (feedparser then recovers what it can), a
DOCTYPE or ENTITY declaration (never expanded here), an encoding other than
UTF-8 or ISO-8859-1, ``xml:base`` below the root, an unknown root, an element or attribute whose effect on
feedparser's result is not modelled here (Atom ``xhtml`` or base64 content,
``<source>``, iTunes or Media RSS elements, nested markup in a text field,
an element in an unknown default namespace …). ``tests/test_xmlfeed.py``
compares both readers on every feed file of the repository and on generated
documents.
"""

from __future__ import annotations

import contextlib
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.datetimes.rfc822 import timezone_names
from feedparser.encodings import RE_XML_PI_ENCODING
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from feedparser.util import FeedParserDict

__all__ = ["Entry", "RawFeed", "explain_doubt", "parse_date", "read_feed", "relative_id"]

Entry = dict[str, Any]
"""An entry with feedparser's keys (those ``feeds.parse`` reads), a plain dict."""


@dataclass(frozen=True)
class RawFeed:
    """The feed's title and link and its entries, as feedparser gives them."""

    title: str | None
    link: str | None
    entries: list[Entry]


class _Doubt(Exception):
    """The document holds something whose reading by feedparser is not modelled here."""


# feedparser's namespace table: a known URI's elements are named by its standard prefix
# ('' for RSS and Atom); an unknown URI's by the prefix the document gives it.
_KNOWN_NAMESPACES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_STANDARD_PREFIXES = frozenset(_KNOWN_NAMESPACES.values())
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*:")
_XML_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_BASE_ATTRIBUTE = re.compile(rb"base\s*=")
# The usual RFC 822 date, which feedparser's first date reader (W3DTF) never reads and its second does.
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d\d):(\d\d):(\d\d) ([A-Z]{1,4}|[+-]\d{4})"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_C1_CONTROL = re.compile("[\x80-\x9f]")
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_QUERY_FIX = re.compile("&([A-Za-z0-9_]+);")

_TITLE = frozenset({"title", "dc_title"})
_SUMMARY = frozenset({"description", "summary", "dc_description"})
_CONTENT = {"content_encoded": "text/html", "content": "text/plain"}  # default content types
_ID = frozenset({"guid", "id"})
_PUBLISHED = frozenset({"pubdate", "published", "issued", "dcterms_issued"})
_UPDATED = frozenset({"updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"})
_AUTHOR = frozenset({"author", "dc_creator", "dc_author", "managingeditor"})
_PERSON_PARTS = frozenset({"name", "email", "uri"})
_CONTENT_TYPES = {"text": "text/plain", "plain": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml"}
_READABLE_TYPES = frozenset({"text/plain", "text/html"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Elements with a feedparser handler that touches nothing read here (when they hold no elements).
_HARMLESS = frozenset(
    {
        "category",
        "dc_subject",
        "enclosure",
        "media_content",
        "dc_publisher",
        "dc_language",
        "dc_rights",
        "language",
        "rights",
        "copyright",
        "created",
        "dcterms_created",
        "expirationdate",
        "cloud",
        "generator",
        "webmaster",
    }
)
# And in a channel (where a description is the feed's subtitle, an author the feed's).
_FEED_HARMLESS = _HARMLESS | {
    "description",
    "dc_description",
    "subtitle",
    "tagline",
    "pubdate",
    "lastbuilddate",
    "published",
    "updated",
    "modified",
    "dc_date",
    "author",
    "dc_creator",
    "managingeditor",
}
# Keys feedparser keeps in an entry that an element without a handler must not overwrite.
_RESERVED_KEYS = frozenset(
    {
        "title",
        "summary",
        "subtitle",
        "id",
        "link",
        "links",
        "author",
        "authors",
        "published",
        "updated",
        "content",
        "tags",
        "contributors",
        "source",
        "guidislink",
        "media_content",
        "media_thumbnail",
    }
)
_IMAGE_PARTS = frozenset({"title", "link", "url", "width", "height", "description", "name"})


def read_feed(body: bytes, base_url: str) -> RawFeed | None:
    """The feed in ``body`` (fetched from ``base_url``) as ``feeds.parse`` has
    feedparser read it, or None when this reader is not sure."""
    try:
        return _read(body, base_url)
    except (_Doubt, ET.ParseError, ValueError, UnicodeError):
        return None


def explain_doubt(body: bytes, base_url: str) -> str | None:
    """Why :func:`read_feed` leaves ``body`` to feedparser (None if it does not)."""
    try:
        _read(body, base_url)
    except (_Doubt, ET.ParseError, ValueError, UnicodeError) as error:
        return f"{type(error).__name__}: {error}" if not isinstance(error, _Doubt) else str(error)
    return None


def relative_id(entry: Entry) -> bool:
    """An entry id without a scheme: feedparser resolves it against the feed's
    address when given one (``Content-Location``), and items are stored under it."""
    guid = entry.get("id")
    return bool(guid) and not _SCHEME.match(guid)


def _read(body: bytes, base_url: str) -> RawFeed:
    declared = _check_plain(body)
    feed = _Reader(body, "").read()
    if any(relative_id(entry) for entry in feed.entries):
        # feeds.parse has feedparser read it again, given the feed's address (Content-Location);
        # with a header but no Content-Type, feedparser reads an undeclared encoding as ISO-8859-1.
        if not declared and not body.isascii():
            raise _Doubt("a relative guid in a document of undeclared encoding")
        feed = _Reader(body, base_url).read()
    return feed


def _check_plain(body: bytes) -> bool:
    """UTF-8 (declared or by default) or ISO-8859-1, no byte-order mark, no DOCTYPE or ENTITY
    declaration, no ``xml:base``: a document both readers decode alike."""
    if not body.startswith(b"<"):
        raise _Doubt("does not begin with '<' (a byte-order mark, white space, not XML)")
    if b"\x00" in body:
        # UTF-16 or UTF-32 without a byte-order mark (expat would detect it): the DOCTYPE test below reads ASCII bytes.
        raise _Doubt("a NUL byte (UTF-16 or UTF-32, or not text)")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise _Doubt("a DOCTYPE or ENTITY declaration")
    if len(_BASE_ATTRIBUTE.findall(body)) > 1:
        raise _Doubt("xml:base (or a base attribute) that may not be the root's")  # or text that looks like one
    declared = _XML_DECLARATION.match(body[: body.find(b">") + 1])
    encoding = declared[1].lower() if declared else None
    # feedparser decodes by what its own pattern finds (no spaces around '=', the last one on the line).
    found = RE_XML_PI_ENCODING.match(body)
    if encoding != (found[1].lower() if found else None):
        raise _Doubt("an XML declaration feedparser reads otherwise")
    if encoding not in (None, b"utf-8", b"iso-8859-1"):
        raise _Doubt(f"encoding {encoding.decode(errors='replace')}")
    return encoding is not None


def _popped(text: str | None) -> str:
    """What feedparser's ``pop`` makes of an element's text: stripped, then
    latin-1-read UTF-8 repaired and Windows-1252 control characters mapped."""
    text = (text or "").strip()
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    # translate() looks every character up: only when there is one to map.
    return text.translate(_cp1252) if _C1_CONTROL.search(text) else text


def parse_date(text: str) -> time.struct_time | None:
    """feedparser's ``_parse_date``: the UTC time of a date, or None; the usual RFC 822 form read here."""
    usual = _RFC822.fullmatch(text)
    if usual is not None:
        day, month, year, hour, minute, second, zone = usual.groups()
        if zone[0] in "+-":
            sign = -1 if zone[0] == "-" else 1
            offset = timedelta(hours=sign * int(zone[1:3]), minutes=sign * int(zone[3:]))
        elif zone.lower() in timezone_names:
            offset = timedelta(hours=timezone_names[zone.lower()])
        else:
            return _parse_date(text)
        try:
            stamp = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))  # noqa: DTZ001
            return (stamp - offset).utctimetuple()
        except (ValueError, OverflowError):
            pass
    return _parse_date(text)


def _query_fixed(link: str) -> str:
    """feedparser's repair of ``?a=1&b;=2`` in a link element's text."""
    return _QUERY_FIX.sub(r"&\1", link) if "&" in link else link


def _person(name: str | None, email: str | None) -> str:
    """feedparser's ``author`` for an Atom person."""
    if name and email:
        return f"{name} ({email})"
    return name or email or ""


class _Reader:
    def __init__(self, body: bytes, content_location: str) -> None:
        self.has_base_attribute = _BASE_ATTRIBUTE.search(body) is not None
        parser = ET.XMLPullParser(events=("start-ns", "start"))
        parser.feed(body)
        parser.close()
        self.root: ET.Element | None = None
        declared: list[tuple[str, str]] = []
        events = parser.read_events()
        for event, value in events:
            if event == "start-ns":
                declared.append(value)
            else:
                self.root = value
                break
        if len(declared) != body.count(b"xmlns"):
            # Declarations below the root (or "xmlns" in text): read every event.
            declared.extend(value for event, value in events if event == "start-ns")
        self.prefixes = self._prefixes(declared)
        self.names: dict[str, str] = {}
        self.base = self._base(content_location)

    def _base(self, content_location: str) -> str:
        """The base URI feedparser resolves links and ids against: the address it
        was given, then the root's ``xml:base``; one for the whole document."""
        if self.root is None:
            raise _Doubt("no root")
        # At most one "base=" in the document (_check_plain): the root's, or one below it.
        given = self.root.get(_XML_BASE, self.root.get("base"))
        if given is None and self.has_base_attribute:
            raise _Doubt("xml:base below the root")
        base = _base_at(content_location, given)
        if _base_at(base, None) != base:
            raise _Doubt(f"base {base!r} changes from element to element")
        return base

    def resolve(self, uri: str) -> str:
        """feedparser's ``resolve_uri``: ``_urljoin``, which without a base only
        drops the slashes after ``scheme://`` (``https:///x`` → ``https://x``)."""
        if not self.base and ":///" not in uri:
            return uri
        return _urljoin(self.base, uri)

    @staticmethod
    def _prefixes(declared: list[tuple[str, str]]) -> dict[str, str]:
        """The prefix feedparser names each unknown namespace's elements by."""
        unknown: dict[str, set[str]] = {}
        bound: dict[str, set[str]] = {}
        known_prefixes = set()  # as declared: feedparser maps them to standard ones, whatever else they name
        for prefix, uri in declared:
            if not uri:
                continue
            lower = uri.lower()
            if "backend.userland.com/rss" in lower:
                raise _Doubt("userland namespace")
            standard = _KNOWN_NAMESPACES.get(lower)
            if prefix and prefix in _STANDARD_PREFIXES and standard != prefix:
                raise _Doubt(f"prefix {prefix} names another namespace")
            bound.setdefault(prefix, set()).add(lower)
            if standard is None:
                unknown.setdefault(uri, set()).add(prefix)
            else:
                known_prefixes.add(prefix)
        if any(len(uris) > 1 for uris in bound.values()):
            raise _Doubt("a prefix bound to two namespaces")
        prefixes = {}
        for uri, given in unknown.items():
            if len(given) != 1 or "" in given:
                raise _Doubt(f"unknown namespace {uri} as default or under two prefixes")
            prefix = given.pop().lower()
            if prefix in known_prefixes:
                raise _Doubt(f"unknown namespace {uri} under a prefix feedparser maps to a known one")
            prefixes[uri] = prefix
        return prefixes

    def name(self, tag: str) -> str:
        """An element's name as feedparser's handlers see it (``dc_creator``, ``title``)."""
        known = self.names.get(tag)
        if known is not None:
            return known
        if tag[0] == "{":
            uri, local = tag[1:].split("}", 1)
            prefix = _KNOWN_NAMESPACES.get(uri.lower())
            if prefix is None:
                prefix = self.prefixes.get(uri)
                if prefix is None:
                    raise _Doubt(f"undeclared namespace {uri}")
            name = f"{prefix}_{local.lower()}" if prefix else local.lower()
        else:
            name = tag.lower()
        self.names[tag] = name
        return name

    def read(self) -> RawFeed:
        root = self.root
        if root is None:
            raise _Doubt("no root")
        kind = self.name(root.tag)
        if kind == "rss":
            channels = [self._expect(child, "channel") for child in root]
            if len(channels) != 1:
                raise _Doubt("not one channel")
            return self._feed(channels[0], [])
        if kind == "rdf_rdf":
            return self._rdf(root)
        if kind == "feed":
            return self._feed(root, [])
        raise _Doubt(f"root {kind}")

    def _expect(self, element: ET.Element, name: str) -> ET.Element:
        if self.name(element.tag) != name:
            raise _Doubt(f"{element.tag} where {name} was expected")
        return element

    def _rdf(self, root: ET.Element) -> RawFeed:
        """RSS 1.0 (and 0.90): the channel, and the items beside it."""
        feed = None
        entries: list[Entry] = []
        for child in root:
            name = self.name(child.tag)
            if name in ("item", "entry"):
                entries.append(self._entry(child))
            elif name == "channel" and feed is None:
                feed = self._feed(child, entries)
            elif name in ("image", "textinput"):
                self._image(child)
            else:
                raise _Doubt(f"{name} in rdf:RDF")
        if feed is None:
            raise _Doubt("no channel")
        return RawFeed(feed.title, feed.link, entries)

    def _feed(self, channel: ET.Element, entries: list[Entry]) -> RawFeed:
        """The channel's (or Atom feed's) title and link, and its entries."""
        attributes = self._attributes(channel)
        if "href" in attributes or "lastmod" in attributes:
            raise _Doubt("CDF attributes")
        title: str | None = None
        title_blocked = False  # feedparser keeps a feed's first title that is not empty
        link: str | None = None
        has_link = False
        for child in channel:
            name = self.name(child.tag)
            if name in ("item", "entry"):
                entries.append(self._entry(child))
                title_blocked = False
            elif name in _TITLE:
                value = self._text(child, "text/plain")
                if not title_blocked:
                    title = value
                title_blocked = title_blocked or bool(value)
            elif name == "link":
                href = self._link_href(child)
                if href is None:
                    link, has_link = _query_fixed(self._link_text(child)), True
                elif href[0]:
                    link, has_link = href[1], True
            elif name in _ID:
                value, is_link = self._id(child)
                if is_link and not has_link:
                    link, has_link = value, True
            elif name in ("image", "textinput"):
                self._image(child)
                title_blocked = False
            elif name in ("author", "contributor") and len(child):
                self._person(child)
            elif name == "items" and all(self._in_rdf(part) for part in child.iter() if part is not child):
                continue
            else:
                self._harmless(child, name, _FEED_HARMLESS)
        return RawFeed(title, link, entries)

    def _in_rdf(self, element: ET.Element) -> bool:
        return element.tag.startswith("{" + _RDF + "}")

    def _image(self, image: ET.Element) -> None:
        for part in image:
            if self.name(part.tag) not in _IMAGE_PARTS or len(part):
                raise _Doubt(f"{part.tag} in an image or text input")

    def _entry(self, item: ET.Element) -> Entry:
        entry: Entry = {}
        attributes = self._attributes(item, keep_rdf_about=True)
        if "href" in attributes or "lastmod" in attributes:
            raise _Doubt("CDF attributes")
        if "rdf:about" in attributes:
            entry["id"] = attributes["rdf:about"]
        title_blocked = False
        has_content = False
        for child in item:
            name = self.name(child.tag)
            if name in _TITLE:
                value = self._text(child, "text/plain")
                if not title_blocked:
                    entry["title"] = value
                title_blocked = title_blocked or bool(value)
            elif name in _SUMMARY:
                if "summary" in entry and not has_content:
                    # feedparser reads a second summary as content, kept only if there is no summary.
                    self._text(child, "text/plain")
                    has_content = True
                else:
                    entry["summary"] = self._text(child, "text/html" if name != "summary" else "text/plain")
            elif name in _CONTENT:
                has_content = True
                value = self._text(child, _CONTENT[name])
                entry.setdefault("summary", value)
            elif name == "link":
                href = self._link_href(child)
                if href is None:
                    entry["link"] = _query_fixed(self._link_text(child).replace("&amp;", "&"))
                elif href[0]:
                    entry["link"] = href[1]
            elif name in _ID:
                value, is_link = self._id(child)
                entry["id"] = value
                if is_link:
                    entry.setdefault("link", value)
            elif name in _PUBLISHED:
                entry["published"] = value = self._text(child, None)
                entry["published_parsed"] = parse_date(value)
            elif name in _UPDATED:
                entry["updated"] = value = self._text(child, None)
                entry["updated_parsed"] = parse_date(value)
            elif name in _AUTHOR:
                if len(child) and entry.get("author"):
                    # feedparser then names the person after the author before (its author_detail is shared)
                    raise _Doubt("an Atom author after another author")
                entry["author"] = self._person(child) if len(child) else self._text(child, None)
            else:
                self._harmless(child, name, _HARMLESS)
        return entry

    def _attributes(self, element: ET.Element, *, keep_rdf_about: bool = False) -> dict[str, str]:
        """An element's attributes by lower-case name, as feedparser keys them; a
        namespaced one only as ``rdf:about`` (when asked), else it is doubtful
        when its local name is one feedparser acts on."""
        attributes: dict[str, str] = {}
        for key, value in element.attrib.items():
            if key[0] == "{":
                uri, local = key[1:].split("}", 1)
                local = local.lower()
                if keep_rdf_about and uri == _RDF and local == "about":
                    attributes["rdf:about"] = value
                elif local in ("href", "url", "uri", "rel", "type", "mode", "src", "lastmod", "ispermalink", "about"):
                    raise _Doubt(f"namespaced attribute {key}")
                continue
            key = key.lower()
            if key in attributes:
                raise _Doubt(f"attribute {key} twice")
            attributes[key] = value
        return attributes

    def _text(self, element: ET.Element, default_type: str | None) -> str:
        """A text field's value, or doubt when feedparser would read it as markup or encoded."""
        if len(element):
            raise _Doubt(f"markup in {element.tag}")
        if not element.attrib:  # the default types are plain text or HTML
            return _popped(element.text)
        attributes = self._attributes(element)
        if "mode" in attributes or "src" in attributes:
            raise _Doubt(f"mode or src on {element.tag}")
        if default_type is not None:
            kind = attributes.get("type", default_type).lower()
            if _CONTENT_TYPES.get(kind, kind) not in _READABLE_TYPES:
                raise _Doubt(f"content type {kind}")
        return _popped(element.text)

    def _link_href(self, element: ET.Element) -> tuple[bool, str] | None:
        """An Atom-style link: None if it has no ``href`` (its text is the link),
        else whether it is the alternate HTML page (which feedparser takes), and its address."""
        attributes = self._attributes(element)
        if "url" in attributes or "uri" in attributes:
            raise _Doubt("link with url or uri")
        if len(element):
            raise _Doubt("markup in a link")
        if "href" not in attributes:
            return None
        rel = attributes.get("rel", "alternate").lower()
        kind = attributes.get("type", "application/atom+xml" if rel == "self" else "text/html").lower()
        return rel == "alternate" and _CONTENT_TYPES.get(kind, kind) in _HTML_TYPES, self.resolve(attributes["href"])

    def _link_text(self, element: ET.Element) -> str:
        """A link element's text as feedparser pops it: stripped, resolved, repaired."""
        text = (element.text or "").strip()
        return _popped(self.resolve(text) if text else text)

    def _id(self, element: ET.Element) -> tuple[str, bool]:
        """A guid or id, and whether feedparser takes it for the link (isPermaLink)."""
        if len(element):
            raise _Doubt("markup in a guid")
        is_link = self._attributes(element).get("ispermalink", "true") == "true"
        text = (element.text or "").strip()
        if is_link and text:
            text = self.resolve(text)
        return _popped(text), is_link

    def _person(self, author: ET.Element) -> str:
        """An Atom person (``name``, ``email``, ``uri``) as feedparser's ``author``."""
        if (author.text or "").strip():
            raise _Doubt("text beside an author's parts")
        parts: dict[str, str] = {}
        for part in author:
            name = self.name(part.tag)
            if name not in _PERSON_PARTS or len(part):
                raise _Doubt(f"{name} in an author")
            parts[name] = (part.text or "").strip()
        if "name" not in parts and "email" not in parts:
            # feedparser keeps the author element's own (empty) text then
            return ""
        return _person(parts.get("name"), parts.get("email"))

    def _harmless(self, element: ET.Element, name: str, harmless: frozenset[str]) -> None:
        """Doubt unless feedparser's reading of ``element`` touches nothing read here."""
        if len(element):
            raise _Doubt(f"{name} holds elements")
        if name in harmless:
            return
        handled = hasattr(_FeedParserMixin, f"_start_{name}") or hasattr(_FeedParserMixin, f"_end_{name}")
        key = FeedParserDict.keymap.get(name, name)
        if handled or not isinstance(key, str) or key in _RESERVED_KEYS or key.endswith(("_detail", "_parsed")):
            raise _Doubt(f"{name} may change what is read")


def _base_at(base: str, given: str | None) -> str:
    """feedparser's base URI inside an element with ``xml:base`` ``given`` (or
    none) below one whose base is ``base``."""
    given = given or base
    if base:
        return make_safe_absolute_uri(base, given) or base
    return _urljoin(base, given)
