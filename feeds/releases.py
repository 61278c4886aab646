"""Agency press releases (SEC, CFTC, DOJ): who is charged, what happened, how much.

Press-release headlines carry no docket and no ``X v. Y`` caption; they follow
a few shapes ("SEC Charges X for …", "X Agrees to Pay $… to Settle SEC
Charges", "CFTC Orders X to Pay …", "X Pleads Guilty …", "Court Enters Final
Judgment Against X", "X Sentenced to …"). The headline names the kind of action;
the summary's first sentence usually names the defendants in full ("charged
Binance Holdings Ltd., which operates Binance.com; …"), so names come from a
caption in the text first, then that sentence, then the headline.

Every function here is pure: text in, plain values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from feeds.cues import Cued, caseless, cued
from feeds.extract import Party, dollar_matches, find_caption, parse_parties, split_caption
from feeds.text import name_key

# --- amounts and their kind -------------------------------------------------

AMOUNT_KINDS = ("penalty", "disgorgement", "fine", "forfeiture", "restitution", "settlement", "interest", "other")

_SCALES = {"thousand": 10**3, "k": 10**3, "million": 10**6, "mn": 10**6, "m": 10**6}
_SCALES |= {"billion": 10**9, "bn": 10**9, "b": 10**9, "trillion": 10**12}

# What a sum is, from the words next to it. "Before" patterns end at the
# amount ("a civil penalty of $"), "after" ones start right after it
# ("$2.7 billion in disgorgement").
_KIND_WORDS = (
    ("interest", r"prejudgment\s+interest|interest"),
    ("disgorgement", r"disgorge(?:ment|d)?"),
    ("restitution", r"restitution"),
    ("forfeiture", r"forfeit(?:ure|ed)?|forfeiture\s+money\s+judgment"),
    ("fine", r"(?:criminal\s+)?fines?"),
    ("penalty", r"(?:civil\s+(?:monetary\s+|money\s+)?)?penalt(?:y|ies)|civil\s+monetary\s+penalty"),
)
_BEFORE = [
    (
        kind,
        re.compile(
            rf"\b(?:{words})\b(?:\s+(?:of|totaling|totalling|amounting\s+to|in\s+the\s+amount\s+of))?\s*$", re.I
        ),
    )
    for kind, words in _KIND_WORDS
]
_AFTER = [
    (
        kind,
        re.compile(
            rf"^\s*(?:in|as\s+a|as|of)?\s*(?:civil\s+|criminal\s+|monetary\s+|money\s+)*"
            rf"(?:{words})\b",
            re.I,
        ),
    )
    for kind, words in _KIND_WORDS
]
_TO_FORFEIT = re.compile(r"\bforfeit\s+(?:about\s+|approximately\s+|more\s+than\s+|over\s+)?$", re.I)
_SETTLEMENT_CONTEXT = re.compile(
    r"\b(?:agree[sd]?|agreeing|to)\s+(?:to\s+)?pay\b[^.;]{0,40}$|\bsettle(?:ment|s|d)?\b[^.;]{0,60}$|"
    r"\bresolution\b[^.;]{0,20}$|\bpay(?:s|ing)?\s+(?:more\s+than\s+|over\s+|nearly\s+|about\s+|approximately\s+)?$",
    re.I,
)
_SETTLEMENT_AFTER = re.compile(r"^[^.;]{0,60}\b(?:to\s+settle|to\s+resolve|settlement|resolution)\b", re.I)


# A sum named twice keeps its most specific kind: "$21 million to settle … a $21 million penalty" is a penalty.
_SPECIFICITY = {kind: 1 for kind in AMOUNT_KINDS} | {"settlement": 0.5, "other": 0}


@dataclass(frozen=True)
class Amount:
    value: int
    kind: str


def _kind_of(text: str, start: int, end: int) -> str:
    before = text[max(0, start - 80) : start]
    after = text[end : end + 60]
    for kind, pattern in _BEFORE:
        if pattern.search(before):
            return kind
    for kind, pattern in _AFTER:
        if pattern.search(after):
            return kind
    if _TO_FORFEIT.search(before):
        return "forfeiture"
    if _SETTLEMENT_CONTEXT.search(before) or _SETTLEMENT_AFTER.search(after):
        return "settlement"
    return "other"


# Civil regulators impose penalties; fines are criminal. News often says "fine" for an SEC or CFTC penalty.
_CIVIL_AGENCY = re.compile(r"\b(?:SEC|CFTC|Securities\s+and\s+Exchange|Commodity\s+Futures)\b", re.I)
_CRIMINAL = re.compile(
    r"\bplead|\bguilty\b|\bsentenc|\bcriminal\b|\bprosecut|\bindict|\bDOJ\b|Justice\s+Department|"
    r"Department\s+of\s+Justice|U\.S\.\s+Attorney|\bconvict",
    re.I,
)


def amounts_with_kinds(text: str) -> list[Amount]:
    """Every dollar amount in ``text`` with what it is (penalty, disgorgement,
    fine …, else ``other``), first seen first; one entry per value. A "fine"
    in a civil SEC or CFTC matter is a penalty."""
    return list(_amounts_with_kinds(text))


@lru_cache(maxsize=64)
def _amounts_with_kinds(text: str) -> tuple[Amount, ...]:
    """:func:`amounts_with_kinds`, cached: extraction and a release's or a story's reading ask for
    the same item's amounts."""
    civil: bool | None = None  # read only when a fine is found: two searches of the whole text
    found: dict[int, Amount] = {}
    for match in dollar_matches(text):
        number = float(match["number"].replace(",", ""))
        value = number * _SCALES.get((match["scale"] or "").lower(), 1)
        if value != value or value > 10**15:
            continue  # not a sum anyone wrote
        kind = _kind_of(text, match.start(), match.end())
        if kind == "fine" and civil is None:
            civil = bool(_CIVIL_AGENCY.search(text)) and not _CRIMINAL.search(text)
        amount = Amount(round(value), "penalty" if civil and kind == "fine" else kind)
        known = found.get(amount.value)
        if known is None or _SPECIFICITY[amount.kind] > _SPECIFICITY[known.kind]:
            found[amount.value] = amount
    return tuple(found.values())


# --- the kind of action -----------------------------------------------------

# Headlines that report no case: statistics, speeches, rules, announcements.
NO_CASE = cued(
    r"\benforcement\s+results\b|\bfiscal\s+year\b|\bannual\s+(?:report|results)\b|\bremarks\b|\bspeech\b|"
    r"\btestimony\b|\btestif(?:y|ies)\b|^statement\b|\bstatement\s+(?:on|of|regarding)\b|\bpropos(?:es|ed|al)\b|"
    r"\badopts\b|\brulemaking\b|\bfinal\s+rules?\b|\bnew\s+rules?\b|\broundtable\b|\bstaff\s+(?:bulletin|advisory)\b|"
    r"\binvestor\s+(?:alert|bulletin)\b|\bcustomer\s+advisory\b|\b(?:names|appoints|announces)\s+(?:new\s+)?"
    r"(?:director|chief|deputy|head|chair)|\bto\s+step\s+down\b|\bop-ed\b|^opinion\b|^commentary\b|\bwhistleblower\s+award|"
    r"\bagenda\b|\bopen\s+meeting\b|\bsworn\s+in\b|\bstrategic\s+plan\b",
    *("enforcement", "fiscal", "annual", "remarks", "speech", "testi", "statement", "propos", "adopts", "rule"),
    *("roundtable", "bulletin", "advisory", "alert", "names", "appoints", "announces", "step", "op-ed", "opinion"),
    *("commentary", "whistleblower", "agenda", "meeting", "sworn", "strategic"),
    flags=re.IGNORECASE,
)

_AGENCY = r"(?:SEC|CFTC|FINRA|DOJ|FinCEN|OFAC|FTC|Justice\s+Department|Department\s+of\s+Justice|U\.S\.\s+Attorney(?:'s\s+Office)?|Commission)"
_STOP = (
    r"(?=\s+(?:for|with|in|over|as|that|who|after|on|to|from|alleging|regarding|relating|involving|amid)\b|[,:;]\s|$)"
)


@dataclass(frozen=True)
class _Shape:
    action: str
    pattern: Cued
    detail: str | None = None


def _shape(action: str, pattern: str, cues: tuple[str, ...], detail: str | None = None) -> _Shape:
    """A headline shape, tried only on a headline that holds one of ``cues``: words (its verb)
    one of which every match holds (a shape's lazy ``^(?P<who>.+?)`` costs ~10 µs a headline)."""
    return _Shape(action, cued(pattern, *cues, flags=re.IGNORECASE), detail)


# Checked in order: the first headline shape that fits names the action and
# (group ``who``) the defendants.
_SHAPES = (
    _shape("sentencing", r"^(?P<who>.+?)\s+(?:is\s+|was\s+)?(?:re)?sentenced\b", ("sentenced",)),
    _shape("sentencing", r"\bsentences\s+(?P<who>.+?)" + _STOP, ("sentences",)),
    _shape("plea", r"^(?P<who>.+?)\s+(?:pleads?|pleaded|pled|agrees?\s+to\s+plead)\s+guilty\b", ("guilty",)),
    _shape(
        "verdict",
        r"^(?:federal\s+)?jury\s+(?:convicts|finds)\s+(?P<who>.+?)(?=\s+(?:of|on|for|in|guilty|liable)\b|$)",
        ("jury",),
    ),
    _shape(
        "verdict", r"^(?P<who>.+?)\s+(?:is\s+|was\s+)?(?:convicted|found\s+(?:guilty|liable))\b", ("convicted", "found")
    ),
    _shape(
        "judgment",
        r"^(?:SEC|CFTC|Commission)\s+(?:obtains|wins|secures)\s+(?:a\s+)?(?:final\s+|default\s+|consent\s+)*judgments?\s+against\s+(?P<who>.+?)"
        + _STOP,
        ("judgment",),
    ),
    _shape(
        "judgment",
        r"^(?:federal\s+)?(?:court|judge)\s+(?:enters|issues|orders)\s+(?:a\s+)?(?:final\s+|default\s+|consent\s+)*"
        r"(?:judgments?|orders?)\s+(?:against|requiring|in\s+favor\s+of\s+\w+\s+against)\s+(?P<who>.+?)" + _STOP,
        ("against", "requiring"),
    ),
    _shape("judgment", r"^(?:federal\s+)?(?:court|judge)\s+orders\s+(?P<who>.+?)\s+to\s+pay\b", ("orders",)),
    _shape(
        "administrative proceeding",
        r"^(?:SEC|CFTC)\s+(?:orders|imposes\s+(?:a\s+)?\$?[\d.,]+\s*\w*\s+(?:penalty\s+)?on)\s+(?P<who>.+?)" + _STOP,
        ("orders", "imposes"),
        "settled order",
    ),
    _shape(
        "settlement",
        r"^(?P<who>.+?)\s+(?:agrees?|agreed)\s+to\s+(?:pay|settle|resolve)\b|^(?P<who2>.+?)\s+(?:to|will)\s+pay\b.*\bsettle|"
        r"^(?P<who3>.+?)\s+settles?\b|^(?P<who4>.+?)\s+(?:to|will)\s+pay\b",
        ("agree", "pay", "settle"),
    ),
    _shape(
        "indictment",
        r"^(?P<who>.+?)\s+(?:is\s+|was\s+)?(?:indicted|arrested|extradited)\b",
        ("indicted", "arrested", "extradited"),
    ),
    _shape(
        "indictment",
        r"^(?:Justice\s+Department|(?:Acting\s+)?(?:U\.S\.|United\s+States)\s+Attorney|DOJ)\w*\s+(?:announces\s+)?(?:unseals\s+)?(?:charges|indictment)\s+against\s+(?P<who>.+?)"
        + _STOP,
        ("charges", "indictment"),
    ),
    _shape(
        "complaint",
        rf"^{_AGENCY}\s+(?:charges|sues|files\s+(?:\d+\s+|a\s+|an\s+)?(?:charges|complaint|suit|lawsuit|action|fraud\s+charges)\s+against)\s+"
        r"(?P<who>.+?)" + _STOP,
        ("charges", "sues", "files"),
    ),
    _shape("complaint", r"^(?P<who>.+?)\s+(?:is\s+|are\s+)?(?:charged|sued)\b", ("charged", "sued")),
    _shape(
        "dismissal",
        r"^(?:SEC|CFTC)\s+(?:dismisses|drops|ends)\s+(?:its\s+)?(?:case|lawsuit|action|charges)\s+against\s+(?P<who>.+?)"
        + _STOP,
        ("dismisses", "drops", "ends"),
    ),
)

_DOJ_CHARGE = re.compile(r"^(?:DOJ|Justice\s+Department|Department\s+of\s+Justice|U\.S\.\s+Attorney)", re.I)
# Read from the whole summary: searched only when it holds a cue word (feeds.cues).
_ADMIN_SUMMARY = cued(
    r"cease[- ]and[- ]desist|order\s+instituting|settled\s+administrative|administrative\s+proceeding",
    *("cease", "instituting", "administrative"),
    flags=re.I,
)
_SETTLED_SUMMARY = cued(
    r"\bagreed\s+to\s+settle\b|\bconsented\s+to\b|without\s+admitting\s+or\s+denying",
    *("settle", "consented", "admitting"),
    flags=re.I,
)
_CONSENT = re.compile(r"\bconsent\s+(?:order|judgment)\b", re.I)


# "Its Founder, Changpeng Zhao," / "their founder, Changpeng Zhao": the role is not a party.
_ROLE = r"(?:co-?founder|founder|ceo|chief\s+executive(?:\s+officer)?|owner|president|cfo|chairman|principal|parent\s+company|parent|subsidiary|affiliate)"
_APPOSITIVE = cued(
    rf"\b(?:(?:its|their|his|her)\s+)?(?:(?:former|and|{_ROLE})\s+)*{_ROLE},\s+(?=[A-Z])",
    *("founder", "ceo", "chief", "owner", "president", "cfo", "chairman", "principal", "parent", "subsidiary"),
    "affiliate",
    flags=re.IGNORECASE,
)


def _without_appositives(text: str) -> str:
    """``text`` without its roles set off by commas; searched only where a role word and a comma are."""
    if "," in text and _APPOSITIVE.cued_in(text, caseless(text)):
        return _APPOSITIVE.pattern.sub("", text)
    return text


# ", which operates Binance.com" inside a list of names: the alias is read elsewhere.
_RELATIVE_CLAUSE = re.compile(r",?\s+(?:which|that|who)\s+[^;]*?(?=;|$)")


def headline_action(headline: str, *, agency: str | None = None) -> tuple[str | None, str | None, str | None]:
    """(action, detail, defendants phrase) read from a press-release headline;
    action ``none`` for a headline about no case, None when no shape fits."""
    headline = _without_appositives(headline)
    lowered = caseless(headline)
    if NO_CASE.search(headline, lowered):
        return "none", None, None
    for shape in _SHAPES:
        match = shape.pattern.search(headline, lowered)
        if not match:
            continue
        who = next((value for name, value in match.groupdict().items() if name.startswith("who") and value), None)
        action = shape.action
        if action == "complaint" and (agency == "DOJ" or _DOJ_CHARGE.match(headline)):
            action = "indictment"
        return action, shape.detail, who
    return None, None, None


# --- defendants -------------------------------------------------------------

# Words that describe a defendant rather than name it: "Former FTX CEO",
# "Crypto Asset Trading Platform", "Founder".
_DESCRIPTOR = re.compile(
    r"^(?:(?:the|its|his|her|their|a|an|two|three|four|five|six|seven|several|former|ex-|co-?founder|founders?|"
    r"ceo|cfo|coo|cto|chief\s+\w+\s+officer|executives?|officers?|president|chairman|chair|owner|operator|principal|"
    r"head|trader|broker|adviser|advisor|crypto(?:currency)?|crypto\s+asset|digital\s+asset|asset|trading|"
    r"platform|exchange|company|companies|firm|lender|entrepreneur|promoter|issuer|parent|affiliates?|"
    r"u\.s\.-based|us-based|offshore|unregistered|online|bitcoin|hedge\s+fund|fund\s+manager|investment\s+adviser|"
    r"manager|developer|self-described|top|senior|related|individuals?|entities|and|of|at|u\.s\.|[\w.]++-based)\s+)+",
    re.IGNORECASE,
)
_TRAILING_WORDS = re.compile(
    r"\s+(?:entities|founders?|executives?|affiliates?|and\s+others|et\s+al\.?)$", re.IGNORECASE
)
_NOT_A_NAME = re.compile(
    r"^(?:others|founders?|executives?|ceo|cfo|employees?|individuals?|entities|issuers?|\d+\s+\w+)$", re.I
)
_LEADING_DESCRIPTOR_OF = re.compile(
    r"^(?:[\w-]+\s+){0,4}?(?:founder|ceo|cfo|owner|executive|head|president)\s+of\s+", re.I
)


def _clean_name(name: str) -> str:
    name = name.strip(" ,;")
    if "of" in name.lower():  # every leading "founder of" holds it
        name = _LEADING_DESCRIPTOR_OF.sub("", name)
    name = _DESCRIPTOR.sub("", name)
    name = _TRAILING_WORDS.sub("", name)
    return name.strip(" ,;'’\"“”")


def _capitalised(name: str) -> bool:
    return bool(name) and (name[0].isupper() or name[0].isdigit())


# "Ripple Labs Inc. and two of its executives": what follows a lower-case "and" names no one.
_LOWERCASE_CONTINUATION = re.compile(r",?\s+and\s+(?=[a-z])[^;,A-Z]*?(?=[;,]|$)")


def _after_description(piece: str) -> str | None:
    """The name after a lower-case description (``its CEO Elizabeth Holmes`` →
    Elizabeth Holmes); None when the piece describes someone unnamed or names
    the company someone works for (``former CEO of Alameda Research``)."""
    described = _DESCRIPTOR.match(piece)
    if not described or re.search(r"\bof\s*$", described[0], re.I):
        return None
    rest = piece[described.end() :]
    return rest if _capitalised(rest) else None


def names_in_phrase(phrase: str) -> list[Party]:
    """The parties of a headline or sentence phrase: ``Terraform and CEO Do Kwon``
    → Terraform, Do Kwon (descriptors dropped, ``&`` kept inside names)."""
    parties: list[Party] = []
    phrase = _without_appositives(phrase)
    if "which" in phrase or "that" in phrase or "who" in phrase:  # what every relative clause starts with
        phrase = _RELATIVE_CLAUSE.sub("", phrase)
    phrase = _LOWERCASE_CONTINUATION.sub("", phrase)
    for party in parse_parties(phrase, brief=True):
        name = party.name if _capitalised(party.name) else _after_description(party.name)
        if not name:
            continue  # "former CEO of Alameda Research": a description, not a name
        name = _clean_name(name)
        # "Binance Entities and Founder Changpeng Zhao": "Founder" is a descriptor of the next name.
        last_word = name.split()[-1] if name else ""
        if (
            name
            and _capitalised(name)
            and not last_word[:1].islower()  # "a San Francisco-based digital asset exchange"
            and not _NOT_A_NAME.match(name)
            and _DESCRIPTOR.sub("", f"{name} ").strip()
        ):
            parties.append(Party(name=name, aliases=party.aliases))
    return parties


# "today charged X with …", "filed 13 charges against X", "announced that X agreed to pay"
# A sentence's end, not an abbreviation's period (Inc., Ltd., initials).
_FULL_STOP = r"(?<!\bInc)(?<!\bLtd)(?<!\bCo)(?<!\bCorp)(?<!\bJr)(?<!\bSr)(?<!\bL\.P)(?<!\bS\.A)(?<!\b[A-Z])\.\s"
_SUMMARY_SUBJECT = re.compile(
    r"\b(?:today\s+)?(?:charged|charging|sued|suing|indicted|"
    r"(?:filed|announced|brought|unsealed)\s+(?:\w+\s+){0,3}?(?:charges|complaint|action|lawsuit|suit|indictment)\s+"
    r"(?:[\w.]+\s+){0,14}?against|obtained\s+(?:\w+\s+){0,3}?judgments?\s+against|"
    r"(?:issued|entered)\s+(?:\w+\s+){0,3}?(?:order|judgment)\s+(?:\w+\s+){0,8}?against)\s+"
    r"(?P<who>.+?)(?=\s+(?:with|for|in\s+connection|alleging|who|that|over|arising|to\s+pay|requiring|ordering|in\s+a\s|in\s+the\s|on\s+charges)\b|"
    + _FULL_STOP
    + r"|$)",
    re.IGNORECASE,
)
# "…, which operate Binance.US" / "doing business as Kraken"
# Searched from the first of the words every match starts with (feeds.cues).
_OPERATES = cued(
    r"(?=[wt])\b(?:which|that|who)\s+(?:together\s+|jointly\s+|collectively\s+|also\s+)?"
    r"(?:operates?|runs?|owns?|does\s+business\s+as|do\s+business\s+as|is\s+known\s+as|are\s+known\s+as)\s+"
    r"(?:the\s+)?(?P<alias>[A-Z0-9][\w.\-]*(?:\s+(?!(?:and|which|the|with|for)\b)[A-Z0-9][\w.\-]*)*)",
    *("which", "that", "who"),
    leading=True,
)
_KNOWN_AS = cued(
    r"(?=[dafk])\b(?:d/b/a|a/k/a|f/k/a|doing\s+business\s+as|also\s+known\s+as|formerly\s+known\s+as|known\s+as)\s+"
    r"[\"“]?(?P<alias>[A-Z0-9][\w.\-]*(?:\s+(?!(?:and|which|the|with|for)\b)[A-Z0-9&][\w.\-]*)*)[\"”]?",
    *("d/b/a", "a/k/a", "f/k/a", "doing", "also", "formerly", "known"),
    leading=True,
)


def aliases_in_text(text: str) -> list[tuple[int, str]]:
    """(position, alias) for every name the text gives as another name of a
    party: ``which operate Binance.US``, ``d/b/a Kraken``, ``formerly known as …``."""
    found = [(m.start(), m["alias"].rstrip(".,")) for m in _OPERATES.finditer(text, text)]
    found += [(m.start(), m["alias"].rstrip(".,")) for m in _KNOWN_AS.finditer(text, text)]
    return sorted(found)


def _attach_aliases(parties: list[Party], text: str) -> list[Party]:
    """Give each alias found in ``text`` to the party named last before it."""
    result = list(parties)
    names = {alias for party in parties for alias in party.aliases}
    for position, alias in aliases_in_text(text):
        if alias in names or any(alias == party.name for party in result):
            continue
        names.add(alias)
        before = [i for i, party in enumerate(result) if 0 <= text.find(party.name) < position]
        index = max(before, key=lambda i: text.find(result[i].name)) if before else 0
        if result:
            party = result[index]
            result[index] = Party(name=party.name, aliases=(*party.aliases, alias))
    return result


# "Changpeng Zhao, the founder of Binance, was sentenced …": the summary's leading subject.
_LEADING_SUBJECT = re.compile(
    r"^(?P<who>[A-Z][\w.'\-]*(?:\s+(?:and\s+)?(?:[A-Z][\w.'\-]*|[\"“][^\"”]{1,30}[\"”]|\(\w+\))){1,8}"
    r"(?:,\s+(?:LLC|Inc\.|Ltd\.|L\.P\.|Limited|N\.A\.))?)(?=,|\s+(?:was|were|has|have|is|are|pleaded|agreed|today)\b)"
)
# A headline that names a role, not the person: "Binance Founder Sentenced", "Former CEO of Celsius Arrested".
_ROLE_ONLY = cued(
    r"\b(?:co-?founder|founder|ceo|cfo|coo|executive|president|chief\s+\w+\s+officer)(?:\s+of\s+.+)?$",
    *("founder", "ceo", "cfo", "coo", "executive", "president", "officer"),
    flags=re.I,
)
# "Theranos Founder Elizabeth Holmes": the company and role before a person's name.
_ROLE_BEFORE_NAME = re.compile(
    r"^(?:[\w.\-]+\s+){0,3}?(?:co-?founder|founder|ceo|cfo|coo|executive|president)\s+(?=[A-Z])", re.I
)


_SUBJECT_VERB = re.compile(
    r"^[^.]{0,250}?\b(?:sentenced|convicted|arrested|extradited|pleaded|pled|agreed|found\s+guilty|indicted|ordered)\b"
)
_NOT_A_DEFENDANT = re.compile(r"^(?:The|A|An)\s|Commission|Department|Attorney|Court|Jury|Judge", re.I)


def _leading_subject(summary: str) -> str | None:
    """The person or company a summary begins with, when the sentence reports what happened to them."""
    match = _LEADING_SUBJECT.match(summary.strip())
    if not match or _NOT_A_DEFENDANT.search(match["who"]):
        return None
    return match["who"] if _SUBJECT_VERB.match(summary.strip()[match.end() :]) else None


def _same_party(one: str, other: str) -> bool:
    """``Binance`` and ``Binance Holdings Limited``; ``Kwon`` and ``Do Hyeong Kwon``."""
    a, b = name_key(one).split(), name_key(other).split()
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    same_person = a[-1] == b[-1] and (a[0].startswith(b[0]) or b[0].startswith(a[0]))  # Alex / Alexander
    return long[: len(short)] == short or long[-len(short) :] == short or same_person


def _merge(first: list[Party], more: list[Party]) -> list[Party]:
    """``first`` and the parties of ``more`` that are none of them (nor an alias of one)."""
    known = [name for party in first for name in (party.name, *party.aliases)]
    return first + [party for party in more if not any(_same_party(party.name, name) for name in known)]


def _summary_subject(summary: str) -> str | None:
    first = summary[:600]
    match = _SUMMARY_SUBJECT.search(first)
    return match["who"] if match else None


# --- one release ------------------------------------------------------------


@dataclass
class Release:
    """What an agency press release says: defendants, kind of action, sums."""

    defendants: list[Party] = field(default_factory=list)
    action: str | None = None
    action_detail: str | None = None
    amounts: list[Amount] = field(default_factory=list)

    @property
    def aliases(self) -> list[str]:
        return [alias for party in self.defendants for alias in party.aliases]


def read_release(title: str, summary: str, *, agency: str | None = None) -> Release:
    """Read an agency press release's headline and summary."""
    action, detail, who = headline_action(title, agency=agency)
    release = Release(action=action, action_detail=detail, amounts=amounts_with_kinds(f"{title}\n{summary}"))
    if action == "none":
        return release
    if action == "complaint" and agency != "DOJ":
        lowered = caseless(summary)
        if _ADMIN_SUMMARY.search(summary, lowered):
            release.action = "administrative proceeding"
        elif _SETTLED_SUMMARY.search(summary, lowered):
            release.action = "settlement"
    if action == "judgment" and (_CONSENT.search(title) or _CONSENT.search(summary[:400])):
        release.action, release.action_detail = "settlement", "consent order"
    caption = find_caption(summary)
    phrase = None if caption else _summary_subject(summary)
    if caption:
        parties = [Party(_clean_name(name)) for name in split_caption(caption)[1]]
    elif phrase:
        parties = names_in_phrase(phrase)
    else:
        parties = []
    leading = _leading_subject(summary)
    if leading and action not in ("complaint", "administrative proceeding"):
        parties = _merge(parties, names_in_phrase(leading))
    if who and not _ROLE_ONLY.search(who.strip(), caseless(who.strip())):
        parties = _merge(parties, names_in_phrase(_ROLE_BEFORE_NAME.sub("", who.strip())))
    parties = _attach_aliases([p for p in parties if p.name], f"{title}\n{summary}")
    known_aliases = {alias for party in parties for alias in party.aliases}
    release.defendants = [party for party in parties if party.name not in known_aliases]
    return release
