"""The answer to ``/case``: Block Kit for Slack, and the same answer as plain
text for the command line. Both are built from one list of facts per case so
they never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from feeds.extract import format_amount
from handlers.mrkdwn import TEXT_LIMIT, escape, join_within, link, truncate
from storage.cases import CaseView
from storage.search import SearchResult

EXAMPLES = "`/case binance` · `/case Changpeng Zhao` · `/case 1:23-cv-01599`"
USAGE = f"Look up an enforcement action or court case by company, person or docket number.\nExamples: {EXAMPLES}"
ACTION_LABELS = {
    "complaint": "Complaint",
    "plea": "Guilty plea",
    "settlement": "Settlement",
    "judgment": "Judgment",
    "ruling": "Ruling",
    "dismissal": "Dismissal",
    "administrative proceeding": "Administrative proceeding",
    "filing": "Filing",
}
TITLE_CHARS = 160
FIELD_CHARS = 300  # a detail, a source name, a query (escaped)


def _date(iso: str | None) -> str:
    return (iso or "")[:10] or "undated"


def _action(action: str | None) -> str:
    return ACTION_LABELS.get(action or "", "Update")


@dataclass(frozen=True)
class CardFacts:
    caption: str
    details: list[tuple[str, str]]  # (label, value), untrusted values
    status: str
    timeline: list[tuple[str, str, str, str | None, str]]  # date, action, title, link, source
    backing: str


def card_facts(case: CaseView) -> CardFacts:
    details = [("Agency", case.agency or "unknown"), ("Court", case.court or "not stated")]
    if case.dockets:
        details.append(("Docket", ", ".join(case.dockets[:3])))
    if case.amounts:
        details.append(("Amounts", ", ".join(format_amount(amount) for amount in case.amounts[:3])))
    status = (
        f"{_action(case.latest_action)} on {_date(case.latest_action_at)}"
        if case.latest_action
        else f"Last activity {_date(case.last_event_at)}"
    )
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
    return CardFacts(truncate(case.caption, 300), details, status, timeline, backing)


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
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": heading}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*Status:* {escape(facts.status, 500)}"}]},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": join_within(timeline, TEXT_LIMIT) or "_No events yet._"},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(facts.backing, TEXT_LIMIT)}]},
    ] + ([{"type": "actions", "elements": [_watch_button(case, watched)]}] if watched is not None else [])


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
    return {"text": f"{_headline(result)} {query}", "blocks": blocks}


def slack_no_match(result: SearchResult) -> dict:
    text = f"No case matches *{escape(truncate(result.query, 100))}*."
    if result.suggestions:
        text += " Did you mean " + " or ".join(f"*{escape(s, FIELD_CHARS)}*" for s in result.suggestions[:5]) + "?"
    text += f"\nExamples: {EXAMPLES}"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


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
        return text + "\n" + f"Examples: {EXAMPLES}".replace("`", "")
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
    return "\n".join(lines)
