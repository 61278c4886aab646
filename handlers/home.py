"""The Home tab: every watch of the user's channels, a page at a time, and their latest alerts.

Its size is bounded by construction: a page holds at most :data:`PAGE_WATCHES`
watches, whose lines (each at most about 580 characters: term, delivery problem, note) go
:data:`LINES_PER_SECTION` to a section, so a page is at most about 20 blocks,
far from Slack's 100, and no section passes its 3,000 characters.
"""

from __future__ import annotations

from handlers.mrkdwn import TEXT_LIMIT, cut, escape, join_within, mention_channel, slack_date, truncate
from handlers.watch_answer import action_label, fix_for
from handlers.watch_changes import note_text
from storage.alerts import SentAlert
from storage.watches import Watch

PAGE_WATCHES = 30
LINES_PER_SECTION = 5
MORE_ACTION = "home_more"
TERM_CHARS = 120
NOTE_CHARS = 150  # a watch's note under it (escaped)


def _watch_line(watch: Watch) -> str:
    sent = f"{watch.alerts_sent} alert{'s' if watch.alerts_sent != 1 else ''} sent"
    last = f", last {slack_date(watch.last_alert_at)}" if watch.last_alert_at else ""
    line = f"• *{escape(watch.term, TERM_CHARS)}* · {watch.mode} · {sent}{last}"
    if watch.last_error:
        line += f"\n    :warning: {cut(fix_for(watch.last_error), 200)}"
    if watch.note:
        line += f"\n    {note_text(watch.note, NOTE_CHARS)}"
    return line


def _page_lines(page: list[Watch]) -> list[str]:
    """The page's watches under their channels (a channel named again where its watches continue)."""
    lines: list[str] = []
    channel = None
    for watch in page:
        if watch.channel_id != channel:
            channel = watch.channel_id
            lines.append(mention_channel(channel))
        lines.append(_watch_line(watch))
    return lines


def _sections(lines: list[str]) -> list[dict]:
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": join_within(lines[start : start + LINES_PER_SECTION], TEXT_LIMIT)},
        }
        for start in range(0, len(lines), LINES_PER_SECTION)
    ]


def _pager(total: int, offset: int) -> list[dict]:
    """Which watches the page shows, and the buttons to the next page and back to the first."""
    shown_to = min(total, offset + PAGE_WATCHES)
    shown = f"Watches {offset + 1}–{shown_to} of {total}"
    if offset == 0 and shown_to == total:  # one page: a count reads better than "Watches 1–1 of 1"
        shown = f"{total} watch{'es' if total != 1 else ''}"
    blocks: list[dict] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": shown}]}]
    buttons = []
    if shown_to < total:
        buttons.append(
            {
                "type": "button",
                "action_id": MORE_ACTION,
                "text": {"type": "plain_text", "text": "Show more"},
                "value": str(shown_to),
            }
        )
    if offset > 0:
        buttons.append(
            {
                "type": "button",
                "action_id": f"{MORE_ACTION}_first",
                "text": {"type": "plain_text", "text": "Back to the first"},
                "value": "0",
            }
        )
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def _alert_line(alert: SentAlert) -> str:
    """An alert: its case, or the headline of an alert that has no case."""
    about = alert.caption or alert.headline or "(untitled item)"
    return (
        f"• {slack_date(alert.sent_at)} {mention_channel(alert.channel_id)} *{action_label(alert.action)}*: "
        f"{escape(truncate(about, 120))} _(watched: {escape(alert.matched_term, 300)})_"
    )


def home_view(watches: list[Watch], alerts: list[SentAlert], *, offset: int = 0) -> dict:
    """The Home tab, showing the page of ``watches`` that starts at ``offset``."""
    ordered = sorted(watches, key=lambda watch: (watch.channel_id, watch.id))
    offset = max(0, min(offset, (max(len(ordered) - 1, 0) // PAGE_WATCHES) * PAGE_WATCHES))
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Casewatch"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Regulator and court actions against the companies your channels watch. "
                "Look one up with `/case binance`; follow it with `/watch binance` in a channel.",
            },
        },
        {"type": "header", "text": {"type": "plain_text", "text": "Your channels' watches"}},
    ]
    if ordered:
        blocks += _sections(_page_lines(ordered[offset : offset + PAGE_WATCHES]))
        blocks += _pager(len(ordered), offset)
    else:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "None yet. In a channel, try `/watch binance`."}}
        )
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Latest alerts"}})
    text = join_within([_alert_line(alert) for alert in alerts], TEXT_LIMIT) if alerts else "No alerts yet."
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return {"type": "home", "blocks": blocks}
