"""Property tests: whatever a feed says, the messages built from it fit Slack's
limits, validate as Block Kit, and carry no markup of the feed's making.

Titles, links, captions, names and amounts are arbitrary unicode (and some
very long repeats); every message is checked field by field against Slack's
limits, parsed and validated with slack_sdk's Block Kit models, and searched
for markup: the only ``<…>`` allowed is a link built from one of the input's
http(s) links, and every ``&`` is an escape."""

from __future__ import annotations

import json
import operator
import re
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from feeds.vocabulary import WatchKind, WatchMode
from handlers.alert_message import alert_fallback, alert_message, digest_fallback, digest_message
from handlers.case_answer import slack_answer
from handlers.home import home_view
from handlers.mrkdwn import _linkable_by_parsing, cut, escape, join_within, link, slack_length
from storage.alerts import AlertView, SentAlert, Source
from storage.cases import CaseView, Mention, TimelineEntry
from storage.related import RelatedCase
from storage.search import ItemHit, SearchResult
from storage.watches import Watch

PROPERTY_SETTINGS = settings(max_examples=120, deadline=None)
LINK_MARKUP = re.compile(r"<([^<>|]*)\|([^<>]*)>")
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
# The one markup of our own besides links: a date in the reader's time zone, its fallback in UTC.
DATE_MARKUP = re.compile(
    r"<!date\^-?[0-9]+\^\{date_short\}(?: \{time\})?\|[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2} UTC)?>"
)

texts = st.one_of(
    st.text(),
    st.builds(operator.mul, st.text(min_size=1, max_size=8), st.integers(1, 1500)),  # long repeats
    st.sampled_from(["<!channel>", "<!here|here>", "<@U0123ABC>", "<#C0001>", "<https://evil.example|sec.gov>"]),
)
links = st.one_of(
    st.none(),
    texts,
    st.builds(
        operator.add,
        st.sampled_from(["http://", "https://", "HTTPS://", "javascript:", " javascript:", "data:", "ftp://"]),
        texts,
    ),
)
amounts = st.lists(st.integers(min_value=0, max_value=10**15), max_size=5)
days = st.one_of(st.just("2024-06-28"), texts)


related_lists = st.lists(
    st.builds(RelatedCase, id=st.integers(1, 10**6), caption=texts, agency=st.none() | texts, status=texts), max_size=6
)


def cases() -> st.SearchStrategy[CaseView]:
    entry = st.builds(
        TimelineEntry,
        event_at=days,
        title=texts,
        summary=st.just(""),
        action=st.sampled_from([None, "complaint", "ruling", "filing", "unknown"]),
        link=links,
        source=texts,
        amounts=amounts,
        docket_entry=st.none() | texts,
    )
    return st.builds(
        CaseView,
        id=st.integers(1, 10**6),
        caption=texts,
        agency=st.none() | texts,
        court=st.none() | texts,
        dockets=st.lists(texts, max_size=4),
        defendants=st.lists(texts, max_size=6),
        first_event_at=st.none() | days,
        last_event_at=st.none() | days,
        latest_action=st.sampled_from([None, "complaint", "plea"]),
        latest_action_at=st.none() | days,
        sources=st.integers(0, 50),
        items=st.integers(0, 10**6),
        timeline=st.lists(entry, max_size=8),
        amounts=amounts,
        status=st.sampled_from(["pending", "motion to dismiss granted in part"]) | texts,
        related=related_lists,
        related_total=st.integers(0, 10**6),
        mentioned_in=st.lists(st.builds(Mention, title=texts, link=links, source=texts), max_size=3),
    )


def views() -> st.SearchStrategy[AlertView]:
    return st.builds(
        AlertView,
        alert_id=st.integers(1, 10**6),
        action=st.sampled_from(["complaint", "ruling", "filing", "update"]),
        event_day=days,
        headline=texts,
        matched_term=texts,
        major=st.booleans(),
        routine=st.booleans(),
        case=st.none() | cases(),
        sources=st.lists(st.builds(Source, feed=texts, title=texts, link=links), min_size=1, max_size=12),
        amounts=amounts,
        related=related_lists,
        related_total=st.integers(0, 10**6),
    )


def input_links(value: object) -> set[str]:
    """Every link field of the input, unquoted, to recognise links we built from them."""
    found: set[str] = set()
    if isinstance(value, Source | TimelineEntry | Mention) and value.link:
        found.add(unquote(value.link))
    if isinstance(value, AlertView):
        for source in value.sources:
            found |= input_links(source)
        found |= input_links(value.case)
    if isinstance(value, CaseView):
        for entry in [*value.timeline, *value.mentioned_in]:
            found |= input_links(entry)
    return found


def texts_of(message: dict) -> list[str]:
    """Every mrkdwn or plain text of a message (button labels are ours)."""
    found = [message["text"]]
    for block in message.get("blocks", []):
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element["text"] for element in block.get("elements", []) if isinstance(element.get("text"), str)]
    return found


def assert_fits_slack(message: dict) -> None:
    assert 0 < slack_length(message["text"]) <= 40_000
    blocks = message.get("blocks", [])
    assert len(blocks) <= 50
    for block in blocks:
        Block.parse(block).validate_json()  # raises on a broken limit
        if block["type"] == "section":
            assert len(block["text"]["text"].strip()) > 0 and slack_length(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(0 < slack_length(element["text"]) <= 3000 for element in block["elements"])


def assert_no_foreign_markup(message: dict, allowed_links: set[str]) -> None:
    for text in texts_of(message):
        text = DATE_MARKUP.sub("", text)
        for url, label in LINK_MARKUP.findall(text):
            assert url.lower().startswith(("http://", "https://")), url
            assert not re.search(r"\s", url) and "|" not in label
            assert unquote(url.replace("&amp;", "&")) in allowed_links, url
        outside = LINK_MARKUP.sub("", text)
        assert "<" not in outside and ">" not in outside, outside[:200]
        assert not ENTITY.search(text), text[:200]


@PROPERTY_SETTINGS
@given(views())
def test_an_alert_always_fits_and_escapes_everything(view: AlertView) -> None:
    for message in (alert_message(view), alert_fallback(view)):
        assert_fits_slack(message)
        assert_no_foreign_markup(message, input_links(view))


@settings(max_examples=60, deadline=None)
@given(st.lists(views(), min_size=1, max_size=50), st.sampled_from(["daily", "weekly"]))
def test_a_digest_always_fits_and_escapes_everything(digest: list[AlertView], period: str) -> None:
    allowed = set().union(*(input_links(view) for view in digest))
    for message in (digest_message(digest, period=period), digest_fallback(digest, period=period)):
        assert_fits_slack(message)
        assert_no_foreign_markup(message, allowed)


@PROPERTY_SETTINGS
@given(
    texts,
    st.lists(cases(), max_size=3),
    st.none() | st.sets(st.integers(1, 10**6)),
    st.lists(st.builds(ItemHit, event_at=days, title=texts, link=links, source=texts), max_size=3),
)
def test_a_case_card_always_fits_and_escapes_everything(
    query: str, found: list[CaseView], watched, items: list[ItemHit]
) -> None:
    message = slack_answer(SearchResult(query=query, cases=found, total=len(found) + 5, items=items), watched)
    assert_fits_slack(message)
    allowed = set().union(*(input_links(case) for case in found), {unquote(item.link) for item in items if item.link})
    assert_no_foreign_markup(message, allowed)


watches = st.builds(
    Watch,
    id=st.integers(1, 10**9),
    team_id=st.just("T0001"),
    channel_id=st.sampled_from(["C0001", "C0002", "<!channel>", "x" * 300]),
    kind=st.sampled_from(list(WatchKind)),
    term=texts,
    term_key=st.just("k"),
    case_id=st.none(),
    mode=st.sampled_from(list(WatchMode)),
    include_routine=st.booleans(),
    created_by=st.sampled_from(["U0001", "<!here>"]),
    created_at=days,
    last_alert_at=st.none() | days,
    alerts_sent=st.integers(0, 10**9),
    last_error=st.none() | st.sampled_from(["not_in_channel", "invalid_auth"]) | texts,
    last_error_at=st.none() | days,
)
sent_alerts = st.builds(
    SentAlert,
    channel_id=st.sampled_from(["C0001", "<!channel>"]),
    sent_at=days,
    action=texts,
    caption=st.none() | texts,
    matched_term=texts,
    headline=texts,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(watches, max_size=120), st.lists(sent_alerts, max_size=10), st.integers(0, 150))
def test_every_page_of_the_home_tab_fits_and_escapes_everything(
    listed: list[Watch], alerts: list[SentAlert], offset: int
) -> None:
    view = home_view(listed, alerts, offset=offset)
    assert len(view["blocks"]) <= 100
    assert_fits_slack({"text": "Casewatch", "blocks": view["blocks"]})
    # The channel mentions are ours (``<#C0001>``, from a channel id); anything else is escaped.
    unmentioned = json.loads(re.sub(r"<#C[0-9]{4}>", "#channel", json.dumps(view["blocks"])))
    assert_no_foreign_markup({"text": "Casewatch", "blocks": unmentioned}, set())


@PROPERTY_SETTINGS
@given(texts, st.integers(min_value=2, max_value=4000))
def test_escape_within_a_limit_never_exceeds_it_nor_breaks_an_escape(text: str, limit: int) -> None:
    escaped = escape(text, limit)
    assert slack_length(escaped) <= limit
    assert "<" not in escaped and ">" not in escaped and not ENTITY.search(escaped)


@PROPERTY_SETTINGS
@given(st.lists(st.tuples(links, texts), max_size=40), st.integers(min_value=40, max_value=3000))
def test_join_within_keeps_whole_entries_and_links(entries: list[tuple[str | None, str]], limit: int) -> None:
    parts = [link(url, label) for url, label in entries]
    joined = join_within(parts, limit)
    assert slack_length(joined) <= limit
    assert joined.count("<") == joined.count(">") and not ENTITY.search(joined)
    assert slack_length(cut(joined, limit // 2)) <= limit // 2


@PROPERTY_SETTINGS
@given(st.text(st.characters(codec=None, blacklist_categories=())) | st.sampled_from(["\ud800x", "a\U0001f600·", "·"]))
def test_slack_length_counts_utf16_code_units(text: str) -> None:
    """Characters outside the basic plane count twice (a lone surrogate once), as Slack may count them."""
    assert slack_length(text) == sum(2 if ord(char) > 0xFFFF else 1 for char in text)


url_parts = st.sampled_from(["http://", "HTTPS://", "https://", "ftp://", "http:/", "javascript:", "http://[::1]", ""])
url_text = st.text(st.sampled_from("aZ09.-_~:/?#[]@!$&'()*+,;=%| <>\"\\^`{}\t\né·"), max_size=30)


@PROPERTY_SETTINGS
@given(url_parts, url_text)
def test_a_link_is_the_same_whether_its_url_takes_the_quick_path_or_is_parsed(start: str, rest: str) -> None:
    """Most item links are plain http(s) URLs that need no quoting; ``link``
    takes them without parsing, and must give exactly what parsing gives."""
    url = start + rest
    expected = _linkable_by_parsing(url)
    linked = link(url, "label")
    assert linked == (f"<{expected}|label>" if expected is not None else "label")
