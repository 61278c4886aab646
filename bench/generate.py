"""Build a realistic Casewatch database of generated items, deterministically.

    .venv/bin/python -m bench.generate --items 1000000 --db PATH [--seed N]
    .venv/bin/python -m bench.generate --feeds DIR     # the ingest and polling benchmarks' feed sets

Cases are SEC and CFTC civil actions against companies (some with their
founder) and criminal cases against people, in eight district courts, with
about ten items each on average but skewed: most cases have one to three
items, a few hundreds (busy dockets). Their items are what the real feeds
publish: agency releases (SEC litigation releases with their LR numbers, CFTC
and DOJ press releases), PACER "recent entries" (caption title, ``[Entry]
( number )`` summary), news search results naming the company; and agency
announcements about no case. Docket numbers appear in several forms.

Running 1M items through extraction costs ~1.5 ms an item (25 minutes), so
the rows are written in bulk instead: each generated item knows what
extraction reads from it (:class:`Generated` carries an :class:`Extraction`),
and the rows follow the store path's rules (case grouping by the generator's
own cases, parties and dockets first-seen, the longest caption, events joined
as :mod:`storage.events` joins them, the full-text rows). A test builds a small
database both ways (``tests/test_generate.py``: through
:func:`feeds.record.extract_item` and :func:`storage.items.store_items`, one
transaction per feed batch) and checks that every item reads as the
generator says and that ``/case`` answers the same.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlite_utils import Database

from bench.feedsets import ingest_set, polling_set, write_feed_set
from bench.parties import NameMaker, trade_name
from feeds.catalog import FeedSpec
from feeds.extract import Docket, Extraction, Party, find_dockets
from feeds.news import NewsReading
from feeds.parse import FeedItem
from feeds.text import fold, name_key
from storage.database import now_iso, open_database, write_transaction
from storage.feeds import sync_catalog
from storage.fts_text import search_text_sql
from storage.items import INSERT_ITEM, item_row, loose_index_written_by_store
from storage.related import linking_key

SEED = 20261125
BATCH_WINDOW = 2000  # items of one time window, stored one feed batch (one transaction) at a time
NO_CASE_SHARE = 0.04
START = date(2015, 1, 5)
DAYS = 11 * 365

SEC_LR = FeedSpec(
    "SEC litigation releases",
    "https://www.sec.gov/enforcement-litigation/litigation-releases/rss",
    "SEC",
    "regulator",
    10,
)
SEC_PRESS = FeedSpec("SEC press releases", "https://www.sec.gov/news/pressreleases.rss", "SEC", "regulator", 10)
CFTC_PRESS = FeedSpec("CFTC enforcement", "https://www.cftc.gov/RSS/RSSENF/rssenf.xml", "CFTC", "regulator", 10)
DOJ_PRESS = FeedSpec("DOJ press releases", "https://www.justice.gov/news/rss", "DOJ", "regulator", 10)
NEWS = FeedSpec("News search", "https://news.google.com/rss/search?q=enforcement", "", "news", 30)
# (PACER host, the court's abbreviation as captions and releases write it)
COURTS = (
    ("nysd", "S.D.N.Y."),
    ("dcd", "D.D.C."),
    ("nyed", "E.D.N.Y."),
    ("ilnd", "N.D. Ill."),
    ("cacd", "C.D. Cal."),
    ("njd", "D.N.J."),
    ("mad", "D. Mass."),
    ("flsd", "S.D. Fla."),
)
PACER = {
    host: FeedSpec(f"PACER {court}", f"https://ecf.{host}.uscourts.gov/cgi-bin/rss_outside.pl", "", "court", 15)
    for host, court in COURTS
}
FEEDS = (SEC_LR, SEC_PRESS, CFTC_PRESS, DOJ_PRESS, *PACER.values(), NEWS)
# Within a time window, regulators' batches are stored first and news last (a story joins a case that exists).
FEED_ORDER = {spec.name: position for position, spec in enumerate(FEEDS)}

PLAINTIFF = {"SEC": "Securities and Exchange Commission", "CFTC": "Commodity Futures Trading Commission"}
ALLEGATIONS = (
    "misappropriating investor funds",
    "an offering fraud that raised money from retail investors",
    "misleading investors about the company's revenue",
    "a pump-and-dump scheme in the company's stock",
    "insider trading ahead of a merger announcement",
    "overstating assets under management",
    "a Ponzi-like scheme that promised guaranteed returns",
    "unregistered offers and sales of crypto asset securities",
    "cherry-picking profitable trades for favored accounts",
    "failing to disclose conflicts of interest to advisory clients",
)
# PACER entries: (entry text, action, action detail), as extraction reads them.
OPENING_ENTRY = {
    "SEC": ("Complaint", "complaint"),
    "CFTC": ("Complaint", "complaint"),
    "DOJ": ("Indictment", "indictment"),
}
CIVIL_ENTRIES = (
    ("Notice of Appearance", "filing"),
    ("Summons Issued", "filing"),
    ("Letter", "filing"),
    ("Letter Motion for Extension of Time", "filing"),
    ("Scheduling Order", "order"),
    ("Order", "order"),
    ("Answer to Complaint", "filing"),
    ("Motion to Dismiss", "filing"),
    ("Memorandum of Law in Support", "filing"),
    ("Declaration in Support", "filing"),
    ("Order on Motion to Dismiss", "ruling"),
    ("Memorandum & Opinion", "ruling"),
    ("Stipulation and Protective Order", "order"),
    ("Transcript of Proceedings", "filing"),
)
CRIMINAL_ENTRIES = (
    ("Notice of Appearance", "filing"),
    ("Arraignment", "filing"),
    ("Order", "order"),
    ("Letter", "filing"),
    ("Motion to Suppress", "filing"),
    ("Scheduling Order", "order"),
    ("Transcript of Proceedings", "filing"),
)
CLOSING_ENTRY = {
    "SEC": ("Final Judgment", "judgment"),
    "CFTC": ("Consent Judgment", "settlement"),
    "DOJ": ("Judgment in a Criminal Case", "sentencing"),
}
# Announcements about no case: (agency, title, action as extraction reads it)
NO_CASE_TITLES = (
    ("SEC", "SEC Announces Agenda for {month} Meeting of the Investor Advisory Committee", "none"),
    ("SEC", "SEC Announces Enforcement Results for Fiscal Year {year}", "none"),
    ("CFTC", "CFTC Releases Annual Enforcement Results for Fiscal Year {year}", "none"),
    ("CFTC", "CFTC Staff Issues Advisory on Digital Asset Risks, {month} {year}", None),
    ("DOJ", "Justice Department Announces {month} {year} Elder Justice Initiative Grants", None),
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

FOLDED_TEXT = f"{search_text_sql('title')}, {search_text_sql('summary')}"  # as the store step indexes them


@dataclass
class Case:
    """A generated matter: who sued whom, where, under which docket number."""

    number: int
    agency: str  # SEC, CFTC or DOJ
    defendants: list[str]
    host: str
    court: str
    docket: str  # the full form, 1:23-cv-01599
    start: date
    companion: bool = False  # a criminal case against the founder of a civil case's company

    @property
    def plaintiff(self) -> str:
        return PLAINTIFF.get(self.agency, "United States")


@dataclass
class Generated:
    """One item, the feed that publishes it, and what extraction reads from it."""

    feed: FeedSpec
    item: FeedItem
    extraction: Extraction
    case: Case | None


@dataclass
class Plan:
    """One item to render: when, which case, what it reports."""

    at: datetime
    order: int
    case: Case | None
    template: str  # release, entry, news, closing_release, none
    entry: tuple[str, str] | None = None
    entry_no: int = 0
    extra: dict = field(default_factory=dict)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _docket_number(rng: random.Random, year: int, criminal: bool, taken: set[tuple[str, str]], host: str) -> str:
    while True:
        docket = f"1:{year % 100:02d}-{'cr' if criminal else 'cv'}-{rng.randint(1, 12000):05d}"
        if (host, docket) not in taken:
            taken.add((host, docket))
            return docket


def _case_sizes(rng: random.Random, items: int) -> list[int]:
    """Items per case: log-normal (median ~3, mean ~10), a few in the hundreds."""
    sizes: list[int] = []
    total = 0
    while total < items:
        size = max(1, min(900, round(rng.lognormvariate(1.1, 1.5))))
        size = min(size, items - total)
        sizes.append(size)
        total += size
    return sizes


class Generator:
    """Plans and renders the items of ``items`` (cases and items of no case), seeded."""

    def __init__(self, items: int, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.names = NameMaker(self.rng)
        self.release_numbers = iter(range(20000, 10**7))
        self.docket_numbers: set[tuple[str, str]] = set()
        no_case = round(items * NO_CASE_SHARE)
        self.cases: list[Case] = []
        self.plans: list[Plan] = []
        self._order = 0
        for size in _case_sizes(self.rng, items - no_case):
            self._plan_case(size)
        for _ in range(items - len(self.plans)):
            day = START + timedelta(days=self.rng.randrange(DAYS))
            self._add(Plan(self._moment(day), 0, None, "none"))
        self.plans.sort(key=lambda plan: (plan.at, plan.order))

    # --- planning -----------------------------------------------------------

    def _moment(self, day: date) -> datetime:
        seconds = self.rng.randrange(13 * 3600, 23 * 3600)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)

    def _add(self, plan: Plan) -> None:
        self._order += 1
        plan.order = self._order
        self.plans.append(plan)

    def _new_case(self, agency: str, defendants: list[str], start: date, companion: bool = False) -> Case:
        host, court = self.rng.choice(COURTS)
        docket = _docket_number(self.rng, start.year, agency == "DOJ", self.docket_numbers, host)
        case = Case(len(self.cases) + 1, agency, defendants, host, court, docket, start, companion)
        self.cases.append(case)
        return case

    def _plan_case(self, size: int) -> None:
        rng = self.rng
        start = START + timedelta(days=rng.randrange(DAYS - 400))
        roll = rng.random()
        if roll < 0.25:
            case = self._new_case("DOJ", [self.names.person()], start)
        else:
            agency = "CFTC" if roll < 0.4 else "SEC"
            company = self.names.company()
            founder = [self.names.person()] if agency == "SEC" and rng.random() < 0.25 else []
            case = self._new_case(agency, [company, *founder], start)
            if founder and size >= 4 and rng.random() < 0.5:
                # The founder is charged criminally too: a related case.
                companion = self._new_case("DOJ", founder, start + timedelta(days=rng.randint(0, 30)), True)
                share = max(1, size // 3)
                self._plan_items(companion, share)
                size -= share
        self._plan_items(case, size)

    def _plan_items(self, case: Case, size: int) -> None:
        rng = self.rng
        day = case.start
        self._add(Plan(self._moment(day), 0, case, "release", extra={"allegation": rng.choice(ALLEGATIONS)}))
        if size == 1:
            return
        self._add(Plan(self._moment(day), 0, case, "entry", OPENING_ENTRY[case.agency], entry_no=1))
        remaining = size - 2
        closes = remaining >= 3 and rng.random() < 0.6
        news = case.agency != "DOJ" and remaining >= 1 and rng.random() < 0.5
        if news:
            self._add(Plan(self._moment(day + timedelta(days=1)), 0, case, "news", extra={"kind": "complaint"}))
            remaining -= 1
        middle = remaining - (2 if closes else 0)
        entries = CRIMINAL_ENTRIES if case.agency == "DOJ" else CIVIL_ENTRIES
        entry_no = 1
        for _ in range(middle):
            day += timedelta(days=rng.randint(1, 12))
            entry_no += rng.randint(1, 3)
            self._add(Plan(self._moment(day), 0, case, "entry", rng.choice(entries), entry_no=entry_no))
        if closes:
            day += timedelta(days=rng.randint(20, 200))
            entry_no += 1
            amount = rng.choice((250_000, 1_200_000, 4_500_000, 12_000_000, 37_500_000, 150_000_000))
            self._add(Plan(self._moment(day), 0, case, "entry", CLOSING_ENTRY[case.agency], entry_no=entry_no))
            self._add(Plan(self._moment(day), 0, case, "closing_release", extra={"amount": amount}))

    # --- rendering ----------------------------------------------------------

    def items(self) -> Iterator[Generated]:
        """Every item in the order the store path meets them: time windows of
        ``BATCH_WINDOW`` items, in each one feed's batch after another."""
        for start in range(0, len(self.plans), BATCH_WINDOW):
            rendered = [self.render(plan) for plan in self.plans[start : start + BATCH_WINDOW]]
            rendered.sort(key=lambda generated: FEED_ORDER[generated.feed.name])  # stable: time order kept
            yield from rendered

    def render(self, plan: Plan) -> Generated:
        if plan.case is None:
            return self._no_case(plan)
        if plan.template == "entry":
            return self._entry(plan, plan.case)
        if plan.template == "news":
            return self._news(plan, plan.case)
        return self._release(plan, plan.case)

    def _item(self, plan: Plan, link: str, title: str, summary: str, author: str | None = None) -> FeedItem:
        return FeedItem(link, link, link, title, summary, author, _iso(plan.at))

    def _no_case(self, plan: Plan) -> Generated:
        agency, pattern, action = NO_CASE_TITLES[plan.order % len(NO_CASE_TITLES)]
        title = pattern.format(month=MONTHS[plan.at.month - 1], year=plan.at.year)
        summary = f"{title}. The announcement and related materials are available on the agency's website."
        feed = {"SEC": SEC_PRESS, "CFTC": CFTC_PRESS, "DOJ": DOJ_PRESS}[agency]
        item = self._item(plan, f"{_host(feed)}/newsroom/{plan.order}", title, summary)
        return Generated(feed, item, Extraction(agency=agency, action=action), None)

    def _entry(self, plan: Plan, case: Case) -> Generated:
        text, action = plan.entry or ("Order", "order")
        short_plaintiff = "USA" if case.agency == "DOJ" else case.plaintiff
        others = " et al" if len(case.defendants) > 1 else ""
        title = f"{case.docket} {short_plaintiff} v. {case.defendants[0]}{others}"
        summary = f"[{text}] ( {plan.entry_no} )"
        feed = PACER[case.host]
        link = f"https://ecf.{case.host}.uscourts.gov/doc1/{case.number:07d}{plan.entry_no:05d}"
        caption = f"{case.plaintiff} v. {case.defendants[0]}{' et al.' if others else ''}"
        extraction = Extraction(
            agency=case.agency,
            caption=caption,
            plaintiffs=[case.plaintiff],
            defendants=[Party(case.defendants[0])],
            dockets=_dockets(case.docket),
            court=case.court,
            action=action,
            docket_entry=text,
            entry_number=str(plan.entry_no),
        )
        return Generated(feed, self._item(plan, link, title, summary), extraction, case)

    def _release(self, plan: Plan, case: Case) -> Generated:
        closing = plan.template == "closing_release"
        form = self._docket_form(plan, case)
        caption = f"{case.plaintiff} v. {' and '.join(case.defendants)}"
        if case.agency == "SEC":
            feed, release = SEC_LR, f"LR-{next(self.release_numbers)}"
            author: str | None = release
        else:
            feed, release, author = (CFTC_PRESS if case.agency == "CFTC" else DOJ_PRESS), None, None
        title, summary, action, amounts = _release_text(case, closing, caption, form, plan.extra)
        cited = _cited(case, form)
        link = f"{_host(feed)}/enforcement/{plan.order}"
        extraction = Extraction(
            agency=case.agency,
            caption=caption,
            plaintiffs=[case.plaintiff],
            defendants=[Party(name) for name in case.defendants],
            dockets=_dockets(cited),
            court=case.court,
            action=action,
            amounts=amounts,
            release_no=release,
        )
        return Generated(feed, self._item(plan, link, title, summary, author), extraction, case)

    def _docket_form(self, plan: Plan, case: Case) -> str:
        """The docket number as a release cites it: mostly in full, sometimes short."""
        office, year, kind, number = case.docket[0], case.docket[2:4], case.docket[5:7], case.docket[8:]
        forms = (case.docket, case.docket, f"{year}-{kind}-{int(number)}", f"{office}:{year}-{int(number)}")
        return forms[plan.order % len(forms)]

    def _news(self, plan: Plan, case: Case) -> Generated:
        name = trade_name(case.defendants[0])
        outlet = ("Reuters", "Bloomberg", "Law360", "The Wall Street Journal")[plan.order % 4]
        title = f"{name} hit with {case.agency} fraud lawsuit - {outlet}"
        summary = (
            f"The {case.plaintiff} sued {name}, accusing the company of misleading investors, "
            f"according to a complaint filed in federal court."
        )
        slug = fold(name).replace(" ", "-")
        link = f"https://www.{outlet.lower().replace(' ', '')}.com/legal/{slug}-{plan.order}/"
        reading = NewsReading(title, outlet, summary, "complaint", None, case.agency, True)
        extraction = Extraction(agency=case.agency, action="complaint", news=reading)
        return Generated(NEWS, self._item(plan, link, title, summary), extraction, case)


def _host(feed: FeedSpec) -> str:
    return "/".join(feed.url.split("/")[:3])


@cache
def _dockets(text: str) -> list[Docket]:
    return find_dockets(text)


def _cited(case: Case, form: str) -> str:
    return f"{'No.' if case.agency == 'DOJ' else 'Civil Action No.'} {form}"


def _release_text(case: Case, closing: bool, caption: str, form: str, extra: dict) -> tuple[str, str, str, list[int]]:
    """Title, summary, action and amounts of an agency's release about ``case``."""
    first = case.defendants[0]
    cite = f"{caption}, {_cited(case, form)} ({case.court})."
    if case.agency == "DOJ":
        if closing:
            amount = extra["amount"]
            return (
                f"{first} Sentenced to Prison for Investment Fraud Scheme",
                f"{first} was sentenced today and ordered to forfeit ${_money(amount)}. {cite}",
                "sentencing",
                [amount],
            )
        return (
            f"{first} Indicted for Defrauding Investors",
            f"A federal grand jury returned an indictment charging {first} with securities fraud and wire fraud "
            f"in connection with {extra['allegation']}. If convicted, {first} faces a maximum penalty of 20 years "
            f"in prison on each count. The FBI investigated the case. {cite}",
            "indictment",
            [],
        )
    if closing:
        amount = extra["amount"]
        return (
            f"{case.agency} Obtains Final Judgment Against {first}",
            f"The {case.plaintiff} obtained a final judgment against {first} ordering it to pay "
            f"${_money(amount)} in disgorgement, prejudgment interest and a civil penalty, and permanently "
            f"enjoining it from further violations of the federal securities laws. {cite}",
            "judgment",
            [amount],
        )
    return (
        f"{case.agency} Charges {first} with {extra['allegation'].split(' that ')[0].capitalize()}",
        f"The {case.plaintiff} today charged {first} with {extra['allegation']}. According to the complaint, "
        f"investors were told their money would be held in segregated accounts, while it was used for other "
        f"purposes. The investigation is continuing. {cite}",
        "complaint",
        [],
    )


def _money(amount: int) -> str:
    if amount >= 1_000_000:
        return f"{amount / 1_000_000:g} million"
    return f"{amount:,}"


# --- writing in bulk -----------------------------------------------------------


@dataclass
class _CaseRow:
    id: int
    caption: str | None
    caption_key: str | None
    agency: str | None
    court: str | None
    first: str
    last: str
    parties: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, key) -> name, first seen
    dockets: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # key -> (short, display, court)


@dataclass
class _Event:
    id: int
    case_id: int | None
    action: str
    day: str
    identity: str
    routine: int
    first_item_id: int
    entry_no: str | None
    release_no: str | None
    detail: str | None


class BulkWriter:
    """Writes generated items the way the store path would, many rows a statement."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.feed_ids = {name: feed_id for feed_id, name in db.execute("SELECT id, name FROM feeds")}
        self.cases: dict[int, _CaseRow] = {}
        self.events: list[_Event] = []
        self._events_by: dict[tuple, list[_Event]] = {}
        self._numbered: dict[tuple[int, str, str], _Event] = {}
        self.items: list[tuple] = []
        self.seen_at = now_iso()
        self.first_item_id = 1 + (db.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0])
        self.next_item_id = self.first_item_id
        self.next_case_id = 1 + (db.execute("SELECT coalesce(max(id), 0) FROM cases").fetchone()[0])

    def add(self, generated: Generated) -> None:
        item, extraction = generated.item, generated.extraction
        event_at = item.published_at or self.seen_at
        case_id = self._case(generated, event_at)
        item_id = self.next_item_id
        self.next_item_id += 1
        event_id = self._event(item_id, case_id, event_at, generated)
        self.items.append(
            item_row(
                item_id,
                self.feed_ids[generated.feed.name],
                item,
                extraction,
                seen_at=self.seen_at,
                event_at=event_at,
                case_id=case_id,
                event_id=event_id,
            )
        )

    def _case(self, generated: Generated, event_at: str) -> int | None:
        extraction, case = generated.extraction, generated.case
        if case is None:
            return None
        row = self.cases.get(case.number)
        if row is None:
            row = _CaseRow(
                self.next_case_id,
                extraction.caption,
                extraction.caption_key,
                extraction.agency,
                extraction.court,
                event_at,
                event_at,
            )
            self.next_case_id += 1
            self.cases[case.number] = row
        else:
            if extraction.caption and (row.caption is None or len(extraction.caption) > len(row.caption)):
                row.caption = extraction.caption
            row.caption_key = row.caption_key or extraction.caption_key
            row.agency = row.agency or extraction.agency
            row.court = row.court or extraction.court
            row.first, row.last = min(row.first, event_at), max(row.last, event_at)
        if extraction.news is None:
            names = [("plaintiff", name) for name in extraction.plaintiffs]
            for party in extraction.defendants:
                names.append(("defendant", party.name))
                names.extend(("alias", alias) for alias in party.aliases)
            for role, name in names:
                key = _name_key(name)
                if key:
                    row.parties.setdefault((role, key), name[:300])
            for docket in extraction.dockets:
                row.dockets.setdefault(docket.key, (docket.short, docket.display, extraction.court))
        return row.id

    def _event(self, item_id: int, case_id: int | None, event_at: str, generated: Generated) -> int:
        """The event the item joins, found as :func:`storage.events.find_event` finds it."""
        extraction = generated.extraction
        action = extraction.action or "update"
        number = extraction.entry_number
        entry_no = (
            None if number is None else (f"{extraction.dockets[0].key}#{number}" if extraction.dockets else number)
        )
        identity = "" if case_id is not None else fold(generated.item.title)[:200]
        day = date.fromisoformat(event_at[:10])
        event = self._numbered_event(case_id, entry_no, extraction.release_no)
        if event is None:
            event = self._same_day_event(case_id, action, identity, day, entry_no, extraction)
        if event is not None:
            event.day = min(event.day, day.isoformat())
            event.entry_no = event.entry_no or entry_no
            event.release_no = event.release_no or extraction.release_no
            event.detail = event.detail or extraction.action_detail
        else:
            event = _Event(
                len(self.events) + 1,
                case_id,
                action,
                day.isoformat(),
                identity,
                int(extraction.routine),
                item_id,
                entry_no,
                extraction.release_no,
                extraction.action_detail,
            )
            self.events.append(event)
            self._events_by.setdefault((case_id, action, identity), []).append(event)
        if case_id is not None:
            for column, value in (("entry_no", event.entry_no), ("release_no", event.release_no)):
                if value:
                    self._numbered.setdefault((case_id, column, value), event)
        return event.id

    def _numbered_event(self, case_id: int | None, entry_no: str | None, release_no: str | None) -> _Event | None:
        if case_id is None:
            return None
        for column, value in (("entry_no", entry_no), ("release_no", release_no)):
            if value and (case_id, column, value) in self._numbered:
                return self._numbered[(case_id, column, value)]
        return None

    def _same_day_event(
        self, case_id: int | None, action: str, identity: str, day: date, entry_no: str | None, extraction: Extraction
    ) -> _Event | None:
        low, high = (day - timedelta(days=1)).isoformat(), (day + timedelta(days=1)).isoformat()
        candidates = [
            event
            for event in self._events_by.get((case_id, action, identity), [])
            if low <= event.day <= high
            and not (event.entry_no and entry_no and event.entry_no != entry_no)
            and not _other_release(event.release_no, extraction.release_no)
        ]
        candidates.sort(key=lambda event: event.detail != extraction.action_detail)
        return candidates[0] if candidates else None

    def write(self) -> None:
        """Write every row, then the full-text and related-case rows, in one transaction."""
        db = self.db
        created = now_iso()
        with write_transaction(db):
            db.conn.executemany(
                "INSERT INTO cases (id, caption, caption_key, agency, court, first_event_at, last_event_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (row.id, row.caption, row.caption_key, row.agency, row.court, row.first, row.last, created)
                    for row in self.cases.values()
                ),
            )
            db.conn.executemany(
                "INSERT INTO case_parties (case_id, role, name, name_key) VALUES (?, ?, ?, ?)",
                ((row.id, role, name, key) for row in self.cases.values() for (role, key), name in row.parties.items()),
            )
            db.conn.executemany(
                "INSERT INTO case_dockets (case_id, docket_key, docket_short, display, court) VALUES (?, ?, ?, ?, ?)",
                (
                    (row.id, key, short, display, court)
                    for row in self.cases.values()
                    for key, (short, display, court) in row.dockets.items()
                ),
            )
            db.conn.executemany(
                "INSERT INTO events (id, case_id, action, event_day, identity, routine, first_item_id, created_at, "
                "entry_no, release_no, action_detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        e.id,
                        e.case_id,
                        e.action,
                        e.day,
                        e.identity,
                        e.routine,
                        e.first_item_id,
                        created,
                        e.entry_no,
                        e.release_no,
                        e.detail,
                    )
                    for e in self.events
                ),
            )
            db.conn.executemany(
                INSERT_ITEM,
                self.items,
            )
            self._index_text()
            self._link_cases()

    def _index_text(self) -> None:
        db = self.db
        db.conn.executemany(
            "INSERT OR IGNORE INTO search_terms (term) VALUES (?)",
            ((word,) for row in self.cases.values() for _, key in row.parties for word in key.split()),
        )
        db.execute(
            "INSERT INTO case_search (rowid, parties, caption, dockets) SELECT cases.id, "
            f"(SELECT group_concat({search_text_sql('name')} || ' ' || name_key, ' | ') FROM case_parties "
            "WHERE case_id = cases.id), "
            f"coalesce({search_text_sql('caption')}, ''), "
            "(SELECT group_concat(display || ' ' || docket_key || ' ' || docket_short, ' ') FROM case_dockets "
            "WHERE case_id = cases.id) FROM cases"
        )
        db.execute(
            f"INSERT INTO item_search (rowid, title, summary) SELECT id, {FOLDED_TEXT} FROM items WHERE id >= ?",
            [self.first_item_id],
        )
        if loose_index_written_by_store(db):
            db.execute(
                f"INSERT INTO loose_item_search (rowid, title, summary) SELECT id, {FOLDED_TEXT} FROM items "
                "WHERE id >= ? AND case_id IS NULL",
                [self.first_item_id],
            )

    def _link_cases(self) -> None:
        """Cases that share a party other than a plaintiff, both ways (as :func:`storage.related.link_case`)."""
        self.db.register_function(linking_key, deterministic=True, replace=True)
        self.db.execute(
            "INSERT OR IGNORE INTO case_links (case_id, related_id) "
            "SELECT DISTINCT ours.case_id, theirs.case_id FROM case_parties AS ours "
            "JOIN case_parties AS theirs ON theirs.name_key = ours.name_key AND theirs.case_id != ours.case_id "
            "WHERE ours.role != 'plaintiff' AND theirs.role != 'plaintiff' AND linking_key(ours.name_key)"
        )


def _other_release(known: str | None, new: str | None) -> bool:
    return bool(known and new and known != new and known.split("-")[0] == new.split("-")[0])


@cache
def _name_key(name: str) -> str:
    return name_key(name)


def build(db: Database, items: int, seed: int = SEED) -> Generator:
    """Fill ``db`` (migrated, empty) with ``items`` generated items; returns the generator."""
    sync_catalog(db, list(FEEDS))
    generator = Generator(items, seed)
    writer = BulkWriter(db)
    for generated in generator.items():
        writer.add(generated)
    writer.write()
    return generator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="write a database of --items generated items here")
    parser.add_argument(
        "--feeds", type=Path, help="write the ingest and polling benchmarks' feed sets under this folder"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    if args.db is None and args.feeds is None:
        parser.error("give --db PATH (a database), --feeds DIR (feed sets), or both")
    if args.feeds is not None:
        for name, feeds in (("ingest", ingest_set(args.seed)), ("polling", polling_set(args.seed))):
            catalog = write_feed_set(feeds, args.feeds / name)
            print(f"{len(feeds):,} {name} feeds → {catalog}")
    if args.db is not None:
        write_database(args.db, args.items, args.seed, parser)


def write_database(path: Path, items: int, seed: int, parser: argparse.ArgumentParser) -> None:
    if path.exists():
        parser.error(f"{path} exists; give a new path")
    started = time.perf_counter()
    db = open_database(path)
    build(db, items, seed)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    elapsed = time.perf_counter() - started
    (cases,) = db.execute("SELECT count(*) FROM cases").fetchone()
    print(f"{items:,} items, {cases:,} cases in {elapsed:.0f} s ({items / elapsed:,.0f} items/s) → {path}")


if __name__ == "__main__":
    main()
