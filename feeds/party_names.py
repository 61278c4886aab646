"""Where one party's name ends and the next begins in a list of parties.

"and" joins two parties ("Steven Jay Grim and Darcy Joan Grim", "Acme, Inc.
and John Doe") or the words of one name ("Port Authority of New York and New
Jersey", "New York Sound and Security LLC", "Smith and Jones LLP",
"Department of Health and Human Services"). The rule: split on "and" only
when both sides are complete names by themselves — a name ending in a
company suffix, a person's name, or a public body — and never when the left
side ends with a word that needs a continuation ("of", "for", "the"). A list
written with a comma before "and" ("X, Y, and Z") always splits. In the
list of defendants of a press release or news headline ("Terraform and Kwon",
"FTX and Alameda", "Binance and Changpeng Zhao") a single capitalised word is
a complete name too (``brief=True``): headlines call parties by one word.
"""

from __future__ import annotations

import re

_COMPANY_SUFFIX = (
    r"(?:Inc|Incorporated|LLC|L\.L\.C|LLP|L\.L\.P|LP|L\.P|Ltd|Limited|Corp|Corporation|Co|Company|PLC|plc|"
    r"S\.A|SA|AG|N\.V|NV|B\.V|GmbH|P\.C|PC|N\.A|P\.A|PLLC|Pte|S\.p\.A|SE)\.?"
)
_ENDS_WITH_SUFFIX = re.compile(rf"(?:^|[\s,]){_COMPANY_SUFFIX}(?:\s*\([^()]*\))?$")
_LEFT_NEEDS_MORE = re.compile(r"\b(?:of|for|the|on|in|at|to|de|del|la|du|von|van|and|&)$", re.I)
# Words that make a run of capitalised words an organisation or a place, not a person.
_NOT_A_PERSON = re.compile(
    r"\b(?:authority|bank|trust|group|holdings?|capital|partners|associates|services?|systems?|technolog(?:y|ies)|"
    r"solutions|management|insurance|department|dept|board|commission|city|county|state|states|university|college|"
    r"school|hospital|cent(?:er|re)|church|foundation|fund|exchange|markets?|securities|investments?|advis[eo]rs?|"
    r"energy|power|electric|gas|oil|realty|properties|construction|sound|security|communications|media|"
    r"international|industries|enterprises|consulting|restaurant|agency|office|police|district|port|transit|"
    r"bureau|council|committee|association|union|society|club|network|labs?|pharmaceuticals?|motors|airlines?|"
    r"airways|railroad|shipping|logistics|global|america|american|national|united|york|jersey|carolina|dakota|"
    r"virginia|island|hampshire|mexico|republic|kingdom|government|people|commonwealth|town|village|estate|"
    r"administration|service|court|prison|correctional|corrections|health|human|financial|finance|mortgage|"
    r"credit|loan|savings|life|mutual|realty|development|resources|products|brands|foods?|stores?|"
    r"market|trading|equities|ventures|properties|hotel|hotels|casino|studios|records|entertainment|sports)\b",
    re.I,
)
# Capital letters a name may begin with: ASCII and the Latin letters of European names (François, Łukasz, Ørsted).
_CAPITALS = "A-Z" + "".join(letter for letter in map(chr, range(0xC0, 0x250)) if letter.isupper())
_PERSON_TOKEN = re.compile(
    rf"^(?:[{_CAPITALS}](?:[^\W_]|['’\-])+\.?|[{_CAPITALS}]\.?|(?:Jr|Sr|II|III|IV)\.?|de|da|del|van|von|la|le|di)$"
)
_PUBLIC_BODY = re.compile(
    r"^(?:The\s+)?(?:United\s+States|State\s+of|City\s+of|County\s+of|Town\s+of|Village\s+of|Commonwealth\s+of|"
    r"People\s+of|Republic\s+of|Kingdom\s+of|Government\s+of|Board\s+of|Department\s+of|Office\s+of)\b|"
    r"\b(?:Department|Commission|Board|Authority|Agency|Bureau|Administration|Service|District|Council|"
    r"Committee|University|Hospital)$"
)


_NICKNAME = re.compile(r"[\"“][^\"”]{1,40}[\"”]")
_TITLE_AFTER_NAME = re.compile(r"^(?:CPA|Esq|MD|M\.D|PhD|Ph\.D|CFA|CFP|JD|J\.D)\.?$")


def _is_person(name: str) -> bool:
    """``Darcy Joan Grim``, ``LaQuece N. Burns``, ``Chauncey Forbush Lufkin, III``."""
    name = _NICKNAME.sub(" ", name)
    tokens = [t for t in name.replace(",", " ").split() if not _TITLE_AFTER_NAME.match(t)]
    return 2 <= len(tokens) <= 6 and all(_PERSON_TOKEN.match(t) for t in tokens) and not _NOT_A_PERSON.search(name)


# "Johnson & Johnson", "Procter & Gamble", "Kozeny, McCubbin & Katz": an ampersand joins the names of a firm.
_FIRM = re.compile(r"[A-Za-z.]\s*&\s*[A-Z][A-Za-z.]*$")


def is_complete_name(name: str) -> bool:
    """True when ``name`` can stand alone as a party."""
    name = name.strip(" ,")
    return bool(_ENDS_WITH_SUFFIX.search(name) or _is_person(name) or _PUBLIC_BODY.search(name) or _FIRM.search(name))


_ONE_WORD_NAME = re.compile(r"^[A-Z][A-Za-z0-9.'’\-]*$")


def joins_one_name(left: str, right: str, *, brief: bool = False) -> bool:
    """True when the "and" between ``left`` and ``right`` is inside one party's
    name. ``brief``: a single capitalised word counts as a complete name."""
    left, right = left.strip(" ,"), right.strip(" ,")
    if _LEFT_NEEDS_MORE.search(left):
        return True

    def complete(name: str) -> bool:
        return is_complete_name(name) or (brief and bool(_ONE_WORD_NAME.match(name)) and name != "The")

    return not (complete(left) and complete(right))


_ALIAS = re.compile(r"\s+(?:a/k/a/?|aka|f/k/a/?|d/b/a/?|formerly\s+known\s+as|also\s+known\s+as)\s+.*$", re.I)


def _last_name(names: str) -> str:
    """The last name of a comma list, with its suffix: ``A Corp., John Doe`` → ``John Doe``;
    ``John Doe, Acme, Inc.`` → ``Acme, Inc.``."""
    pieces = _ALIAS.sub("", names).split(",")
    last = pieces[-1]
    if len(pieces) > 1 and re.fullmatch(rf"\s*(?:{_COMPANY_SUFFIX}|Jr\.?|Sr\.?|I{{2,3}}|IV|CPA|Esq\.?)\s*", last):
        last = f"{pieces[-2]},{last}"
    return last


_AND = re.compile(rf"(?P<comma>,)?\s+and\s+(?=[{_CAPITALS}0-9\"“])")


def split_on_and(names: str, *, brief: bool = False) -> list[str]:
    """``names`` split where "and" joins two parties (see the module's rule)."""
    parts: list[str] = []
    start = 0
    for match in _AND.finditer(names) if "and" in names else ():
        left, right = names[start : match.start()], names[match.end() :]
        # The right side ends at the next "and" or at the end.
        following = _AND.search(right)
        right_name = right[: following.start()] if following else right
        if match["comma"] or not joins_one_name(_last_name(left), _ALIAS.sub("", right_name), brief=brief):
            parts.append(left)
            start = match.end()
    parts.append(names[start:])
    return [part for part in (p.strip() for p in parts) if part]
