"""The ``python -m bot`` command line: demo, poll, case, extract, run, feeds, digest, audit, migrate, check, backup, copy-db."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import (
    ENVIRONMENT,
    ConfigError,
    EnvVar,
    environment_of,
    load_dotenv_file,
    logging_from_env,
    settings_from_env,
)
from bot.logs import configure as configure_logging
from feeds.catalog import CatalogError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.progress import PollProgress
    from storage.engine import Connection

DEMO_HINT = "To try Casewatch without Slack, run: python -m bot demo"


class MissingDatabase(Exception):
    """A read-only command was pointed at a database file that does not exist,
    or at a PostgreSQL database without Casewatch's tables."""

    def __init__(self, path: Path | str, named_by: str = "CASEWATCH_DB", *, tables_only: bool = False) -> None:
        missing, create = (
            ("no Casewatch tables in", "Create them with `python -m bot migrate`, ")
            if tables_only
            else ("no database at", "Create it with ")
        )
        super().__init__(
            f"casewatch: {missing} {path} ({named_by} names it). {create}"
            "`python -m bot poll --once` (fetches every feed once) or `python -m bot run`. " + DEMO_HINT
        )


def existing_database(path: Path, named_by: str = "CASEWATCH_DB") -> Path:
    """``path`` if the database exists: a read-only command never creates one."""
    if not path.is_file():
        raise MissingDatabase(path, named_by)
    return path


def open_existing(settings: Settings) -> Connection:
    """The database of a command that only reads it, never made by it
    (:class:`MissingDatabase`): a SQLite file must exist; a PostgreSQL database
    must hold Casewatch's tables (made by ``migrate``, ``poll --once`` or ``run``)."""
    from storage.database import open_database

    if settings.on_postgresql:
        _require_tables(settings)
        return open_database(settings.db_url, busy_timeout_ms=settings.busy_timeout_ms)
    return open_database(existing_database(settings.db_path))


def _require_tables(settings: Settings) -> None:
    from storage.database import connect_without_migrating, schema_version
    from storage.engine import describe

    db = connect_without_migrating(settings.db_url, busy_timeout_ms=settings.busy_timeout_ms)
    try:
        if schema_version(db) == 0:
            raise MissingDatabase(describe(settings.db_url), tables_only=True)
    finally:
        db.close()


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
    from bot.read_workers import start_read_workers
    from feeds.catalog import load_catalog
    from feeds.fetch import Fetcher
    from feeds.types import count
    from storage.adopt import set_news_window
    from storage.database import StorageUnavailable, ThreadDatabases
    from storage.feeds import enabled_feeds, sync_catalog

    settings = settings_from_env(need_contact=True)
    set_news_window(settings.news_window_days)
    readers = start_read_workers(settings)  # before any connection opens
    try:
        databases = ThreadDatabases(settings.db_url, busy_timeout_ms=settings.busy_timeout_ms)
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
        with showing_progress(len(feeds)) as progress:
            outcomes = poll_feeds(databases, fetcher, feeds, default_matcher(), watcher=progress, readers=readers)
    finally:
        if readers is not None:
            readers.close()
    failed = sum(outcome.status == "error" for outcome in outcomes)
    new = sum(outcome.new_items for outcome in outcomes)
    print(f"{count(len(outcomes), 'feed')} polled: {count(new, 'new item')}, {failed} failed.")
    return 1 if failed == len(outcomes) else 0


@contextlib.contextmanager
def showing_progress(total: int) -> Iterator[PollProgress]:
    """A round's progress (see :mod:`bot.progress`): each outcome printed as
    its feed is done, where it says a failure, so the log's line for that
    failure is dropped; on a terminal, log lines go above the progress line."""
    from bot.ingest import FEED_FAILED
    from bot.progress import DropRecords, PollProgress, ProgressLogHandler

    root = logging.getLogger()
    progress = PollProgress(total, sys.stdout, sys.stderr)
    handlers = root.handlers[:]
    failures = DropRecords(FEED_FAILED)
    logging.getLogger("bot.ingest").addFilter(failures)
    if progress.live:
        above = ProgressLogHandler(progress, handlers[0].formatter if handlers else None)
        above.filters = handlers[0].filters[:] if handlers else []  # the secrets' mask (bot.logs)
        root.handlers = [above]
    try:
        yield progress
    finally:
        progress.close()
        root.handlers = handlers
        logging.getLogger("bot.ingest").removeFilter(failures)


def _case(args: argparse.Namespace) -> int:
    from handlers.case_answer import plain_answer
    from storage.search import search_cases

    settings = settings_from_env()
    db = open_existing(settings)
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
        path = existing_database(args.db, named_by="--db")
        db = Database(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))
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
    from bot.malloc_arenas import use_one_malloc_arena
    from bot.read_workers import start_read_workers

    settings = settings_from_env(need_slack=True, need_contact=True)
    use_one_malloc_arena()  # before any thread starts
    # Started before run imports the rest (Slack, storage, the server): the workers share only feeds/.
    readers = start_read_workers(settings)
    try:
        from bot.server import run

        run(settings, readers)
    finally:
        if readers is not None:  # run closes them once it has started; not if it failed to start
            readers.close(wait=False)
    return 0


def _feeds(args: argparse.Namespace) -> int:
    from feeds.catalog import load_catalog
    from feeds.fetch import Fetcher
    from feeds.probe import NotAFeed, probe
    from feeds.types import count
    from handlers.feeds_answer import feed_statuses, plain_feed_list
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
            print(f"ok: {count(len(found.items), 'item')}, “{found.title}”")
        print(f"{len(specs) - failed} of {len(specs)} feeds answer with a readable feed.")
        return 1 if failed else 0
    settings = settings_from_env()
    db = open_existing(settings)
    sync_catalog(db, load_catalog(settings.feeds_path))
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")  # no-color.org
    print(plain_feed_list(feed_statuses(db), colour=colour))
    return 0


def _digest(args: argparse.Namespace) -> int:
    from bot.app import sender_client, web_client
    from bot.oauth import installed_workspaces
    from bot.sender import AlertSender
    from bot.slack_poster import WebApiPoster
    from feeds.vocabulary import WatchMode
    from storage.database import ThreadDatabases

    settings = settings_from_env(need_slack=True, serves_slack=False)
    databases = ThreadDatabases(settings.db_url, busy_timeout_ms=settings.busy_timeout_ms)
    slack = (
        installed_workspaces(
            settings, databases.get, web_client(settings), lambda token: sender_client(settings, token)
        )
        if settings.oauth
        else WebApiPoster(sender_client(settings))
    )
    sender = AlertSender(databases, slack)
    period = WatchMode.WEEKLY if args.weekly else WatchMode.DAILY
    posted = sender.send_digests((period,), period=period)
    print(f"{posted} {period} digest{'s' if posted != 1 else ''} posted.")
    return 0


def _audit(args: argparse.Namespace) -> int:
    import csv

    from storage.audit import AUDIT_COLUMNS, audit_rows

    settings = settings_from_env()
    db = open_existing(settings)
    opened = open(args.output, "w", newline="", encoding="utf-8") if args.output else contextlib.nullcontext(sys.stdout)  # noqa: SIM115
    with opened as output:
        writer = csv.writer(output)
        writer.writerow(AUDIT_COLUMNS)
        writer.writerows(audit_rows(db, args.team))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from storage.database import migrate

    settings = settings_from_env()
    applied = migrate(settings.db_url, busy_timeout_ms=settings.busy_timeout_ms)
    if not applied:
        print(f"{settings.db_shown}: up to date.")
        return 0
    for name in applied:
        print(f"applied {name}")
    print(f"{settings.db_shown}: {len(applied)} migration{'s' if len(applied) != 1 else ''} applied.")
    return 0


def _check(args: argparse.Namespace) -> int:
    from bot.check import check

    return check(sys.stdout)


PG_DUMP_HINT = "backup copies a SQLite database; on PostgreSQL use pg_dump, e.g. pg_dump --format=custom --file=casewatch.dump DBNAME"


def _backup(args: argparse.Namespace) -> int:
    from bot.backup import BackupRefused, backup_sqlite

    settings = settings_from_env()
    if settings.on_postgresql:
        print(f"casewatch: {PG_DUMP_HINT}", file=sys.stderr)
        return 2
    source = existing_database(settings.db_path)
    try:
        result = backup_sqlite(source, args.file, force=args.force, progress=_page_progress())
    except BackupRefused as refusal:
        print(f"casewatch: {refusal}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0


def _page_progress() -> Callable[[int, int], None] | None:
    """On a terminal, the pages copied so far on one stderr line; else nothing."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\rcopied {done:,} of {total:,} pages", end="\n" if done >= total else "", file=sys.stderr, flush=True)

    return show


def _copy_db(args: argparse.Namespace) -> int:
    from storage.copy import CopyRefused, copy_database
    from storage.engine import describe

    started = time.monotonic()
    print(f"copying {describe(args.source)} into {describe(args.destination)}", flush=True)
    try:
        result = copy_database(args.source, args.destination)
    except CopyRefused as refusal:
        print(f"casewatch: {refusal}", file=sys.stderr)
        return 1
    for table, rows in result.rows.items():
        print(f"  {table}: {rows:,} row{'s' if rows != 1 else ''}")
    for table, why in result.left_out.items():
        print(f"  {table}: left out ({why})")
    total = sum(result.rows.values())
    print(
        f"copied {total:,} rows in {time.monotonic() - started:.1f} s; the full-text index is built. "
        f"Set CASEWATCH_DB to {describe(args.destination)} and start `run`."
    )
    return 0


# Each command: its one-line summary (in ``--help``) and its description (in ``<command> --help``).
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "offline demo on bundled sample feeds (no Slack needed)",
        "Serve the bundled sample feeds from 127.0.0.1, poll them through the real pipeline into a fresh database "
        "in your temporary directory (never your own), and print the answer to /case QUERY.",
    ),
    "poll": (
        "fetch every enabled feed once and store what is new",
        "Fetch every enabled feed of the catalog once, store what is new and queue its alerts (sent by `run`), "
        "printing one line per feed as soon as it is done. On a terminal, progress (feeds done of total, the feed being fetched) shows on "
        "stderr. Exits 1 only if every feed failed.",
    ),
    "case": (
        "print the answer to /case QUERY",
        "Print the answer to /case QUERY as plain text: the best matching cases (a name, or a docket number in any "
        "form) with their status, events and sources. Reads the database only.",
    ),
    "extract": (
        "print what Casewatch reads from each item of a feed file or URL, one JSON line per item",
        "Print what Casewatch reads from each item of a feed (dockets, court, caption, parties, kind of action, "
        "amounts), one JSON line per item, through the same code as polling; with --db, the case each item would "
        "join. Answers 'why did this item not alert?'.",
    ),
    "run": (
        "serve Slack (HTTP or Socket Mode) and poll on a schedule",
        "Serve Slack's requests (Socket Mode when SLACK_APP_TOKEN is set, else HTTP on HOST:PORT at /slack/events), "
        "poll every feed on its schedule, deliver alerts and post digests, until stopped.",
    ),
    "feeds": (
        "list the feeds with their health; `feeds check` tests every catalog URL",
        "List every feed with its health (ok, pending, failing since …, quiet since …, paused), items stored, last "
        "success and next poll (on a terminal each health in its colour, pending and paused grey; NO_COLOR=1 "
        "turns colours off); `feeds check` fetches every catalog URL once and says which answer with a readable "
        "feed (exits 1 if any does not).",
    ),
    "digest": (
        "post the pending daily (or --weekly) digests now",
        "Post the pending daily (or weekly) digests to Slack now, instead of waiting for run's digest time.",
    ),
    "migrate": (
        "apply the database's pending migrations now",
        "Create the database if need be and apply its pending migrations (on PostgreSQL one process at a time), "
        "printing each one applied, or that it is up to date. Every other command refuses a database made by a "
        "newer Casewatch.",
    ),
    "copy-db": (
        "copy a SQLite database into an empty PostgreSQL database",
        "Copy everything the SQLite database SRC holds (a path; it may be in use: a consistent snapshot is read, "
        "and SRC is never written) into the empty PostgreSQL database DST (a postgresql:// URL), in one "
        "transaction, and build its full-text index. Exits 1 if DST already holds data.",
    ),
    "audit": (
        "export the audit trail as CSV",
        "Export the audit trail (watches added, changed and removed; feeds changed; alerts delivered) as CSV. Reads "
        "the database only.",
    ),
    "check": (
        "check the settings, Slack, the database and every feed before going live",
        "Check what run needs, changing nothing: every setting (all problems at once), the Slack token with "
        "auth.test and its scopes against manifest.json's (Socket Mode: the app-level token; OAuth: the client "
        "settings and the installations), the database (read only: missing, writable, migrations pending) and "
        "every catalog feed, fetched once. One line per problem with its fix, then a summary; exits 0 only when "
        "all is well, 1 on problems. Never prints a token or a secret.",
    ),
    "backup": (
        "copy the live SQLite database to FILE, consistently, while run goes on",
        "Copy the SQLite database to FILE with SQLite's online backup API while `run` goes on writing: the copy is "
        "the database at one instant, checked with PRAGMA integrity_check before it is named FILE. Refuses to "
        "replace an existing FILE without --force. On PostgreSQL, use pg_dump.",
    ),
}
HELP_WIDTH = 100
ENVIRONMENT_HEADING = "environment (or a .env file in the working directory; variables already set win):"


def environment_help(variables: list[EnvVar]) -> str:
    """The help's list of environment variables: one per line, its meaning and default."""
    if not variables:
        return "environment: none read."
    width = max(len(variable.name) for variable in variables)
    lines = [ENVIRONMENT_HEADING]
    for variable in variables:
        default = f" (default: {variable.default})" if variable.default else ""
        lines += textwrap.wrap(
            f"{variable.meaning}{default}",
            width=HELP_WIDTH,
            initial_indent=f"  {variable.name:<{width}}  ",
            subsequent_indent=" " * (width + 4),
        )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=textwrap.fill(
            "Casewatch: regulator and court actions in Slack. Try it offline with `python -m bot demo`; "
            "`python -m bot COMMAND --help` describes a command and the environment variables it reads.",
            HELP_WIDTH,
        ),
        epilog=environment_help(list(ENVIRONMENT)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="one of:")
    parsers = {
        name: commands.add_parser(
            name,
            help=summary,
            description=textwrap.fill(description, HELP_WIDTH),
            epilog=environment_help(environment_of(name)),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for name, (summary, description) in COMMANDS.items()
    }
    parsers["demo"].add_argument("--query", default="binance", help="what to look up afterwards (default: binance)")
    parsers["poll"].add_argument("--once", action="store_true", required=True, help="poll each feed once, then exit")
    parsers["case"].add_argument("query", nargs="+", help='a name (binance, "Changpeng Zhao") or a docket number')
    extract = parsers["extract"]
    extract.add_argument("source", metavar="FILE_OR_URL", help="a feed file, or an http(s) URL to fetch")
    extract.add_argument("--url", help="the address the file was published at (the court can come from the host)")
    extract.add_argument("--kind", choices=["court", "regulator", "news"], help="default: guessed from the URL")
    extract.add_argument("--agency", help="the feed's agency as in the catalog (default: guessed from the URL)")
    extract.add_argument("--db", type=Path, help="show the case each item would join in this database (read only)")
    parsers["feeds"].add_argument(
        "action", nargs="?", choices=["list", "check"], default="list", help="list (the default) or check"
    )
    parsers["digest"].add_argument("--weekly", action="store_true", help="the weekly digests instead of the daily ones")
    parsers["audit"].add_argument("--team", help="only this workspace (team id)")
    parsers["audit"].add_argument("--output", help="write to this file instead of standard output")
    parsers["backup"].add_argument("file", metavar="FILE", type=Path, help="where to write the copy")
    parsers["backup"].add_argument("--force", action="store_true", help="replace FILE if it exists")
    parsers["copy-db"].add_argument("source", metavar="SRC", help="the SQLite database file (or sqlite:///path)")
    parsers["copy-db"].add_argument("destination", metavar="DST", help="postgresql://user:password@host/database")
    handlers = {
        "demo": _demo,
        "poll": _poll,
        "case": _case,
        "extract": _extract,
        "run": _run,
        "feeds": _feeds,
        "digest": _digest,
        "audit": _audit,
        "migrate": _migrate,
        "check": _check,
        "backup": _backup,
        "copy-db": _copy_db,
    }
    for name, handler in handlers.items():
        parsers[name].set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. A reader that stops early (``… | head -2``) ends it
    quietly, with the status of a process stopped by SIGPIPE, as other
    command-line tools end: stdout is flushed here, inside the ``try``, not
    at interpreter exit where the failed write would print a traceback."""
    try:
        try:
            return _command(argv)
        finally:
            sys.stdout.flush()  # also after --help (argparse exits with SystemExit)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush cannot fail again
        return 128 + signal.SIGPIPE


def _command(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)

    load_dotenv_file()
    try:
        configure_logging(*logging_from_env(), os.environ)
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
    except MissingDatabase as error:
        print(error, file=sys.stderr)
        return 1
    except Exception as error:
        refusal = database_refusal(error)
        if refusal is None:
            raise
        print(f"casewatch: {refusal}", file=sys.stderr)
        return 1


def database_refusal(error: Exception) -> str | None:
    """One line for a database this Casewatch cannot use (made by a newer one, not
    sorted by code point, unreachable), the password never in it; None for a bug."""
    from storage.database import StorageUnavailable
    from storage.engine import CollationRefused
    from storage.migrator import DatabaseTooNew

    if isinstance(error, DatabaseTooNew | CollationRefused | StorageUnavailable):
        return str(error)
    return None


if __name__ == "__main__":
    sys.exit(main())
