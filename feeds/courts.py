"""Recognise US federal courts in addresses and text, named the way lawyers
cite them (``D.D.C.``, ``S.D.N.Y.``, ``N.D. Ill.``, ``2d Cir.``, ``Bankr. D. Del.``).

The table is keyed by the court codes the judiciary uses in its host names
(``ecf.nysd.uscourts.gov``, ``www.ca9.uscourts.gov``). It lists only courts
that exist; ``tests/test_courts.py`` checks it against Free Law Project's
``courts-db``, whose ids are mostly the same codes but whose citations are
uneven (``SCOTUS``, ``N.D.W. Va.``) and whose text matching misses common
forms (``S.D.N.Y.``, ``Northern District of Illinois``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from feeds.cues import caseless, cued

# State or territory: (citation abbreviation, court-code prefix, districts).
# "NS" means a Northern and a Southern district; "" a single district.
_STATES: dict[str, tuple[str, str, str]] = {
    "Alabama": ("Ala.", "al", "NMS"),
    "Alaska": ("Alaska", "ak", ""),
    "Arizona": ("Ariz.", "az", ""),
    "Arkansas": ("Ark.", "ar", "EW"),
    "California": ("Cal.", "ca", "NECS"),
    "Colorado": ("Colo.", "co", ""),
    "Connecticut": ("Conn.", "ct", ""),
    "Delaware": ("Del.", "de", ""),
    "Florida": ("Fla.", "fl", "NMS"),
    "Georgia": ("Ga.", "ga", "NMS"),
    "Guam": ("Guam", "gu", ""),
    "Hawaii": ("Haw.", "hi", ""),
    "Idaho": ("Idaho", "id", ""),
    "Illinois": ("Ill.", "il", "NCS"),
    "Indiana": ("Ind.", "in", "NS"),
    "Iowa": ("Iowa", "ia", "NS"),
    "Kansas": ("Kan.", "ks", ""),
    "Kentucky": ("Ky.", "ky", "EW"),
    "Louisiana": ("La.", "la", "EMW"),
    "Maine": ("Me.", "me", ""),
    "Maryland": ("Md.", "md", ""),
    "Massachusetts": ("Mass.", "ma", ""),
    "Michigan": ("Mich.", "mi", "EW"),
    "Minnesota": ("Minn.", "mn", ""),
    "Mississippi": ("Miss.", "ms", "NS"),
    "Missouri": ("Mo.", "mo", "EW"),
    "Montana": ("Mont.", "mt", ""),
    "Nebraska": ("Neb.", "ne", ""),
    "Nevada": ("Nev.", "nv", ""),
    "New Hampshire": ("N.H.", "nh", ""),
    "New Jersey": ("N.J.", "nj", ""),
    "New Mexico": ("N.M.", "nm", ""),
    "New York": ("N.Y.", "ny", "NSEW"),
    "North Carolina": ("N.C.", "nc", "EMW"),
    "North Dakota": ("N.D.", "nd", ""),
    "Northern Mariana Islands": ("N. Mar. I.", "nmi", ""),
    "Ohio": ("Ohio", "oh", "NS"),
    "Oklahoma": ("Okla.", "ok", "NEW"),
    "Oregon": ("Or.", "or", ""),
    "Pennsylvania": ("Pa.", "pa", "EMW"),
    "Puerto Rico": ("P.R.", "pr", ""),
    "Rhode Island": ("R.I.", "ri", ""),
    "South Carolina": ("S.C.", "sc", ""),
    "South Dakota": ("S.D.", "sd", ""),
    "Tennessee": ("Tenn.", "tn", "EMW"),
    "Texas": ("Tex.", "tx", "NSEW"),
    "Utah": ("Utah", "ut", ""),
    "Vermont": ("Vt.", "vt", ""),
    "Virgin Islands": ("V.I.", "vi", ""),
    "Virginia": ("Va.", "va", "EW"),
    "Washington": ("Wash.", "wa", "EW"),
    "West Virginia": ("W. Va.", "wv", "NS"),
    "Wisconsin": ("Wis.", "wi", "EW"),
    "Wyoming": ("Wyo.", "wy", ""),
}
_DIRECTIONS = {"Northern": "N", "Southern": "S", "Eastern": "E", "Western": "W", "Middle": "M", "Central": "C"}
_CIRCUIT_WORDS = (
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
)
_ORDINALS = {1: "1st", 2: "2d", 3: "3d"}
SUPREME_COURT = "U.S."


def _district_citation(direction: str | None, state_abbr: str) -> str:
    prefix = f"{direction}.D." if direction else "D."
    # "S.D." + "N.Y." → "S.D.N.Y."; "N.D." + "Ill." → "N.D. Ill."
    return f"{prefix}{state_abbr}" if re.fullmatch(r"(?:[A-Z]\.)+", state_abbr) else f"{prefix} {state_abbr}"


def _circuit_citation(number: int) -> str:
    return f"{_ORDINALS.get(number, f'{number}th')} Cir."


def _build_courts() -> dict[str, str]:
    """Court code → citation, for every federal court that has a code."""
    courts = {"dcd": "D.D.C.", "dcb": "Bankr. D.D.C.", "cadc": "D.C. Cir.", "cafc": "Fed. Cir."}
    courts.update({f"ca{number}": _circuit_citation(number) for number in range(1, 12)})
    for abbr, code, directions in _STATES.values():
        for direction in directions or [None]:
            district = _district_citation(direction, abbr)
            letter = direction.lower() if direction else ""
            courts[f"{code}{letter}d"] = district
            courts[f"{code}{letter}b"] = f"Bankr. {district}"
    courts.update(
        {
            "scotus": SUPREME_COURT,
            "cit": "Ct. Int'l Trade",
            "uscfc": "Fed. Cl.",
            "cofc": "Fed. Cl.",  # the Court of Federal Claims' CM/ECF host
            "jpml": "J.P.M.L.",
        }
    )
    return courts


COURTS = _build_courts()
CMECF_COURTS = COURTS  # the name earlier code used; the codes are the CM/ECF host codes
_CITATIONS = frozenset(COURTS.values())

# --- addresses --------------------------------------------------------------

_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
_COURT_SITES = {"supremecourt.gov": SUPREME_COURT}


@lru_cache(maxsize=1024)  # a feed's own addresses come with each of its items
def _host(url: str) -> str:
    """The lowercased host of an address :data:`_URL` found, as ``urlsplit(url).hostname``
    reads it (after any ``user@``, before any port), but never raising: an address in
    an item's text that urllib refuses (``https://[docs]/x``) is simply no court's."""
    authority = url.partition("//")[2]
    for end in "/?#":
        authority = authority.partition(end)[0]
    host = authority.rpartition("@")[2]
    host = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    return host.lower()


def court_from_host(urls: str) -> str | None:
    """The court whose own site serves any address in ``urls``: the label
    before ``uscourts.gov`` is the court code (``ecf.nysd``, ``www.ca9``,
    ``cdn.ca9``, ``media-oa.ca8``, ``cafc``); other courts' sites are listed."""
    if "://" not in urls:  # no address (item text, mostly): no search
        return None
    for match in _URL.finditer(urls):
        host = _host(match[0])
        labels = host.split(".")
        if host.endswith(".uscourts.gov") and len(labels) >= 3 and labels[-3] in COURTS:
            return COURTS[labels[-3]]
        for site, court in _COURT_SITES.items():
            if host == site or host.endswith(f".{site}"):
                return court
    return None


def _is_cmecf_host(host: str) -> bool:
    return host.startswith(("ecf.", "pacer.")) and host.endswith(".uscourts.gov")


def is_court_site_feed(urls: str) -> bool:
    """Whether ``urls`` (a feed's addresses) is a court's own website or
    CourtListener rather than CM/ECF: such feeds title their items otherwise."""
    hosts = [_host(match[0]) for match in _URL.finditer(urls)]
    if any(_is_cmecf_host(host) for host in hosts):
        return False
    return any(host == "courtlistener.com" or host.endswith(".courtlistener.com") for host in hosts) or bool(
        court_from_host(urls)
    )


# --- text -------------------------------------------------------------------

_STATE_NAMES = "|".join(sorted(map(re.escape, [*_STATES, "Columbia"]), key=len, reverse=True))
# Each court pattern starts with a look-ahead for its possible first letters (or is
# cued by a word every match holds): the same matches, found without trying the
# whole pattern at every position of a long text.
_DISTRICT_NAME = re.compile(
    r"(?=[BNSEWMCD])"  # Bankruptcy, a direction or District
    r"(?P<bankruptcy>Bankruptcy\s+Court\s+(?:for\s+)?(?:the\s+)?)?"
    r"\b(?:(?P<direction>Northern|Southern|Eastern|Western|Middle|Central)\s+)?District\s+of\s+"
    r"(?:the\s+)?(?P<state>" + _STATE_NAMES + r")\b(?!\s+Circuit)"
)
_CIRCUIT_NAME = cued(
    r"\b(?:(?P<word>" + "|".join(_CIRCUIT_WORDS) + r")|(?P<number>1[01]|[1-9])(?:st|nd|rd|th|d)"
    r"|(?P<dc>D\.\s?C\.|District\s+of\s+Columbia)|(?P<federal>Federal))\s+(?:Judicial\s+)?Circuit\b",
    "circuit",
    flags=re.IGNORECASE,
)
_OTHER_COURT_NAME = (
    (
        cued(
            r"\b(?:Supreme\s+Court\s+of\s+the\s+United\s+States|(?:U\.\s?S\.|United\s+States)\s+Supreme\s+Court)\b",
            "supreme",
            flags=re.I,
        ),
        SUPREME_COURT,
    ),
    (cued(r"\bCourt\s+of\s+International\s+Trade\b", "international", flags=re.I), "Ct. Int'l Trade"),
    (cued(r"\bCourt\s+of\s+Federal\s+Claims\b", "claims", flags=re.I), "Fed. Cl."),
    (cued(r"\bJudicial\s+Panel\s+on\s+Multidistrict\s+Litigation\b", "multidistrict", flags=re.I), "J.P.M.L."),
)


def _citation_parts(citation: str) -> list[str]:
    """A citation's parts, each ending at a full stop: ``N.D. Ill.`` → ``N.``, ``D.``, ``Ill.``."""
    return [part for part in re.split(r"(?<=\.)\s*", citation) if part]


def _citation_trie(citations: list[str]) -> str:
    """One pattern for ``citations``, written as lawyers do: the spaces between a citation's parts
    are optional (``N.D. Ill.``, ``N.D.Ill.``). Shaped as a trie, one character at a time, that
    tries a longer citation before one it begins with: it matches where, and what, the
    alternation of every citation, longest first, matches, without trying two hundred
    alternatives at each capital letter of a text. Each of its branches starts with a
    citation's first character, so a search skips straight to the characters one starts with."""
    trie: dict[str, dict] = {}
    for citation in citations:
        node = trie
        for number, part in enumerate(_citation_parts(citation)):
            for symbol in ([r"\s?"] if number else []) + [re.escape(character) for character in part]:
                node = node.setdefault(symbol, {})
        node[""] = {}  # a citation ends here

    def pattern(node: dict[str, dict], *, first: bool = False) -> str:
        # "(?<![\w.].)" after a citation's first character: nothing of a word or a citation before it.
        after = r"(?<![\w.].)" if first else ""
        branches = [symbol + after + pattern(child) for symbol, child in node.items() if symbol]
        if "" in node:
            branches.append("")  # last: a longer citation first
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return pattern(trie, first=True)


# Any citation in the table ("S.D.N.Y.", "N.D.Ill.", "9th Cir."), except "U.S.", which is far
# more often the country than the Supreme Court; not inside a word or another citation.
_CITATION = re.compile(r"(?P<cite>" + _citation_trie(sorted(_CITATIONS - {SUPREME_COURT})) + r")(?!\w)")
_SPACELESS = {re.sub(r"\s", "", citation): citation for citation in _CITATIONS}


# Before "District", a match holds only letters and white space ("Bankruptcy Court for the Northern").
_NOT_IN_DISTRICT_NAME = re.compile(r"[^A-Za-z\s]")


def _district_search_start(text: str, district: int) -> int:
    """Where a search for district names must start, given the first "District" in ``text``: no
    match starts before a character that is neither a letter nor white space and comes before it.
    One is looked for in the 64 characters before it; else the search starts at the beginning."""
    window = max(0, district - 64)
    return window if _NOT_IN_DISTRICT_NAME.search(text, window, district) else 0


def _district(match: re.Match[str]) -> str:
    if match["state"] == "Columbia":
        citation = "D.D.C."
    else:
        citation = _district_citation(_DIRECTIONS.get(match["direction"] or ""), _STATES[match["state"]][0])
    return f"Bankr. {citation}" if match["bankruptcy"] else citation


def _circuit(match: re.Match[str]) -> str:
    if match["federal"]:
        return "Fed. Cir."
    if match["dc"]:
        return "D.C. Cir."
    number = int(match["number"]) if match["number"] else _CIRCUIT_WORDS.index(match["word"].title()) + 1
    return _circuit_citation(number)


def _named_courts(text: str) -> list[tuple[int, str]]:
    """(position, citation) of every court named in ``text``."""
    lowered = caseless(text)
    found = [(m.start(), _SPACELESS[re.sub(r"\s", "", m["cite"])]) for m in _CITATION.finditer(text)]
    district = text.find("District")
    if district >= 0:
        found += [
            (m.start(), _district(m)) for m in _DISTRICT_NAME.finditer(text, _district_search_start(text, district))
        ]
    found += [(m.start(), _circuit(m)) for m in _CIRCUIT_NAME.finditer(text, lowered)]
    found += [(m.start(), court) for pattern, court in _OTHER_COURT_NAME for m in pattern.finditer(text, lowered)]
    return sorted(found)


@lru_cache(maxsize=256)  # a feed's address is read again for each of its items
def court_from_text(text: str) -> str | None:
    """The court named in ``text``: a court's address, else the first court
    named (``(D.D.C.)``, ``S.D.N.Y.``, ``Northern District of Illinois``,
    ``U.S. Court of Appeals for the Ninth Circuit``, ``Bankruptcy Court for
    the District of Delaware``), as a citation."""
    from_host = court_from_host(text)
    if from_host:
        return from_host
    named = _named_courts(text)
    return named[0][1] if named else None


def court_from_agency(agency: str | None) -> str | None:
    """The court a catalog agency names (``D.D.C.``, ``PACER S.D.N.Y.``, ``9th Cir.``)."""
    if not agency:
        return None
    if agency.strip() in _CITATIONS:
        return agency.strip()
    return court_from_text(agency)
