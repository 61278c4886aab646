"""The kind of action of one CM/ECF docket entry, read from its event name.

CM/ECF courts describe every docket entry by a standard event name, shown in
brackets in their RSS feeds (``[Order on Motion to Dismiss]``, ``[Judgment -
Clerk]``, ``[Notice of Appeal]``, ``[Opinion Issued]``); the free docket text
(``ORDER granting 12 Motion to Dismiss``) starts with the same words. The
rules below read either, in this order:

1. a paper a party or the clerk files (motion, letter, brief, notice,
   transcript, clerk's utility event …) is a *filing*, except a notice of
   appeal, of removal or of voluntary dismissal;
2. a notice of appeal is an *appeal*;
3. the whole case dismissed, closed or terminated is a *dismissal*;
4. a judgment or order by consent, a settlement, is a *settlement*;
5. on a criminal docket: charging papers (indictment, information, criminal
   complaint) are an *indictment*; a plea, a verdict, a sentencing and the
   judgment in a criminal case have their own kinds;
6. an opinion is an *opinion* on an appellate court, and a *ruling* on a trial
   court (a district judge's opinion decides a motion or a bench trial);
7. a judgment is a *judgment*;
8. an order deciding a dispositive motion (dismiss, summary judgment, default
   judgment, injunction, new trial, reconsideration …) is a *ruling*; every
   other order (scheduling, extension of time, endorsed letters) is an *order*;
9. a civil complaint or notice of removal is a *complaint*;
10. anything else is a *filing*.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

_FLAGS = re.IGNORECASE


# Rule 1: papers filed by a party or recorded by the clerk, named by their first word.
_FILED_PAPER = re.compile(
    r"^(?:(?:emergency|joint|consent|unopposed|letter|cross|renewed|amended|supplemental)\s+)*"
    r"(?:minute\s+entry(?!.{0,120}?\b(?:(?:re-?)?sentencing|plea|verdict)\b)|motion(?!\s+order)|letter(?!\s+(?:order|endorsed))|request|application|memorandum\s+(?:of\s+law|in)|"
    r"brief\b|reply\b|response\b|answer\b|declaration|affidavit|affirmation|exhibit|transcript|summons|statement|"
    r"objection|certificate|appearance|appear\b|waiver|mail|transmission|proposed|submission|"
    r"notice(?!,?\s+(?:of\s+)?(?:(?:interlocutory|cross)[\s-]+)?appeal\b)(?!\s+of\s+removal)"
    r"(?!\s+of\s+(?:voluntary\s+)?dismissal)(?!\s+of\s+settlement)|~?util\s*-(?!\s*terminate\s+(?:civil|criminal)?\s*case)|"
    r"\d+\s*-\s*terminate|terminate\s+(?:pending\s+)?(?:deadlines|hearings|motions|trustee|attorney)|"
    r"add\s+(?:judge|trustee|party|attorney)|clerk'?s\s+(?:entry|notice)|set\s+(?:deadlines|hearings))",
    _FLAGS,
)
_APPEAL = re.compile(r"^notice,?\s+(?:of\s+)?(?:(?:interlocutory|cross)[\s-]+)?appeal\b", _FLAGS)
_WHOLE_CASE = r"(?:the\s+)?(?:case|action|appeal|complaint|adversary(?:\s+proceeding)?|petition|indictment)"
_DISMISSAL = re.compile(
    rf"(?:stipulation|notice)(?:\s+and\s+order)?\s+of\s+(?:voluntary\s+)?dismissal|"
    rf"order\s+(?:of|for)\s+(?:voluntary\s+)?dismissal|\border\s+dismissing\s+{_WHOLE_CASE}\b|"
    rf"\bdismissal\s+of\s+{_WHOLE_CASE}\b|\bclose[ds]?\s+(?:bankruptcy\s+|adversary\s+|civil\s+|criminal\s+)?case\b|"
    rf"\bcase\s+(?:closed|dismissed)\b|\bterminate\s+(?:civil\s+|criminal\s+)?case\b|"
    rf"\bcase\s+termination\s+without\b|\b{_WHOLE_CASE}\s+dismissed\b|^dismissal\b",
    _FLAGS,
)
_AS_TO_A_PARTY = re.compile(r"\bdismiss\w*\b.{0,40}\bas\s+to\b", _FLAGS)
# An injunction or restraining order the court issues decides the motion for it.
_INJUNCTION = re.compile(r"^(?:preliminary\s+|permanent\s+)?injunction\b|^temporary\s+restraining\s+order\b", _FLAGS)
_SETTLEMENT = re.compile(
    r"\bconsent\s+(?:judgment|decree)\b|^consent\s+order\b(?!.{0,60}\b(?:substitut|attorney|counsel|extension|adjourn|schedul|withdraw|protective|"
    r"confidential|seal))|"
    r"\bjudgment\s*-\s*consent\b|\bjudgment\s+by\s+consent\b|\bsettlement\b(?!\s+conference)|"
    r"\bapprov\w*\s+(?:a\s+|the\s+)?compromise\b",
    _FLAGS,
)
_CRIMINAL_CHARGE = re.compile(
    r"^(?:sealed\s+)?(?:superseding\s+)?(?:indictment|information|complaint)\b",
    _FLAGS,
)
_PLEA = re.compile(r"\bplea\s+agreement\b|\b(?:guilty\s+plea|plea\s+of\s+guilty|change\s+of\s+plea)\b", _FLAGS)
_VERDICT = re.compile(r"\bverdict\b", _FLAGS)
_SENTENCING = re.compile(
    r"\bjudgment\s+(?:in\s+a\s+criminal\s+case|as\s+to\b)|(?:^|:\s*)(?:minute\s+entry\s+(?:for|of)\s+)?(?:proceedings\s+)?"
    r"(?:re-?)?sentencing\b(?!\s+(?:memorandum|submission|letter|set|scheduled|adjourned|continued))",
    _FLAGS,
)
_OPINION = re.compile(
    r"\bopinion\b|\bmemorandum\s+(?:decision|disposition|and\s+order|&\s+order)\b|\bfindings\s+of\s+fact\b|"
    r"^decision\b|^summary\s+order\b",
    _FLAGS,
)
_JUDGMENT = re.compile(r"\bjudgment\b(?!\s+(?:debtor|creditor))", _FLAGS)
# A decision on a motion that can decide the case or a claim in it.
_DISPOSITIVE_MOTION = re.compile(
    r"dismiss|summary\s+judgment|judgment|new\s+trial|reconsider|remand|vacate|set\s+aside|sanction|injunction|"
    r"restraining\s+order|class\s+certification|certify\s+(?:a\s+)?class|suppress|acquittal|compel\s+arbitration|"
    r"habeas|2255|contempt|attorney'?s?\s+fees",
    _FLAGS,
)
_ORDER_ON_MOTION = re.compile(
    r"^(?:memorandum\s+(?:and|&)\s+)?(?:opinion\s+(?:and|&)\s+)?order\s+(?:filed\s+)?"
    r"(?:on|granting|denying|re:?|regarding|resolving|deciding|adopting)\b(?P<rest>.*)",
    _FLAGS,
)
_ORDER = re.compile(
    r"^(?:[\w'()-]+\s+){0,3}order\b|\border\s*\(|\b(?:memo\s+)?endorse(?:d|ment)\b|\bso[- ]ordered\b|"
    r"^ruling\s+letter|^discharge\s+of\s+debtor|\border(?:ed)?\s+filed\b",
    _FLAGS,
)
_COMPLAINT = re.compile(
    r"^(?:(?:first|second|third|fourth|corrected|verified|class\s+action|amended)\s+)*complaint\b|^notice\s+of\s+removal\b|"
    r"^petition\s+for\s+removal\b",
    _FLAGS,
)
# Event names that say nothing about the entry: read its free text instead.
_SILENT_EVENT = re.compile(r"^(?:none|other|misc(?:ellaneous)?(?:\s+entry)?|docket\s+(?:text|entry)|)$", _FLAGS)
CRIMINAL_DOCKET = re.compile(r"-(?:cr|mj|po)-", _FLAGS)


@lru_cache(maxsize=1024)  # a court's feed repeats a few hundred event names
def is_silent_event(event: str | None) -> bool:
    """True for a missing or empty event name (``[None]``, ``[Other]``)."""
    return event is None or bool(_SILENT_EVENT.match(_normalise(event)))


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _motion_decision(rest: str) -> str:
    if _SETTLEMENT.search(rest):
        return "settlement"
    return "ruling" if _DISPOSITIVE_MOTION.search(rest) else "order"


def _first_sentence(text: str) -> str:
    """Docket text up to its first full stop: "ORDER granting 12 Motion to Dismiss." """
    match = re.search(r"(?<![A-Z0-9.])\.\s+(?=[A-Z(])", text)
    return text[: match.start()] if match else text


def text_action(text: str, *, criminal: bool = False, appellate: bool = False) -> str:
    """The kind of action of a docket entry's free text (``ORDER granting 12
    Motion to Dismiss. …``), read like an event name from its first sentence."""
    return entry_action(_first_sentence(_normalise(text)), criminal=criminal, appellate=appellate)


@lru_cache(maxsize=1024)  # a court's feed repeats a few hundred event names
def entry_action(event: str, *, criminal: bool = False, appellate: bool = False) -> str:
    """The kind of action of a docket entry from its event name (or the start
    of its docket text). ``criminal``: the docket is a criminal one (``-cr-``);
    ``appellate``: the court is a court of appeals."""
    text = _normalise(event)
    if _FILED_PAPER.match(text):
        return "filing"
    if _APPEAL.match(text):
        return "appeal"
    if _DISMISSAL.search(text) and not _AS_TO_A_PARTY.search(text):
        return "dismissal"
    if _SETTLEMENT.search(text):
        return "settlement"
    if criminal:
        for pattern, action in ((_CRIMINAL_CHARGE, "indictment"), (_PLEA, "plea"), (_VERDICT, "verdict")):
            if pattern.search(text):
                return action
        if _SENTENCING.search(text):
            return "sentencing"
    elif _VERDICT.search(text):
        return "verdict"
    if text.lower() == "ruling":
        return "ruling"
    if _OPINION.search(text):
        return "opinion" if appellate else "ruling"
    if _INJUNCTION.match(text):
        return "ruling"
    on_motion = _ORDER_ON_MOTION.match(text)
    if on_motion:
        return _motion_decision(on_motion["rest"])
    if _JUDGMENT.search(text):
        return "judgment"
    if _ORDER.search(text):
        return "order"
    if _COMPLAINT.match(text):
        return "indictment" if criminal else "complaint"
    return "filing"
