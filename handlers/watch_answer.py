"""Answers to /watch, /unwatch and /watchlist, and the fixes for delivery errors."""

from __future__ import annotations

from feeds.vocabulary import WatchKind, WatchMode
from handlers.case_answer import ACTION_LABELS
from handlers.mrkdwn import cut, escape, mention_channel, mention_user, slack_date, slack_length, truncate
from handlers.watch_changes import filter_label, note_text
from handlers.watch_request import WATCH_EXAMPLES
from storage.search import SearchResult
from storage.watch_filters import HIDDEN_DAYS
from storage.watches import Watch

WATCH_HELP = (
    "*/watch* makes this channel alert on new regulator and court actions:\n"
    "• `/watch binance`: items that name Binance, or whose case has it as a party\n"
    '• `/watch "Changpeng Zhao" aka CZ`: a person, under either name\n'
    "• `/watch 1:23-cv-01599`: every item of one case, in any form of its docket number\n"
    "• `/watch binance daily` (or `weekly`): one digest instead of an alert each\n"
    "• `/watch binance all`: routine docket entries (appearances, summonses …) too\n"
    "`/watchlist` shows this channel's watches; `/unwatch binance` or `/unwatch 12` removes one."
)

FIXES = {
    "not_in_channel": "Casewatch is not in this channel: type `/invite @Casewatch` here, and the held alerts will follow.",
    "channel_not_found": "Casewatch cannot see this channel: type `/invite @Casewatch` here.",
    "is_archived": "This channel is archived: unarchive it, or watch from another channel.",
    "invalid_auth": "Casewatch's token is no longer valid: a workspace admin must reinstall the app.",
    "token_revoked": "Casewatch's token was revoked: a workspace admin must reinstall the app.",
    "account_inactive": "Casewatch's token is no longer valid: a workspace admin must reinstall the app.",
    "missing_scope": "Casewatch lacks a permission: a workspace admin must reinstall it from the current manifest.",
}


def fix_for(error: str) -> str:
    return FIXES.get(error, f"Slack refused the alert ({escape(error)}).")


def _mode(watch_mode: WatchMode, include_routine: bool) -> str:
    mode = {
        WatchMode.INSTANT: "instant alerts",
        WatchMode.DAILY: "a daily digest",
        WatchMode.WEEKLY: "a weekly digest",
    }[watch_mode]
    return mode + (", routine docket entries included" if include_routine else "")


def _what_matches(watch: Watch) -> str:
    if watch.kind == WatchKind.DOCKET:
        return f"every item of case *{escape(watch.term)}*, in any form of its docket number"
    if watch.kind == WatchKind.CASE:
        return f"every item of *{escape(watch.term)}*"
    names = [watch.term, *watch.aliases]
    listed = " or ".join(f"*{escape(name)}*" for name in names)
    return (
        f"new items that name {listed} as a whole name, or whose case has it as a party "
        "(ignoring case, accents, punctuation and Inc./Ltd./LLC)"
    )


def watch_confirmation(watch: Watch, created: bool, known: SearchResult, elsewhere: list[str]) -> str:
    verb = "now watches" if created else "already watched this; updated to"
    lines = [
        f":white_check_mark: This channel {verb} *{escape(watch.term)}* with {_mode(watch.mode, watch.include_routine)}."
    ]
    lines.append(f"It will alert on {_what_matches(watch)}.")
    if not watch.include_routine:
        lines.append("Routine docket entries (appearances, summonses …) are left out; add `all` to include them.")
    if known.cases:
        shown = "\n".join(
            f"• {escape(truncate(case.caption, 150))}"
            + (
                f" ({escape(case.dockets[0])}" + (f", {escape(case.court)}" if case.court else "") + ")"
                if case.dockets
                else ""
            )
            for case in known.cases
        )
        more = f"\n…and {known.total - len(known.cases)} more." if known.total > len(known.cases) else ""
        lines.append(f"Cases already known for it:\n{shown}{more}")
    else:
        lines.append("No case is known for it yet; you will hear of the first.")
    if elsewhere:
        lines.append("Also watched in " + ", ".join(mention_channel(c) for c in elsewhere[:10]) + ".")
    return "\n".join(lines)


def watch_line(watch: Watch, hidden: int = 0) -> str:
    """One watch of ``/watchlist``, headed by its number: its id, which never
    changes or passes to another watch, so ``/unwatch 12`` means this one."""
    aliases = f" (aka {', '.join(escape(a) for a in watch.aliases)})" if watch.aliases else ""
    kind = {"name": "name", "docket": "docket", "case": "case"}[watch.kind]
    line = (
        f"`#{watch.id}` *{escape(watch.term)}*{aliases} · {kind} · {_mode(watch.mode, watch.include_routine)}"
        f"\n    added by {mention_user(watch.created_by)} on {slack_date(watch.created_at)} · "
        f"{watch.alerts_sent} alert{'s' if watch.alerts_sent != 1 else ''} sent"
        + (f", last on {slack_date(watch.last_alert_at)}" if watch.last_alert_at else "")
    )
    if watch.last_error:
        since = slack_date(watch.last_error_at, with_time=True)
        line += f"\n    :warning: Alerts are failing since {since}: {fix_for(watch.last_error)}"
    return line + _noise_lines(watch, hidden)


def _noise_lines(watch: Watch, hidden: int) -> str:
    """What the watch hides, how much it hid lately, and its note (``/watch … hide``, ``note``)."""
    lines = []
    if watch.filters:
        lines.append("hides " + ", ".join(filter_label(rule) for rule in watch.filters))
    if hidden:
        lines.append(f"{hidden} alert{'s' if hidden != 1 else ''} hidden in {HIDDEN_DAYS} days (`/watchlist hidden`)")
    if watch.note:
        lines.append(f"note: {note_text(watch.note)}")
    return "".join(f"\n    {line}" for line in lines)


def watchlist(watches: list[Watch], hidden: dict[int, int] | None = None) -> str:
    """``/watchlist``; ``hidden``: how many alerts each watch hid lately."""
    if not watches:
        return f"This channel watches nothing yet. Try {WATCH_EXAMPLES}."
    lines = [f"This channel's watches ({len(watches)}):"]
    lines += [watch_line(watch, (hidden or {}).get(watch.id, 0)) for watch in watches]
    number = watches[0].id
    lines.append(
        f'Hide what you do not need with `/watch #{number} hide "pro hac vice"` (or a kind: `hide orders`), '
        f'keep a note with `/watch #{number} note "why"`; `/watchlist hidden` lists what was hidden.'
    )
    lines.append(removal_examples(watches))
    return "\n".join(lines)


def removal_examples(watches: list[Watch]) -> str:
    """How to remove a watch, with this channel's own: by number, and by name
    or docket number (of a watch that can be typed back as it is shown)."""
    text = f"Remove one by its number, `/unwatch {watches[0].id}`"
    typable = next((watch for watch in watches if _typable(watch)), None)
    if typable is None:
        return text + "."
    return text + f", or by name, `/unwatch {escape(typable.term)}`."


def _typable(watch: Watch) -> bool:
    """Whether ``/unwatch <term>`` finds this watch and reads well in an example."""
    plain = not any(char in watch.term for char in "`'\"\\")
    return watch.kind in (WatchKind.NAME, WatchKind.DOCKET) and len(watch.term) <= 40 and plain


def already_removed(number: int) -> str:
    return (
        f"This channel has no such watch (#{number}): it was already removed, or is another channel's. "
        "Nothing was changed; `/watchlist` shows this channel's watches and their numbers."
    )


def unwatched(watch: Watch) -> str:
    return f":wave: This channel no longer watches *{escape(watch.term)}*. Its undelivered alerts were cancelled."


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "Update")


def ephemeral(text: str) -> dict:
    """An ephemeral answer; long text is split into sections on line breaks."""
    sections: list[str] = [""]
    for line in text.split("\n"):
        if slack_length(sections[-1]) + slack_length(line) + 1 > 2900:
            sections.append("")
        sections[-1] = f"{sections[-1]}\n{line}" if sections[-1] else cut(line, 2900)
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": section}} for section in sections[:48] if section.strip()
    ]
    return {"response_type": "ephemeral", "text": cut(text, 3000), "blocks": blocks}
