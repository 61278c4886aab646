"""The answer to ``/case``: Block Kit for Slack, and the same answer as plain
text for the command line. Both are built from one list of facts per case so
they never disagree."""

from __future__ import annotations

import json
from dataclasses import dataclass

from feeds.extract import format_amount
from feeds.vocabulary import Action
from handlers.mrkdwn import TEXT_LIMIT, escape, join_within, link, mention_user, slack_date, truncate, unescape
from storage.cases import CaseView
from storage.related import RelatedCase
from storage.search import ItemHit, SearchResult

EXAMPLES = "`/case binance` · `/case Changpeng Zhao` · `/case 1:23-cv-01599`"
USAGE = f"Look up an enforcement action or court case by company, person or docket number.\nExamples: {EXAMPLES}"
HELP_WORDS = ("help", "?")
CASE_HELP = (
    "*/case* looks up an enforcement action or court case by company, person or docket number (any form of it) "
    "and shows the best matches, newest activity first, with their latest events and sources.\n"
    "• `/case binance`: a company\n"
    "• `/case Changpeng Zhao`: a person\n"
    "• `/case 1:23-cv-01599` or `/case Civil Action No. 23-1599`: a docket number\n"
    "Only you see the answer. On each card, *Watch this case* alerts this channel of its new events, and "
    "*Share in channel* posts the card for everyone. To follow a name rather than one case: `/watch binance`."
)
ACTION_LABELS = {
    Action.COMPLAINT: "Complaint",
    Action.INDICTMENT: "Indictment",
    Action.PLEA: "Guilty plea",
    Action.VERDICT: "Verdict",
    Action.SENTENCING: "Sentencing",
    Action.SETTLEMENT: "Settlement",
    Action.JUDGMENT: "Judgment",
    Action.RULING: "Ruling",
    Action.DISMISSAL: "Dismissal",
    Action.ADMINISTRATIVE_PROCEEDING: "Administrative proceeding",
    Action.OPINION: "Opinion",
    Action.ORDER: "Order",
    Action.APPEAL: "Appeal",
    Action.FILING: "Filing",
    Action.NONE: "Item",
    Action.CASE_UPDATE: "Update",
}
TITLE_CHARS = 160
FIELD_CHARS = 300  # a detail, a source name, a query (escaped)
RELATED_CAPTION_CHARS = 120


def _date(iso: str | None) -> str:
    return (iso or "")[:10] or "undated"


def _action(action: str | None) -> str:
    return ACTION_LABELS.get(action or "", "Update")


def status_label(status: str) -> str:
    """A case status as a card shows it: ``Motion to dismiss granted in part``."""
    return status[:1].upper() + status[1:]


def related_label(related: RelatedCase) -> str:
    """One related case in a line (plain text): caption (agency, status)."""
    facts = ", ".join(part for part in (related.agency, related.status) if part)
    return f"{truncate(related.caption, RELATED_CAPTION_CHARS)} ({facts})"


def more_related(shown: int, total: int) -> str:
    return f"and {total - shown} more" if total > shown else ""


@dataclass(frozen=True)
class CardFacts:
    caption: str
    details: list[tuple[str, str]]  # (label, value), untrusted values
    status: str  # "Motion to dismiss granted in part", untrusted
    latest: tuple[str, str | None]  # ("Ruling on", when) or ("last activity", when); when is ISO
    timeline: list[tuple[str | None, str, str, str | None, str]]  # when (ISO), action, title, link, source
    backing: str
    related: list[str]  # "caption (agency, status)", untrusted
    related_more: str  # "and N more", or ""
    mentioned_in: list[tuple[str, str | None, str]]  # story title, link, source: untrusted


def card_facts(case: CaseView) -> CardFacts:
    details = [("Agency", case.agency or "unknown"), ("Court", case.court or "not stated")]
    if case.dockets:
        details.append(("Docket", ", ".join(case.dockets[:3])))
    if case.amounts:
        details.append(("Amounts", ", ".join(format_amount(amount) for amount in case.amounts[:3])))
    latest = (
        (f"{_action(case.latest_action)} on", case.latest_action_at)
        if case.latest_action
        else ("last activity", case.last_event_at)
    )
    timeline = [
        (entry.event_at, _action(entry.action), truncate(entry.headline, TITLE_CHARS), entry.link, entry.source)
        for entry in case.timeline
    ]
    more = case.items - len(case.timeline)
    backing = f"{case.items} item{'s' if case.items != 1 else ''} from {case.sources} source{'s' if case.sources != 1 else ''}"
    if more > 0:
        backing += f" ({more} older not shown)"
    if case.defendants:
        shown = ", ".join(case.defendants[:4]) + (
            f" and {len(case.defendants) - 4} more" if len(case.defendants) > 4 else ""
        )
        backing += f" · Parties: {shown}"
    related = [related_label(related) for related in case.related]
    more = more_related(len(case.related), case.related_total)
    mentioned_in = [(truncate(story.title, TITLE_CHARS), story.link, story.source) for story in case.mentioned_in]
    return CardFacts(
        truncate(case.caption, 300),
        details,
        status_label(case.status),
        latest,
        timeline,
        backing,
        related,
        more,
        mentioned_in,
    )


def plain_status(facts: CardFacts) -> str:
    """``Pending (latest: Ruling on 2024-06-28)``, dates in UTC."""
    words, when = facts.latest
    return f"{facts.status} (latest: {words} {_date(when)})"


def slack_status(facts: CardFacts) -> str:
    """:func:`plain_status` in mrkdwn, the date in the reader's time zone."""
    words, when = facts.latest
    return f"{escape(facts.status, 400)} (latest: {words} {slack_date(when)})"


def headline(result: SearchResult, query: str) -> str:
    """``5 cases match *binance*; showing the best 3``: the count, the query as
    ``query`` shows it (mrkdwn or quoted), then what is shown; ``by name``
    after the query when the count is of the cases matched by name only
    (:attr:`SearchResult.by_name_only`); ``1000+`` when the count stopped there
    (:attr:`SearchResult.at_least`, on PostgreSQL)."""
    shown = len(result.cases)
    matched = f"{query} by name" if result.by_name_only else query
    total = f"{result.total}+" if result.at_least else result.total
    if result.total == 1:
        return f"1 case matches {matched}"
    if result.total > shown:
        return f"{total} cases match {matched}; showing the best {shown}"
    return f"{total} cases match {matched}"


# --- Slack ------------------------------------------------------------------


WATCH_ACTION = "watch_case"
UNWATCH_ACTION = "unwatch_case"
SHARE_ACTION = "share_case"
BUTTON_QUERY_CHARS = 300  # a button's value holds at most 2,000 characters (the query escaped: 1,500 at most)


@dataclass(frozen=True)
class CardButton:
    """What a card's button carries: its case, and either the query of the
    ``/case`` answer it is in or, on a card shared in a channel (which stands
    alone), who shared it."""

    case_id: int
    query: str | None = None
    shared_by: str = ""

    def value(self) -> str:
        fields: dict = {"case": self.case_id}
        if self.query is not None:
            fields["q"] = escape(self.query[:BUTTON_QUERY_CHARS])  # never a raw <!channel>, even unseen
        if self.shared_by:
            fields["by"] = self.shared_by[:40]
        return json.dumps(fields, ensure_ascii=False)


def read_button(value: str) -> CardButton | None:
    """The :class:`CardButton` a button's value carries (a bare case number on
    cards made before buttons carried their query), or ``None`` if it is not one."""
    try:
        fields = json.loads(value)
    except ValueError:
        return None
    if isinstance(fields, int) and not isinstance(fields, bool):
        return CardButton(fields)
    if not isinstance(fields, dict) or not isinstance(fields.get("case"), int):
        return None
    query, shared_by = fields.get("q"), fields.get("by")
    return CardButton(
        fields["case"],
        unescape(query) if isinstance(query, str) else None,
        shared_by if isinstance(shared_by, str) else "",
    )


def _watch_button(button: CardButton, watched: bool) -> dict:
    if watched:
        return {
            "type": "button",
            "action_id": UNWATCH_ACTION,
            "text": {"type": "plain_text", "text": "Unwatch this case"},
            "value": button.value(),
        }
    return {
        "type": "button",
        "action_id": WATCH_ACTION,
        "style": "primary",
        "text": {"type": "plain_text", "text": "Watch this case"},
        "value": button.value(),
    }


def _share_button(button: CardButton) -> dict:
    return {
        "type": "button",
        "action_id": SHARE_ACTION,
        "text": {"type": "plain_text", "text": "Share in channel"},
        "value": button.value(),
    }


def _case_blocks(case: CaseView, watched: bool | None, button: CardButton) -> list[dict]:
    """A case card; each text is within Slack's limits and the timeline is
    cut on whole entries, so no link is ever broken. With ``watched`` (not
    None) it has a Watch or Unwatch button; in a ``/case`` answer (``button``
    has its query) a Share button too."""
    facts = card_facts(case)
    detail_line = join_within(
        [f"*{label}:* {escape(value, FIELD_CHARS)}" for label, value in facts.details], TEXT_LIMIT, separator=" · "
    )
    timeline = [
        f"• {slack_date(when)} *{escape(action, 60)}*: {link(url, title)} _({escape(source, FIELD_CHARS)})_"
        for when, action, title, url, source in facts.timeline
    ]
    heading = join_within([f"*{escape(facts.caption, 1000)}*", detail_line], TEXT_LIMIT)
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": heading}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*Status:* {slack_status(facts)}"}]},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": join_within(timeline, TEXT_LIMIT) or "_No events yet._"},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(facts.backing, TEXT_LIMIT)}]},
    ]
    if facts.related:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": related_line(facts)}]})
    if facts.mentioned_in:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": mentioned_line(facts)}]})
    buttons = [] if watched is None else [_watch_button(button, watched)]
    if button.query is not None:
        buttons.append(_share_button(button))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def related_line(facts: CardFacts) -> str:
    """``*Related:* a; b; … and N more`` in mrkdwn, within a context element's limit."""
    entries = [escape(entry, 400) for entry in facts.related]
    if facts.related_more:
        entries.append(facts.related_more)
    return "*Related:* " + join_within(entries, TEXT_LIMIT - 20, separator="; ")


def mentioned_line(facts: CardFacts) -> str:
    """``*Mentioned in:* <link|title> (source); …`` in mrkdwn, cut on whole
    stories within a context element's limit."""
    entries = [f"{link(url, title)} ({escape(source, FIELD_CHARS)})" for title, url, source in facts.mentioned_in]
    return "*Mentioned in:* " + join_within(entries, TEXT_LIMIT - 20, separator="; ")


def slack_answer(result: SearchResult, watched_case_ids: set[int] | None = None) -> dict:
    """The ephemeral message answering ``/case``: ``text`` plus ``blocks``.
    Each card has a Share in channel button and, with ``watched_case_ids``,
    a Watch or Unwatch button."""
    if not result.cases:
        return slack_no_match(result)
    query = escape(result.query, FIELD_CHARS)
    blocks: list[dict] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": headline(result, f"*{query}*")}]}]
    for case in result.cases:
        blocks.append({"type": "divider"})
        watched = None if watched_case_ids is None else case.id in watched_case_ids
        blocks.extend(_case_blocks(case, watched, CardButton(case.id, result.query)))
    blocks.extend(_item_blocks(result.items))
    return {"text": headline(result, f"*{query}*"), "blocks": blocks}


def shared_card(case: CaseView, watched: bool, user_id: str) -> dict:
    """A case card posted visibly in a channel: the card of the ``/case``
    answer without its Share button, and who shared it."""
    card = _case_blocks(case, watched, CardButton(case.id, shared_by=user_id))
    if user_id:  # a card from before buttons said who shared it has no such line
        card.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Shared by {mention_user(user_id)}"}]})
    return {"text": escape(truncate(case.caption, 300)), "blocks": card}


ITEMS_HEADING = "Items that name no case"


def _item_line(item: ItemHit) -> str:
    return (
        f"• {slack_date(item.event_at)} {link(item.link, truncate(item.title, TITLE_CHARS))}"
        f" _({escape(item.source, FIELD_CHARS)})_"
    )


def _item_blocks(items: list[ItemHit]) -> list[dict]:
    """Matching items that belong to no case (speeches, statistics, rule proposals)."""
    if not items:
        return []
    lines = [f"*{ITEMS_HEADING}:*", *(_item_line(item) for item in items)]
    return [
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": join_within(lines, TEXT_LIMIT)}},
    ]


def slack_no_match(result: SearchResult) -> dict:
    text = f"No case matches *{escape(truncate(result.query, 100))}*."
    if result.suggestions:
        text += " Did you mean " + " or ".join(f"*{escape(s, FIELD_CHARS)}*" for s in result.suggestions[:5]) + "?"
    text += f"\nExamples: {EXAMPLES}"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, *_item_blocks(result.items)]
    return {"text": text, "blocks": blocks}


def is_help(text: str) -> bool:
    """Whether a command's text asks for help (``help`` or ``?``, unquoted)."""
    return text.strip().lower() in HELP_WORDS


def slack_help() -> dict:
    return {"text": CASE_HELP, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": CASE_HELP}}]}


def slack_usage() -> dict:
    return {"text": USAGE, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": USAGE}}]}


# --- plain text -------------------------------------------------------------


def plain_answer(result: SearchResult) -> str:
    if not result.query:
        return USAGE.replace("`", "")
    if not result.cases:
        text = f"No case matches {result.query!r}."
        if result.suggestions:
            text += " Did you mean " + " or ".join(repr(s) for s in result.suggestions) + "?"
        return text + "\n" + f"Examples: {EXAMPLES}".replace("`", "") + _plain_items(result.items)
    lines = [headline(result, repr(result.query))]
    for case in result.cases:
        facts = card_facts(case)
        lines += ["", "─" * 72, facts.caption, " · ".join(f"{label}: {value}" for label, value in facts.details)]
        lines.append(f"Status: {plain_status(facts)}")
        for when, action, title, url, source in facts.timeline:
            lines.append(f"  • {_date(when)}  {action}: {title} ({source})")
            if url:
                lines.append(f"      {url}")
        lines.append(facts.backing)
        if facts.related:
            lines.append("Related: " + "; ".join(facts.related + ([facts.related_more] if facts.related_more else [])))
        if facts.mentioned_in:
            lines.append("Mentioned in: " + "; ".join(f"{title} ({source})" for title, _, source in facts.mentioned_in))
    return "\n".join(lines) + _plain_items(result.items)


def _plain_items(items: list[ItemHit]) -> str:
    if not items:
        return ""
    lines = ["", "─" * 72, f"{ITEMS_HEADING}:"]
    for item in items:
        lines.append(f"  • {_date(item.event_at)}  {item.title} ({item.source})")
        if item.link:
            lines.append(f"      {item.link}")
    return "\n".join(lines)
