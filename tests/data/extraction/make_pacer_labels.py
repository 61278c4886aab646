"""Write ``labels/pacer.jsonl``: one label per item of every CM/ECF file in ``feeds/pacer/``.

    python tests/data/extraction/make_pacer_labels.py

Independent of Casewatch's extractor (it imports nothing from the project):
docket numbers and case names come from juriscraper's own parse of each file
(``*.answer.json``); the court from the file's CM/ECF court; the parties from
the case name (``X v. Y``: plaintiff, defendant, as captioned; a bankruptcy
case without ``v.``: ``In re`` the debtors); the kind of action from the
docket entry's text through ``ENTRY_ACTIONS``, a table written by reading
every distinct entry text of the files. Items that juriscraper merged away
(it keeps one of several entries with the same guid) take the docket and case
name of the same title's other entries.
"""

from __future__ import annotations

import calendar
import html
import json
import re
from datetime import datetime
from pathlib import Path

import feedparser

HERE = Path(__file__).resolve().parent
FEEDS = HERE / "feeds"

# file stem prefix -> (CM/ECF court code, citation, source kind)
COURTS = {
    "sdny": ("nysd", "S.D.N.Y.", "cmecf_district"),
    "nyed": ("nyed", "E.D.N.Y.", "cmecf_district"),
    "nysb": ("nysb", "Bankr. S.D.N.Y.", "cmecf_bankruptcy"),
    "mdb": ("mdb", "Bankr. D. Md.", "cmecf_bankruptcy"),
    "ca2": ("ca2", "2d Cir.", "cmecf_appellate"),
    "ca4": ("ca4", "4th Cir.", "cmecf_appellate"),
    "ca6": ("ca6", "6th Cir.", "cmecf_appellate"),
    "ca10": ("ca10", "10th Cir.", "cmecf_appellate"),
    "ca11": ("ca11", "11th Cir.", "cmecf_appellate"),
    "cafc": ("cafc", "Fed. Cir.", "cmecf_appellate"),
}

# Every distinct docket-entry text of the files, read and classified by hand
# (vocabulary: /work/briefs/issue8-contract.md). Texts not listed are "filing":
# motions, letters, notices, transcripts, petitions, affidavits, clerk's entries.
ENTRY_ACTIONS = {
    # the case begins: a civil complaint (criminal dockets: see CRIMINAL_COMPLAINT)
    "Complaint": "complaint",
    "Complaint (fee)": "complaint",
    "Amended Complaint": "complaint",
    # judgments
    "Judgment": "judgment",
    "Judgment - Clerk": "judgment",
    "Amended Judgment": "judgment",
    "Judgment order filed": "judgment",
    "Case termination for order and judgment": "judgment",
    "Judgment - Consent": "settlement",
    "Order on Motion for Settlement": "settlement",
    # opinions (appellate) and decisions on motions (district)
    "Opinion": "opinion",
    "Opinion Issued": "opinion",
    "Unpublished per curiam opinion filed": "opinion",
    "unpublished opinion and judgment filed": "opinion",
    "Case termination for opinion": "opinion",
    "Memorandum & Opinion": "ruling",
    "Findings of Fact & Conclusions of Law": "ruling",
    "ruling": "ruling",
    "Order on Motion to Dismiss": "ruling",
    "Order on Motion to Dismiss/Lack of Jurisdiction": "ruling",
    "Order on Motion for Summary Judgment": "ruling",
    "Order on Motion for Default Judgment": "ruling",
    "Order on Motion for New Trial": "ruling",
    "Order on Motion for Reconsideration": "ruling",
    "Order on Motion to Remand to State Court": "ruling",
    "Order on Motion to Vacate (2255)": "ruling",
    "Order on Motion for Sanctions": "ruling",
    # the whole case ends
    "Order Dismissing Case": "dismissal",
    "Order of Dismissal": "dismissal",
    "Stipulation and Order of Dismissal": "dismissal",
    "Stipulation and Order of Voluntary Dismissal": "dismissal",
    "Stipulation of Voluntary Dismissal": "dismissal",
    "Notice of Voluntary Dismissal": "dismissal",
    "Notice of Voluntary Dismissal - Signed": "dismissal",
    "Close Adversary Case": "dismissal",
    "Close Bankruptcy Case": "dismissal",
    "~Util - Terminate Civil Case": "dismissal",
    "Case termination without a panel": "dismissal",
    # appeals
    "Notice, Appeal (fee)": "appeal",
    # other orders of the court
    "Order": "order",
    "Order(Other)": "order",
    "Order filed": "order",
    "Court order filed": "order",
    "clerk order filed": "order",
    "judge order filed": "order",
    "Motion Order FILED": "order",
    "Strike Order FILED": "order",
    "Briefing order filed": "order",
    "Informal briefing order filed": "order",
    "So-Ordered Scheduling Notification FILED": "order",
    "ruling letter sent": "order",
    "Scheduling Order": "order",
    "Scheduling Order (Will Generate PDF Notice to BNC)": "order",
    "Status Report Order": "order",
    "Memo Endorsement": "order",
    "Endorsed Letter": "order",
    "Stipulation and Order": "order",
    "Stipulation and Order of Remand to SSA": "order",
    "Protective Order": "order",
    "Order to Show Cause": "order",
    "Order, Show Cause (Will Generate PDF Notice to BNC)": "order",
    "Order to Continue - Interest of Justice": "order",
    "Order Acknowledging Receipt of 6(e) Notification Letter": "order",
    "Order Directing Payment of Fee or IFP Application": "order",
    "Order Directing Prisoner Authorization": "order",
    "Order Dismissing Parties": "order",
    "Order Referring Case to Magistrate Judge": "order",
    "Order Referring Motion": "order",
    "Order Setting Hearing on Motion": "order",
    "Order Staying Case": "order",
    "Order for Initial Pretrial Conference": "order",
    "Order of Entry": "order",
    "Order of Final Decree (BNC)": "order",
    "Discharge of Debtor and Order of Final Decree (BNC)": "order",
    "Order of Recusal": "order",
    "Order of Service": "order",
    "Order on Letter Motion": "order",
    "Order, Confirming Chapter 13 Plan": "order",
    "Mediation Referral Order": "order",
}
# Orders on procedural motions ("Order on Motion for Extension of Time", "... to Quash") are orders.
PROCEDURAL_ORDER = re.compile(r"^Order on Motion (?:for|to|in)\b")
CRIMINAL_COMPLAINT = re.compile(r"-(?:cr|mj)-")
ENTRY = re.compile(r"\[\s*([^\]]*?)\s*\]")
APPELLATE_RSS = "https://ecf.{code}.uscourts.gov/n/beam/servlet/TransportRoom?servlet=RSSGenerator"
DISTRICT_RSS = "https://ecf.{code}.uscourts.gov/cgi-bin/rss_outside.pl"

# Read, not derivable from juriscraper: "and North Kern State Prison" follows the
# debtor's name in this main-case title; the debtor is SunEdison, Inc. (with affiliates).
CASE_NAME_READINGS = {"SunEdison, Inc., and North Kern State Prison": "SunEdison, Inc."}


def action(entry: str, docket: str) -> str:
    if entry.startswith("Complaint") and CRIMINAL_COMPLAINT.search(docket):
        return "indictment"
    if entry in ENTRY_ACTIONS:
        return ENTRY_ACTIONS[entry]
    return "order" if PROCEDURAL_ORDER.match(entry) else "filing"


# "et al", also written "et, al" or cut short to "et a" at the end of a long title
ET_AL = re.compile(r",?\s+et,?\s+al?\b\.?")


def party(name: str, role: str) -> tuple[dict, list[str]]:
    """A party's name (without ``, as <capacity>`` or ``et al``) and its ``d/b/a`` aliases."""
    name = ET_AL.sub("", re.sub(r",\s+as\s+.*$", "", name.strip()))
    name, *aliases = re.split(r"\s+d/b/a\s+", name)
    return {"name": name.strip(), "role": role}, [alias.strip() for alias in aliases]


# A court of appeals reviewing an agency's order or an immigration order (against the
# Attorney General) on a petition: "Singh v. Garland" is petitioner v. respondent.
REVIEWED_AGENCY = re.compile(
    r"^(?:U\.S\. )?(?:Attorney General|NLRB|SEC|FCC|FERC|EPA|Garland|Bondi|Barr|Sessions|Holder|Whitaker)$"
)


def caption_and_parties(
    case_name: str, bankruptcy: bool, appellate: bool = False
) -> tuple[str | None, list[dict], list[str]]:
    if not case_name or case_name == "Unknown Case Title":
        return None, [], []
    case_name = ET_AL.sub(" et al.", case_name)
    if " v. " in case_name:
        left, right = case_name.split(" v. ", 1)
        review = appellate and REVIEWED_AGENCY.match(right.strip())
        named = [
            party(left, "petitioner" if review else "plaintiff"),
            party(right, "respondent" if review else "defendant"),
        ]
        caption = case_name
    elif bankruptcy:
        debtor = CASE_NAME_READINGS.get(case_name, case_name)
        # Joint petitions: "Steven Jay Grim and Darcy Joan Grim"
        named = [party(name, "debtor") for name in re.split(r"\s+and\s+", debtor)]
        caption = f"In re {debtor}" + (" et al." if debtor != case_name else "")
    elif case_name.startswith("In re") and not case_name.endswith("Litigation"):
        # An appellate "In re: X" is X's own petition (mandamus, leave to file).
        named = [party(re.sub(r"^In re:?\s+", "", case_name), "petitioner")]
        caption = case_name
    else:
        # "In re X Securities Litigation", "PETITIONS FOR 2018 NAME CHANGES": no party is named.
        named, caption = [], case_name
    return caption, [p for p, _ in named], [alias for _, aliases in named for alias in aliases]


def answer_keys(path: Path) -> tuple[dict, dict]:
    """juriscraper's parse, indexed by (time, entry text) and by docket number."""
    by_entry: dict[tuple[float, str], list[dict]] = {}
    by_docket: dict[str, dict] = {}
    for case in json.loads(path.read_text()):
        by_docket.setdefault(case["docket_number"], case)
        for entry in case["docket_entries"]:
            when = datetime.fromisoformat(entry["date_filed"]).timestamp()
            by_entry.setdefault((when, entry["short_description"].strip()), []).append(case)
    return by_entry, by_docket


def answer_for(title: str, when: float, entry: str, by_entry: dict, by_docket: dict) -> dict:
    first = title.split()[0] if title.split() else ""
    for case in by_entry.get((when, entry), []):
        if first == case["docket_number"] or first.startswith(case["docket_number"] + "-"):
            return case
    matches = [case for number, case in by_docket.items() if first == number or first.startswith(number + "-")]
    if len(matches) != 1:
        raise ValueError(f"no single answer for {title!r}: {[m['docket_number'] for m in matches]}")
    return matches[0]


def labels_of(xml: Path) -> list[dict]:
    prefix = re.sub(r"_\d+$", "", xml.stem)
    code, court, source_kind = COURTS[prefix]
    url = (APPELLATE_RSS if source_kind == "cmecf_appellate" else DISTRICT_RSS).format(code=code)
    by_entry, by_docket = answer_keys(xml.with_suffix(".answer.json"))
    labels = []
    for index, item in enumerate(feedparser.parse(xml.read_bytes()).entries):
        title = re.sub(r"\s+", " ", html.unescape(item.get("title", ""))).strip()
        summary = re.sub(r"\s+", " ", html.unescape(item.get("summary", "")))
        found = ENTRY.search(summary)
        entry = found[1] if found else ""
        when = calendar.timegm(item.published_parsed)
        case = answer_for(title, when, entry, by_entry, by_docket)
        caption, named, aliases = caption_and_parties(
            case["case_name"], source_kind == "cmecf_bankruptcy", source_kind == "cmecf_appellate"
        )
        labels.append(
            {
                "feed": f"pacer/{xml.name}",
                "url": url,
                "feed_kind": "court",
                "agency": court,
                "source_kind": source_kind,
                "index": index,
                "title": title,
                "dockets": [case["docket_number"]],
                "court": court,
                "caption": caption,
                "parties": named,
                "aliases": aliases,
                "action": action(entry, title.split()[0]),
                "amounts": [],
                "case": f"{code}-{case['docket_number']}",
            }
        )
    return labels


def main() -> None:
    lines = [
        json.dumps(label, ensure_ascii=False) for xml in sorted(FEEDS.glob("pacer/*.xml")) for label in labels_of(xml)
    ]
    (HERE / "labels" / "pacer.jsonl").write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} items labelled")


if __name__ == "__main__":
    main()
