"""Courts from addresses and text, and our court table checked against
Free Law Project's courts-db (the field's database of US courts)."""

from __future__ import annotations

import re

import pytest
from courts_db import courts as courts_db_courts

from feeds.courts import COURTS, court_from_agency, court_from_host, court_from_text, is_court_site_feed
from feeds.extract import extract


@pytest.mark.parametrize(
    ("url", "court"),
    [
        ("https://ecf.nysd.uscourts.gov/cgi-bin/rss_outside.pl", "S.D.N.Y."),
        ("https://ecf.nysb.uscourts.gov/cgi-bin/rss_outside.pl", "Bankr. S.D.N.Y."),
        ("https://ecf.mdb.uscourts.gov/cgi-bin/rss_outside.pl", "Bankr. D. Md."),
        ("https://www.ca9.uscourts.gov/decisions/opinions/index.xml", "9th Cir."),
        ("https://cdn.ca9.uscourts.gov/datastore/opinions/2022/12/30/20-73486.pdf", "9th Cir."),
        ("http://media-oa.ca8.uscourts.gov/circ8rss.xml", "8th Cir."),
        ("https://cafc.uscourts.gov/category/opinion-order/feed/", "Fed. Cir."),
        ("http://www.cadc.uscourts.gov/internet/opinions.nsf/uscadcopinions.xml", "D.C. Cir."),
        ("https://www.supremecourt.gov/rss/cases/JSON/21-476.json", "U.S."),
        ("https://www.ilnd.uscourts.gov/press.aspx", "N.D. Ill."),
        ("https://www.courtlistener.com/docket/67474542/feed/", None),
        ("https://www.sec.gov/rss/litigation/litreleases.xml", None),
        ("https://ecf.xyz.uscourts.gov/cgi-bin/rss_outside.pl", None),
    ],
)
def test_court_from_the_feed_host(url: str, court: str | None) -> None:
    assert court_from_host(url) == court


@pytest.mark.parametrize(
    ("text", "court"),
    [
        ("Case 1:19-cv-05244 (S.D.N.Y.)", "S.D.N.Y."),
        ("the judge in S.D.N.Y. ruled", "S.D.N.Y."),
        ("N.D.Ill. No. 20-cv-1", "N.D. Ill."),
        ("Northern District of Illinois", "N.D. Ill."),
        ("U.S. District Court for the Western District of Washington", "W.D. Wash."),
        ("the District Court for the District of Columbia", "D.D.C."),
        ("U.S. Court of Appeals for the Ninth Circuit", "9th Cir."),
        ("the 2nd Circuit affirmed", "2d Cir."),
        ("US 7th Judicial Circuit: New Opinions", "7th Cir."),
        ("Tenth Circuit Daily Decisions", "10th Cir."),
        ("Court of Appeals for the Federal Circuit", "Fed. Cir."),
        ("the D.C. Circuit", "D.C. Cir."),
        ("Court of Appeals for the District of Columbia Circuit", "D.C. Cir."),
        ("Bankruptcy Court for the District of Delaware", "Bankr. D. Del."),
        ("United States Bankruptcy Court for the Southern District of New York", "Bankr. S.D.N.Y."),
        ("In re FTX Trading Ltd., Bankr. D. Del.", "Bankr. D. Del."),
        ("Supreme Court of the United States", "U.S."),
        ("the U.S. Supreme Court declined", "U.S."),
        ("the U.S. economy", None),
        ("N.D. W. Va.", "N.D. W. Va."),
        ("Court of International Trade", "Ct. Int'l Trade"),
    ],
)
def test_court_from_text(text: str, court: str | None) -> None:
    assert court_from_text(text) == court


@pytest.mark.reliability("an item whose text holds an address urllib refuses (https://[docs]/x)", kind="input")
def test_an_address_urllib_refuses_is_no_court_and_costs_the_item_nothing() -> None:
    """Feed text is untrusted: a bracketed host that is no IP address ("https://[docs]/x")
    made urllib raise, and the whole item's extraction with it (the release was skipped)."""
    assert court_from_text("Filed in the Southern District of New York; see https://[docs]/x.") == "S.D.N.Y."
    assert court_from_host("https://[::1 https://]x[ https://ecf.nysd.uscourts.gov/cgi-bin/x") == "S.D.N.Y."
    assert is_court_site_feed("https://[docs]/feed https://www.ca10.uscourts.gov/opinions/new/daily_decisions.rss")
    release = extract(
        title="SEC Charges Acme Corp. with Fraud",
        summary="The complaint, filed in the Southern District of New York, is at https://[docs]/complaint.pdf.",
        author=None,
        feed_agency="SEC",
        feed_kind="regulator",
        feed_url="https://www.sec.gov/news/pressreleases.rss",
    )
    assert (release.court, release.action, [party.name for party in release.defendants]) == (
        "S.D.N.Y.",
        "complaint",
        ["Acme Corp."],
    )


def test_the_first_court_named_wins() -> None:
    text = "appeal to the Second Circuit from the Southern District of New York"
    assert court_from_text(text) == "2d Cir."
    assert court_from_text("Southern District of New York; appeal to the Second Circuit") == "S.D.N.Y."


@pytest.mark.parametrize(
    ("agency", "court"),
    [("D.D.C.", "D.D.C."), ("PACER S.D.N.Y.", "S.D.N.Y."), ("9th Cir.", "9th Cir."), ("SEC", None), (None, None)],
)
def test_court_from_catalog_agency(agency: str | None, court: str | None) -> None:
    assert court_from_agency(agency) == court


@pytest.mark.parametrize(
    ("urls", "site"),
    [
        ("https://www.ca10.uscourts.gov/opinions/new/daily_decisions.rss", True),
        ("https://www.courtlistener.com/docket/67474542/feed/", True),
        ("https://ecf.dcd.uscourts.gov/cgi-bin/rss_outside.pl https://ecf.dcd.uscourts.gov", False),
        ("", False),
        ("https://example.org/feed.xml", False),
    ],
)
def test_court_site_feeds_are_told_from_cmecf(urls: str, site: bool) -> None:
    assert is_court_site_feed(urls) == site


# --- our table against courts-db ------------------------------------------------------

_BY_ID = {court["id"]: court for court in courts_db_courts}
# Codes whose CourtListener id differs from the judiciary's host code (ecf.azb.uscourts.gov is courts-db's "arb").
_COURTLISTENER_ID = {"neb": "nebraskab", "cofc": "uscfc", "azb": "arb"}
# courts-db ids that look like district or bankruptcy codes but are a historical court or a PTO board.
_NOT_CURRENT = {"okd", "wvad", "ttab", "ptab"}
# Where courts-db's citation is not the one lawyers write (Bluebook T1, T7): ours is kept. courts-db's
# unevenness: missing final periods, state names written out, "3rd", and one wrong district (ianb).
_CITATION_DIFFERS = {
    "scotus": ("SCOTUS", "U.S."),
    "ca3": ("3rd Cir.", "3d Cir."),
    "dcb": ("Bankr. D.C.", "Bankr. D.D.C."),
    "nyed": ("E.D.N.Y", "E.D.N.Y."),
    "mdd": ("D. Maryland", "D. Md."),
    "mnd": ("D. Minnesota", "D. Minn."),
    "pamd": ("M.D. Penn.", "M.D. Pa."),
    "pamb": ("Bankr. M.D. Penn.", "Bankr. M.D. Pa."),
    "flsb": ("Bankr. S.D. Florida", "Bankr. S.D. Fla."),
    "ianb": ("Bankr. D. Iowa", "Bankr. N.D. Iowa"),
    "oknb": ("Bankr. N.D. Okla", "Bankr. N.D. Okla."),
    "wvsd": ("S.D.W. Va", "S.D. W. Va."),
    "nmid": ("N. Mar. I.", "D. N. Mar. I."),
    "nmib": ("Bankr. N. Mar. I.", "Bankr. D. N. Mar. I."),
    "cit": ("Ct. Intl. Trade", "Ct. Int'l Trade"),
}


def _compact(citation: str) -> str:
    return re.sub(r"\s+", "", citation)


def test_every_court_code_is_a_courts_db_court_of_the_same_kind() -> None:
    for code, citation in COURTS.items():
        court = _BY_ID.get(_COURTLISTENER_ID.get(code, code))
        assert court is not None, f"{code} ({citation}) is not in courts-db"
        assert court["system"] == "federal", code
        if citation.startswith("Bankr."):
            assert court["type"] == "bankruptcy", code
        name = court["name"]
        if re.fullmatch(r"(?:1st|2d|3d|[4-9]th|1[01]th) Cir\.", citation):
            ordinal = re.match(r"\d+", citation)[0]
            assert "Circuit" in name and court["citation_string"].startswith(ordinal), code


def test_every_citation_agrees_with_courts_db_except_the_listed_ones() -> None:
    disagreements = {}
    for code, citation in COURTS.items():
        court = _BY_ID[_COURTLISTENER_ID.get(code, code)]
        if _compact(court["citation_string"]) != _compact(citation):
            disagreements[code] = (court["citation_string"], citation)
    assert disagreements == _CITATION_DIFFERS


def test_every_current_federal_district_and_bankruptcy_court_in_courts_db_is_in_our_table() -> None:
    ours = {_COURTLISTENER_ID.get(code, code) for code in COURTS}
    current = {
        court["id"]
        for court in courts_db_courts
        if court["system"] == "federal"
        and court["type"] in ("trial", "bankruptcy", "appellate")
        and re.fullmatch(r"[a-z]{2,3}[nsewmc]?[db]|ca\d{1,2}|cadc|cafc|nebraskab", court["id"])
        and not any(date.get("end") for date in court.get("dates", []) if isinstance(date, dict))
    } - _NOT_CURRENT
    assert sorted(current - ours) == []
