"""The fast feed reader (feeds/xmlfeed.py) gives exactly what feedparser gives, or leaves the feed to it.

Every document is parsed both ways: ``parse_feed`` (the fast reader, feedparser
as its fallback) and ``parse_feed_with_feedparser`` (feedparser alone, as
before); the two ``ParsedFeed``s (or ``FeedParseError``s) must be equal. The
feeds: every feed file committed in the repository, the feeds the other tests
build (hostile ones included), and generated RSS, RSS 1.0 and Atom documents
with awkward text."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from feedparser.datetimes import _parse_date
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench.feedsets import ingest_set
from bench.parse import REPOSITORY_FEEDS, compare
from feeds.parse import _UNSAFE_ELEMENT, _text
from feeds.text import clean_text
from feeds.xmlfeed import parse_date, read_feed
from tests import test_alerts_e2e, test_aware_times, test_ingest_plan, test_parse_safety, test_reliability_feeds
from tests.test_feed_errors import FEED as FEED_ERRORS_FEED
from tests.test_fetch import FEED as FETCH_FEED
from tests.test_reliability_requests import BINANCE_ITEM, EMPTY_FEED

ROOT = Path(__file__).resolve().parent.parent
SITE = "https://www.sec.gov/feeds/x.xml"


def repository_feed_files() -> list[Path]:
    return [
        path
        for directory in REPOSITORY_FEEDS
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.suffix in (".xml", ".atom", ".rss")
    ]


@pytest.mark.parametrize("path", repository_feed_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_feed_file_in_the_repository_reads_the_same(path: Path) -> None:
    court = any(part in path.parts for part in ("pacer", "courts", "courtlistener", "agency_courts"))
    for base_url in (SITE, "https://ecf.nyed.uscourts.gov/cgi-bin/rss_outside.pl"):
        result = compare(path.read_bytes(), base_url=base_url, court_feed=court)
        assert result.outcome != "different", result.reason


def built_feeds() -> list[bytes]:
    """The feeds the other test files build, as they build them, then cases the fast reader must get right."""
    safety = test_parse_safety
    reliability = test_reliability_feeds
    dates = ("Fri, 28 Jun 2024 15:02:00", "Fri, 28 Jun 2024 15:02:00 GMT", "2024-06-28T15:02:00", "yesterday")
    return [
        safety.HOSTILE_RSS,
        safety.HOSTILE_ATOM,
        b"""<rss version="2.0"><channel><title>t</title>
    <item><title>a</title><guid>items/1</guid></item>
    <item><title>b</title><guid isPermaLink="false">items/2</guid></item></channel></rss>""",
        reliability.billion_laughs(),
        reliability.XXE,
        reliability.MISLABELLED,
        reliability.UNKNOWN_ENCODING,
        reliability.GOOD,
        reliability.rss(
            reliability.rss_item("SEC v. Acme <b>Widgets</b>", guid="g-1", date="Mon, 01 Jun 2026 12:00:00 GMT"),
            reliability.rss_item("Société Générale", guid="g-2", description="a & b <i>c</i>"),
        ).encode(),
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item><title>Acme &#xD800; v. SEC</title>"
        b"<guid>p</guid></item></channel></rss>",
        *(test_aware_times.rss(date) for date in dates),
        *(test_aware_times.atom(date) for date in dates),
        test_alerts_e2e.rss(
            "https://www.sec.gov/",
            test_alerts_e2e.item("SEC charges O'Toole & Co", "text", "Mon, 05 Jun 2023 10:00:00 -0400", "g", "/x"),
        ).encode(),
        test_ingest_plan.rss(test_ingest_plan.item("g1", "Title", "Tue, 02 Jun 2026 09:00:00 GMT", "text")),
        FEED_ERRORS_FEED.encode(),
        FETCH_FEED.encode(),
        BINANCE_ITEM.encode(),
        EMPTY_FEED.encode(),
        b"<html><body><h1>Litigation Releases</h1><p>Moved.</p></body></html>",
        b"",
        b"\x00\x01\x02 binary",
        b"<?xml version='1.0'?><rss version='2.0'><channel><item><title>Kept</title><guid>g1</guid></item><item><title>bro",
        # namespaces the fast reader must follow as feedparser does, xml:base
        b"<rss version='2.0'><channel><title>t</title><item xmlns:foo='http://example.org/foo'><title>a</title>"
        b"<foo:title>not the title</foo:title><foo:published_parsed>x</foo:published_parsed><guid>https://e.org/1</guid>"
        b"</item></channel></rss>",
        b"<rss version='2.0'><channel><item><title>a</title><title xmlns='http://example.org/x'>b</title>"
        b"<guid>https://e.org/1</guid></item></channel></rss>",
        b"<rss version='2.0' xmlns:dc='http://purl.org/rss/1.0/modules/content/'><channel><item><title>a</title>"
        b"<dc:encoded>body</dc:encoded><guid>https://e.org/1</guid></item></channel></rss>",
        b"<rss version='2.0' xmlns:d='http://purl.org/dc/elements/1.1/'><channel><item><title>a</title>"
        b"<d:creator>LR-1</d:creator><d:date>2024-06-28T15:02:00Z</d:date><guid>https://e.org/1</guid></item>"
        b"</channel></rss>",
        b"<rss version='2.0' xmlns:d='http://purl.org/dc/elements/1.1/'><channel><item xmlns:D='http://example.org/d'>"
        b"<title>a</title><D:creator>not the author</D:creator><guid>https://e.org/1</guid></item></channel></rss>",
        b"<feed xmlns='http://www.w3.org/2005/Atom' xml:base='https://www.courtlistener.com/docket/1/'><title>d</title>"
        b"<link href='feed/'/><entry><title>e</title><link href='entry-1/'/><id>entry-1</id></entry></feed>",
    ]


@pytest.mark.reliability("feeds the other tests build, hostile ones too, read by the fast reader", kind="input")
@pytest.mark.parametrize("index", range(len(built_feeds())))
def test_feeds_built_by_the_tests_read_the_same(index: int) -> None:
    result = compare(built_feeds()[index], base_url=SITE, court_feed=False)
    assert result.outcome != "different", result.reason


def test_the_fast_reader_reads_the_usual_feeds_and_declines_the_doubtful() -> None:
    """Without this the comparisons above would pass with a reader that declines everything."""
    for feed in ingest_set(items=400, per_feed=100):
        assert read_feed(feed.body, SITE) is not None, feed.path
    for path in repository_feed_files():
        if "pacer" in path.parts or path.suffix == ".atom":  # ISO-8859-1 CM/ECF feeds, CourtListener's Atom
            assert read_feed(path.read_bytes(), SITE) is not None, path
    doubtful = [
        test_reliability_feeds.billion_laughs(),  # a DOCTYPE: never expanded, feedparser drops it
        test_reliability_feeds.MISLABELLED,  # not UTF-8
        test_parse_safety.HOSTILE_ATOM,  # XHTML title
        test_reliability_feeds.billion_laughs().replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16-le"),
        b"<rss version='2.0'><channel><item><title>a</title></channel></rss>",  # not well-formed
        b"<rss version='2.0'><channel><item><title>a</title><media:title xmlns:media='http://search.yahoo.com/mrss/'"
        b">b</media:title></item></channel></rss>",  # an element feedparser reads that this reader does not model
    ]
    for body in doubtful:
        assert read_feed(body, SITE) is None, body


# --- generated documents --------------------------------------------------------

ATOM = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NAMESPACES = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:x="http://example.org/x" xmlns:media="http://search.yahoo.com/mrss/"'
)
EXTRA_NAMESPACES = (
    "",
    ' xmlns:d="http://purl.org/dc/elements/1.1/"',
    ' xmlns:D="http://example.org/d"',
    ' xmlns:d="http://purl.org/dc/elements/1.1/" xmlns:D="http://example.org/d"',
    ' xmlns:d="http://example.org/d"',
)
AWKWARD = [
    "SEC v. Acme <b>Widgets</b> & Co",
    "O&#039;Toole",
    "&amp;amp; twice",
    "<script>alert(1)</script>after",
    "<!-- note -->kept",
    "<![CDATA[inner]]>",
    "Société Générale — “quoted”",
    "Ã©lan",  # UTF-8 read as Latin-1: feedparser repairs it
    "\x85\x93windows\x94",
    "  padded\n\tlines  ",
    "<https://evil|sec.gov> <!channel>",
    "ﬁ ligature ß Ωmega",
    "",
    " ",
    "tab\tand\r\nnewline",
    "&nbsp; &copy; &#160;",
    "]]>",
    "a < b > c",
]
DATES = [
    "Fri, 28 Jun 2024 15:02:00 GMT",
    "Thu, 13 Jun 2024 16:29:59 -0400",
    "Fri, 28 Jun 2024 15:02:00",
    "28 Jun 2024 15:02 EST",
    "Mon, 1 Jul 2024 9:05:00 PDT",
    "2024-06-28T15:02:00Z",
    "2024-06-28T15:02:00+02:00",
    "2024-06-28T15:02:00",
    "2024-06-28",
    "0000-00-00T00:00:00Z",
    "Tue, 31 Feb 2024 12:00:00 GMT",
    "not a date",
    "",
    "1899-12-31T23:59:59Z",
    "3024-06-28T15:02:00Z",
]
URLS = [
    "https://www.sec.gov/litigation/lr-26001",
    "http://example.org/a?b=1&c=2",
    "/relative/path",
    "relative",
    "javascript:alert(1)",
    "urn:uuid:1234",
    "https:///triple/slash",
    "",
    " https://padded.example/x ",
    "https://example.org/a?x=1&amp;y=2",
]


def _text_field(draw: st.DrawFn, tag: str, *, attributes: str = "") -> str:
    text = draw(st.sampled_from(AWKWARD) | st.text(max_size=30))
    text = "".join(character for character in text if _xml_char(character))
    style = draw(st.sampled_from(("escaped", "cdata", "raw-entity")))
    if style == "cdata" and "]]>" not in text:
        body = f"<![CDATA[{text}]]>"
    elif style == "raw-entity":
        body = escape(text).replace("&amp;#", "&#")
    else:
        body = escape(text)
    return f"<{tag}{attributes}>{body}</{tag}>"


def _xml_char(character: str) -> bool:
    code = ord(character)
    return code in (9, 10, 13) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


def _url_field(draw: st.DrawFn, tag: str, attributes: str = "") -> str:
    return f"<{tag}{attributes}>{escape(draw(st.sampled_from(URLS)))}</{tag}>"


@st.composite
def entry_elements(draw: st.DrawFn, kind: str) -> str:
    """One item or entry: a shuffled choice of fields, some repeated, some odd."""
    choices = {
        "title": lambda: _text_field(draw, "title", attributes=_type_attribute(draw, kind)),
        "dc:title": lambda: _text_field(draw, "dc:title"),
        "description": lambda: _text_field(draw, "description"),
        "summary": lambda: _text_field(draw, "summary", attributes=_type_attribute(draw, kind)),
        "content": lambda: _text_field(draw, "content", attributes=_type_attribute(draw, kind)),
        "content:encoded": lambda: _text_field(draw, "content:encoded"),
        "dc:description": lambda: _text_field(draw, "dc:description"),
        "link": lambda: _url_field(draw, "link"),
        "atom:link": lambda: _atom_link(draw, "atom:link"),
        "link href": lambda: _atom_link(draw, "link"),
        "guid": lambda: _url_field(
            draw,
            "guid",
            draw(st.sampled_from(("", ' isPermaLink="false"', ' isPermaLink="true"', " isPermaLink='False'"))),
        ),
        "id": lambda: _url_field(draw, "id"),
        "pubDate": lambda: f"<pubDate>{escape(draw(st.sampled_from(DATES)))}</pubDate>",
        "published": lambda: f"<published>{escape(draw(st.sampled_from(DATES)))}</published>",
        "updated": lambda: f"<updated>{escape(draw(st.sampled_from(DATES)))}</updated>",
        "dc:date": lambda: f"<dc:date>{escape(draw(st.sampled_from(DATES)))}</dc:date>",
        "dc:creator": lambda: _text_field(draw, "dc:creator"),
        "d:creator": lambda: _text_field(draw, "d:creator"),  # declared (or not) by the document's extra namespace
        "D:creator": lambda: _text_field(draw, "D:creator"),
        "author": lambda: _text_field(draw, "author"),
        "atom author": lambda: _atom_author(draw),
        "category": lambda: _text_field(draw, "category"),
        "comments": lambda: _url_field(draw, "comments"),
        "enclosure": lambda: '<enclosure url="https://example.org/a.mp3" length="1" type="audio/mpeg"/>',
        "x:unknown": lambda: _text_field(draw, "x:unknown"),
        "media:content": lambda: '<media:content url="https://example.org/a.jpg"/>',
        "media:title": lambda: _text_field(draw, "media:title"),
        "source": lambda: _text_field(draw, "source", attributes=' url="https://example.org/"'),
        "date": lambda: f"<date>{escape(draw(st.sampled_from(DATES)))}</date>",
        "nested markup": lambda: "<description><p>nested <b>markup</b></p></description>",
    }
    names = draw(st.lists(st.sampled_from(sorted(choices)), max_size=9))
    return "".join(choices[name]() for name in names)


def _type_attribute(draw: st.DrawFn, kind: str) -> str:
    options = ("", ' type="text"', ' type="html"', ' type="HTML"', ' type="text/plain"', ' type="xhtml"')
    options += (' type="application/octet-stream"', ' mode="base64"') if kind == "atom" else ()
    return draw(st.sampled_from(options))


def _atom_link(draw: st.DrawFn, tag: str) -> str:
    rel = draw(st.sampled_from(("", ' rel="alternate"', ' rel="self"', ' rel="related"', ' rel="Alternate"')))
    kind = draw(st.sampled_from(("", ' type="text/html"', ' type="application/pdf"', ' type="xhtml"')))
    return f"<{tag} href={quoteattr(draw(st.sampled_from(URLS)))}{rel}{kind}/>"


def _atom_author(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(("name", "email", "uri")), max_size=3))
    values = {"name": "Jane Q. Clerk", "email": "clerk@example.org", "uri": "https://example.org/"}
    return "<author>" + "".join(f"<{part}>{values[part]}</{part}>" for part in parts) + "</author>"


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(("rss", "atom", "rdf")))
    items = [draw(entry_elements(kind)) for _ in range(draw(st.integers(0, 3)))]
    head = draw(st.lists(st.sampled_from(("title", "link", "atom:link", "description", "id", "image")), max_size=4))
    channel = "".join(_channel_part(draw, part) for part in head)
    base = draw(st.sampled_from(("", ' xml:base="https://www.example.gov/feeds/"', ' xml:base="/relative/"')))
    base += draw(st.sampled_from(EXTRA_NAMESPACES))
    if kind == "rss":
        text = f'<rss version="2.0" {NAMESPACES}{base}><channel>{channel}'
        text += "".join(f"<item>{item}</item>" for item in items) + "</channel></rss>"
    elif kind == "atom":
        text = f'<feed xmlns="{ATOM}" {NAMESPACES.replace(" xmlns:atom=", " xmlns:a=")}{base}>{channel}'
        text += "".join(f"<entry>{item}</entry>" for item in items) + "</feed>"
    else:
        about = draw(st.sampled_from(("", ' rdf:about="https://example.org/i"', ' rdf:about="relative"')))
        text = f'<rdf:RDF xmlns:rdf="{RDF}" xmlns="{RSS1}" {NAMESPACES}{base}><channel>{channel}</channel>'
        text += "".join(f"<item{about}>{item}</item>" for item in items) + "</rdf:RDF>"
    declaration = draw(
        st.sampled_from(("", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-8"?>', "latin"))
    )
    if declaration == "latin":
        try:
            return ('<?xml version="1.0" encoding="ISO-8859-1"?>' + text).encode("latin-1")
        except UnicodeEncodeError:
            declaration = ""
    return (declaration + text).encode()


def _channel_part(draw: st.DrawFn, part: str) -> str:
    if part == "title":
        return _text_field(draw, "title")
    if part == "link":
        return _url_field(draw, "link")
    if part == "atom:link":
        return _atom_link(draw, "atom:link")
    if part == "id":
        return _url_field(draw, "id")
    if part == "image":
        return "<image><title>logo</title><url>https://example.org/l.png</url><link>https://example.org/</link></image>"
    return _text_field(draw, "description")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.booleans())
def test_generated_feeds_read_the_same_or_fall_back(body: bytes, court_feed: bool) -> None:
    result = compare(body, base_url="https://www.example.gov/news/rss.xml", court_feed=court_feed)
    event(result.outcome)
    assert result.outcome != "different", f"{body!r}\n{result.reason}"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab <>&;#!-[]CDAT/\u00a0\u2028\x1c\t\n\u3000ß…"), max_size=60)
    | st.sampled_from(AWKWARD),
    st.integers(3, 40),
)
def test_plain_text_without_markup_skips_the_cleaning_but_reads_the_same(raw: str, limit: int) -> None:
    """``feeds.parse._text`` folds text with no ``<``, ``&`` or ``]]>`` itself; as clean_text would."""
    before = clean_text(_UNSAFE_ELEMENT.sub(" ", raw) if "<" in raw else raw, limit)
    assert _text(raw, limit) == before


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(("", "Mon, ", "Tue, ", "Sat, ", "Thu, ")),
    st.integers(0, 39),
    st.sampled_from(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]),
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(("GMT", "UT", "Z", "EST", "EDT", "PDT", "CST", "A", "M", "Y", "UTC", "XYZ", "+0000", "-0400"))
    | st.from_regex(r"[+-][0-9]{4}", fullmatch=True),
)
def test_usual_dates_read_as_feedparser_reads_them(
    day_name: str, day: int, month: str, year: int, hour: int, minute: int, second: int, zone: str
) -> None:
    text = f"{day_name}{day} {month} {year:04d} {hour:02d}:{minute:02d}:{second:02d} {zone}"
    assert parse_date(text) == _parse_date(text)
