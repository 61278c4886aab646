"""The ``python -m bot`` command line: demo, poll, case, extract, run."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

from bot.config import ConfigError, load_dotenv_file, settings_from_env
from feeds.catalog import CatalogError

DEMO_HINT = "To try Casewatch without Slack, run: python -m bot demo"


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import DEMO_DB, run_demo

    outcomes, answer = run_demo(args.query)
    print("Polled the bundled sample feeds (served from 127.0.0.1):")
    for outcome in outcomes:
        print(f"  {outcome.summary()}")
    print(f"\n/case {args.query}\n")
    print(answer)
    print(f"\nDemo database: {DEMO_DB}")
    python = os.path.relpath(sys.executable) if not os.path.relpath(sys.executable).startswith("..") else "python"
    print(f'Ask it more: CASEWATCH_DB="{DEMO_DB}" {python} -m bot case consensys')
    return 0


def _poll(args: argparse.Namespace) -> int:
    from bot.ingest import default_matcher, poll_feeds
    from feeds.catalog import load_catalog
    from feeds.fetch import Fetcher
    from storage.adopt import set_news_window
    from storage.database import StorageUnavailable, ThreadDatabases
    from storage.feeds import enabled_feeds, sync_catalog

    settings = settings_from_env(need_contact=True)
    set_news_window(settings.news_window_days)
    databases = ThreadDatabases(settings.db_path, busy_timeout_ms=settings.busy_timeout_ms)
    db = databases.get()
    specs = load_catalog(settings.feeds_path)
    try:
        sync_catalog(db, specs)
    except StorageUnavailable as error:
        print(f"casewatch: could not update the feeds from the catalog ({error}); polling the feeds known")
    feeds = enabled_feeds(db)
    if not feeds:
        print(f"No enabled feeds in {settings.feeds_path}.", file=sys.stderr)
        return 1
    fetcher = Fetcher(
        contact=settings.contact,
        allow_private=settings.allow_private_feeds,
        deadline=settings.fetch_deadline_seconds,
    )
    outcomes = poll_feeds(databases, fetcher, feeds, default_matcher())
    for outcome in outcomes:
        print(outcome.summary())
    failed = sum(outcome.status == "error" for outcome in outcomes)
    new = sum(outcome.new_items for outcome in outcomes)
    print(f"{len(outcomes)} feeds polled: {new} new items, {failed} failed.")
    return 1 if failed == len(outcomes) else 0


def _case(args: argparse.Namespace) -> int:
    from handlers.case_answer import plain_answer
    from storage.database import open_database
    from storage.search import search_cases

    settings = settings_from_env()
    if not settings.db_path.exists():
        print(
            f"No database at {settings.db_path} yet: run `python -m bot poll --once` first "
            "(or set CASEWATCH_DB). " + DEMO_HINT,
            file=sys.stderr,
        )
        return 1
    db = open_database(settings.db_path)
    print(plain_answer(search_cases(db, " ".join(args.query))))
    return 0


def _extract(args: argparse.Namespace) -> int:
    import json
    import sqlite3

    from sqlite_utils import Database

    from feeds.fetch import Fetcher, FetchError
    from feeds.parse import FeedParseError
    from feeds.record import FeedSource, extraction_record, read_feed
    from feeds.sources import classify
    from storage.cases import case_to_join

    if args.source.startswith(("http://", "https://")):
        settings = settings_from_env(need_contact=True)
        fetcher = Fetcher(
            contact=settings.contact,
            allow_private=settings.allow_private_feeds,
            deadline=settings.fetch_deadline_seconds,
        )
        try:
            fetched = fetcher.fetch(args.source)
        except FetchError as error:
            print(f"casewatch: could not fetch {args.source}: {error}", file=sys.stderr)
            return 1
        body, url = fetched.body, args.url or fetched.url
    else:
        path = Path(args.source)
        if not path.is_file():
            print(f"casewatch: no such file: {path}", file=sys.stderr)
            return 1
        body, url = path.read_bytes(), args.url or path.resolve().as_uri()
    kind, agency = classify(url)
    source = FeedSource(url, args.kind or kind, args.agency or agency)
    db = None
    if args.db:
        if not args.db.is_file():
            print(f"casewatch: no database at {args.db}", file=sys.stderr)
            return 1
        db = Database(sqlite3.connect(f"{args.db.resolve().as_uri()}?mode=ro", uri=True))
    try:
        read = read_feed(body, source)
    except FeedParseError as error:
        print(f"casewatch: {error}", file=sys.stderr)
        return 1
    for item in read:
        case = case_to_join(db, item.extraction) if item.extraction and db is not None else None
        print(json.dumps(extraction_record(item, case=case), ensure_ascii=False))
    return 0


def _run(args: argparse.Namespace) -> int:
    from bot.server import run

    settings = settings_from_env(need_slack=True, need_contact=True)
    run(settings)
    return 0


def _feeds(args: argparse.Namespace) -> int:
    from feeds.catalog import load_catalog
    from feeds.fetch import Fetcher
    from feeds.probe import NotAFeed, probe
    from handlers.feeds_answer import feed_statuses, plain_feed_list
    from storage.database import open_database
    from storage.feeds import sync_catalog

    if args.action == "check":
        settings = settings_from_env(need_contact=True)
        specs = load_catalog(settings.feeds_path)
        fetcher = Fetcher(
            contact=settings.contact,
            allow_private=settings.allow_private_feeds,
            deadline=settings.fetch_deadline_seconds,
        )
        failed = 0
        for position, spec in enumerate(specs, 1):
            print(f"[{position}/{len(specs)}] {spec.name} … ", end="", flush=True)
            try:
                found = probe(fetcher, spec.url)
            except NotAFeed as error:
                failed += 1
                print(f"FAILS: {error}")
                continue
            print(f"ok: {len(found.items)} items, “{found.title}”")
        print(f"{len(specs) - failed} of {len(specs)} feeds answer with a readable feed.")
        return 1 if failed else 0
    settings = settings_from_env()
    db = open_database(settings.db_path)
    sync_catalog(db, load_catalog(settings.feeds_path))
    print(plain_feed_list(feed_statuses(db)))
    return 0


def _digest(args: argparse.Namespace) -> int:
    from bot.app import sender_client, web_client
    from bot.oauth import installed_workspaces
    from bot.sender import AlertSender
    from bot.slack_poster import WebApiPoster
    from feeds.vocabulary import WatchMode
    from storage.database import ThreadDatabases

    settings = settings_from_env(need_slack=True)
    slack = (
        installed_workspaces(settings, web_client(settings), lambda token: sender_client(settings, token))
        if settings.oauth
        else WebApiPoster(sender_client(settings))
    )
    sender = AlertSender(ThreadDatabases(settings.db_path, busy_timeout_ms=settings.busy_timeout_ms), slack)
    period = WatchMode.WEEKLY if args.weekly else WatchMode.DAILY
    posted = sender.send_digests((period,), period=period)
    print(f"{posted} {period} digest{'s' if posted != 1 else ''} posted.")
    return 0


def _audit(args: argparse.Namespace) -> int:
    import csv

    from storage.audit import AUDIT_COLUMNS, audit_rows
    from storage.database import open_database

    settings = settings_from_env()
    if not settings.db_path.exists():
        print(f"No database at {settings.db_path}.", file=sys.stderr)
        return 1
    db = open_database(settings.db_path)
    opened = open(args.output, "w", newline="", encoding="utf-8") if args.output else contextlib.nullcontext(sys.stdout)  # noqa: SIM115
    with opened as output:
        writer = csv.writer(output)
        writer.writerow(AUDIT_COLUMNS)
        writer.writerows(audit_rows(db, args.team))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Casewatch: regulator and court actions in Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="offline demo on bundled sample feeds (no Slack needed)")
    demo.add_argument("--query", default="binance", help="what to look up afterwards (default: binance)")
    demo.set_defaults(handler=_demo)
    poll = commands.add_parser("poll", help="fetch every enabled feed and store what is new")
    poll.add_argument("--once", action="store_true", required=True, help="poll each feed once, then exit")
    poll.set_defaults(handler=_poll)
    case = commands.add_parser("case", help="print the answer to /case QUERY")
    case.add_argument("query", nargs="+")
    case.set_defaults(handler=_case)
    extract = commands.add_parser(
        "extract", help="print what Casewatch reads from each item of a feed file or URL, one JSON line per item"
    )
    extract.add_argument("source", metavar="FILE_OR_URL")
    extract.add_argument("--url", help="the address the file was published at (the court can come from the host)")
    extract.add_argument("--kind", choices=["court", "regulator", "news"], help="default: guessed from the URL")
    extract.add_argument("--agency", help="the feed's agency as in the catalog (default: guessed from the URL)")
    extract.add_argument("--db", type=Path, help="show the case each item would join in this database (read only)")
    extract.set_defaults(handler=_extract)
    run = commands.add_parser("run", help="serve Slack (HTTP or Socket Mode) and poll on a schedule")
    run.set_defaults(handler=_run)
    feeds = commands.add_parser("feeds", help="list the feeds with their health; `feeds check` tests every catalog URL")
    feeds.add_argument("action", nargs="?", choices=["list", "check"], default="list")
    feeds.set_defaults(handler=_feeds)
    digest = commands.add_parser("digest", help="post the pending daily (or --weekly) digests now")
    digest.add_argument("--weekly", action="store_true", help="the weekly digests instead of the daily ones")
    digest.set_defaults(handler=_digest)
    audit = commands.add_parser("audit", help="export the audit trail as CSV")
    audit.add_argument("--team", help="only this workspace (team id)")
    audit.add_argument("--output", help="write to this file instead of standard output")
    audit.set_defaults(handler=_audit)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    load_dotenv_file()
    try:
        return args.handler(args)
    except ConfigError as error:
        for problem in error.problems:
            print(f"casewatch: {problem}", file=sys.stderr)
        if args.command == "run":
            print(DEMO_HINT, file=sys.stderr)
        return 2
    except CatalogError as error:
        print(f"casewatch: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (`… | head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush cannot fail again
        return 1


if __name__ == "__main__":
    sys.exit(main())
