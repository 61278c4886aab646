"""The answer to ``/case``: Block Kit for Slack, and the same answer as plain
text for the command line. Both are built from one list of facts per case so
they never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from feeds.extract import format_amount
from feeds.vocabulary import Action
from handlers.mrkdwn import TEXT_LIMIT, escape, join_within, link, truncate
from storage.cases import CaseView
from storage.related import RelatedCase
from storage.search import ItemHit, SearchResult

EXAMPLES = "`/case binance` · `/case Changpeng Zhao` · `/case 1:23-cv-01599`"
USAGE = f"Look up an enforcement action or court case by company, person or docket number.\nExamples: {EXAMPLES}"
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
    status: str
    timeline: list[tuple[str, str, str, str | None, str]]  # date, action, title, link, source
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
        f"{_action(case.latest_action)} on {_date(case.latest_action_at)}"
        if case.latest_action
        else f"last activity {_date(case.last_event_at)}"
    )
    status = f"{status_label(case.status)} (latest: {latest})"
    timeline = [
        (_date(entry.event_at), _action(entry.action), truncate(entry.headline, TITLE_CHARS), entry.link, entry.source)
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
    return CardFacts(truncate(case.caption, 300), details, status, timeline, backing, related, more, mentioned_in)


def _headline(result: SearchResult) -> str:
    shown = len(result.cases)
    if result.total == 1:
        return "1 case matches"
    if result.total > shown:
        return (
            f"{result.total} cases match; the best {shown} are below ({result.total - shown} more: refine the search)"
        )
    return f"{result.total} cases match"


# --- Slack ------------------------------------------------------------------


WATCH_ACTION = "watch_case"
UNWATCH_ACTION = "unwatch_case"


def _watch_button(case: CaseView, watched: bool) -> dict:
    if watched:
        return {
            "type": "button",
            "action_id": UNWATCH_ACTION,
            "text": {"type": "plain_text", "text": "Unwatch"},
            "value": str(case.id),
        }
    return {
        "type": "button",
        "action_id": WATCH_ACTION,
        "style": "primary",
        "text": {"type": "plain_text", "text": "Watch"},
        "value": str(case.id),
    }


def _case_blocks(case: CaseView, watched: bool | None) -> list[dict]:
    """A case card; each text is within Slack's limits and the timeline is
    cut on whole entries, so no link is ever broken."""
    facts = card_facts(case)
    detail_line = join_within(
        [f"*{label}:* {escape(value, FIELD_CHARS)}" for label, value in facts.details], TEXT_LIMIT, separator=" · "
    )
    timeline = [
        f"• `{escape(day, 40)}` *{escape(action, 60)}*: {link(url, title)} _({escape(source, FIELD_CHARS)})_"
        for day, action, title, url, source in facts.timeline
    ]
    heading = join_within([f"*{escape(facts.caption, 1000)}*", detail_line], TEXT_LIMIT)
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": heading}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*Status:* {escape(facts.status, 500)}"}]},
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
    if watched is not None:
        blocks.append({"type": "actions", "elements": [_watch_button(case, watched)]})
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
    With ``watched_case_ids``, each card gets a Watch or Unwatch button."""
    if not result.cases:
        return slack_no_match(result)
    query = escape(result.query, FIELD_CHARS)
    blocks: list[dict] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{_headline(result)} *{query}*"}]}
    ]
    for case in result.cases:
        blocks.append({"type": "divider"})
        watched = None if watched_case_ids is None else case.id in watched_case_ids
        blocks.extend(_case_blocks(case, watched))
    blocks.extend(_item_blocks(result.items))
    return {"text": f"{_headline(result)} {query}", "blocks": blocks}


ITEMS_HEADING = "Items that name no case"


def _item_line(item: ItemHit) -> str:
    return (
        f"• `{escape(_date(item.event_at), 40)}` {link(item.link, truncate(item.title, TITLE_CHARS))}"
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
    lines = [f"{_headline(result)} {result.query!r}"]
    for case in result.cases:
        facts = card_facts(case)
        lines += ["", "─" * 72, facts.caption, " · ".join(f"{label}: {value}" for label, value in facts.details)]
        lines.append(f"Status: {facts.status}")
        for day, action, title, url, source in facts.timeline:
            lines.append(f"  • {day}  {action}: {title} ({source})")
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
