"""Alert and digest messages in Block Kit, and their plain-text fallbacks.

All feed text is escaped, and every field is capped by construction to
Slack's limits (see :mod:`handlers.mrkdwn`), so a 5,000-character link or
title cannot make Slack refuse the message. Should Slack refuse it anyway,
the sender posts the plain-text fallback instead.
"""

from __future__ import annotations

from feeds.extract import format_amount
from handlers.case_answer import ACTION_LABELS, more_related, related_label, status_label
from handlers.mrkdwn import HEADER_LIMIT, TEXT_LIMIT, escape, join_within, link, slack_date, truncate
from handlers.watch_changes import note_text
from storage.alerts import AlertView

HEADLINE_CHARS = 200
DIGEST_EVENTS = 40
DIGEST_CASES = 45
SOURCES_SHOWN = 8
FIELD_CHARS = 200  # agency, court, docket, feed name, watched term (escaped)
FALLBACK_CHARS = 4000  # a plain-text alert; Slack allows 40,000


def _label(action: str) -> str:
    return ACTION_LABELS.get(action, "Update")


def _case_facts(view: AlertView) -> list[str]:
    case = view.case
    parts = []
    if case:
        if case.agency:
            parts.append(f"*Agency:* {escape(case.agency, FIELD_CHARS)}")
        if case.court:
            parts.append(f"*Court:* {escape(case.court, FIELD_CHARS)}")
        if case.dockets:
            parts.append(f"*Docket:* {escape(', '.join(case.dockets[:2]), FIELD_CHARS)}")
        parts.append(f"*Status:* {escape(status_label(case.status), FIELD_CHARS)}")
    parts.append(f"*Date:* {slack_date(view.event_day)}")
    if view.amounts:
        parts.append(f"*Amounts:* {', '.join(format_amount(a) for a in view.amounts[:3])}")
    return parts


def _sources_line(view: AlertView) -> str:
    watched = f" · watched: {escape(view.matched_term, FIELD_CHARS)}"
    sources = join_within(
        [link(source.link, source.feed, label_limit=FIELD_CHARS) for source in view.sources[:SOURCES_SHOWN]],
        TEXT_LIMIT - 400,
        separator=", ",
    )
    return f"*Sources ({len(view.sources)}):* {sources}{watched}"


def _related_line(view: AlertView, limit: int) -> str:
    """``related: …`` naming the case's related cases that this channel also watches, or ""."""
    if not view.related:
        return ""
    entries = [escape(related_label(related), 400) for related in view.related]
    more = more_related(len(view.related), view.related_total)
    return "*Related:* " + join_within(entries + ([more] if more else []), limit - 20, separator="; ")


def alert_message(view: AlertView) -> dict:
    """One message per new event: what happened, the case, where, when, how
    much, every source, and why this channel got it."""
    first = view.sources[0]
    caption = view.case.caption if view.case else None
    title = f"*{_label(view.action)}*" + (f" · *{escape(truncate(caption, 250), 600)}*" if caption else "")
    headline = link(first.link, truncate(view.headline, HEADLINE_CHARS), label_limit=600)
    text = f"{_label(view.action)}: {escape(truncate(caption or view.headline, 150), 600)}"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": join_within([title, headline], TEXT_LIMIT)}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": join_within(_case_facts(view), TEXT_LIMIT, separator=" · ")}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _sources_line(view)}]},
    ]
    related = _related_line(view, TEXT_LIMIT)
    if related:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": related}]})
    if view.note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _note_line(view.note)}]})
    return {"text": text, "blocks": blocks}


def _note_line(note: str) -> str:
    """The channel's note on the watch (the first alert of a case shows why the channel follows it)."""
    return f":memo: *Note:* {note_text(note)}"


def alert_fallback(view: AlertView) -> dict:
    """The alert as plain text (no blocks), short enough that Slack cannot
    refuse it for its size: what the sender posts if Slack refuses the blocks."""
    caption = view.case.caption if view.case else None
    lines = [
        f"{_label(view.action)}: {escape(truncate(caption or view.headline, 250), 600)}",
        escape(truncate(view.headline, HEADLINE_CHARS), 600),
        join_within(_case_facts(view), 1000, separator=" · "),
    ]
    first = view.sources[0]
    shown_link = link(first.link, first.feed, label_limit=FIELD_CHARS)
    lines.append(f"Source: {shown_link} · watched: {escape(view.matched_term, FIELD_CHARS)}")
    related = _related_line(view, 1000)
    if related:
        lines.append(related)
    if view.note:
        lines.append(_note_line(view.note))
    return {"text": join_within(lines, FALLBACK_CHARS)}


def _digest_heading(views: list[AlertView], cases: int, period: str) -> str:
    count = len(views)
    return (
        f"Casewatch {period} digest: {count} new event{'s' if count != 1 else ''} "
        f"in {cases} case{'s' if cases != 1 else ''}"
    )


def _by_case(views: list[AlertView]) -> dict[str, list[AlertView]]:
    by_case: dict[str, list[AlertView]] = {}
    for view in views[:DIGEST_EVENTS]:
        caption = view.case.caption if view.case else "Other news"
        by_case.setdefault(caption, []).append(view)
    return by_case


def _digest_line(view: AlertView) -> str:
    first = view.sources[0]
    return (
        f"• {slack_date(view.event_day)} *{_label(view.action)}*: "
        f"{link(first.link, truncate(view.headline, 150), label_limit=600)}"
        f" _(watched: {escape(view.matched_term, FIELD_CHARS)})_"
    )


def digest_message(views: list[AlertView], *, period: str) -> dict:
    """One summary of a channel's new events, grouped by case."""
    by_case = _by_case(views)
    heading = _digest_heading(views, len(by_case), period)
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": truncate(heading, HEADER_LIMIT)}}]
    for caption, case_views in list(by_case.items())[:DIGEST_CASES]:
        lines = [f"*{escape(truncate(caption, 250), 600)}*", *(_digest_line(view) for view in case_views)]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": join_within(lines, TEXT_LIMIT)}})
    if len(views) > DIGEST_EVENTS:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"…and {len(views) - DIGEST_EVENTS} more events."}],
            }
        )
    return {"text": heading, "blocks": blocks}


def digest_fallback(views: list[AlertView], *, period: str) -> dict:
    """The digest as plain text (no blocks), within Slack's size limits."""
    by_case = _by_case(views)
    lines = [_digest_heading(views, len(by_case), period)]
    for caption, case_views in by_case.items():
        lines.append(escape(truncate(caption, 250), 600))
        lines += [
            f"  • {slack_date(view.event_day)} {_label(view.action)}: {escape(truncate(view.headline, 150), 600)}"
            for view in case_views
        ]
    return {"text": join_within(lines, FALLBACK_CHARS * 3)}
