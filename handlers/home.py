"""The Home tab: the watches of the user's channels and their latest alerts."""

from __future__ import annotations

from handlers.mrkdwn import TEXT_LIMIT, escape, join_within, truncate
from handlers.watch_answer import action_label, fix_for, mention_channel
from handlers.watch_changes import note_text
from storage.alerts import SentAlert
from storage.watches import Watch

HOME_NOTE_CHARS = 150  # a watch's note under it (escaped)


def home_view(watches: list[Watch], alerts: list[SentAlert]) -> dict:
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
    if not watches:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "None yet. In a channel, try `/watch binance`."}}
        )
    by_channel: dict[str, list[Watch]] = {}
    for watch in watches:
        by_channel.setdefault(watch.channel_id, []).append(watch)
    for channel_id, channel_watches in list(by_channel.items())[:20]:
        lines = [mention_channel(channel_id)]
        for watch in channel_watches[:15]:
            last = f", last alert {watch.last_alert_at[:10]}" if watch.last_alert_at else ""
            note = f"\n    {note_text(watch.note, HOME_NOTE_CHARS)}" if watch.note else ""
            lines.append(f"• *{escape(watch.term, 300)}* · {watch.mode} · {watch.alerts_sent} sent{last}{note}")
        errors = {watch.last_error for watch in channel_watches if watch.last_error}
        lines += [f":warning: {fix_for(error)}" for error in sorted(errors)]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": join_within(lines, TEXT_LIMIT)}})
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Latest alerts"}})
    if alerts:
        lines = [
            f"• `{alert.sent_at[:10]}` {mention_channel(alert.channel_id)} *{action_label(alert.action)}*: "
            f"{escape(truncate(alert.caption or 'unnamed matter', 120))} _(watched: {escape(alert.matched_term, 300)})_"
            for alert in alerts
        ]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": join_within(lines, TEXT_LIMIT)}})
    else:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "No alerts yet."}})
    return {"type": "home", "blocks": blocks[:100]}
