"""The role each party of a court case plays, from the caption and the court.

- A bankruptcy court titles a main case by the debtor's name alone
  (``SunEdison, Inc., et al.``, ``Steven Jay Grim and Darcy Joan Grim``): the
  caption is ``In re <debtor>`` and every named party is a *debtor*; an
  adversary proceeding (``X v. Y``) keeps plaintiff and defendant.
- On a court of appeals, ``In re X`` is X's own petition (mandamus): X is the
  *petitioner*; a caption against an agency whose orders the court reviews
  directly, or against the Attorney General (immigration petitions), is
  *petitioner* v. *respondent*.
- A caption that names a matter, not a party (``In re X Securities
  Litigation``, ``Master List of 2018 Grand Jury Cases``, ``Petitions for 2018
  Name Changes``, any title without ``v.`` outside bankruptcy that is not
  ``In re X``) gives no party.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.extract import Extraction

_VERSUS = re.compile(r"\s+v(?:s)?\.?\s+", re.I)
_IN_RE = re.compile(r"^(?:In\s+re|In\s+the\s+Matter\s+of|Matter\s+of)\b:?\s*", re.I)
_ET_AL = re.compile(r",?\s*\bet,?\s+(?:al\b\.?,?|a\s*$)", re.I)
# What a caption names when it names no party.
_MATTER_WORDS = re.compile(
    r"\b(?:litigation|proceedings?|grand\s+jury|name\s+changes?|master\s+list|subpoenas?|search\s+warrants?|"
    r"seizure\s+warrants?|application|petitions?\s+for|multidistrict|antitrust|sealed\s+(?:matter|case)|"
    r"extradition\s+of|order\s+pursuant)\b",
    re.I,
)
# Agencies whose orders a court of appeals reviews on a petition, and the Attorney
# General (petitions for review of immigration orders), by title or by name.
_REVIEWED_AGENCY = re.compile(
    r"^(?:(?:U\.?S\.?\s+)?(?:NLRB|SEC|FCC|FERC|EPA|FTC|CFTC|FAA|FMCSA|NRC|MSPB|OSHRC|STB|FEC|DOT|DOL|CFPB)|"
    r"National\s+Labor\s+Relations\s+Board|Securities\s+(?:and|&)\s+Exchange\s+Commission|"
    r"Federal\s+(?:Communications|Energy\s+Regulatory|Trade|Election|Maritime)\s+Commission|"
    r"Environmental\s+Protection\s+Agency|Commodity\s+Futures\s+Trading\s+Commission|"
    r"Federal\s+Aviation\s+Administration|Nuclear\s+Regulatory\s+Commission|Merit\s+Systems\s+Protection\s+Board|"
    r"Surface\s+Transportation\s+Board|Occupational\s+Safety\s+and\s+Health\s+Review\s+Commission|"
    r"(?:U\.?S\.?\s+)?Attorney\s+General(?:\s+of\s+the\s+United\s+States)?|Secretary\s+of\s+Labor|"
    r"Director,?\s+Office\s+of\s+Workers'?\s+Compensation\s+Programs|"
    r"Bondi|Garland|Barr|Whitaker|Sessions|Holder|Mukasey|Gonzales|Ashcroft)\.?$",
    re.I,
)


def bankruptcy_caption(title: str) -> str:
    """A bankruptcy main case's caption from its CM/ECF title, the debtor's name:
    ``SunEdison, Inc., et al., and North Kern State Prison`` → ``In re SunEdison,
    Inc. et al.`` (nothing after "et al." is a debtor)."""
    if _VERSUS.search(title) or _IN_RE.match(title):
        return title
    et_al = _ET_AL.search(title)
    debtor = (title[: et_al.start()] if et_al else title).strip(" ,")
    return f"In re {debtor}" + (" et al." if et_al else "")


def names_a_matter(caption: str) -> bool:
    """True when the caption names a matter rather than parties."""
    return bool(_MATTER_WORDS.search(caption))


def assign_court_roles(result: Extraction) -> None:
    """Give the parties of a court item their roles (see the module's rules)."""
    caption, court = result.caption or "", result.court or ""
    if not caption:
        return
    appellate = court.endswith("Cir.")
    if _VERSUS.search(caption) and not _IN_RE.match(caption):
        if appellate and len(result.defendants) == 1 and _REVIEWED_AGENCY.match(result.defendants[0].name):
            result.plaintiff_role = "petitioner"
            result.defendants = [replace(result.defendants[0], role="respondent")]
        return
    if names_a_matter(caption):
        result.plaintiffs, result.defendants = [], []
    elif court.startswith("Bankr."):
        result.defendants = [replace(party, role="debtor") for party in result.defendants]
    elif _IN_RE.match(caption):
        result.defendants = [replace(party, role="petitioner") for party in result.defendants]
    else:
        result.plaintiffs, result.defendants = [], []
