"""Alert and digest messages in Block Kit. All feed text is escaped."""

from __future__ import annotations

from feeds.extract import format_amount
from handlers.case_answer import ACTION_LABELS
from handlers.mrkdwn import escape, link, truncate
from storage.alerts import AlertView

HEADLINE_CHARS = 200
DIGEST_EVENTS = 40


def _label(action: str) -> str:
    return ACTION_LABELS.get(action, "Update")


def _case_line(view: AlertView) -> str:
    case = view.case
    parts = []
    if case:
        if case.agency:
            parts.append(f"*Agency:* {escape(case.agency)}")
        if case.court:
            parts.append(f"*Court:* {escape(case.court)}")
        if case.dockets:
            parts.append(f"*Docket:* {escape(', '.join(case.dockets[:2]))}")
    parts.append(f"*Date:* {view.event_day}")
    if view.amounts:
        parts.append(f"*Amounts:* {', '.join(format_amount(a) for a in view.amounts[:3])}")
    return " · ".join(parts)


def _sources(view: AlertView) -> str:
    return ", ".join(link(source.link, source.feed) for source in view.sources[:8])


def alert_message(view: AlertView) -> dict:
    """One message per new event: what happened, the case, where, when, how
    much, every source, and why this channel got it."""
    first = view.sources[0]
    caption = view.case.caption if view.case else None
    title = f"*{_label(view.action)}*" + (f" · *{escape(truncate(caption, 250))}*" if caption else "")
    headline = link(first.link, truncate(view.headline, HEADLINE_CHARS))
    text = f"{_label(view.action)}: {escape(truncate(caption or view.headline, 150))}"
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{title}\n{headline}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _case_line(view)}]},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"*Sources ({len(view.sources)}):* {_sources(view)} · watched: {escape(view.matched_term)}",
                }
            ],
        },
    ]
    return {"text": text, "blocks": blocks}


def digest_message(views: list[AlertView], *, period: str) -> dict:
    """One summary of a channel's new events, grouped by case."""
    by_case: dict[str, list[AlertView]] = {}
    for view in views[:DIGEST_EVENTS]:
        caption = view.case.caption if view.case else "Other news"
        by_case.setdefault(caption, []).append(view)
    count = len(views)
    heading = f"Casewatch {period} digest: {count} new event{'s' if count != 1 else ''} in {len(by_case)} case{'s' if len(by_case) != 1 else ''}"
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": truncate(heading, 150)}}]
    for caption, case_views in list(by_case.items())[:45]:
        lines = [f"*{escape(truncate(caption, 250))}*"]
        for view in case_views:
            first = view.sources[0]
            lines.append(
                f"• `{view.event_day}` *{_label(view.action)}*: {link(first.link, truncate(view.headline, 150))}"
                f" _(watched: {escape(view.matched_term)})_"
            )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), 2900)}})
    if count > DIGEST_EVENTS:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {count - DIGEST_EVENTS} more events."}]}
        )
    return {"text": heading, "blocks": blocks}
