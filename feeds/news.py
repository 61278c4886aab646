"""News stories: what a story is about, read headline first.

A news-search feed gives ``Headline - Publisher`` and a one-paragraph summary.
The headline decides: its verb names the kind of action ("agrees to pay" →
settlement, "lets most of SEC's case proceed, tosses claim" → a ruling that is a
partial dismissal), its agency ("SEC") picks among parallel matters against
the same company, and a headline about no case (enforcement statistics,
speeches, rule proposals, opinion columns) makes the story join none. The body
is read only when the headline says nothing: a background sentence such as
"… an earlier plea agreement" never overrides the headline.

Pure: text in, a :class:`NewsReading` out. Joining a story to a stored case is
``storage.cases.find_news_case``'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feeds.cues import caseless
from feeds.releases import NO_CASE as _RELEASE_NO_CASE
from feeds.releases import Amount, amounts_with_kinds
from feeds.text import fold, name_key

# "Headline - Publisher": the last " - " (or " | ", " – ") before a short tail.
_PUBLISHER = re.compile(r"\s+[-–—|]\s+(?P<publisher>[^-–—|]{2,60})$")

_NO_CASE_NEWS = re.compile(
    r"\bopinion\s*[:|]|^(?:op-ed|column|commentary|analysis|explainer)\b|\bpodcast\b|\binterview\b|"
    r"\b(?:says|said|warns|urges|calls\s+for)\b(?!.*\b(?:judge|court|jury)\b)|\benforcement\s+(?:tally|haul|actions\s+(?:rose|fell|hit|drop))|"
    r"\brecord\s+year\b|\bnominee\b|\bnominat",
    re.IGNORECASE,
)

# The headline's verb → kind of action; checked in order, first match wins.
_PARTIAL = (
    r"(?:\bdismiss(?:es|ed)?\s+(?:some|others|part|several|one|two|certain)\b|\btoss(?:es|ed)?\b[^,]{0,40}\bclaims?\b|"
    r"\btrims?\b|\bnarrows?\b|\bin\s+part\b|\bpartial(?:ly)?\b|\bsome\s+claims\b|\bmost\s+(?:of\s+)?(?:the\s+)?(?:\w+'?s?\s+)?"
    r"(?:case|claims|charges|lawsuit)\b|\blets\b[^,]{0,60}\bproceed\b|\badvances?\b[^,]{0,60}\bcharges\b)"
)
_VERBS: tuple[tuple[str, str | None, re.Pattern[str]], ...] = tuple(
    (action, detail, re.compile(pattern, re.IGNORECASE))
    for action, detail, pattern in (
        (
            "sentencing",
            None,
            r"\bsentenced\b|\bsentences\b|\bsentencing\b|\b(?:gets|receives|handed)\s+\d+\s*(?:-|\s)?(?:years?|months?)\b|\bprison\s+term\b",
        ),
        (
            "plea",
            None,
            r"\bplead(?:s|ed)?\s+guilty\b|\bpled\s+guilty\b|\bguilty\s+plea\b|\bplea\s+(?:deal|agreement)\b",
        ),
        (
            "verdict",
            None,
            r"\bconvicted\b|\bconvicts\b|\bfound\s+(?:guilty|liable)\b|\bfinds\s+[^.;]{1,60}?\s+(?:guilty|liable)\b|\bjury\s+verdict\b|\bguilty\s+on\s+all\b|\bacquitted\b",
        ),
        ("settlement", None, r"\bapprov(?:es|ed)\b[^,]{0,60}\bsettlement\b"),
        (
            "judgment",
            None,
            r"\bordered\s+to\s+pay\b|\borders?\s+\w+(?:\s+\w+){0,3}\s+to\s+pay\b|\b(?:final|default)\s+judgment\b",
        ),
        ("ruling", "partial dismissal", _PARTIAL),
        (
            "ruling",
            "summary judgment",
            r"\bsummary\s+judgment\b|\brules?\s+(?:that\s+)?\w*\s*(?:token|coin|sales?|offering)|\bsides\s+with\b|\bhands\s+\w+\s+(?:a\s+)?(?:win|victory|loss|defeat)\b|\bwins?\s+(?:partial\s+)?(?:victory|ruling)\b",
        ),
        (
            "ruling",
            "motion to dismiss denied",
            r"\b(?:rejects|denies|refuses)\b[^,]{0,40}\b(?:bid|motion|request)\s+to\s+(?:dismiss|toss|throw\s+out)\b|\bmust\s+face\b|\bwill\s+face\b|\bcan\s+proceed\b|\bmoves?\s+forward\b|\bclears\s+way\b",
        ),
        (
            "ruling",
            None,
            r"\bjudge\s+(?:rules|orders|grants|denies|blocks|halts|freezes|approves)\b|\bruling\b|\brules\b|\bfreez(?:e|es)\b",
        ),
        (
            "settlement",
            None,
            r"\bagrees?\s+to\s+pay\b|\bagreed\s+to\s+pay\b|\bto\s+pay\b|\bsettles?\b|\bsettled\b|\bsettlement\b|\breach(?:es)?\s+(?:a\s+)?deal\b|"
            # a regulator's fine is a settled order: "CFTC fines X", "X fined $2 million"
            r"\b(?:SEC|CFTC|FINRA|OCC|FinCEN|OFAC|regulators?|watchdog)\s+(?:fines|penalizes)\b|\b(?:fined|penalized)\b",
        ),
        (
            "dismissal",
            None,
            r"\bdrops?\b[^,]{0,40}\b(?:case|lawsuit|suit|charges)\b|\bdismiss(?:es|ed)\s+(?:the\s+)?(?:case|lawsuit|suit)\b|\bends\s+(?:its\s+)?(?:case|lawsuit)\b|\bdismissal\b",
        ),
        (
            "judgment",
            None,
            r"\bjudgment\b",
        ),
        (
            "indictment",
            None,
            r"\bindicted\b|\bindictment\b|\barrested\b|\bextradited\b|\bcriminal\s+charges\b|\bprosecutors\s+charge\b|\bcharged\s+with\s+fraud\b",
        ),
        ("appeal", None, r"\bappeals?\b|\bappealed\b"),
        (
            "complaint",
            None,
            r"\bsues\b|\bsued\b|\bcharges\b|\bcharged\b|\blawsuit\b|\bfiles?\s+suit\b|\btakes\s+\w+\s+to\s+court\b",
        ),
    )
)

# Agencies as news write them; "prosecutors" are the DOJ.
_AGENCIES = (
    ("SEC", re.compile(r"\bSEC(?:'s|’s)?\b|Securities\s+and\s+Exchange\s+Commission|\bGensler\b")),
    ("CFTC", re.compile(r"\bCFTC(?:'s|’s)?\b|Commodity\s+Futures\s+Trading\s+Commission")),
    (
        "DOJ",
        re.compile(
            r"\bDOJ\b|Justice\s+Department|Department\s+of\s+Justice|\bprosecutors?\b|U\.S\.\s+Attorney|\bfederal\s+charges\b|"
            r"\bindicted\b|\bsentenced\b|\bpleads?\s+guilty\b|\bpleaded\s+guilty\b|\bplea\s+(?:deal|agreement)\b|\bjury\b|\bconvicted\b|\bprison\b",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True)
class NewsReading:
    """What a news story is about, as its text shows."""

    headline: str
    publisher: str | None
    body: str
    action: str | None
    action_detail: str | None
    agency: str | None
    """The agency the headline names (or, failing that, the body)."""
    about_a_case: bool
    amounts: tuple[Amount, ...] = ()


def split_publisher(title: str) -> tuple[str, str | None]:
    """``Judge Sides With SEC - Reuters`` → (``Judge Sides With SEC``, ``Reuters``)."""
    match = _PUBLISHER.search(title.strip())
    if not match or len(title) - len(match[0]) < 15:
        return title.strip(), None
    return title[: match.start()].strip(), match["publisher"].strip()


def news_action(headline: str) -> tuple[str | None, str | None]:
    """(action, detail) from a headline's verb."""
    for action, detail, pattern in _VERBS:
        if pattern.search(headline):
            return action, detail
    return None, None


_EXPLICIT_DOJ = re.compile(
    r"\bDOJ\b|Justice\s+Department|Department\s+of\s+Justice|\bprosecutors?\b|U\.S\.\s+Attorney", re.IGNORECASE
)


_EXPLICIT = (*_AGENCIES[:2], ("DOJ", _EXPLICIT_DOJ))


def agencies_named(text: str) -> set[str]:
    """The agencies ``text`` names outright (no criminal verb stands for the DOJ here)."""
    return {agency for agency, pattern in _EXPLICIT if pattern.search(text)}


def agency_in(text: str) -> str | None:
    """The agency ``text`` names first; failing that, the DOJ when a criminal
    verb shows it ("sentenced", "jury" in a story naming no agency)."""
    explicit = [(m.start(), agency) for agency, pattern in _EXPLICIT if (m := pattern.search(text))]
    if explicit:
        return min(explicit)[1]
    return "DOJ" if _AGENCIES[2][1].search(text) else None


def is_about_no_case(headline: str) -> bool:
    return bool(_RELEASE_NO_CASE.search(headline, caseless(headline)) or _NO_CASE_NEWS.search(headline))


def read_news(title: str, summary: str) -> NewsReading:
    """Read a news-search item: the headline first, the body only when the headline is silent."""
    headline, publisher = split_publisher(title)
    if is_about_no_case(headline):
        return NewsReading(headline, publisher, summary, "none", None, agency_in(headline), False)
    action, detail = news_action(headline)
    if action is None:
        first_sentence = re.split(r"(?<=[a-z0-9)])\.\s+(?=[A-Z])", summary, maxsplit=1)[0]
        action, detail = news_action(first_sentence)
    if action is None:  # no enforcement verb where it counts: market news, features
        return NewsReading(headline, publisher, summary, "none", None, agency_in(headline), False)
    agency = agency_in(headline) or agency_in(summary)
    if action == "complaint" and agency == "DOJ":
        action = "indictment"  # prosecutors' charges are criminal
    return NewsReading(
        headline=headline,
        publisher=publisher,
        body=summary,
        action=action,
        action_detail=detail,
        agency=agency,
        about_a_case=True,
        amounts=tuple(amounts_with_kinds(f"{headline}\n{summary}")),
    )


# --- how a story names a party ----------------------------------------------

_COMPANY_WORDS = frozenset(
    [
        "holdings",
        "holding",
        "labs",
        "lab",
        "interactive",
        "global",
        "software",
        "trading",
        "exchange",
        "capital",
        "group",
        "management",
        "services",
        "technologies",
        "technology",
        "bank",
        "fund",
        "funds",
        "partners",
        "ventures",
        "markets",
        "network",
        "foundation",
        "platforms",
        "financial",
        "securities",
        "investments",
        "advisors",
        "advisers",
        "digital",
        "crypto",
        "assets",
        "payments",
        "systems",
        "therapeutics",
        "energy",
    ]
)
_GENERIC_WORDS = frozenset(
    [
        "the",
        "united",
        "american",
        "first",
        "global",
        "new",
        "national",
        "international",
        "digital",
        "crypto",
        "bank",
        "capital",
        "general",
        "north",
        "south",
        "east",
        "west",
        "us",
        "usa",
        "sec",
        "cftc",
        "doj",
        "trading",
        "investment",
        "financial",
        "securities",
        "group",
        "asset",
        "assets",
    ]
)


def name_forms(name: str) -> set[str]:
    """The folded forms under which news names a party: the whole name and its
    key; a company's first word (``Binance`` for Binance Holdings Ltd.); a
    person's surname (``Bankman-Fried`` for Samuel Bankman-Fried, ``Zhao``)."""
    key = name_key(name)
    forms = {key, fold(name)} if key else set()
    written = name.split()
    words = key.split()
    if not words:
        return forms
    is_company = key != fold(name) or any(word in _COMPANY_WORDS for word in words) or "." in name.strip(".")
    if is_company and len(words) > 1:
        if words[0] not in _GENERIC_WORDS and len(words[0]) >= 3:
            forms.add(words[0])
        forms.add(" ".join(words[:2]))
    elif not is_company and 2 <= len(written) <= 4:
        surname = fold(written[-1])
        if len(surname) >= 3 and surname not in _GENERIC_WORDS:
            forms.add(surname)
    return {form for form in forms if form}


def may_be_surname(form: str) -> bool:
    """Whether the folded words ``form`` can be a person's surname among
    :func:`name_forms` (a company word never is, nor a generic or short one)."""
    return len(form) >= 3 and form not in _GENERIC_WORDS and not any(word in _COMPANY_WORDS for word in form.split())


def names_in(text: str, forms: set[str]) -> set[str]:
    """Which of ``forms`` occur in ``text`` as whole words (folded)."""
    padded = f" {fold(text)} "
    return {form for form in forms if f" {form} " in padded}
