"""Recognise US federal courts in text and CM/ECF addresses, named the way
lawyers cite them (``D.D.C.``, ``S.D.N.Y.``, ``N.D. Ill.``, ``2d Cir.``)."""

from __future__ import annotations

import re

_STATES = {
    "Alabama": ("Ala.", "al"),
    "Alaska": ("Alaska", "ak"),
    "Arizona": ("Ariz.", "az"),
    "Arkansas": ("Ark.", "ar"),
    "California": ("Cal.", "ca"),
    "Colorado": ("Colo.", "co"),
    "Connecticut": ("Conn.", "ct"),
    "Delaware": ("Del.", "de"),
    "Florida": ("Fla.", "fl"),
    "Georgia": ("Ga.", "ga"),
    "Hawaii": ("Haw.", "hi"),
    "Idaho": ("Idaho", "id"),
    "Illinois": ("Ill.", "il"),
    "Indiana": ("Ind.", "in"),
    "Iowa": ("Iowa", "ia"),
    "Kansas": ("Kan.", "ks"),
    "Kentucky": ("Ky.", "ky"),
    "Louisiana": ("La.", "la"),
    "Maine": ("Me.", "me"),
    "Maryland": ("Md.", "md"),
    "Massachusetts": ("Mass.", "ma"),
    "Michigan": ("Mich.", "mi"),
    "Minnesota": ("Minn.", "mn"),
    "Mississippi": ("Miss.", "ms"),
    "Missouri": ("Mo.", "mo"),
    "Montana": ("Mont.", "mt"),
    "Nebraska": ("Neb.", "ne"),
    "Nevada": ("Nev.", "nv"),
    "New Hampshire": ("N.H.", "nh"),
    "New Jersey": ("N.J.", "nj"),
    "New Mexico": ("N.M.", "nm"),
    "New York": ("N.Y.", "ny"),
    "North Carolina": ("N.C.", "nc"),
    "North Dakota": ("N.D.", "nd"),
    "Ohio": ("Ohio", "oh"),
    "Oklahoma": ("Okla.", "ok"),
    "Oregon": ("Or.", "or"),
    "Pennsylvania": ("Pa.", "pa"),
    "Puerto Rico": ("P.R.", "pr"),
    "Rhode Island": ("R.I.", "ri"),
    "South Carolina": ("S.C.", "sc"),
    "South Dakota": ("S.D.", "sd"),
    "Tennessee": ("Tenn.", "tn"),
    "Texas": ("Tex.", "tx"),
    "Utah": ("Utah", "ut"),
    "Vermont": ("Vt.", "vt"),
    "Virginia": ("Va.", "va"),
    "Washington": ("Wash.", "wa"),
    "West Virginia": ("W. Va.", "wv"),
    "Wisconsin": ("Wis.", "wi"),
    "Wyoming": ("Wyo.", "wy"),
}
_DIRECTIONS = {"Northern": "N", "Southern": "S", "Eastern": "E", "Western": "W", "Middle": "M", "Central": "C"}
_ORDINALS = {1: "1st", 2: "2d", 3: "3d"}


def _citation(direction: str | None, state_abbr: str) -> str:
    prefix = f"{direction}.D." if direction else "D."
    # "S.D." + "N.Y." → "S.D.N.Y."; "N.D." + "Ill." → "N.D. Ill."
    return f"{prefix}{state_abbr}" if re.fullmatch(r"(?:[A-Z]\.)+", state_abbr) else f"{prefix} {state_abbr}"


def _build_cmecf_ids() -> dict[str, str]:
    ids = {"dcd": "D.D.C.", "dcb": "Bankr. D.D.C.", "cadc": "D.C. Cir.", "cafc": "Fed. Cir."}
    for number in range(1, 12):
        ids[f"ca{number}"] = f"{_ORDINALS.get(number, f'{number}th')} Cir."
    for abbr, code in _STATES.values():
        ids[f"{code}d"] = _citation(None, abbr)
        ids[f"{code}b"] = f"Bankr. {_citation(None, abbr)}"
        for direction in _DIRECTIONS.values():
            letter = direction.lower()
            ids[f"{code}{letter}d"] = _citation(direction, abbr)
            ids[f"{code}{letter}b"] = f"Bankr. {_citation(direction, abbr)}"
    # CM/ECF hosts that do not follow the pattern above.
    ids.update({"nysd": "S.D.N.Y.", "nysb": "Bankr. S.D.N.Y.", "mdb": "Bankr. D. Md."})
    return ids


CMECF_COURTS = _build_cmecf_ids()

_CMECF_HOST = re.compile(r"\becf\.(?P<court>[a-z0-9]+)\.uscourts\.gov\b", re.IGNORECASE)
_DISTRICT_NAME = re.compile(
    r"\b(?:(?P<direction>Northern|Southern|Eastern|Western|Middle|Central)\s+)?District\s+of\s+"
    r"(?P<state>" + "|".join(sorted(map(re.escape, [*_STATES, "Columbia"]), key=len, reverse=True)) + r")\b"
)
_CITATION = re.compile(
    r"\((?P<cite>(?:[NSEWMC]\.)?D\.\s?(?:[A-Z][a-z]*\.\s?)+)\)|\b(?P<bare>[NSEWMC]\.D\.N\.Y\.|D\.D\.C\.)"
)


def court_from_text(text: str) -> str | None:
    """The court named in ``text`` (a CM/ECF address, a citation such as
    ``(D.D.C.)``, or ``Northern District of Illinois``), as a citation."""
    host = _CMECF_HOST.search(text)
    if host and host["court"].lower() in CMECF_COURTS:
        return CMECF_COURTS[host["court"].lower()]
    cite = _CITATION.search(text)
    if cite:
        return re.sub(r"\s+", " ", (cite["cite"] or cite["bare"]).strip())
    name = _DISTRICT_NAME.search(text)
    if name:
        if name["state"] == "Columbia":
            return "D.D.C."
        return _citation(_DIRECTIONS.get(name["direction"] or ""), _STATES[name["state"]][0])
    return None
