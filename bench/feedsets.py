"""Deterministic feed sets for the ingest and polling benchmarks.

Everything comes from ``random.Random(seed)``, so a run repeats byte for byte:
realistic company and person names (``bench.parties``), the cases they are parties to (caption,
docket number, court), and feeds shaped like the real ones in
``tests/data/extraction/feeds/``: CM/ECF "recent entries" (court), SEC
litigation releases (with their ``LR-`` numbers) and agency press releases
(regulator). ``FeedHosts`` serves a feed set from a child process (so the
benchmark's own CPU time is the client's only), on several ports: several
hosts, as the poller sees them.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from bench.parties import party, unrelated_name

COURTS = (
    ("S.D.N.Y.", "nysd", "Southern District of New York"),
    ("E.D.N.Y.", "nyed", "Eastern District of New York"),
    ("D.D.C.", "dcd", "District of Columbia"),
    ("N.D. Ill.", "ilnd", "Northern District of Illinois"),
    ("N.D. Cal.", "cand", "Northern District of California"),
)
DOCKET_EVENTS = (
    ("Complaint", False),
    ("Notice of Appearance", True),
    ("Summons Issued", True),
    ("MOTION to Dismiss", False),
    ("ORDER granting in part and denying in part Motion to Dismiss", False),
    ("Civil Cover Sheet", True),
    ("Rule 7.1 Corporate Disclosure Statement", True),
    ("Letter", False),
    ("CONSENT JUDGMENT as to Defendant", False),
    ("Stipulation and ORDER of Settlement", False),
    ("MEMORANDUM OPINION AND ORDER", False),
    ("Scheduling Order", False),
)
CHARGES = (
    "offering fraud",
    "insider trading",
    "misappropriating investor funds",
    "operating an unregistered crypto asset exchange",
    "a Ponzi-like scheme",
    "accounting fraud",
    "market manipulation",
    "misleading investors about the risks of its platform",
)
FILLER = (
    "According to the complaint, the defendants raised money from hundreds of retail investors through a "
    "website and social media, promised guaranteed returns and used new investors' money to pay earlier ones. "
    "The complaint charges violations of the antifraud and registration provisions of the federal securities "
    "laws and seeks permanent injunctions, disgorgement with prejudgment interest and civil penalties."
)
BASE_DAY = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    number: int
    defendants: tuple[str, ...]
    docket: str
    court: tuple[str, str, str]
    agency: str

    @property
    def caption(self) -> str:
        plaintiff = (
            "Securities and Exchange Commission" if self.agency == "SEC" else "Commodity Futures Trading Commission"
        )
        more = " et al." if len(self.defendants) > 1 else ""
        return f"{plaintiff} v. {self.defendants[0]}{more}"

    @property
    def short_caption(self) -> str:
        more = " et al" if len(self.defendants) > 1 else ""
        return f"{self.agency} v. {self.defendants[0]}{more}"


def make_cases(rng: random.Random, count: int) -> list[Case]:
    cases = []
    for number in range(count):
        defendants = tuple(party(rng) for _ in range(rng.choice((1, 1, 1, 2, 3))))
        docket = f"1:{rng.randint(23, 26)}-cv-{rng.randint(1, 99999):05d}"
        cases.append(Case(number, defendants, docket, rng.choice(COURTS), rng.choice(("SEC", "SEC", "SEC", "CFTC"))))
    return cases


@dataclass
class Feed:
    """One feed of a set: where it is served and what the catalog says of it."""

    path: str
    name: str
    kind: str
    agency: str
    body: bytes
    items: int
    host: int = 0  # which of the set's servers serves it
    changing: bool = False  # (polling) serves new content at every generation
    extra: dict[str, object] = field(default_factory=dict)


def _rss(title: str, link: str, items: list[str], *, dc: bool = False) -> bytes:
    namespace = ' xmlns:dc="http://purl.org/dc/elements/1.1/"' if dc else ""
    head = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"{namespace}>\n<channel>\n'
        f"<title>{escape(title)}</title>\n<link>{escape(link)}</link>\n<description>{escape(title)}</description>\n"
    )
    return (head + "".join(items) + "</channel>\n</rss>\n").encode()


def _date(rng: random.Random) -> str:
    return format_datetime(BASE_DAY - timedelta(minutes=rng.randint(0, 60 * 24 * 20)))


def cmecf_item(rng: random.Random, case: Case, entry: int) -> str:
    event, _ = rng.choice(DOCKET_EVENTS)
    host = f"https://ecf.{case.court[1]}.uscourts.gov"
    case_no = 400000 + case.number
    link = f"{host}/cgi-bin/DktRpt.pl?{case_no}"
    document = f'(<a href="{host}/doc1/1271{case_no}{entry:04d}?caseid={case_no}&de_seq_num={entry * 2}" >{entry}</a>)'
    return (
        f"<item>\n<title>{escape(case.docket + ' ' + case.short_caption)}</title>\n<link>{escape(link)}</link>\n"
        f"<description>{escape(f'[{event}] {document}')}</description>\n"
        f'<guid isPermaLink="true">{escape(f"{link}&{entry * 2}")}</guid>\n<pubDate>{_date(rng)}</pubDate>\n</item>\n'
    )


def litigation_release(rng: random.Random, case: Case, number: int) -> str:
    names = ", ".join(case.defendants) + (", et al." if len(case.defendants) > 1 else "")
    penalty = f"${rng.randint(1, 950):,},{rng.randint(0, 999):03d},000"
    summary = (
        f"The Securities and Exchange Commission today announced that it filed charges against {names} for "
        f"{rng.choice(CHARGES)}. {FILLER} {case.caption}, Civil Action No. {case.docket} ({case.court[0]}). "
        f"The defendants agreed to pay a civil penalty of {penalty}."
    )
    return (
        f"<item>\n<title>{escape(names)}</title>\n<link>https://www.sec.gov/node/{960000 + number}</link>\n"
        f"<description>{escape(summary)}</description>\n<pubDate>{_date(rng)}</pubDate>\n"
        f"<dc:creator>LR-{26000 + number}</dc:creator>\n"
        f'<guid isPermaLink="true">https://www.sec.gov/litigation/lr-{26000 + number}</guid>\n</item>\n'
    )


def press_release(rng: random.Random, case: Case, number: int) -> str:
    agency = case.agency
    title = f"{agency} Charges {case.defendants[0]} with {rng.choice(CHARGES).capitalize()}"
    summary = (
        f"Washington, D.C. — The {agency} today charged {' and '.join(case.defendants)} with "
        f"{rng.choice(CHARGES)}. {FILLER} The case, {case.caption}, was filed in the United States District Court "
        f"for the {case.court[2]}, Case No. {case.docket}."
    )
    return (
        f"<item>\n<title>{escape(title)}</title>\n<link>https://www.sec.gov/newsroom/press-releases/2026-{number}</link>\n"
        f"<description>{escape(summary)}</description>\n<pubDate>{_date(rng)}</pubDate>\n"
        f"<guid>https://www.sec.gov/newsroom/press-releases/2026-{number}</guid>\n</item>\n"
    )


def ingest_set(seed: int = 20261125, *, items: int = 10_000, per_feed: int = 250, hosts: int = 4) -> list[Feed]:
    """``items`` items in feeds of ``per_feed``: half CM/ECF entries, a quarter
    litigation releases, a quarter press releases, all about a few thousand
    cases (so items group into cases and events)."""
    rng = random.Random(seed)
    cases = make_cases(rng, max(1, items // 5))
    feeds: list[Feed] = []
    made = 0
    while made < items:
        count = min(per_feed, items - made)
        position = len(feeds)
        shape = ("court", "court", "releases", "press")[position % 4]
        if shape == "court":
            court = COURTS[position % len(COURTS)]
            own = [case for case in cases if case.court == court] or cases
            body = _rss(
                f"{court[2]} - Recent Entries",
                f"https://ecf.{court[1]}.uscourts.gov",
                [cmecf_item(rng, rng.choice(own), made + n) for n in range(count)],
            )
            feed = Feed(f"/feeds/{position}.xml", f"PACER {court[0]} {position}", "court", court[0], body, count)
        elif shape == "releases":
            body = _rss(
                "Litigation Releases",
                "https://www.sec.gov/",
                [litigation_release(rng, rng.choice(cases), made + n) for n in range(count)],
                dc=True,
            )
            feed = Feed(f"/feeds/{position}.xml", f"SEC litigation {position}", "regulator", "SEC", body, count)
        else:
            body = _rss(
                "Press Releases",
                "https://www.sec.gov/newsroom",
                [press_release(rng, rng.choice(cases), made + n) for n in range(count)],
            )
            feed = Feed(f"/feeds/{position}.xml", f"Press releases {position}", "regulator", "SEC", body, count)
        feed.host = position % hosts
        feed.extra["cases"] = cases
        feeds.append(feed)
        made += count
    return feeds


def watch_terms(seed: int, feeds: list[Feed], count: int = 10_000, *, watched_share: float = 0.03) -> list[str]:
    """``count`` watch terms: realistic names nobody is charged with, about
    ``watched_share`` of them parties of the set's cases (those alert), and a
    fiftieth docket numbers of its cases."""
    rng = random.Random(seed + 1)
    cases: list[Case] = feeds[0].extra["cases"] if feeds else []  # type: ignore[assignment]
    parties = sorted({name for case in cases for name in case.defendants})
    terms: dict[str, None] = {}
    dockets = max(1, count // 50)
    while len(terms) < dockets and cases:
        terms.setdefault(rng.choice(cases).docket)
    watched = int(count * watched_share)
    while len(terms) < dockets + watched and parties:
        terms.setdefault(rng.choice(parties))
    while len(terms) < count:
        terms.setdefault(unrelated_name(rng))
    return list(terms)


def polling_set(
    seed: int = 20261125, *, feeds: int = 500, per_feed: int = 5, changing_share: float = 0.1, hosts: int = 8
) -> list[Feed]:
    """``feeds`` small feeds of ``per_feed`` releases; ``changing_share`` of them
    bring one new release at every generation, the others answer 304 to a
    conditional GET."""
    rng = random.Random(seed)
    cases = make_cases(rng, 200)
    made = []
    for position in range(feeds):
        body = _rss(
            "Press Releases",
            "https://www.sec.gov/newsroom",
            [press_release(rng, rng.choice(cases), position * 100 + n) for n in range(per_feed)],
        )
        feed = Feed(
            f"/feeds/{position}.xml", f"Feed {position}", "regulator", "SEC", body, per_feed, host=position % hosts
        )
        feed.changing = rng.random() < changing_share
        feed.extra["seed"] = rng.randrange(1 << 30)
        made.append(feed)
    return made


def changed_body(feed: Feed, generation: int) -> bytes:
    """A changing feed's body at ``generation``: one new release on top each time."""
    rng = random.Random(int(feed.extra.get("seed", 0)) + generation)
    case = make_cases(rng, 1)[0]
    items = [press_release(rng, case, 1_000_000 + generation * 1000 + int(feed.path.split("/")[-1].split(".")[0]))]
    text = feed.body.decode()
    cut = text.index("<item>")
    return (text[:cut] + "".join(items) + text[cut:]).encode()


def write_feed_set(feeds: list[Feed], directory: Path) -> Path:
    """Write ``feeds`` under ``directory`` (their paths) with a catalog naming
    each as ``{base}/<path>``; returns the catalog (for ``python -m bench.generate --feeds DIR``)."""
    lines = []
    for feed in feeds:
        target = directory / feed.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(feed.body)
        lines.append(
            f'[[feed]]\nname = "{feed.name}"\nurl = "{{base}}{feed.path}"\nagency = "{feed.agency}"\nkind = "{feed.kind}"\n'
        )
    catalog = directory / "catalog.toml"
    catalog.write_text("\n".join(lines))
    return catalog


# --- serving ------------------------------------------------------------------


def _serve(feeds: list[Feed], ports: multiprocessing.Queue, hosts: int, stop: multiprocessing.Event) -> None:
    generation = [0]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/_generation/"):
                generation[0] = int(self.path.rsplit("/", 1)[1])
                self._answer(200, {}, b"ok")
                return
            feed = routes.get((self.server.server_address[1], self.path))
            if feed is None:
                self._answer(404, {}, b"")
                return
            tag = f'"{generation[0] if feed.changing else 0}"'
            if self.headers.get("If-None-Match") == tag:
                self._answer(304, {"ETag": tag}, b"")
                return
            body = changed_body(feed, generation[0]) if feed.changing and generation[0] else feed.body
            self._answer(200, {"ETag": tag, "Content-Type": "application/rss+xml"}, body)

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(hosts)]
    routes = {(servers[feed.host].server_address[1], feed.path): feed for feed in feeds}
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ports.put([server.server_address[1] for server in servers])
    stop.wait()


@dataclass
class FeedHosts:
    """The running servers of a feed set: each feed's URL, and the generation switch."""

    ports: list[int]
    urls: dict[str, str]

    def set_generation(self, generation: int) -> None:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[0]}/_generation/{generation}") as answer:
            answer.read()


@contextmanager
def serving(feeds: list[Feed]) -> Iterator[FeedHosts]:
    """Serve ``feeds`` from a child process on one port per host."""
    context = multiprocessing.get_context("spawn")
    ports_queue = context.Queue()
    stop = context.Event()
    hosts = max(feed.host for feed in feeds) + 1
    process = context.Process(target=_serve, args=(feeds, ports_queue, hosts, stop), daemon=True)
    process.start()
    try:
        ports = ports_queue.get(timeout=60)
        yield FeedHosts(ports, {feed.path: f"http://127.0.0.1:{ports[feed.host]}{feed.path}" for feed in feeds})
    finally:
        stop.set()
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()


def acme_releases(count: int) -> str:
    """An RSS feed of ``count`` SEC litigation releases, one per Acme Widgets company
    (a case each, all matched by a watch on "acme"), newest first."""
    items = "".join(
        f"<item><title>SEC Charges Acme Widgets {n} Inc. with Fraud</title><guid>lr-{n}</guid>"
        f"<link>https://www.sec.gov/litigation/lr-{n}</link>"
        f"<description>Securities and Exchange Commission v. Acme Widgets {n} Inc., "
        f"Civil Action No. 1:26-cv-{n:05d} (S.D.N.Y.)</description></item>"
        for n in range(count, 0, -1)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>SEC litigation</title>{items}</channel></rss>"
