"""``python -m bot check``: is this deployment ready to go live?

Everything ``run`` will need, checked once without changing anything: every
setting (all problems at once), the Slack credentials against Slack itself
(``auth.test`` and the scopes it granted against manifest.json's; in Socket
Mode ``apps.connections.open`` with the app-level token; in OAuth mode the
client settings and the installation store), the database (opened read-only:
missing, not writable, made by a newer Casewatch, migrations pending) and every
catalog feed, fetched once. One line per finding (``ok:``, ``note:``, or
``problem:`` with its fix), then a summary line. No token or secret is ever
printed: a token is shown as ``xoxb-…`` and its last four characters.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlite_utils import Database

from bot.config import ConfigError, Settings, settings_from_env
from bot.oauth import BOT_SCOPES
from feeds.catalog import CatalogError, FeedSpec, load_catalog
from feeds.errors import FeedParseError, FetchError
from feeds.fetch import Fetcher, host_key
from feeds.parse import parse_feed
from feeds.vocabulary import FeedKind
from storage.engine import Connection

FEED_WORKERS = 8  # hosts fetched at once (feeds of one host one after the other, as polling does)
SCOPES_HEADER = "x-oauth-scopes"
_REINSTALL = "reinstall the app (OAuth & Permissions → Install to Workspace) and copy its new Bot User OAuth Token"
BOT_TOKEN_FIXES = {
    "invalid_auth": "copy the Bot User OAuth Token (xoxb-…) again from OAuth & Permissions into SLACK_BOT_TOKEN",
    "not_authed": "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into SLACK_BOT_TOKEN",
    "token_revoked": f"the token was revoked or the app uninstalled: {_REINSTALL}",
    "account_inactive": f"the bot user was deactivated or the app uninstalled: {_REINSTALL}",
    "token_expired": "token rotation is on, so a pasted token expires: turn rotation off, or install through OAuth",
}
APP_TOKEN_FIX = (
    "create an app-level token with the connections:write scope (Basic Information → App-Level Tokens) "
    "and put it in SLACK_APP_TOKEN"
)


class Findings:
    """What the check found, printed as it is found; counts the problems."""

    def __init__(self, out: TextIO):
        self.out = out
        self.problems = 0

    def ok(self, text: str) -> None:
        self._say("ok", text)

    def note(self, text: str) -> None:
        self._say("note", text)

    def problem(self, text: str) -> None:
        self.problems += 1
        self._say("problem", text)

    def _say(self, kind: str, text: str) -> None:
        print(f"{kind}: {text}", file=self.out, flush=True)


def masked(token: str) -> str:
    """A token as it may be shown: its kind (``xoxb-``) and its last four characters at most."""
    kind = token.split("-", 1)[0] + "-" if "-" in token[:6] else ""
    return f"{kind}…{token[-4:]}" if len(token) >= 16 else f"{kind}…"


def check(out: TextIO) -> int:
    """Run every check, print the findings and a summary; 0 if all is well, else 1."""
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)  # what it would log, a finding says (without a token)
    findings = Findings(out)
    try:
        settings = settings_from_env(need_slack=True, need_contact=True)
    except ConfigError as error:
        for problem in error.problems:
            findings.problem(f"setting {problem}")
        print(
            f"check: {_problems(findings.problems)} in the settings; fix them and run `python -m bot check` again "
            "(Slack, the database and the feeds are checked once the settings are right).",
            file=out,
        )
        return 1
    findings.ok(f"settings: every variable is valid ({_mode(settings)})")
    check_slack(settings, findings)
    set_aside = check_database(settings, findings)
    check_feeds(settings, set_aside, findings)
    if findings.problems:
        print(f"check: {_problems(findings.problems)}; fix them and run `python -m bot check` again.", file=out)
        return 1
    print("check: all is well: `python -m bot migrate`, then `python -m bot run`.", file=out)
    return 0


def _problems(count: int) -> str:
    return f"{count} problem{'s' if count != 1 else ''}"


def _mode(settings: Settings) -> str:
    if settings.oauth:
        return f"OAuth installs, HTTP on {settings.host}:{settings.port}"
    if settings.socket_mode:
        return "one workspace, Socket Mode"
    return f"one workspace, HTTP on {settings.host}:{settings.port}"


# --- Slack ----------------------------------------------------------------------------


def check_slack(settings: Settings, findings: Findings) -> None:
    if settings.oauth:
        findings.ok(
            "OAuth: SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET are set (Slack checks the client id "
            "and secret at the first install, /slack/install; the installations are checked with the database)"
        )
        return
    _check_bot_token(settings, findings)
    if settings.socket_mode:
        _check_app_token(settings, findings)
    else:
        findings.ok(
            "HTTP mode: SLACK_SIGNING_SECRET is set (only Slack's own requests can prove it: Event Subscriptions "
            "verifies the request URL once run serves it)"
        )


def _client(settings: Settings, token: str) -> WebClient:
    return WebClient(
        token=token, base_url=settings.slack_api_url, timeout=settings.slack_timeout_seconds, retry_handlers=[]
    )


def _refusal(error: SlackApiError) -> str:
    data = error.response.data
    return str(data.get("error", "unknown_error")) if isinstance(data, dict) else f"HTTP {error.response.status_code}"


def _unreachable(settings: Settings, error: Exception) -> str:
    return (
        f"Slack's Web API at {settings.slack_api_url} did not answer ({type(error).__name__}) — "
        "check the network (and SLACK_API_URL if set)"
    )


def _check_bot_token(settings: Settings, findings: Findings) -> None:
    shown = f"SLACK_BOT_TOKEN {masked(settings.slack_bot_token)}"
    try:
        answer = _client(settings, settings.slack_bot_token).auth_test()
    except SlackApiError as error:
        code = _refusal(error)
        fix = BOT_TOKEN_FIXES.get(code, "see https://api.slack.com/methods/auth.test for what it means")
        findings.problem(f"{shown}: Slack refuses it ({code}) — {fix}")
        return
    except (SlackClientError, OSError) as error:
        findings.problem(_unreachable(settings, error))
        return
    findings.ok(f"Slack: {shown} works in workspace {answer.get('team')} ({answer.get('team_id')})")
    headers = {name.lower(): value for name, value in answer.headers.items()}
    if SCOPES_HEADER not in headers:
        findings.note("Slack did not say which scopes the token has (no x-oauth-scopes header): scopes not checked")
        return
    granted = {scope.strip() for scope in headers[SCOPES_HEADER].split(",")}
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    for scope in missing:
        findings.problem(
            f"Slack: the bot token lacks the scope {scope} — add it under OAuth & Permissions → Bot Token Scopes "
            "(or paste manifest.json again), then reinstall the app"
        )
    if not missing:
        findings.ok(f"Slack: the token has all {len(BOT_SCOPES)} bot scopes of manifest.json")


def _check_app_token(settings: Settings, findings: Findings) -> None:
    shown = f"SLACK_APP_TOKEN {masked(settings.slack_app_token)}"
    try:
        _client(settings, settings.slack_app_token).apps_connections_open(app_token=settings.slack_app_token)
    except SlackApiError as error:
        findings.problem(f"{shown}: Slack refuses it ({_refusal(error)}) — {APP_TOKEN_FIX}")
        return
    except (SlackClientError, OSError) as error:
        findings.problem(_unreachable(settings, error))
        return
    findings.ok(f"Socket Mode: {shown} may open a connection (apps.connections.open answered; none was opened)")


# --- the database ---------------------------------------------------------------------


def check_database(settings: Settings, findings: Findings) -> set[str]:
    """Check the database ``run`` will use, reading only; returns the names of
    the feeds paused or removed in it with ``/feeds`` (not fetched)."""
    if settings.on_postgresql:
        return _check_postgresql(settings, findings)
    path = settings.db_path
    if not path.exists():
        folder = _nearest_existing(path.parent)
        if not os.access(folder, os.W_OK | os.X_OK):
            findings.problem(
                f"database: {path} does not exist and {folder} is not writable by this user, so it cannot be made — "
                "give this user the folder (chown), or set CASEWATCH_DB to a writable place"
            )
        else:
            findings.ok(f"database: {path} does not exist yet; `python -m bot migrate` (or run) creates it")
        if settings.oauth:
            findings.note("OAuth: no workspace has installed the app yet (none can before run serves /slack/install)")
        return set()
    if not (os.access(path, os.R_OK | os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)):
        findings.problem(
            f"database: {path} (or its folder, for the write-ahead log) is not writable by this user — "
            "give this user the file and its folder (chown), or set CASEWATCH_DB"
        )
        return set()
    try:
        db = Database(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))
    except sqlite3.Error as error:
        findings.problem(f"database: {path} cannot be opened ({error}) — is it a Casewatch database?")
        return set()
    try:
        return _check_schema(db, path, settings, findings)
    except sqlite3.DatabaseError as error:
        findings.problem(f"database: {path} cannot be read ({error}) — is it a Casewatch database?")
        return set()
    finally:
        db.close()


def _check_postgresql(settings: Settings, findings: Findings) -> set[str]:
    from storage.database import StorageUnavailable, connect_without_migrating
    from storage.engine import CollationRefused

    try:
        db = connect_without_migrating(settings.db_url)
    except (StorageUnavailable, CollationRefused) as error:
        findings.problem(f"database: {error} — check CASEWATCH_DB, the server and the user's rights")
        return set()
    try:
        return _check_schema(db, settings.db_shown, settings, findings)
    finally:
        db.close()


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _check_schema(db: Connection, path: Path | str, settings: Settings, findings: Findings) -> set[str]:
    from storage.feeds import set_aside_feed_names
    from storage.schema import migrations

    applied = migrations.applied(db)
    unknown = sorted(set(applied) - set(migrations.names))
    if unknown:
        findings.problem(
            f"database: {path} was made by a newer Casewatch (migration {', '.join(unknown)}) — upgrade Casewatch"
        )
        return set()
    if not applied:  # an empty PostgreSQL database, made for Casewatch but not yet by it
        findings.ok(f"database: {path} has no Casewatch tables yet; `python -m bot migrate` (or run) creates them")
        return set()
    pending = migrations.pending(db)
    if pending:
        findings.note(
            f"database: {path} has {len(pending)} migration{'s' if len(pending) != 1 else ''} pending "
            f"({pending[0]} …): `python -m bot migrate` applies them (run does too, at start)"
        )
        return set()
    findings.ok(f"database: {path} is up to date ({len(applied)} migrations)")
    if settings.oauth:
        _check_installations(db, settings, findings)
    return set_aside_feed_names(db)


def _check_installations(db: Connection, settings: Settings, findings: Findings) -> None:
    """OAuth: the workspaces in the installation store, and whether each install granted every scope."""
    from bot.installation_store import DatabaseInstallationStore

    store = DatabaseInstallationStore(lambda: db, client_id=settings.slack_client_id)
    found = (store.find_bot(enterprise_id=None, team_id=team) for team in store.installed_team_ids())
    bots = [bot for bot in found if bot is not None]
    if not bots:
        findings.note(
            "OAuth: no workspace has installed the app yet: send each team to https://YOUR-HOST/slack/install"
        )
        return
    for bot in bots:
        missing = [scope for scope in BOT_SCOPES if scope not in (bot.bot_scopes or [])]
        if missing:
            findings.problem(
                f"OAuth: workspace {bot.team_id} granted the app no {', '.join(missing)} — "
                "ask it to install again from /slack/install"
            )
    findings.ok(f"OAuth: {len(bots)} workspace{'s' if len(bots) != 1 else ''} installed in the installation store")


# --- the feeds ------------------------------------------------------------------------


def check_feeds(settings: Settings, set_aside: set[str], findings: Findings) -> None:
    """Fetch every enabled catalog feed once (not those paused or removed with
    ``/feeds``), hosts in parallel on a bounded pool, each fetch within the
    fetch deadline, and say which do not answer with a readable feed."""
    try:
        specs = load_catalog(settings.feeds_path)
    except CatalogError as error:
        findings.problem(f"feeds: {error} — fix the catalog (its format: feeds/catalog.py), or set CASEWATCH_FEEDS")
        return
    feeds = [spec for spec in specs if spec.enabled and spec.name not in set_aside]
    skipped = sum(spec.enabled and spec.name in set_aside for spec in specs)
    if skipped:
        findings.note(f"feeds: {skipped} paused or removed with /feeds, not fetched")
    fetcher = Fetcher(
        contact=settings.contact, allow_private=settings.allow_private_feeds, deadline=settings.fetch_deadline_seconds
    )
    failures = fetch_all(fetcher, feeds)
    for spec in feeds:
        if spec.name in failures:
            findings.problem(
                f"feed {spec.name}: {failures[spec.name]} from {spec.url} — check the URL in {settings.feeds_path} "
                f"or pause it with /feeds pause {spec.name}"
            )
    if not feeds:
        findings.note(f"feeds: no enabled feed in {settings.feeds_path}: nothing will be polled")
    elif len(failures) < len(feeds):
        findings.ok(f"feeds: {len(feeds) - len(failures)} of {len(feeds)} answer with a readable feed")


def fetch_all(fetcher: Fetcher, feeds: list[FeedSpec]) -> dict[str, str]:
    """Each feed that does not answer with a readable feed, by name, with why."""
    by_host: dict[str, list[FeedSpec]] = {}
    for spec in feeds:
        by_host.setdefault(host_key(spec.url), []).append(spec)

    def fetch_host(specs: list[FeedSpec]) -> dict[str, str]:
        return {spec.name: reason for spec in specs if (reason := feed_failure(fetcher, spec)) is not None}

    failures: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(FEED_WORKERS, len(by_host)))) as pool:
        for found in pool.map(fetch_host, by_host.values()):
            failures.update(found)
    return failures


def feed_failure(fetcher: Fetcher, spec: FeedSpec) -> str | None:
    """Why ``spec`` does not answer with a readable feed (None if it does)."""
    try:
        fetched = fetcher.fetch(spec.url)
        parse_feed(fetched.body, base_url=fetched.url, court_feed=spec.kind == FeedKind.COURT)
    except (FetchError, FeedParseError) as error:
        return str(error)
    return None
