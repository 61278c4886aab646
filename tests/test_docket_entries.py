"""CM/ECF docket entries: kind of action from the event name, bankruptcy
captions and roles, and "and" inside one party's name."""

from __future__ import annotations

import pytest

from feeds.docket_events import entry_action, text_action
from feeds.extract import extract, parse_parties

DISTRICT_EVENTS = [
    # a decision on a motion that can decide the case or a claim
    ("Order on Motion to Dismiss", "ruling"),
    ("Order on Motion to Dismiss for Lack of Jurisdiction", "ruling"),
    ("Order on Motion for Summary Judgment", "ruling"),
    ("Order on Motion for Partial Summary Judgment", "ruling"),
    ("Order on Motion for Judgment on the Pleadings", "ruling"),
    ("Order on Motion for Preliminary Injunction", "ruling"),
    ("Order on Motion for Temporary Restraining Order", "ruling"),
    ("Order on Motion to Certify Class", "ruling"),
    ("Order on Motion to Suppress", "ruling"),
    ("Order on Motion to Compel Arbitration", "ruling"),
    ("Memorandum & Opinion", "ruling"),
    ("Memorandum Opinion and Order", "ruling"),
    ("Opinion and Order", "ruling"),
    ("Memorandum Decision", "ruling"),
    ("Findings of Fact and Conclusions of Law", "ruling"),
    # other orders
    ("Order", "order"),
    ("Order(Other)", "order"),
    ("Order (Clerk)", "order"),
    ("Scheduling Order", "order"),
    ("Protective Order", "order"),
    ("Order on Motion for Extension of Time to Answer", "order"),
    ("Order on Motion to Seal", "order"),
    ("Order on Motion to Withdraw as Attorney", "order"),
    ("Order on Motion for Leave to Appear Pro Hac Vice", "order"),
    ("Order on Letter Motion", "order"),
    ("Order Referring Case to Magistrate Judge", "order"),
    ("Order Dismissing Parties", "order"),
    ("Order to Show Cause", "order"),
    ("Memo Endorsement", "order"),
    ("Endorsed Letter", "order"),
    ("Stipulation and Order", "order"),
    ("Order of Recusal", "order"),
    # judgments, settlements, dismissals, appeals
    ("Judgment", "judgment"),
    ("Clerk's Judgment", "judgment"),
    ("Judgment - Clerk", "judgment"),
    ("Default Judgment", "judgment"),
    ("Amended Judgment", "judgment"),
    ("Consent Judgment", "settlement"),
    ("Judgment - Consent", "settlement"),
    ("Consent Decree", "settlement"),
    ("Order on Motion for Settlement", "settlement"),
    ("Order Approving Settlement", "settlement"),
    ("Order Dismissing Case", "dismissal"),
    ("Order of Dismissal", "dismissal"),
    ("Case Closed", "dismissal"),
    ("Stipulation of Dismissal", "dismissal"),
    ("Stipulation and Order of Voluntary Dismissal", "dismissal"),
    ("Notice of Voluntary Dismissal", "dismissal"),
    ("~Util - Terminate Civil Case", "dismissal"),
    ("Notice of Appeal", "appeal"),
    ("Notice of Interlocutory Appeal", "appeal"),
    ("Notice, Appeal (fee)", "appeal"),
    ("Complaint", "complaint"),
    ("Amended Complaint", "complaint"),
    ("Class Action Complaint", "complaint"),
    ("Notice of Removal", "complaint"),
    # papers filed by a party or the clerk
    ("Motion to Dismiss", "filing"),
    ("Motion for Summary Judgment", "filing"),
    ("Letter Motion for Extension of Time", "filing"),
    ("Memorandum of Law in Support of Motion", "filing"),
    ("Answer to Complaint", "filing"),
    ("Affidavit of Service Complaints", "filing"),
    ("Notice of Appearance", "filing"),
    ("Notice of Hearing", "filing"),
    ("Proposed Order", "filing"),
    ("Mail Order by Certified Mail", "filing"),
    ("Transmission to Judgments and Orders Clerk", "filing"),
    ("Clerks Entry of Default", "filing"),
    ("Briefing Schedule", "filing"),
    ("~Util - Set Deadlines/Hearings", "filing"),
    ("Request for Settlement Conference", "filing"),
    ("Civil Cover Sheet", "filing"),
    ("Dismiss", "filing"),  # S.D.N.Y. names a motion by the relief it asks
]


@pytest.mark.parametrize(("event", "action"), DISTRICT_EVENTS)
def test_a_civil_docket_event_name_gives_the_kind_of_action(event: str, action: str) -> None:
    assert entry_action(event) == action


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ("Indictment", "indictment"),
        ("Superseding Indictment", "indictment"),
        ("Information", "indictment"),
        ("Complaint", "indictment"),
        ("Sealed Indictment", "indictment"),
        ("Plea Agreement", "plea"),
        ("Minute Entry for Change of Plea Hearing", "plea"),
        ("Jury Verdict", "verdict"),
        ("Sentencing", "sentencing"),
        ("Minute Entry for Sentencing", "sentencing"),
        ("Judgment in a Criminal Case", "sentencing"),
        ("Sentencing Memorandum", "filing"),
        ("Letter - Sentencing", "filing"),
        ("Order on Motion to Continue Sentencing", "order"),
        ("Order to Continue - Interest of Justice", "order"),
        ("Order on Motion to Vacate (2255)", "ruling"),
    ],
)
def test_a_criminal_docket_event_name_gives_the_kind_of_action(event: str, action: str) -> None:
    assert entry_action(event, criminal=True) == action


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ("Opinion Issued", "opinion"),
        ("Opinion", "opinion"),
        ("Unpublished per curiam opinion filed", "opinion"),
        ("Published opinion filed", "opinion"),
        ("Case termination for opinion", "opinion"),
        ("Mandate", "filing"),
        ("Order filed", "order"),
        ("Court order filed", "order"),
        ("clerk order filed", "order"),
        ("Briefing order filed", "order"),
        ("Motion Order FILED", "order"),
        ("So-Ordered Scheduling Notification FILED", "order"),
        ("ruling letter sent", "order"),
        ("Judgment", "judgment"),
        ("Judgment order filed", "judgment"),
        ("Case termination for order and judgment", "judgment"),
        ("Case termination without a panel", "dismissal"),
        ("Order dismissing appeal", "dismissal"),
        ("Appeal dismissed", "dismissal"),
        ("Motion filed", "filing"),
        ("Brief filed", "filing"),
        ("Appellant brief filed", "filing"),
        ("Response filed", "filing"),
    ],
)
def test_an_appellate_event_name_gives_the_kind_of_action(event: str, action: str) -> None:
    assert entry_action(event, appellate=True) == action


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ("Order, Confirming Chapter 13 Plan", "order"),
        ("Discharge of Debtor and Order of Final Decree (BNC)", "order"),
        ("Order, Show Cause (Will Generate PDF Notice to BNC)", "order"),
        ("Close Bankruptcy Case", "dismissal"),
        ("Close Adversary Case", "dismissal"),
        ("Order Dismissing Case", "dismissal"),
        ("Complaint (fee)", "complaint"),
        ("Motion, Dismiss Case", "filing"),
        ("Voluntary Petition (Chapter 11)", "filing"),
        ("Application, Employ", "filing"),
        ("Notice, Appearance", "filing"),
        ("Auto Summons and Notice of Pre-Trial Conference", "filing"),
    ],
)
def test_a_bankruptcy_event_name_gives_the_kind_of_action(event: str, action: str) -> None:
    assert entry_action(event) == action


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("ORDER granting 25 Motion to Dismiss for Failure to State a Claim. Signed by Judge X.", "ruling"),
        ("MEMORANDUM AND ORDER denying 40 Motion for Summary Judgment.", "ruling"),
        ("ORDER: The conference scheduled for 5/1 is adjourned to a settlement conference.", "order"),
        ("ORDER granting 12 Motion for Extension of Time to Answer.", "order"),
        ("JUDGMENT in favor of Plaintiff against Defendant. Signed by Clerk.", "judgment"),
        ("NOTICE OF APPEAL from 30 Judgment by Acme Corp. Filing fee $ 505.", "appeal"),
        ("MOTION to Dismiss by Acme Corp. Responses due by 5/1.", "filing"),
        ("Minute Entry for proceedings held before Judge X: Sentencing held on 5/1/2023.", "sentencing"),
        ("Minute Entry for proceedings held before Judge X: Status Conference held on 5/1/2023.", "filing"),
    ],
)
def test_free_docket_text_is_read_like_an_event_name(text: str, action: str) -> None:
    criminal = "Sentencing" in text
    assert text_action(text, criminal=criminal) == action


def _cmecf(title: str, description: str, host: str = "ecf.nysd.uscourts.gov") -> object:
    return extract(
        title=title,
        summary=description,
        author=None,
        feed_agency=None,
        feed_kind="court",
        feed_url=f"https://{host}/cgi-bin/rss_outside.pl",
    )


def test_the_event_name_decides_over_words_in_the_case_name() -> None:
    item = _cmecf("1:23-cv-01599 SEC v. Settlement Funding LLC", "[Order on Motion for Extension of Time] (12)")
    assert item.action == "order"


def test_a_silent_event_name_falls_back_to_the_entry_text() -> None:
    item = _cmecf("1:23-cr-00178 USA v. Doe", "[None] JUDGMENT IN A CRIMINAL CASE as to John Doe. (40)")
    assert item.action == "sentencing"


def test_an_indictment_needs_a_criminal_docket() -> None:
    assert _cmecf("1:23-cr-00178 USA v. Doe", "[Complaint] (1)").action == "indictment"
    assert _cmecf("1:23-cv-00178 Roe v. Doe", "[Complaint] (1)").action == "complaint"


def test_an_appellate_opinion_is_an_opinion_and_a_district_one_a_ruling() -> None:
    appellate = _cmecf("22-3054 Doe v. Roe", "[Opinion Issued] (40)", host="ecf.ca2.uscourts.gov")
    district = _cmecf("1:22-cv-03054 Doe v. Roe", "[Memorandum & Opinion] (40)")
    assert (appellate.action, district.action) == ("opinion", "ruling")


@pytest.mark.parametrize(
    "name",
    [
        "Port Authority of New York and New Jersey",
        "New York Sound and Security LLC",
        "Department of Health and Human Services",
        "Board of Governors of the Federal Reserve System and Trust",
        "Smith and Jones LLP",
        "Procter and Gamble Company",
        "Johnson and Johnson",
        "Barnes and Noble, Inc.",
        "Ernst and Young LLP",
        "Bank of America and Trust Co.",
        "Smith and Wesson Brands, Inc.",
        "Office of the Comptroller of the Currency and Affiliates",
    ],
)
def test_and_inside_one_name_does_not_split_it(name: str) -> None:
    assert [party.name for party in parse_parties(name)] == [name]


@pytest.mark.parametrize(
    ("names", "parties"),
    [
        ("Steven Jay Grim and Darcy Joan Grim", ["Steven Jay Grim", "Darcy Joan Grim"]),
        ("Acme Widgets, Inc. and John Q. Public", ["Acme Widgets, Inc.", "John Q. Public"]),
        ("John Q. Public and Acme Widgets Holdings, LLC", ["John Q. Public", "Acme Widgets Holdings, LLC"]),
        ("Binance Holdings Ltd. and BAM Trading Services Inc.", ["Binance Holdings Ltd.", "BAM Trading Services Inc."]),
        ("State of New York and City of New York", ["State of New York", "City of New York"]),
        ("Mark Smith and Acme LLC", ["Mark Smith", "Acme LLC"]),
        ("Wells Fargo Bank, N.A. and Wells Fargo & Company", ["Wells Fargo Bank, N.A.", "Wells Fargo & Company"]),
        ("Alpha LLC, Beta Corp., and Gamma Ltd.", ["Alpha LLC", "Beta Corp.", "Gamma Ltd."]),
        ("Red, White, and Blue", ["Red", "White", "Blue"]),
        ('Zhou Min Ni and Jian Ming "Jonathan" Ni, CPA', ["Zhou Min Ni", "Jian Ming Ni"]),  # the nickname is an alias
    ],
)
def test_and_between_two_complete_names_splits_them(names: str, parties: list[str]) -> None:
    assert [party.name for party in parse_parties(names)] == parties


@pytest.mark.parametrize(
    ("title", "plaintiff", "defendant"),
    [
        ("1:18-cv-01234 Dick v. Kozeny, McCubbin & Katz, LLP", "Dick", "Kozeny, McCubbin & Katz, LLP"),
        ("8:21-cv-00001 Vazzo v. City of Tampa, Florida", "Vazzo", "City of Tampa, Florida"),
        (
            "1:18-cv-01234 Rivera v. Lamont, Hanley & Associates, Inc. et al",
            "Rivera",
            "Lamont, Hanley & Associates, Inc.",
        ),
        (
            "21-14262 Joseph Nichols, Jr. v. Secretary, Florida Department of Corrections, et al",
            "Joseph Nichols, Jr.",
            "Secretary, Florida Department of Corrections",
        ),
        ("1:12-cv-05567 Dover et al v. British Airways, PLC (UK)", "Dover", "British Airways, PLC (UK)"),
    ],
)
def test_a_cmecf_title_names_one_party_per_side_commas_and_all(title: str, plaintiff: str, defendant: str) -> None:
    item = _cmecf(title, "[Order] (3)")
    assert (item.plaintiffs, [party.name for party in item.defendants]) == ([plaintiff], [defendant])


def _roles(item: object) -> list[tuple[str, str]]:
    from feeds.record import parties

    return [(party["name"], party["role"]) for party in parties(item)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title", "caption", "roles"),
    [
        ("18-11070-jlg Antonia Contreras", "In re Antonia Contreras", [("Antonia Contreras", "debtor")]),
        (
            "15-11740-shl Fremak Industries, Inc.",
            "In re Fremak Industries, Inc.",
            [("Fremak Industries, Inc.", "debtor")],
        ),
        (
            "18-35641-cgm Steven Jay Grim and Darcy Joan Grim",
            "In re Steven Jay Grim and Darcy Joan Grim",
            [("Steven Jay Grim", "debtor"), ("Darcy Joan Grim", "debtor")],
        ),
        (
            "16-10992-smb SunEdison, Inc., et al., and North Kern State Prison",
            "In re SunEdison, Inc. et al.",
            [("SunEdison, Inc.", "debtor")],
        ),
        (
            "23-10063-shl Genesis Global Holdco, LLC, et al.",
            "In re Genesis Global Holdco, LLC et al.",
            [("Genesis Global Holdco, LLC", "debtor")],
        ),
        ("22-10964-mg Celsius Network LLC", "In re Celsius Network LLC", [("Celsius Network LLC", "debtor")]),
        (
            "18-01468-smb SunEdison Litigation Trust v. State of California, Dept. of General Services",
            "SunEdison Litigation Trust v. State of California, Dept. of General Services",
            [
                ("SunEdison Litigation Trust", "plaintiff"),
                ("State of California, Dept. of General Services", "defendant"),
            ],
        ),
        (
            "18-01234-mg Magaliff, as Chapter 7 Trustee for Shelley Foods v. Porky Products, Inc.",
            "Magaliff, as Chapter 7 Trustee for Shelley Foods v. Porky Products, Inc.",
            [("Magaliff", "plaintiff"), ("Porky Products, Inc.", "defendant")],
        ),
    ],
)
def test_a_bankruptcy_main_case_is_in_re_its_debtors_and_an_adversary_keeps_its_sides(
    title: str, caption: str, roles: list[tuple[str, str]]
) -> None:
    item = _cmecf(title, "Type: bk Office: 1 Chapter: 11 [Order] (12)", host="ecf.nysb.uscourts.gov")
    assert (item.caption, _roles(item)) == (caption, roles)


def test_a_sipa_case_docketed_as_an_adversary_is_still_in_re_the_debtor() -> None:
    item = _cmecf(
        "08-01420-scc Lehman Brothers Inc.", "Type: ap Office: 1 Chapter: [Order] (7)", "ecf.nysb.uscourts.gov"
    )
    assert (item.caption, _roles(item)) == ("In re Lehman Brothers Inc.", [("Lehman Brothers Inc.", "debtor")])


@pytest.mark.parametrize(
    ("title", "roles"),
    [
        ("21-9589 Singh v. Garland", [("Singh", "petitioner"), ("Garland", "respondent")]),
        ("23-9609 O.C.V. v. Bondi", [("O.C.V.", "petitioner"), ("Bondi", "respondent")]),
        (
            "22-13410 Yves Santais v. U.S. Attorney General",
            [("Yves Santais", "petitioner"), ("U.S. Attorney General", "respondent")],
        ),
        (
            "22-1142 Grayscale Investments, LLC v. SEC",
            [("Grayscale Investments, LLC", "petitioner"), ("SEC", "respondent")],
        ),
        ("23-1001 Starbucks Corporation v. NLRB", [("Starbucks Corporation", "petitioner"), ("NLRB", "respondent")]),
        ("22-1495 In re: Maura Lynch", [("Maura Lynch", "petitioner")]),
        ("23-1104 USA v. Shantel Caldwell", [("United States", "plaintiff"), ("Shantel Caldwell", "defendant")]),
        (
            "22-3054 Doe v. Garland Independent School District",
            [("Doe", "plaintiff"), ("Garland Independent School District", "defendant")],
        ),
    ],
)
def test_appellate_roles_follow_the_kind_of_proceeding(title: str, roles: list[tuple[str, str]]) -> None:
    assert _roles(_cmecf(title, "[Order filed] (3)", host="ecf.ca2.uscourts.gov")) == roles


def test_an_agency_named_on_a_district_court_is_a_defendant() -> None:
    assert _roles(_cmecf("1:23-cv-00001 Acme Corp. v. SEC", "[Complaint] (1)")) == [
        ("Acme Corp.", "plaintiff"),
        ("SEC", "defendant"),
    ]


@pytest.mark.parametrize(
    "title",
    [
        "1:18-mc-00005-JO Master List of 2018 Grand Jury Cases",
        "1:18-mc-00004-UAD PETITIONS FOR 2018 NAME CHANGES",
        "1:16-md-02742 In re: SunEdison, Inc., Securities Litigation",
        "2:05-cv-03923-DRH-AKT In re Symbol Technologies, Inc. Securities Litigation",
        "1:12-md-02331-BMC-PK Propecia Finasteride Product Liability Litigation",
        "1:18-mc-01409-RLM Application of the United States of America for an Order pursuant to 18 U.S.C. 2703(d)",
        "1:23-mj-00123 In re Search Warrant for 123 Main Street",
    ],
)
def test_a_caption_that_names_a_matter_gives_no_party(title: str) -> None:
    assert _roles(_cmecf(title, "[Order] (3)", host="ecf.nyed.uscourts.gov")) == []


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ("Preliminary Injunction", "ruling"),
        ("Temporary Restraining Order", "ruling"),
        ("Consent Order", "settlement"),
        ("Consent Order Granting Substitution of Attorney", "order"),
        ("Notice of Settlement", "settlement"),
        ("Order Scheduling Settlement Conference", "order"),
        ("Minute Entry for Settlement Conference", "filing"),
        ("Stipulation of Dismissal as to Defendant John Doe", "filing"),
        ("Order of Dismissal as to Acme Corp. only", "order"),
        ("Order Granting Motion to Approve Compromise", "settlement"),
        ("Order Converting Case to Chapter 7", "order"),
        ("Order Granting Relief from Stay", "order"),
    ],
)
def test_more_district_and_bankruptcy_event_names(event: str, action: str) -> None:
    assert entry_action(event) == action


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ("Summary Order filed", "opinion"),
        ("Memorandum disposition filed", "opinion"),
        ("ORDER filed granting motion to dismiss appeal", "ruling"),
        ("ORDER filed granting motion for extension of time to file brief", "order"),
        ("Mandate issued", "filing"),
        ("Oral argument heard", "filing"),
        ("Notice of Appeal to District Court", "appeal"),
    ],
)
def test_more_appellate_event_names(event: str, action: str) -> None:
    assert entry_action(event, appellate=True) == action


def test_a_consent_order_on_the_merits_is_a_settlement_and_one_on_procedure_an_order() -> None:
    assert text_action("CONSENT ORDER regarding the assets of BAM Trading Services Inc. Signed by Judge X.") == (
        "settlement"
    )
    assert text_action("CONSENT ORDER granting extension of time to answer. Signed by Judge X.") == "order"
    assert text_action("Consent Protective Order") == "order"
