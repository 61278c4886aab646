"""feedparser runs without its HTML sanitiser and relative-URI resolution
(feeds/parse.py): hostile feeds must still give clean items: plain text, no
script or style content, only absolute http(s) links, entities decoded, and
Slack-looking text kept as text (escaped when a message is built)."""

from __future__ import annotations

import dataclasses

import pytest

from bot.ingest import default_matcher, poll_feed
from feeds.catalog import FeedSpec
from feeds.fetch import Fetcher
from feeds.parse import FeedItem, parse_feed, safe_link
from storage.engine import Connection
from storage.feeds import enabled_feeds, sync_catalog
from tests.conftest import FeedServer

HOSTILE_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>Hostile &lt;script&gt;alert(1)&lt;/script&gt; feed</title>
<link>/newsroom</link>
<item>
<title>SEC charges &lt;b&gt;Acme&lt;/b&gt; &amp;amp; Co &lt;script&gt;steal()&lt;/script&gt;</title>
<link>javascript:alert(document.cookie)</link>
<description>&lt;p onclick="evil()"&gt;Penalty of $1,000&lt;/p&gt;&lt;script type="text/javascript"&gt;var x = "&lt;!channel&gt;";&lt;/script&gt;&lt;style&gt;p {color: red}&lt;/style&gt; &lt;iframe src="https://evil.example"&gt;&lt;/iframe&gt;after &amp;#039;quoted&amp;#039; &lt;!channel&gt; &lt;https://evil|sec.gov&gt;</description>
<guid isPermaLink="false">hostile-1</guid>
<pubDate>Mon, 01 Jun 2026 12:00:00 GMT</pubDate>
<dc:creator>&lt;script&gt;x()&lt;/script&gt;LR-26001</dc:creator>
</item>
<item>
<title><![CDATA[Relative <i>link</i> & CDATA <script>alert(2)</script>]]></title>
<link>/litigation/lr-26002</link>
<description><![CDATA[<div>Complaint filed <a href="javascript:evil()">here</a> <applet code="x">applet text</applet><!-- a comment --> end <script>unclosed]]></description>
<guid>relative-2</guid>
</item>
<item>
<title>Data URI</title>
<link>data:text/html,&lt;script&gt;alert(3)&lt;/script&gt;</link>
<description>plain</description>
<guid>https://www.sec.gov/x/3</guid>
</item>
</channel>
</rss>
"""

HOSTILE_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://www.courtlistener.com/docket/1/">
<title type="html">Docket &lt;script&gt;a()&lt;/script&gt;</title>
<link href="feed/"/>
<id>urn:x</id>
<entry>
<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">SEC v. <b>Acme</b><script>bad()</script></div></title>
<link href="entry-12/"/>
<id>urn:e1</id>
<updated>2026-06-01T12:00:00Z</updated>
<summary type="html">&lt;p&gt;ORDER granting &lt;a href="javascript:x()"&gt;motion&lt;/a&gt;&lt;/p&gt;&lt;script&gt;y()&lt;/script&gt;</summary>
</entry>
<entry>
<title>Vbscript link</title>
<link href="vbscript:msgbox(1)"/>
<id>urn:e2</id>
<content type="html">&lt;style&gt;x{}&lt;/style&gt;text &amp;amp;amp; more</content>
</entry>
</feed>
"""


@pytest.mark.reliability("a feed carries script tags, javascript: links and relative links", kind="abuse")
def test_a_hostile_rss_feed_gives_clean_items() -> None:
    parsed = parse_feed(HOSTILE_RSS, base_url="https://www.sec.gov/feeds/x.xml", court_feed=False)
    assert (parsed.title, parsed.link) == ("Hostile feed", "https://www.sec.gov/newsroom")
    assert parsed.items == [
        FeedItem(
            key="hostile-1",
            guid="hostile-1",
            link=None,
            title="SEC charges Acme & Co",
            summary="Penalty of $1,000 after 'quoted' <!channel> <https://evil|sec.gov>",
            author="LR-26001",
            published_at="2026-06-01T12:00:00+00:00",
        ),
        FeedItem(
            key="https://www.sec.gov/feeds/relative-2",
            guid="https://www.sec.gov/feeds/relative-2",
            link="https://www.sec.gov/litigation/lr-26002",
            title="Relative link & CDATA",
            summary="Complaint filed here end",
            author=None,
            published_at=None,
        ),
        FeedItem(
            key="https://www.sec.gov/x/3",
            guid="https://www.sec.gov/x/3",
            link=None,
            title="Data URI",
            summary="plain",
            author=None,
            published_at=None,
        ),
    ]


@pytest.mark.reliability("an Atom feed carries script tags and script links in HTML and XHTML", kind="abuse")
def test_a_hostile_atom_feed_gives_clean_items() -> None:
    parsed = parse_feed(HOSTILE_ATOM, base_url="https://www.courtlistener.com/x.atom", court_feed=False)
    assert (parsed.title, parsed.link) == ("Docket", "https://www.courtlistener.com/docket/1/feed/")
    assert [(item.link, item.title, item.summary) for item in parsed.items] == [
        ("https://www.courtlistener.com/docket/1/entry-12/", "SEC v. Acme", "ORDER granting motion"),
        (None, "Vbscript link", "text & more"),
    ]


def test_a_relative_guid_keeps_the_key_it_was_stored_under() -> None:
    """Items are stored under their guid; a relative one was resolved against
    the feed's address, so it must still be (or every item would alert again)."""
    body = b"""<rss version="2.0"><channel><title>t</title>
    <item><title>a</title><guid>items/1</guid></item>
    <item><title>b</title><guid isPermaLink="false">items/2</guid></item></channel></rss>"""
    parsed = parse_feed(body, base_url="https://www.cftc.gov/feeds/rss.xml", court_feed=False)
    assert [item.key for item in parsed.items] == ["https://www.cftc.gov/feeds/items/1", "items/2"]
    assert [item.link for item in parsed.items] == ["https://www.cftc.gov/feeds/items/1", None]


@pytest.mark.reliability(
    "a feed writing an emoji as a surrogate pair (&#55357;&#56832;), a lone surrogate or a number past U+10FFFF",
    kind="input",
)
def test_character_references_that_name_no_character_cost_no_item() -> None:
    """Such a reference made feedparser raise, and the whole feed failed at every poll."""
    titles = [
        "SEC sues Acme Corp &#55357;&#56832;",  # JavaScript's escape of U+1F600, as some sites publish it
        "Smart quote&#8217;s then &#xD83D;&#xDE00; in hex",
        "A lone &#xD800; surrogate",
        "Past the last code point &#1114112; and &#99999999999999999999;",
        "CFTC charges Beta LLC",
    ]
    items = "".join(
        f"<item><title>{title}</title><link>https://news.example/{n}</link><guid>g{n}</guid></item>"
        for n, title in enumerate(titles)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'.encode()
    parsed = parse_feed(body, base_url="https://news.example/rss", court_feed=False)
    assert [item.title for item in parsed.items] == [
        "SEC sues Acme Corp \U0001f600",
        "Smart quote\u2019s then \U0001f600 in hex",
        "A lone \ufffd surrogate",
        "Past the last code point \ufffd and \ufffd",
        "CFTC charges Beta LLC",
    ]
    assert parsed.problem is None


@pytest.mark.reliability("a feed's or an item's link whose host urllib refuses (https://[docs]/x)", kind="input")
@pytest.mark.parametrize("link", ["https://[www.sec.gov/", "https://[Complaint]/x", "[docs]/complaint"])
def test_a_link_urllib_refuses_is_no_link(link: str) -> None:
    """urllib raised on it, which cost the item, or the whole feed (at every poll) when it was the feed's own link."""
    assert safe_link(link, "https://[docs]/rss") is None
    assert safe_link("/b", "https://www.sec.gov/rss") == "https://www.sec.gov/b"


@pytest.mark.reliability("a NUL in a feed, as a byte or as &#0; (PostgreSQL text cannot hold one)", kind="input")
def test_a_nul_reaches_no_field_and_the_item_is_stored(any_db: Connection, feed_server: FeedServer) -> None:
    """On PostgreSQL the item was refused ("text fields cannot contain NUL") and left out of the feed."""
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>SEC\x00</title>'
        b"<item><title>SEC Charges Acme &#0; Corp.</title><link>https://www.sec.gov/a</link>"
        b"<guid>a\x00b</guid><description>Acme \x00 fraud.</description><author>x&#x0;y</author></item>"
        b"<item><title>SEC Charges Beta LLC</title><link>https://www.sec.gov/b</link><guid>b</guid></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed(body, base_url="https://www.sec.gov/rss", court_feed=False)
    fields = [parsed.title, *(text for item in parsed.items for text in dataclasses.astuple(item) if text)]
    assert [field for field in fields if "\x00" in field] == []
    sync_catalog(any_db, [FeedSpec("SEC", feed_server.serve("/nul.xml", body), "SEC", "regulator", 10)])
    (feed,) = enabled_feeds(any_db)
    outcome = poll_feed(any_db, Fetcher(contact="t@example.com", allow_private=True), feed, default_matcher())
    assert (outcome.new_items, outcome.skipped) == (2, 0), outcome
