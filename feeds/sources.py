"""What kind of source a feed URL is, and which agency publishes it."""

from __future__ import annotations

from urllib.parse import urlsplit

from feeds.vocabulary import FeedKind

_REGULATORS = {
    "sec.gov": "SEC",
    "cftc.gov": "CFTC",
    "justice.gov": "DOJ",
    "treasury.gov": "Treasury",
    "fincen.gov": "FinCEN",
    "ftc.gov": "FTC",
    "consumerfinance.gov": "CFPB",
    "finra.org": "FINRA",
    "federalreserve.gov": "Federal Reserve",
    "occ.gov": "OCC",
    "occ.treas.gov": "OCC",
    "fdic.gov": "FDIC",
}


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def classify(url: str) -> tuple[FeedKind, str]:
    """(kind, agency) for a feed URL: CM/ECF and CourtListener docket feeds are
    courts, known regulators' sites are regulators, anything else is news."""
    host = _host(url)
    path = urlsplit(url).path
    if _under(host, "uscourts.gov"):
        return FeedKind.COURT, host.split(".")[1].upper() if host.startswith("ecf.") else "Courts"
    if _under(host, "courtlistener.com") and path.startswith("/docket/"):
        return FeedKind.COURT, "CourtListener"
    for domain, agency in _REGULATORS.items():
        if _under(host, domain):
            return FeedKind.REGULATOR, agency
    return FeedKind.NEWS, "News"
