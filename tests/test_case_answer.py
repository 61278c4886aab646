"""The /case answer as Slack Block Kit and as plain text."""

from __future__ import annotations

import json

from handlers.case_answer import plain_answer, slack_answer, slack_usage
from storage.cases import CaseView, TimelineEntry
from storage.search import SearchResult


def hostile_case() -> CaseView:
    return CaseView(
        id=1,
        caption="SEC v. <!channel> Evil & Co. <https://evil.example|sec.gov>",
        agency="SEC",
        court="D.D.C.",
        dockets=["1:23-cv-01599"],
        defendants=["<!here> Holdings", "Evil & Co."],
        first_event_at="2023-06-05T14:00:00+00:00",
        last_event_at="2024-06-28T20:00:00+00:00",
        latest_action="ruling",
        latest_action_at="2024-06-28T20:00:00+00:00",
        sources=2,
        items=7,
        timeline=[
            TimelineEntry(
                event_at="2024-06-28T20:00:00+00:00",
                title="Click <https://evil.example|sec.gov> now <!channel> <@U123>",
                summary="",
                action="ruling",
                link="https://www.sec.gov/x?a=1&b=<2>",
                source="SEC <press>",
                amounts=[],
                docket_entry=None,
            ),
            TimelineEntry(
                event_at="2023-06-05T14:00:00+00:00",
                title="javascript link",
                summary="",
                action="complaint",
                link="javascript:alert(1)",
                source="feed",
                amounts=[4_300_000_000],
                docket_entry=None,
            ),
        ],
        amounts=[4_300_000_000],
    )


def all_text(message: dict) -> str:
    return json.dumps(message)


def test_untrusted_text_cannot_ping_or_disguise_links() -> None:
    message = slack_answer(SearchResult(query="<!everyone>", cases=[hostile_case()], total=1))
    text = all_text(message)
    for raw in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<https://evil.example|sec.gov>"):
        assert raw not in text
    assert "&lt;!channel&gt;" in text and "&lt;https://evil.example|sec.gov&gt;" in text
    assert "javascript:" not in text


def test_case_card_shows_caption_court_docket_status_timeline_and_sources() -> None:
    message = slack_answer(SearchResult(query="evil", cases=[hostile_case()], total=1))
    text = all_text(message)
    assert "D.D.C." in text and "1:23-cv-01599" in text
    # Dates in the reader's own time zone (Slack's date formatting), the fallback in UTC.
    assert "Ruling on <!date^1719604800^{date_short}|2024-06-28>" in text
    assert "<!date^1719604800^{date_short}|2024-06-28> *Ruling*" in text
    assert "<!date^1685973600^{date_short}|2023-06-05> *Complaint*" in text
    assert text.index("2024-06-28") < text.index("2023-06-05")  # newest first
    assert "<https://www.sec.gov/x?a=1&amp;b=%3C2%3E|" in text  # our own link, URL made safe
    assert "7 items from 2 sources" in text
    assert "$4.3 billion" in text
    assert message["text"]  # a notification fallback


def test_many_matches_show_the_best_few_and_count_the_rest() -> None:
    cases = [hostile_case() for _ in range(3)]
    message = slack_answer(SearchResult(query="evil", cases=cases, total=8))
    assert message["text"] == "8 cases match *evil*; showing the best 3"
    assert message["blocks"][0]["elements"][0]["text"] == "8 cases match *evil*; showing the best 3"
    assert sum(block["type"] == "divider" for block in message["blocks"]) == 3


def test_no_match_gives_suggestions_and_an_example() -> None:
    message = slack_answer(SearchResult(query="binanse", cases=[], total=0, suggestions=["Binance Holdings Limited"]))
    assert "No case matches *binanse*" in message["text"]
    assert "Did you mean *Binance Holdings Limited*?" in message["text"]
    assert "`/case binance`" in message["text"]


def test_usage_has_examples() -> None:
    assert "/case 1:23-cv-01599" in slack_usage()["text"]


def test_plain_text_answer_matches_the_card() -> None:
    text = plain_answer(SearchResult(query="evil", cases=[hostile_case()], total=1))
    assert "Status: Pending (latest: Ruling on 2024-06-28)" in text
    assert "2024-06-28  Ruling:" in text
    assert "https://www.sec.gov/x?a=1&b=<2>" in text


def case_with_timeline(entries: list[tuple[str, str | None]]) -> CaseView:
    """A case whose timeline has these (title, link) entries, newest first."""
    timeline = [
        TimelineEntry(
            event_at=f"2024-06-{28 - n % 28:02d}T20:00:00+00:00",
            title=title,
            summary="",
            action="filing",
            link=link,
            source="D.D.C. docket",
            amounts=[],
            docket_entry=None,
        )
        for n, (title, link) in enumerate(entries)
    ]
    return CaseView(
        id=1,
        caption="SEC v. Binance Holdings Ltd.",
        agency="SEC",
        court="D.D.C.",
        dockets=["1:23-cv-01599"],
        defendants=["Binance Holdings Ltd."],
        first_event_at="2023-06-05T14:00:00+00:00",
        last_event_at="2024-06-28T20:00:00+00:00",
        latest_action="filing",
        latest_action_at="2024-06-28T20:00:00+00:00",
        sources=1,
        items=len(entries),
        timeline=timeline,
    )


def timeline_text(message: dict) -> str:
    (timeline,) = [
        b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "• <!date^" in b["text"]["text"]
    ]
    return timeline


def test_a_long_timeline_is_cut_on_whole_entries_and_no_link_is_broken() -> None:
    entries = [
        (f"Order number {n} " + "x" * 150, f"https://ecf.dcd.uscourts.gov/doc/{n}?" + "q" * 300) for n in range(30)
    ]
    text = timeline_text(slack_answer(SearchResult(query="binance", cases=[case_with_timeline(entries)], total=1)))
    assert len(text) <= 3000
    shown = [line for line in text.split("\n") if line.startswith("• ")]
    assert 0 < len(shown) < 30 and text.endswith(f"…and {30 - len(shown)} more")
    for line in shown:  # every shown entry is whole: its link opens and closes, its source follows
        assert line.count("<") == line.count(">") == 2 and line.endswith("_(D.D.C. docket)_")  # the date, the link


def test_a_first_entry_longer_than_a_section_still_shows_and_fits() -> None:
    entries = [
        ("&" * 3000, "https://ecf.dcd.uscourts.gov/" + "a" * 5000),
        ("Next order", "https://ecf.dcd.uscourts.gov/2"),
    ]
    message = slack_answer(SearchResult(query="binance", cases=[case_with_timeline(entries)], total=1))
    for block in message["blocks"]:
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= 3000
    text = timeline_text(message)
    assert "&amp;&amp;" in text and "Next order" in text
    assert "a" * 1001 not in text  # a link too long to be one is shown unlinked, with its host
