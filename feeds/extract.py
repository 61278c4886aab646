"""Pull the facts a compliance reader needs out of one feed item's text.

Every function here is pure: text in, plain values out. The rules are a first
version, tuned on the real SEC and CM/ECF files in ``tests/fixtures``; a later
scoring pass on a labelled set of items will refine them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from feeds.courts import court_from_agency, court_from_host, court_from_text, is_court_site_feed
from feeds.cues import caseless, cued
from feeds.docket_events import CRIMINAL_DOCKET, entry_action, is_silent_event, text_action
from feeds.party_names import split_on_and
from feeds.party_roles import assign_court_roles, bankruptcy_caption
from feeds.text import fold, name_key
from feeds.types import Docket, Party

if TYPE_CHECKING:
    from feeds.news import NewsReading
    from feeds.releases import Amount

# --- docket numbers ---------------------------------------------------------

# Docket numbers are written in ASCII digits: ``\d`` would also take Arabic-Indic or
# fullwidth digits and make keys that no other spelling of the docket shares.
# 1:23-cv-01599, 1:23-cv-01599-ABJ, 23-cv-1599, 2:23-cr-00178-RAJ-1
# A look-ahead for a pattern's possible first characters, here and below, turns most
# positions of a long text away at once instead of trying the whole pattern there.
_FEDERAL_DOCKET = re.compile(
    r"(?=[0-9])\b(?:(?P<office>[0-9]):)?(?P<year>[0-9]{2})-(?P<type>[A-Za-z]{2,4})-(?P<number>[0-9]{1,6})"
    r"(?P<judges>(?:-[A-Za-z]{2,4})*)(?:-[0-9]{1,3})?\b"
)
# "Civil Action No. 23-1599", "Case No. 1:23-cv-01599", "Docket#: 24-2057",
# bankruptcy "16-10992-smb" and appellate "22-3054" after such a label.
_LABELLED_DOCKET = re.compile(
    r"(?=[CDA])\b(?P<label>Civil\s+Action|Criminal\s+Action|Criminal\s+Case|Civil\s+Case|Case|Docket|Appeal)"
    r"\s*(?:No\.?|Number|#)\s*:?\s*(?:(?P<office>[0-9]):)?(?P<year>[0-9]{2})-(?P<number>[0-9]{1,6})\b",
    re.IGNORECASE,
)
_BARE_DOCKET = re.compile(r"^(?:(?P<office>[0-9]):)?(?P<year>[0-9]{2})-(?P<number>[0-9]{1,6})(?:-[a-z]{2,4})?\b")
_SEC_FILE_NUMBER = re.compile(r"(?=F)\bFile\s+No\.?\s*:?\s*(?P<number>3-[0-9]{4,6})\b", re.IGNORECASE)


def _docket(office: str | None, year: str, number: str, case_type: str | None) -> Docket:
    padded = number.zfill(5)
    short = f"{year}-{padded}"
    if case_type:
        case_type = case_type.lower()
        key = f"{year}-{case_type}-{padded}"
        display = f"{office}:{key}" if office else key
    else:
        key = short
        display = f"{office}:{short}" if office else f"{year}-{number}"
    return Docket(display=display, key=key, short=short)


_LABEL_TYPES = {"civil action": "cv", "civil case": "cv", "criminal action": "cr", "criminal case": "cr"}


# What every match of a docket pattern holds, found by a fast scan (a pattern that starts with a
# plain character, "-", not with a look-ahead): a federal docket number's "-cv-0" (its match starts
# at most four characters, "1:23", before it), a labelled number's "23-1".
_FEDERAL_DOCKET_HINT = re.compile(r"-[A-Za-z]{2,4}-[0-9]")
_LABELLED_DOCKET_HINT = re.compile(r"-(?<=[0-9][0-9]-)[0-9]")


def _federal_dockets(text: str) -> Iterator[re.Match[str]]:
    """``_FEDERAL_DOCKET.finditer(text)``, each search started at most four characters ("1:23")
    before the next hint, and none once no hint is left."""
    position = 0
    while hint := _FEDERAL_DOCKET_HINT.search(text, position):
        match = _FEDERAL_DOCKET.search(text, max(position, hint.start() - 4))
        if match is None:
            return
        yield match
        position = match.end()


def find_dockets(text: str) -> list[Docket]:
    """Every docket number in ``text``, normalised, first seen first, no repeats."""
    found: dict[str, Docket] = {}
    for match in _federal_dockets(text):
        docket = _docket(match["office"], match["year"], match["number"], match["type"])
        found.setdefault(docket.key, docket)
    for match in _LABELLED_DOCKET.finditer(text) if _LABELLED_DOCKET_HINT.search(text) else ():
        label = re.sub(r"\s+", " ", match["label"].lower())
        docket = _docket(match["office"], match["year"], match["number"], _LABEL_TYPES.get(label))
        if not any(d.short == docket.short for d in found.values()):
            found.setdefault(docket.key, docket)
    for match in _SEC_FILE_NUMBER.finditer(text) if "3-" in text else ():
        number = match["number"]
        found.setdefault(f"ap-{number}", Docket(display=f"File No. {number}", key=f"ap-{number}", short=f"ap-{number}"))
    return list(found.values())


def leading_docket(title: str) -> tuple[Docket | None, str]:
    """Split a CM/ECF title (``1:23-cv-01599 SEC v. Binance``) into docket and rest."""
    title = title.strip()
    match = _FEDERAL_DOCKET.match(title)
    if match:
        docket = _docket(match["office"], match["year"], match["number"], match["type"])
        return docket, title[match.end() :].strip()
    match = _BARE_DOCKET.match(title)
    if match:
        docket = _docket(match["office"], match["year"], match["number"], None)
        return docket, title[match.end() :].strip()
    return None, title


# --- captions and parties ---------------------------------------------------

_ABBREVIATIONS = frozenset(
    [
        "inc",
        "ltd",
        "co",
        "corp",
        "jr",
        "sr",
        "no",
        "nos",
        "st",
        "mr",
        "ms",
        "mrs",
        "dr",
        "v",
        "vs",
        "u.s",
        "l.p",
        "n.a",
        "s.a",
        "p.c",
        "l.l.c",
        "ll.c",
        "cpa",
        "esq",
        "al",
    ]
)
_SENTENCE_BREAK = re.compile(r"[.!?]\s+(?=[A-Z\"“(])")
# Where a caption's text ends (only the start of a match is read). The look-aheads name the
# characters a match can start with, before and after its ",?\s*": most positions of a
# sentence are turned away at once instead of trying every ending there.
_CAPTION_STOP = re.compile(
    r"(?=[,\s(;cdfin]),?\s*(?=[(;\n,cdfin])"
    r"(?:\((?=[A-Z]\.|\s*(?:filed|No\.|Case|Civil|\d))|;|\n|,\s+(?-i:(?=[a-z])(?!(?:inc|llc|ltd|et\s+al|and)\b))|"
    r"\b(?:Civil\s+Action\b|Criminal\s+Action\b|Case\s+No\b|No\.\s*\d|Docket\b|File\s+No\b|filed\b|"
    r"in\s+the\s+U\.?S\.?\s+District\b|in\s+the\s+United\s+States\s+District\b|in\s+federal\b))",
    re.IGNORECASE,
)
_VERSUS = re.compile(r"\s+v(?:s)?\.?\s+")
_GOVERNMENT_PLAINTIFFS = (
    r"Securities\s+and\s+Exchange\s+Commission|SEC|Commodity\s+Futures\s+Trading\s+Commission|"
    r"CFTC|Federal\s+Trade\s+Commission|FTC|Consumer\s+Financial\s+Protection\s+Bureau|CFPB|"
    r"United\s+States(?:\s+of\s+America)?|USA|U\.S\.A?\.?|People\s+of\s+the\s+State\s+of\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?|"
    r"State\s+of\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
)
_PLAINTIFF = rf"(?:U\.S\.\s+)?(?:{_GOVERNMENT_PLAINTIFFS})"
_GOVERNMENT_NAME = re.compile(_PLAINTIFF)
# _PLAINTIFF with its optional "U.S." written as a first alternative: every alternative starts
# with a letter, and a search skips straight to those letters. Same matches, tried in the same order.
_GOVERNMENT_CAPTION = re.compile(
    rf"(?:U\.S\.\s+(?:{_GOVERNMENT_PLAINTIFFS})|{_GOVERNMENT_PLAINTIFFS})\s+v(?:s)?\.?\s+[A-Z0-9\"“]"
)
_MATTER_CAPTION = re.compile(r"\b(?:In\s+the\s+Matter\s+of|In\s+re:?)\s+(?=[A-Z0-9\"“])", re.IGNORECASE)
# In a caseless copy of a text (feeds.cues), what every match of _MATTER_CAPTION holds.
_MATTER_CUE = re.compile(r"in\s+(?:the\s+matter|re)")
# "et al", also "et, al" and "et a" cut short at the end of a long CM/ECF title
_ET_AL = re.compile(r",?\s*\bet,?\s+(?:al\b\.?|a\s*$)", re.IGNORECASE)
# "Magaliff, as Chapter 7 Trustee for Shelley Foods": the capacity is not the name.
_CAPACITY = re.compile(r",\s+(?:(?:solely|individually\s+and|not\s+individually\s+but)\s+)?as\s+\S.*$")
_AKA = re.compile(r"\s+(?:a/k/a/?|aka|f/k/a/?|d/b/a/?|formerly\s+known\s+as|also\s+known\s+as)\s+", re.IGNORECASE)


def _split_aka(piece: str) -> list[str]:
    """``_AKA.split(piece)``: a name and its aliases. Split only where one of the words every
    alias phrase holds is ("/", "aka", "known"; the Kelvin sign lower-cases to "k")."""
    lowered = piece.lower()
    return _AKA.split(piece) if "/" in piece or "aka" in lowered or "known" in lowered else [piece]


_NAME_SUFFIX = re.compile(
    r"^(?:Inc|Incorporated|LLC|L\.L\.C|LLP|L\.L\.P|LP|L\.P|Ltd|Limited|Corp|Corporation|Co|Company|PLC|plc|"
    r"S\.A|SA|AG|N\.V|NV|B\.V|GmbH|P\.C|PC|N\.A|Jr|Sr|II|III|IV|V|et\s+al|In)\.?$",
    re.IGNORECASE,
)
# Professional credentials after a person's name are not part of it: "Jian Smith, CPA".
_CREDENTIAL = re.compile(r"^(?:CPA|C\.P\.A|Esq|CFA|CFP|MD|M\.D|PhD|Ph\.D|J\.D|JD|MBA)\.?$", re.IGNORECASE)
# A nickname in quotes inside a name: Jian "Jonathan" Smith.
_NICKNAME = re.compile(r"\s+[\"“](?P<nickname>[^\"“”]{1,40})[\"”](?=\s)")
# After a comma, a piece that continues the name before it: a public body's unit
# ("State of California, Dept. of General Services"), a suffix cut short or
# qualified by CM/ECF ("DMJ Associates, L.L.", "British Airways, PLC (UK)").
_CONTINUES_NAME = re.compile(
    r"^(?:(?:Dept\.?|Department|Division|Bureau|Office|Agency|Branch)\s+of\b|(?:[A-Z]\.){1,3}[A-Z]?$|"
    r"(?:PLC|plc|Ltd|Inc|LLC|S\.A|AG|N\.V|GmbH)\.?\s*\([^()]*\)$)"
)
_AGENCY_BY_PLAINTIFF = (
    (re.compile(r"securities and exchange commission|^sec$", re.I), "SEC"),
    (re.compile(r"commodity futures trading commission|^cftc$", re.I), "CFTC"),
    (re.compile(r"federal trade commission|^ftc$", re.I), "FTC"),
    (re.compile(r"consumer financial protection bureau|^cfpb$", re.I), "CFPB"),
    (re.compile(r"^(?:united states(?: of america)?|usa|us|u\.s\.a?\.?)$", re.I), "DOJ"),
)


def _end_of_sentence(text: str, start: int) -> int:
    """Index where the sentence containing ``start`` ends, ignoring the periods
    of abbreviations and initials (``Inc.``, ``U.S.``, ``Brian C. Jensen``)."""
    for match in _SENTENCE_BREAK.finditer(text, start):
        before = text[start : match.start()].split()
        last_word = before[-1].lower().rstrip(".") if before else ""
        if last_word in _ABBREVIATIONS or len(last_word) == 1 or "." in last_word:
            continue
        return match.start() + 1
    return len(text)


def _cut_caption(text: str, start: int) -> str:
    end = _end_of_sentence(text, start)
    caption = text[start:end]
    stop = _CAPTION_STOP.search(caption, 1)
    if stop:
        caption = caption[: stop.start()]
    kept_stop = caption.rstrip().endswith((" al.", " Inc.", " Ltd.", " Co.", " Corp.")) or _DOTTED_END.search(caption)
    return caption.strip(" ,.;:") + ("." if kept_stop else "")


# A caption's last word is a dotted abbreviation (S.A., L.P., N.A.): its full stop belongs to it.
_DOTTED_END = re.compile(r"\s(?:[A-Z]\.){2,}[\s,;:]*$")


# Only a party that is the United States itself: "U.S. Bank" is a company.
_USA = re.compile(
    r"(^|\sv\.\s)(?:The\s+)?(?:USA|US|U\.S\.A\.|U\.S\.|United States of America)(?=\s+v\.\s|\s*$|\s+et al)"
)
_VS = re.compile(r"\s+vs?\.?\s+")


@lru_cache(maxsize=256)  # a CM/ECF feed titles each entry with its case's docket and caption
def tidy_caption(caption: str) -> str:
    """A court's caption as lawyers write it: ``USA vs X et al`` → ``United States v. X et al.``"""
    caption = _VS.sub(" v. ", caption.strip(), count=1)
    caption = _USA.sub(lambda m: f"{m[1]}United States", caption)
    if "et" in caption.lower():  # what every "et al" holds
        caption = _ET_AL.sub(" et al.", caption)
    return re.sub(r"\s+", " ", caption).strip(" ,;")


@lru_cache(maxsize=256)
def find_caption(text: str) -> str | None:
    """The first case caption in free text: ``SEC v. …``, ``United States v. …``,
    ``In the Matter of …``, ``In re …``. Cached: a press release's summary is
    read here by extraction and again by ``feeds.releases``."""
    matter = _MATTER_CAPTION.search(text) if _MATTER_CUE.search(caseless(text)) else None
    candidates = [m for m in (_GOVERNMENT_CAPTION.search(text), matter) if m]
    if not candidates:
        return None
    first = min(candidates, key=lambda m: m.start())
    caption = _cut_caption(text, first.start())
    return caption if _VERSUS.search(caption) or _MATTER_CAPTION.match(caption) else None


@lru_cache(maxsize=256)  # a caption is split by split_caption and again by _defendants_part
def _versus_parts(caption: str) -> tuple[str, ...]:
    """The caption's two sides around its "v." (one part when it has none)."""
    return tuple(_VERSUS.split(caption, maxsplit=1))


def split_caption(caption: str, *, whole_names: bool = False) -> tuple[list[str], list[str]]:
    """(plaintiffs, defendants) of a caption; for ``In the Matter of X`` the
    respondents count as defendants."""
    parts = _versus_parts(caption)
    if _MATTER_CAPTION.match(caption) or len(parts) != 2:
        return [], split_parties(_defendants_part(caption))
    plaintiffs, defendants = parts
    # "Securities and Exchange Commission" is one plaintiff, not two.
    plaintiff_names = (
        [plaintiffs.strip()]
        if _GOVERNMENT_NAME.fullmatch(plaintiffs.strip())
        else [party.name for party in parse_parties(plaintiffs, whole_names=whole_names)]
    )
    return plaintiff_names, split_parties(defendants)


def split_parties(names: str) -> list[str]:
    """Split a list of party names, keeping commas that belong to a name.

    ``Lufkin Advisors, LLC and Chauncey Forbush Lufkin, III`` → two names;
    ``Marc Henry Menard; Laesha Jean-Louis`` → two; ``Bhardwaj et al.`` → one.
    Aliases (``a/k/a``) are dropped here; see :func:`parse_parties`.
    """
    return [party.name for party in parse_parties(names)]


def _strip_final_period(name: str) -> str:
    """Drop a sentence's full stop but keep an abbreviation's (``Inc.``, ``C.``)."""
    if not name.endswith("."):
        return name
    last_word = name.rsplit(maxsplit=1)[-1][:-1]
    if last_word.lower() in _ABBREVIATIONS or len(last_word) == 1 or "." in last_word:
        return name
    return name[:-1]


def parse_parties(names: str, *, whole_names: bool = False, brief: bool = False) -> list[Party]:
    """Like :func:`split_parties`, keeping each name's aliases. ``whole_names``:
    commas never separate two parties (a CM/ECF case title names one party per
    side: ``Kozeny, McCubbin & Katz``, ``City of Tampa, Florida``). ``brief``: a
    headline's list, where one word names a party ("Terraform and Kwon")."""
    return list(_parse_parties(names, whole_names, brief))


@lru_cache(maxsize=256)
def _parse_parties(names: str, whole_names: bool, brief: bool) -> tuple[Party, ...]:
    """:func:`parse_parties`, cached: one item's caption is split several times,
    and a court feed's entries repeat their case's title."""
    names = (_ET_AL.sub("", names) if "et" in names.lower() else names).strip(" ,;")
    parties: list[Party] = []
    for chunk in re.split(r"\s*;\s*", names):
        # "&" joins the words of one name ("Procter & Gamble Co."); only "and" joins two parties.
        for group in split_on_and(chunk, brief=brief):
            pieces: list[str] = []
            for piece in [group] if whole_names else re.split(r"\s*,\s*", group):
                piece = _strip_final_period(piece.strip(" ,"))
                if not piece or (pieces and _CREDENTIAL.match(piece)):
                    continue
                if pieces and (_NAME_SUFFIX.match(_split_aka(piece)[0]) or _CONTINUES_NAME.match(piece)):
                    pieces[-1] = f"{pieces[-1]}, {piece}"
                else:
                    pieces.append(piece)
            parties.extend(party for party in (_party(_CAPACITY.sub("", piece)) for piece in pieces) if party)
    return tuple(parties)


def _party(piece: str) -> Party | None:
    """One party from its written name: aliases after ``a/k/a`` and a quoted
    nickname become aliases."""
    name, *aliases = _split_aka(piece)
    if '"' in name or "“" in name:  # a nickname is in quotes
        nicknames = [match["nickname"].strip() for match in _NICKNAME.finditer(name)]
        name = _NICKNAME.sub("", name)
    else:
        nicknames = []
    name = name.strip(" ,")
    aliases = [*nicknames, *(a.strip(' ,."“”') for a in aliases)]
    return Party(name=name, aliases=tuple(a for a in aliases if a)) if name else None


def _defendants_part(caption: str) -> str:
    matter = _MATTER_CAPTION.match(caption)
    if matter:
        return caption[matter.end() :]
    parts = _versus_parts(caption)
    return parts[1] if len(parts) == 2 else caption


def agency_of_plaintiff(plaintiffs: list[str]) -> str | None:
    for plaintiff in plaintiffs:
        for pattern, agency in _AGENCY_BY_PLAINTIFF:
            if pattern.search(plaintiff.strip()):
                return agency
    return None


# --- action type ------------------------------------------------------------

# Checked in order; the first that matches names the item's action. Each pattern is searched
# only when the text has one of its cue words; from the first of them when every match starts with one.
_ACTIONS = (
    ("plea", cued(r"plead(?:s|ed)?\s+guilty|guilty\s+plea|plea\s+agreement", "plea", flags=re.I)),
    (
        "settlement",
        cued(
            r"\bsettle(?:s|d|ment|ments)?\b|\bagree(?:s|d)?\s+to\s+pay\b|\bconsent\s+order\b",
            *("settle", "agree", "consent"),
            flags=re.I,
            leading=True,
        ),
    ),
    (
        "ruling",
        cued(
            r"(?:order|opinion|ruling|decision)\b[^.]{0,40}motion\s+to\s+dismiss|motion\s+to\s+dismiss[^.]{0,60}\b(?:granted|denied|grant|deny|grants|denies)\b",
            "dismiss",
            flags=re.I,
        ),
    ),
    (
        "ruling",
        cued(
            r"\bdismiss(?:ed|es|ing)?\s+(?:some|part|several|parts|\d+)\b|\bin\s+part\b|\btrims?\b",
            *("dismiss", "part", "trim"),
            flags=re.I,
        ),
    ),
    ("dismissal", cued(r"\bdismiss(?:ed|al|es)\b", "dismiss", flags=re.I, leading=True)),
    (
        "sentencing",
        cued(
            r"\bsentenced\b|judgment\s+and\s+sentence|judgment\s+in\s+a\s+criminal\s+case|\bimprisonment\b",
            *("sentence", "criminal", "imprisonment"),
            flags=re.I,
        ),
    ),
    ("verdict", cued(r"\bverdict\b|\bfound\s+guilty\b|\bconvicted\b", "verdict", "guilty", "convicted", flags=re.I)),
    ("judgment", cued(r"\bjudgments?\b", "judgment", flags=re.I, leading=True)),
    (
        "administrative proceeding",
        cued(
            r"administrative\s+proceeding|cease[- ]and[- ]desist|order\s+instituting",
            *("administrative", "cease", "order"),
            flags=re.I,
            leading=True,
        ),
    ),
    (
        "ruling",
        cued(
            r"\b(?:order|opinion|ruling|rules|memorandum)\b",
            *("order", "opinion", "ruling", "rules", "memorandum"),
            flags=re.I,
            leading=True,
        ),
    ),
    (
        "indictment",
        cued(
            r"\bindict(?:ed|ment)\b|\bcriminal\s+(?:complaint|information)\b|\barrested\b",
            *("indict", "criminal", "arrested"),
            flags=re.I,
            leading=True,
        ),
    ),
    (
        "complaint",
        cued(
            r"\bcomplaint\b|\bcharg(?:e|es|ed)\b|\bsues\b|\bsued\b|\bindict(?:ed|ment)\b|\blawsuit\b",
            *("complaint", "charg", "sues", "sued", "indict", "lawsuit"),
            flags=re.I,
            leading=True,
        ),
    ),
)


def action_type(text: str) -> str | None:
    """The kind of action ``text`` reports, or None when it does not say."""
    lowered = caseless(text)
    for action, pattern in _ACTIONS:
        if pattern.search(text, lowered):
            return action
    return None


# Docket entries that matter to no one but the clerk: stored and shown in the
# timeline, but they alert only watches that ask for ``all``.
_ROUTINE_ENTRY = re.compile(
    r"notice\s+of\s+appearance|appearance\s+of\s+counsel|pro\s+hac\s+vice|corporate\s+disclosure|"
    r"rule\s+7\.1|disclosure\s+statement|summons|attorney\s+(?:added|withdrawn|terminated)|withdrawal\s+of\s+attorney|"
    r"substitution\s+of\s+attorney|notice\s+of\s+change\s+of\s+address|civil\s+cover\s+sheet|certificate\s+of\s+service|"
    r"~util|set\s+(?:deadlines|hearings)|transcript\s+request|clerk'?s\s+notice|notice\s+of\s+related\s+case|"
    r"consent\s+to\s+(?:electronic|jurisdiction)|electronic\s+notification",
    re.IGNORECASE,
)


def is_routine_entry(entry: str | None) -> bool:
    return bool(entry and _ROUTINE_ENTRY.search(entry))


# --- money ------------------------------------------------------------------

_AMOUNT = re.compile(
    r"(?=[U$])(?:US)?\$\s?(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<scale>trillion|billion|million|thousand|bn|mn|[BMK])\b)?",
    re.IGNORECASE,
)
_SCALES = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "trillion": 10**12,
}


def dollar_matches(text: str) -> Iterator[re.Match[str]]:
    """Every match of the dollar-amount pattern in ``text``. Each holds a "$" and starts at most
    two characters before it ("US$"): the search starts there, and not at all without one."""
    dollar = text.find("$")
    return _AMOUNT.finditer(text, max(0, dollar - 2)) if dollar >= 0 else iter(())


def find_amounts(text: str) -> list[int]:
    """Dollar amounts in ``text`` as whole dollars, largest first, no repeats."""
    amounts = set()
    for match in dollar_matches(text):
        number = float(match["number"].replace(",", ""))
        scale = _SCALES.get((match["scale"] or "").lower(), 1)
        if not math.isfinite(number * scale):
            continue  # more digits than a float holds: not an amount anyone wrote
        amounts.add(round(number * scale))
    return sorted(amounts, reverse=True)


def format_amount(dollars: int) -> str:
    for scale, word in ((10**12, "trillion"), (10**9, "billion"), (10**6, "million")):
        if dollars >= scale:
            value = dollars / scale
            return f"${value:,.2f}".rstrip("0").rstrip(".") + f" {word}"
    return f"${dollars:,}"


# --- release numbers and agencies -------------------------------------------

_RELEASE_NUMBER = re.compile(r"^\s*(?P<prefix>LR|AAER|IA|33|34|IC)-?\s?(?P<number>\d{3,6})\s*$", re.IGNORECASE)
_AGENCY_NAMES = (
    ("SEC", re.compile(r"\bSEC\b|Securities and Exchange Commission")),
    ("CFTC", re.compile(r"\bCFTC\b|Commodity Futures Trading Commission")),
    ("FinCEN", re.compile(r"\bFinCEN\b|Financial Crimes Enforcement Network")),
    ("OFAC", re.compile(r"\bOFAC\b|Office of Foreign Assets Control")),
    ("DOJ", re.compile(r"\bDOJ\b|Department of Justice|Justice Department")),
)


def release_number(author: str | None) -> str | None:
    """An SEC release number from ``<dc:creator>`` (``LR-26039``; the SEC once
    wrote ``LR26018``), normalised to ``LR-26018``."""
    match = _RELEASE_NUMBER.match(author or "")
    if not match:
        return None
    return f"{match['prefix'].upper()}-{match['number']}"


def agencies_named(text: str) -> list[str]:
    return [agency for agency, pattern in _AGENCY_NAMES if pattern.search(text)]


# --- one item ---------------------------------------------------------------


@dataclass
class Extraction:
    """What one item says about the matter it reports."""

    agency: str | None = None
    caption: str | None = None
    plaintiffs: list[str] = field(default_factory=list)
    defendants: list[Party] = field(default_factory=list)
    plaintiff_role: str = "plaintiff"  # "petitioner" when a circuit court reviews an agency's order
    dockets: list[Docket] = field(default_factory=list)
    court: str | None = None
    action: str | None = None
    action_detail: str | None = None  # finer kind of action: "partial dismissal", "summary judgment" …
    amounts: list[int] = field(default_factory=list)
    release_no: str | None = None
    docket_entry: str | None = None
    entry_number: str | None = None
    """The docket entry's number (``12``; ``minute-entry-<id>`` for CourtListener's minute entries)."""
    amount_kinds: list[Amount] = field(default_factory=list)
    """The amounts with what each is (penalty, disgorgement, fine …)."""
    news: NewsReading | None = None
    """A news story's reading (headline, agency, …), which joins it to its case."""
    folded_text: str = field(default="", repr=False, compare=False)
    """The item's title and summary (``f"{title}\n{summary}"``) folded (:func:`feeds.text.fold`):
    what the matcher reads, folded once here rather than again at each match (derived from the
    text, not read from it: left out of the repr that the golden snapshot compares, and of equality)."""

    @property
    def aliases(self) -> list[str]:
        return [alias for party in self.defendants for alias in party.aliases]

    @property
    def docket_keys(self) -> set[str]:
        """Every form under which this item's docket numbers are indexed."""
        return {key for docket in self.dockets for key in (docket.key, docket.short)}

    @property
    def routine(self) -> bool:
        """A clerical docket entry (appearance, summons …) that alerts only ``all`` watches."""
        return is_routine_entry(self.docket_entry)

    @property
    def caption_key(self) -> str | None:
        """The caption reduced to ``<plaintiff> v <first defendant>`` so that
        ``SEC v. Binance Holdings Limited et al`` and ``Securities and Exchange
        Commission v. Binance Holdings Ltd., BAM …`` compare equal."""
        if not self.caption or not self.defendants:
            return None
        first_defendant = _caption_name_key(self.defendants[0].name)
        if _MATTER_CAPTION.match(self.caption):
            return f"matter {first_defendant}"
        plaintiff = agency_of_plaintiff(self.plaintiffs) or (
            _caption_name_key(self.plaintiffs[0]) if self.plaintiffs else ""
        )
        return f"{plaintiff.lower()} v {first_defendant}"


# Storing an item reads its caption key two or three times (finding, joining
# and updating its case), and a feed names the same parties again and again.
_caption_name_key = lru_cache(maxsize=1024)(name_key)


_DOCKET_ENTRY = re.compile(r"\[\s*(?P<entry>[^\]]{1,200}?)\s*\]")
# CourtListener links end "#entry-12" (or "#minute-entry-<id>"); CM/ECF
# descriptions end with the document number, the link text "(12)".
_LINKED_ENTRY = re.compile(r"#((?:minute-)?entry-\d+)$")
_DOCUMENT_NUMBER = re.compile(r"\(\s*(\d{1,6})\s*\)[\s.]*$")


def docket_entry_number(link: str | None, summary: str, *, docket_entry: bool) -> str | None:
    """The docket entry's number: ``12`` for CourtListener's ``…#entry-12`` and
    for a CM/ECF entry ending "(12)"; None for items that are no docket entry."""
    linked = _LINKED_ENTRY.search(link or "")
    if linked:
        return linked[1].removeprefix("entry-")
    if docket_entry:
        number = _DOCUMENT_NUMBER.search(summary)
        return number[1] if number else None
    return None


_CMECF_HEADER = re.compile(r"^\s*Type:\s*\w+\s+Office:\s*\d*\s+Chapter:\s*\w*\s*")


def docket_entry_kind(event: str | None, summary: str, dockets: list[Docket], court: str | None) -> str:
    """A CM/ECF entry's kind of action: from its event name, or from its free
    text when the event name says nothing (see :mod:`feeds.docket_events`)."""
    criminal = any(CRIMINAL_DOCKET.search(docket.key) for docket in dockets)
    appellate = bool(court and court.endswith("Cir."))
    if not is_silent_event(event):
        return entry_action(event or "", criminal=criminal, appellate=appellate)
    text = _DOCKET_ENTRY.sub(" ", _CMECF_HEADER.sub("", summary))
    return text_action(text, criminal=criminal, appellate=appellate)


# What a ruling decided, read from its text when no finer rule said (the
# court's "granting in part and denying in part motions to dismiss", the
# news' "trims SEC lawsuit").
_RULING_DETAILS = (
    ("summary judgment", re.compile(r"summary\s+judgment", re.I)),
    (
        "partial dismissal",
        re.compile(
            r"motions?\s+to\s+dismiss\b.{0,80}\bin\s+part|\bin\s+part\b.{0,80}motions?\s+to\s+dismiss|"
            r"\btrims?\b|\bdismiss(?:es|ed)?\s+(?:some|part|several)\b",
            re.I,
        ),
    ),
    (
        "motion to dismiss denied",
        re.compile(
            r"den(?:y|ies|ied|ying)\b.{0,60}motions?\s+to\s+dismiss|"
            r"motions?\s+to\s+dismiss\b.{0,60}\bden(?:y|ies|ied|ying)\b",
            re.I,
        ),
    ),
    (
        "motion to dismiss granted",
        re.compile(
            r"grant(?:s|ed|ing)?\b.{0,60}motions?\s+to\s+dismiss|"
            r"motions?\s+to\s+dismiss\b.{0,60}\bgrant(?:s|ed|ing)?\b",
            re.I,
        ),
    ),
)


def ruling_detail(text: str) -> str | None:
    """The finer kind of a ruling, from its text; None when the text does not say."""
    for detail, pattern in _RULING_DETAILS:
        if pattern.search(text):
            return detail
    return None


def extract(
    *,
    title: str,
    summary: str,
    author: str | None,
    feed_agency: str | None,
    feed_kind: str,
    feed_url: str,
    feed_title: str = "",
    link: str = "",
) -> Extraction:
    """Extract agency, caption, parties, dockets, court, action and amounts from
    one cleaned item. ``feed_*`` describe the feed it came from (``feed_url``
    may hold the feed's address and its site link, space-separated). A court
    feed about one case (a CourtListener docket feed) names the case in
    ``feed_title`` rather than in each item."""
    text = f"{title}\n{summary}"
    result = Extraction(release_no=release_number(author), folded_text=fold(text))
    cmecf_title = False  # a CM/ECF case title: one party per side

    if feed_kind == "court" and is_court_site_feed(f"{feed_url} {link}"):
        from feeds.court_titles import read_court_feed_item  # it imports this module

        read_court_feed_item(result, title=title, summary=summary, link=link, feed_url=feed_url, feed_title=feed_title)
        result.court = (
            court_from_host(f"{feed_url} {link}") or court_from_text(feed_title) or court_from_agency(feed_agency)
        )
    elif feed_kind == "court":
        docket, rest = leading_docket(title)
        cmecf_title = bool(docket and rest)
        entry = _DOCKET_ENTRY.search(summary)
        result.docket_entry = entry["entry"] if entry else None
        if docket:
            result.dockets.append(docket)
            if rest:
                result.caption = tidy_caption(rest)
        elif feed_title:
            result.dockets.extend(find_dockets(feed_title))
            versus = re.search(r"[A-Z0-9][^:]*?\sv\.?\s[^()]+", feed_title)
            result.caption = find_caption(feed_title) or (tidy_caption(versus[0]) if versus else None)
        # The court is in the CM/ECF address; a catalog agency such as "D.D.C." names it too.
        result.court = court_from_text(feed_url) or court_from_text(text) or court_from_text(f"({feed_agency})")
        if result.caption and (result.court or "").startswith("Bankr."):
            result.caption = bankruptcy_caption(result.caption)
        # No action_detail: storage reads a ruling's detail (in part, denied) from the entry's text.
        result.action = docket_entry_kind(result.docket_entry, summary, result.dockets, result.court)
    else:
        result.court = court_from_text(text)
        # A press release (no release number) and a news story: their own rules name the action (_read_release_or_news).
        if result.release_no is not None:
            result.action = action_type(text)

    for docket in find_dockets(text):
        if all(docket.key != known.key for known in result.dockets):
            result.dockets.append(docket)

    if not result.caption:
        result.caption = find_caption(title) or find_caption(summary)
    if result.caption:
        result.plaintiffs, _ = split_caption(result.caption, whole_names=cmecf_title)
        result.defendants = parse_parties(_defendants_part(result.caption), whole_names=cmecf_title)
    elif result.release_no:
        # SEC litigation releases and administrative proceedings: the title is
        # the list of defendants or respondents.
        result.defendants = parse_parties(title)
        if result.release_no.startswith(("33-", "34-", "IA-", "IC-")):
            result.action = result.action or "administrative proceeding"

    if feed_kind == "court":
        assign_court_roles(result)
    result.agency = (
        agency_of_plaintiff(result.plaintiffs)
        or (feed_agency if feed_kind == "regulator" and feed_agency else None)
        or next(iter(agencies_named(text)), None)
    )
    result.amounts = find_amounts(text)
    result.entry_number = result.entry_number or docket_entry_number(
        link, summary, docket_entry=result.docket_entry is not None
    )
    _read_release_or_news(result, title=title, summary=summary, feed_kind=feed_kind)
    if result.action == "ruling" and result.action_detail is None:
        result.action_detail = ruling_detail(f"{title}\n{result.docket_entry or ''} {summary}")
    return result


def _read_release_or_news(result: Extraction, *, title: str, summary: str, feed_kind: str) -> None:
    """Agency press releases and news stories are read by their own rules
    (``feeds.releases``, ``feeds.news``), which build on this module."""
    from feeds.news import read_news
    from feeds.releases import amounts_with_kinds, read_release

    text = f"{title}\n{summary}"
    result.amount_kinds = amounts_with_kinds(text)
    if feed_kind == "news":
        reading = read_news(title, summary)
        result.news, result.action, result.action_detail = reading, reading.action, reading.action_detail
        result.agency = reading.agency
        # A story joins the case its headline is about (storage.joins); a caption in its body is no party list.
        result.caption, result.plaintiffs, result.defendants = None, [], []
    elif feed_kind == "regulator" and result.release_no is None:
        release = read_release(title, summary, agency=result.agency)
        result.action = release.action or action_type(text)  # the headline first (see extract)
        result.action_detail = release.action_detail
        if release.action == "none":
            result.caption, result.plaintiffs, result.defendants, result.dockets = None, [], [], []
        elif release.defendants:
            result.defendants = release.defendants
