"""Agency press releases: defendants, aliases, kind of action and amounts read
from SEC, CFTC and DOJ headlines and summaries, and the release joined to the
court case of the same agency and defendants."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.extract import extract, parse_parties
from feeds.releases import Amount, amounts_with_kinds, headline_action, names_in_phrase, read_release
from storage.cases import assign_case
from storage.database import open_database, write_transaction
from storage.search import search_cases
from tests.pg import database_url

BINANCE_SUMMARY = (
    "The Securities and Exchange Commission today filed 13 charges against Binance Holdings Ltd., which operates "
    "Binance.com; U.S.-based affiliates BAM Trading Services Inc. and BAM Management US Holdings Inc., which "
    "together operate Binance.US; and their founder, Changpeng Zhao."
)


@pytest.mark.parametrize(
    ("headline", "agency", "action", "who"),
    [
        ("SEC Charges Coinbase for Operating as an Unregistered Securities Exchange", "SEC", "complaint", "Coinbase"),
        ("SEC Files 13 Charges Against Binance Entities and Founder Changpeng Zhao", "SEC", "complaint", None),
        ("CFTC Sues Acme Trading LLC Over Fraudulent Forex Scheme", "CFTC", "complaint", "Acme Trading LLC"),
        ("Genesis Agrees to Pay $21 Million Penalty to Settle SEC Charges", "SEC", "settlement", "Genesis"),
        ("Terraform and Kwon to Pay $4.5 Billion Following Fraud Verdict", "SEC", "settlement", "Terraform and Kwon"),
        ("Widget Corp. Settles SEC Accounting Fraud Charges", "SEC", "settlement", "Widget Corp."),
        (
            "CFTC Orders Kraken to Pay $1.25 Million for Illegal Margin Trading",
            "CFTC",
            "administrative proceeding",
            None,
        ),
        ("Binance and CEO Plead Guilty to Federal Charges in $4B Resolution", "DOJ", "plea", "Binance and CEO"),
        ("Former Trader Pleaded Guilty to Spoofing", "DOJ", "plea", "Former Trader"),
        ("Court Enters Final Judgment Against Kik Interactive Inc.", "SEC", "judgment", None),
        ("SEC Obtains Final Judgment Against Unregistered Broker John Roe", "SEC", "judgment", None),
        ("Court Orders Ripple to Pay $125 Million Civil Penalty", "SEC", "judgment", "Ripple"),
        ("Samuel Bankman-Fried Sentenced To 25 Years For Fraud", "DOJ", "sentencing", "Samuel Bankman-Fried"),
        ("Ponzi Schemer Is Sentenced to 12 Years in Prison", "DOJ", "sentencing", "Ponzi Schemer"),
        ("Jury Convicts Hedge Fund Manager of Securities Fraud", "DOJ", "verdict", None),
        ("Samuel Bankman-Fried Convicted Of Multiple Fraud Schemes", "DOJ", "verdict", "Samuel Bankman-Fried"),
        ("Theranos Founder Elizabeth Holmes Found Guilty Of Investor Fraud", "DOJ", "verdict", None),
        ("Do Kwon Extradited To The United States From Montenegro", "DOJ", "indictment", "Do Kwon"),
        ("Crypto Lender Executives Indicted for Market Manipulation", "DOJ", "indictment", None),
        ("United States Attorney Announces Charges Against FTX Founder", "DOJ", "indictment", None),
        ("Founder of Mining Company Charged in $100 Million Fraud", "DOJ", "indictment", None),
        ("SEC Announces Enforcement Results for Fiscal Year 2023", "SEC", "none", None),
        ("SEC Proposes Enhanced Safeguarding Rule for Investment Advisers", "SEC", "none", None),
        ("CFTC Releases Annual Enforcement Results", "CFTC", "none", None),
        ("Statement on the Approval of Spot Bitcoin Exchange-Traded Products", "SEC", "none", None),
        ("Attorney General Delivers Remarks on Corporate Enforcement Policy", "DOJ", "none", None),
    ],
)
def test_headline_names_the_action(headline: str, agency: str, action: str, who: str | None) -> None:
    found, _, phrase = headline_action(headline, agency=agency)
    assert found == action
    if who:
        assert phrase == who


def test_defendants_and_aliases_come_from_the_summary() -> None:
    release = read_release("SEC Files 13 Charges Against Binance Entities and Founder Changpeng Zhao", BINANCE_SUMMARY)
    assert [party.name for party in release.defendants] == [
        "Binance Holdings Ltd.",
        "BAM Trading Services Inc.",
        "BAM Management US Holdings Inc.",
        "Changpeng Zhao",
    ]
    assert release.aliases == ["Binance.com", "Binance.US"]


@pytest.mark.parametrize(
    ("title", "summary", "agency", "names", "aliases"),
    [
        (
            "SEC Charges Theranos, CEO Holmes, and Former President Balwani With Massive Fraud",
            'The SEC today charged Theranos Inc., its CEO Elizabeth Holmes, and its former President Ramesh "Sunny" '
            "Balwani with raising more than $700 million from investors.",
            "SEC",
            ["Theranos Inc.", "Elizabeth Holmes", "Ramesh Balwani"],
            ["Sunny"],
        ),
        (
            "SEC Charges Coinbase for Operating as an Unregistered Securities Exchange",
            "The SEC today charged Coinbase, Inc. and its parent company, Coinbase Global, Inc., with operating an "
            "unregistered exchange.",
            "SEC",
            ["Coinbase, Inc.", "Coinbase Global, Inc."],
            [],
        ),
        (
            "CFTC Orders Kraken to Pay $1.25 Million",
            "The CFTC today issued an order filing and simultaneously settling charges against Payward Ventures, Inc. "
            "d/b/a Kraken, a San Francisco-based digital asset exchange, for offering margined transactions.",
            "CFTC",
            ["Payward Ventures, Inc."],
            ["Kraken"],
        ),
        (
            "SEC Charges Ripple and Two Executives with Conducting $1.3 Billion Unregistered Securities Offering",
            "The SEC today announced that it has filed an action against Ripple Labs Inc. and two of its executives, "
            "who are also significant security holders.",
            "SEC",
            ["Ripple Labs Inc."],
            [],
        ),
        (
            "Binance Founder Sentenced to Prison for Failing to Maintain an Anti-Money Laundering Program",
            "Changpeng Zhao, the founder and former CEO of Binance, was sentenced today to four months in prison.",
            "DOJ",
            ["Changpeng Zhao"],
            [],
        ),
        (
            "Former CEO Of Celsius Network Arrested For Fraud",
            "Alexander Mashinsky, the founder and former CEO of Celsius Network, was arrested today on an indictment.",
            "DOJ",
            ["Alexander Mashinsky"],
            [],
        ),
        (
            "SEC Charges Caroline Ellison and Gary Wang with Defrauding Investors",
            "The SEC today charged Caroline Ellison, former CEO of Alameda Research, and Gary Wang, former Chief "
            "Technology Officer of FTX Trading Ltd., for their roles in a scheme.",
            "SEC",
            ["Caroline Ellison", "Gary Wang"],
            [],
        ),
    ],
)
def test_defendants_in_differently_worded_releases(
    title: str, summary: str, agency: str, names: list[str], aliases: list[str]
) -> None:
    release = read_release(title, summary, agency=agency)
    assert [party.name for party in release.defendants] == names
    assert release.aliases == aliases


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        (
            "agreed to pay over $4 billion, including a criminal fine of $1.805 billion and forfeiture of $2.51 billion",
            [Amount(4_000_000_000, "settlement"), Amount(1_805_000_000, "fine"), Amount(2_510_000_000, "forfeiture")],
        ),
        (
            "disgorgement of $3.59 billion, prejudgment interest of $466 million and a civil penalty of $420 million",
            [Amount(3_590_000_000, "disgorgement"), Amount(466_000_000, "interest"), Amount(420_000_000, "penalty")],
        ),
        (
            "ordered to pay $8.7 billion in restitution and $4 billion in disgorgement",
            [Amount(8_700_000_000, "restitution"), Amount(4_000_000_000, "disgorgement")],
        ),
        ("is ordered to pay a $1.25 million civil monetary penalty", [Amount(1_250_000, "penalty")]),
        ("Genesis Agrees to Pay $21 Million … a $21 million civil penalty", [Amount(21_000_000, "penalty")]),
        ("He was also ordered to forfeit $11,020,000,000.", [Amount(11_020_000_000, "forfeiture")]),
        ("raised over $1.3 billion through an unregistered offering", [Amount(1_300_000_000, "other")]),
        ("Judge orders Ripple to pay $125 million fine in SEC case", [Amount(125_000_000, "penalty")]),
        ("CFTC fines trading firm a $2 million fine for spoofing", [Amount(2_000_000, "penalty")]),
        (
            "Binance pleads guilty and will pay a $1.8 billion fine in the SEC's parallel",
            [Amount(1_800_000_000, "fine")],
        ),
    ],
)
def test_amounts_carry_their_kind(text: str, amounts: list[Amount]) -> None:
    assert amounts_with_kinds(text) == amounts


@pytest.mark.parametrize(
    ("names", "parties"),
    [
        ("Procter & Gamble Co.", [("Procter & Gamble Co.", ())]),
        (
            "Smith & Wesson Brands, Inc. and Johnson & Johnson",
            [("Smith & Wesson Brands, Inc.", ()), ("Johnson & Johnson", ())],
        ),
        ('Jian "Jonathan" Smith, CPA', [("Jian Smith", ("Jonathan",))]),
        ("Zhou Ni and Ramesh “Sunny” Balwani", [("Zhou Ni", ()), ("Ramesh Balwani", ("Sunny",))]),
        ("Mary Roe, Esq. and John Doe, CFA", [("Mary Roe", ()), ("John Doe", ())]),
        ("Robert Lee, Jr. a/k/a Bobby Lee", [("Robert Lee, Jr.", ("Bobby Lee",))]),
    ],
)
def test_party_names_keep_ampersands_and_move_nicknames_to_aliases(
    names: str, parties: list[tuple[str, tuple[str, ...]]]
) -> None:
    assert [(party.name, party.aliases) for party in parse_parties(names)] == parties


def _regulator(title: str, summary: str, agency: str):
    return extract(
        title=title, summary=summary, author=None, feed_agency=agency, feed_kind="regulator", feed_url="https://x"
    )


def _court(title: str, entry: str):
    return extract(
        title=title,
        summary=entry,
        author=None,
        feed_agency="PACER D.D.C.",
        feed_kind="court",
        feed_url="https://ecf.dcd.uscourts.gov/cgi-bin/rss_outside.pl",
    )


DOCKET = "1:23-cv-01599 Securities and Exchange Commission v. Binance Holdings Limited et al"
SEC_TITLE = "SEC Files 13 Charges Against Binance Entities and Founder Changpeng Zhao"
CFTC_TITLE = "CFTC Charges Binance and Its Founder, Changpeng Zhao, with Willful Evasion of Federal Law"


@pytest.mark.parametrize("court_first", [True, False], ids=["court first", "release first"])
def test_release_joins_the_court_case_of_its_agency_and_aliases_find_it(tmp_path: Path, court_first: bool) -> None:
    db = open_database(database_url(tmp_path / "cases.db"))
    court = _court(DOCKET, "[Complaint] COMPLAINT against All Defendants (1)")
    release = _regulator(SEC_TITLE, BINANCE_SUMMARY, "SEC")
    cftc = _regulator(CFTC_TITLE, "The CFTC today announced it filed a civil enforcement action.", "CFTC")
    with write_transaction(db):
        order = [court, release] if court_first else [release, court]
        first, second = (assign_case(db, extraction, "2023-06-05T14:00:00Z") for extraction in order)
        other = assign_case(db, cftc, "2023-03-27T14:00:00Z")
    assert first == second
    assert other != first  # the CFTC's matter against the same company is another case
    found = search_cases(db, "binance.us")
    assert [case.id for case in found.cases] == [first]
    assert found.cases[0].caption.startswith("Securities and Exchange Commission v. Binance")


def test_release_names_no_case_when_it_is_about_none(tmp_path: Path) -> None:
    db = open_database(database_url(tmp_path / "cases.db"))
    stats = _regulator(
        "SEC Announces Enforcement Results for Fiscal Year 2024",
        "The SEC obtained $8.2 billion in remedies, driven by the judgment in SEC v. Terraform Labs Pte. Ltd.",
        "SEC",
    )
    assert stats.action == "none"
    with write_transaction(db):
        assert assign_case(db, stats, "2024-11-22T15:00:00Z") is None


@pytest.mark.parametrize(
    ("headline", "summary", "action"),
    [
        ("Acme Corp. Update", "Acme Corp. was sued by the SEC in federal court for fraud.", "complaint"),
        ("Beta Holdings Update", "A jury found Beta Holdings liable and the court entered judgment.", "judgment"),
    ],
)
def test_a_headline_that_names_no_action_leaves_it_to_the_summary(headline: str, summary: str, action: str) -> None:
    assert headline_action(headline, agency="SEC")[0] is None
    assert _regulator(headline, summary, "SEC").action == action


@pytest.mark.parametrize(
    ("phrase", "names"),
    [
        ("Terraform and Kwon", ["Terraform", "Kwon"]),
        ("FTX and Alameda", ["FTX", "Alameda"]),
        ("Genesis and Gemini", ["Genesis", "Gemini"]),
        ("Binance and Changpeng Zhao", ["Binance", "Changpeng Zhao"]),
        ("Port Authority of New York and New Jersey", ["Port Authority of New York and New Jersey"]),
    ],
)
def test_a_headline_names_parties_by_one_word(phrase: str, names: list[str]) -> None:
    assert [party.name for party in names_in_phrase(phrase)] == names
