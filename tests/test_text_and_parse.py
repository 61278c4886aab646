"""Cleaning untrusted text and parsing real feed files."""

from __future__ import annotations

import pytest

from feeds.parse import FeedParseError, parse_feed, safe_link
from feeds.text import clean_text, fold, name_key
from tests.conftest import FIXTURES


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Binance Holdings Ltd.", "binance holdings"),
        ("Binance Holdings Limited", "binance holdings"),
        ("BINANCE.US", "binance us"),
        ("Binance's", "binance"),
        ("Société Générale S.A.", "societe generale"),
        ("Lufkin Advisors, LLC", "lufkin advisors"),
        ("Inc.", "inc"),
    ],
)
def test_name_keys_ignore_case_punctuation_accents_and_suffixes(name: str, key: str) -> None:
    assert name_key(name) == key


def test_clean_text_decodes_entities_twice_and_drops_html_tags_only() -> None:
    assert clean_text("O&amp;#039;Toole <b>Holdings</b>", 100) == "O'Toole Holdings"
    # Slack syntax is not HTML: it stays as text, to be escaped when sent.
    assert clean_text("<!channel> see <https://evil|sec.gov>", 100) == "<!channel> see <https://evil|sec.gov>"


def test_clean_text_caps_length() -> None:
    assert len(clean_text("word " * 1000, 50)) == 50


def test_fold_strips_accents_and_punctuation() -> None:
    assert fold("Zhào, Chángpéng!") == "zhao changpeng"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.sec.gov/x", True),
        ("http://example.org/", True),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("ftp://example.org/x", False),
        ("/relative/path", False),
        (None, False),
    ],
)
def test_only_http_links_are_kept(url: str | None, kept: bool) -> None:
    assert (safe_link(url) is not None) is kept


def test_sec_litigation_releases_parse_with_quirks() -> None:
    feed = parse_feed(
        (FIXTURES / "sec/litigation_releases_2024-06-part.xml").read_bytes(),
        base_url="https://www.sec.gov/",
        court_feed=False,
    )
    assert len(feed.items) == 12
    first = feed.items[0]
    assert first.title == "Bhardwaj et al."
    assert first.link == "https://www.sec.gov/node/960721"  # the trailing newline is gone
    assert first.author == "LR-26027"
    assert first.published_at == "2024-06-13T20:29:59+00:00"  # -0400 converted to UTC
    assert feed.items[5].title == "James L. Koutoulas"  # padding stripped


def test_court_feed_entries_sharing_a_guid_are_kept_apart() -> None:
    """nyed reuses the docket URL as every entry's guid: entries must not collapse."""
    feed = parse_feed(
        (FIXTURES / "pacer/nyed_1.xml").read_bytes(), base_url="https://ecf.nyed.uscourts.gov", court_feed=True
    )
    guids = {item.guid for item in feed.items}
    keys = {item.key for item in feed.items}
    assert len(keys) > len(guids)
    assert len(keys) == 419  # 13 of the 432 entries repeat another byte for byte


def test_bankruptcy_titles_padded_with_spaces_are_trimmed() -> None:
    feed = parse_feed(
        (FIXTURES / "pacer/nysb_1.xml").read_bytes(), base_url="https://ecf.nysb.uscourts.gov", court_feed=True
    )
    assert feed.items[0].title == "16-10992-smb SunEdison, Inc., et al., and North Kern State Prison"


def test_javascript_links_in_a_feed_are_dropped() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>x</title><link>javascript:alert(1)</link><guid>g1</guid></item></channel></rss>"""
    (item,) = parse_feed(body, base_url="https://example.org/", court_feed=False).items
    assert item.link is None


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><h1>Litigation Releases</h1><p>Moved.</p></body></html>",
        b"",
        b"\x00\x01\x02 binary",
    ],
)
def test_not_a_feed_raises_a_clear_error(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, base_url="https://example.org/", court_feed=False)


def test_entity_bomb_is_harmless() -> None:
    body = b"""<?xml version="1.0"?>
    <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
    <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
    <rss version="2.0"><channel><title>t</title><item><title>&lol3;</title><guid>g</guid></item></channel></rss>"""
    try:
        feed = parse_feed(body, base_url="https://example.org/", court_feed=False)
    except FeedParseError:
        return
    assert all(len(item.title) < 1000 for item in feed.items)


def test_truncated_feed_keeps_readable_items_and_reports_the_problem() -> None:
    body = b"<?xml version='1.0'?><rss version='2.0'><channel><item><title>Kept</title><guid>g1</guid></item><item><title>bro"
    feed = parse_feed(body, base_url="https://example.org/", court_feed=False)
    assert [item.title for item in feed.items][:1] == ["Kept"]
    assert feed.problem and feed.problem.startswith("malformed XML")
