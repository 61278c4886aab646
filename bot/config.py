"""Settings from environment variables (and a ``.env`` file if present).

Every problem is reported at start, one clear line per setting, never with a
secret's value in it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv

from feeds.catalog import BUNDLED_CATALOG
from storage.engine import POSTGRESQL, SQLITE, describe, parse_url

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class EnvVar:
    """One environment variable :func:`settings_from_env` reads: its default as
    users see it, what it means (one line of ``--help``), and the commands of
    ``python -m bot`` that read it. The help of each command is made from
    :data:`ENVIRONMENT`, so it lists what the command reads."""

    name: str
    default: str
    meaning: str
    commands: tuple[str, ...]


_EVERY_COMMAND = ("demo", "poll", "case", "extract", "run", "feeds", "digest", "audit", "migrate", "backup", "copy-db")
_FETCHING = ("poll", "extract", "run", "feeds")  # the commands that fetch feeds (extract: a URL; feeds: check)
ENVIRONMENT: tuple[EnvVar, ...] = (
    EnvVar("SLACK_BOT_TOKEN", "", "bot token xoxb-…", ("run", "digest")),
    EnvVar("SLACK_SIGNING_SECRET", "", "verifies Slack's HTTP requests (HTTP mode)", ("run",)),
    EnvVar("SLACK_APP_TOKEN", "", "app-level token xapp-…: run uses Socket Mode", ("run",)),
    EnvVar(
        "SLACK_CLIENT_ID", "", "the app's client id: with the secret, run installs through OAuth", ("run", "digest")
    ),
    EnvVar("SLACK_CLIENT_SECRET", "", "the app's client secret (OAuth)", ("run", "digest")),
    EnvVar("SLACK_REDIRECT_URI", "", "the OAuth redirect URL, if the app lists more than one", ("run", "digest")),
    EnvVar("SLACK_API_URL", DEFAULT_SLACK_API_URL, "base URL of Slack's Web API", ("run", "digest")),
    EnvVar(
        "CASEWATCH_DB",
        "./casewatch.db",
        "the database: a SQLite file (a path or sqlite:///path) or postgresql://user:pass@host/db",
        ("poll", "case", "run", "feeds", "digest", "audit", "migrate", "backup"),
    ),
    EnvVar("CASEWATCH_FEEDS", "the bundled feeds/catalog.toml", "the feed catalog", ("poll", "run", "feeds")),
    EnvVar("CASEWATCH_CONTACT", "", "e-mail address in the User-Agent (the SEC refuses anonymous clients)", _FETCHING),
    EnvVar("CASEWATCH_ALLOW_PRIVATE_FEEDS", "0", "1 allows feed URLs on loopback or private addresses", _FETCHING),
    EnvVar("CASEWATCH_FETCH_DEADLINE_SECONDS", "60", "the most one fetch of a feed may take", _FETCHING),
    EnvVar(
        "CASEWATCH_BUSY_TIMEOUT_SECONDS",
        "10",
        "how long a write waits for another process's lock",
        ("poll", "run", "digest", "migrate"),
    ),
    EnvVar(
        "CASEWATCH_NEWS_WINDOW_DAYS",
        "30",
        "how long before its case a news story may be dated to join it",
        ("poll", "run"),
    ),
    EnvVar(
        "CASEWATCH_READ_WORKERS",
        "1 on two cores or more, else 0",
        "worker processes that parse and extract feeds while run stores (0: in run; 1 costs ~13 MB)",
        ("poll", "run"),
    ),
    EnvVar(
        "CASEWATCH_READ_TIMEOUT_SECONDS",
        "60",
        "the most a worker may take to read one feed: then it is stopped and the feed fails",
        ("poll", "run"),
    ),
    EnvVar("HOST", "127.0.0.1", "where run listens (in Socket Mode: on METRICS_PORT)", ("run",)),
    EnvVar("PORT", "3000", "the port run listens on in HTTP mode", ("run",)),
    EnvVar(
        "METRICS_PORT", "", "Socket Mode: the port (on HOST) serving /healthz and /metrics; none if empty", ("run",)
    ),
    EnvVar("CASEWATCH_DIGEST_TIME", "09:00", "when daily digests are posted (weekly: Mondays)", ("run",)),
    EnvVar("CASEWATCH_TIMEZONE", "UTC", "the time zone of the digest time", ("run",)),
    EnvVar("CASEWATCH_STALE_SEND_SECONDS", "60", "a send or edit claimed this long ago is presumed crashed", ("run",)),
    EnvVar("CASEWATCH_SLACK_TIMEOUT_SECONDS", "10", "how long the alert sender waits for Slack", ("run", "digest")),
    EnvVar("CASEWATCH_POST_INTERVAL_SECONDS", "1", "the least time between two alerts to one channel", ("run",)),
    EnvVar("CASEWATCH_AUTH_CHECK_SECONDS", "300", "how often the sender checks the bot token", ("run",)),
    EnvVar("CASEWATCH_ADMINS", "", "comma-separated Slack user ids allowed to change feeds", ("run",)),
    EnvVar("CASEWATCH_LEASE_SECONDS", "30", "the polling lease between two run processes", ("run",)),
    EnvVar("CASEWATCH_CASE_CACHE", "128", "how many recent /case answers run keeps", ("run",)),
    EnvVar("CASEWATCH_NEWS_SEARCH_URL", "", "a news search feed URL with {query}, to follow watched names", ("run",)),
    EnvVar("CASEWATCH_LOG_LEVEL", "INFO", "the least level logged: DEBUG, INFO, WARNING or ERROR", _EVERY_COMMAND),
    EnvVar("CASEWATCH_LOG_FORMAT", "text", "text, or json for one JSON object per line", _EVERY_COMMAND),
    EnvVar(
        "CASEWATCH_SHUTDOWN_SECONDS",
        "20",
        "on SIGTERM, how long run waits for the polls and sends under way",
        ("run",),
    ),
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")


READS_EVERY_VARIABLE = "check"  # python -m bot check validates every setting


def environment_of(command: str) -> list[EnvVar]:
    """The variables ``command`` reads, in :data:`ENVIRONMENT`'s order."""
    return [variable for variable in ENVIRONMENT if command in variable.commands or command == READS_EVERY_VARIABLE]


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    db_url: str  # a SQLite path or ``sqlite:///path``, or a ``postgresql://`` URL (storage.engine.parse_url)
    feeds_path: Path
    contact: str
    allow_private_feeds: bool
    host: str
    port: int
    slack_bot_token: str
    slack_signing_secret: str
    slack_app_token: str
    slack_api_url: str
    digest_hour: int = 9
    digest_minute: int = 0
    timezone: str = "UTC"
    stale_send_seconds: int = 60
    lease_seconds: int = 30
    admins: frozenset[str] = frozenset()
    news_search_url: str = ""
    slack_timeout_seconds: float = 10.0
    post_interval_seconds: float = 1.0
    auth_check_seconds: float = 300.0
    fetch_deadline_seconds: float = 60.0
    busy_timeout_seconds: float = 10.0
    case_cache_answers: int = 128
    news_window_days: int = 30
    read_workers: int = 0  # from the environment: default_read_workers()
    read_timeout_seconds: float = 60.0
    slack_client_id: str = ""
    slack_client_secret: str = ""
    slack_redirect_uri: str = ""
    log_level: str = "INFO"
    log_format: str = "text"
    shutdown_seconds: float = 20.0
    metrics_port: int = 0  # 0: none (Socket Mode); HTTP mode serves /metrics on PORT

    @property
    def on_postgresql(self) -> bool:
        return parse_url(self.db_url).engine == POSTGRESQL

    @property
    def db_path(self) -> Path:
        """The SQLite file, for what only SQLite can hold (slack_sdk's OAuth stores)."""
        url = parse_url(self.db_url)
        if url.engine != SQLITE:
            raise ValueError(f"{describe(self.db_url)} is not a SQLite file")
        return Path(url.target)

    @property
    def db_shown(self) -> str:
        """The database as people may see it: a PostgreSQL password masked."""
        return describe(self.db_url)

    @property
    def busy_timeout_ms(self) -> int:
        return round(self.busy_timeout_seconds * 1000)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def oauth(self) -> bool:
        """Installed from an "Add to Slack" link in any number of workspaces
        (a token per workspace) rather than with one ``SLACK_BOT_TOKEN``."""
        return bool(self.slack_client_id and self.slack_client_secret)


def load_dotenv_file() -> None:
    """Read ``./.env`` into the environment without overriding what is set."""
    load_dotenv(Path.cwd() / ".env", override=False)


def logging_from_env(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``CASEWATCH_LOG_LEVEL`` and ``CASEWATCH_LOG_FORMAT``: read before any
    other setting, as every command logs; a bad value is a :class:`ConfigError`."""
    env = os.environ if env is None else env
    problems: list[str] = []
    level = env.get("CASEWATCH_LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        problems.append(
            f"CASEWATCH_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, e.g. CASEWATCH_LOG_LEVEL=WARNING "
            f"(got {env.get('CASEWATCH_LOG_LEVEL', '').strip()!r})"
        )
        level = "INFO"
    form = env.get("CASEWATCH_LOG_FORMAT", "").strip().lower() or "text"
    if form not in LOG_FORMATS:
        problems.append(
            f"CASEWATCH_LOG_FORMAT must be text or json, e.g. CASEWATCH_LOG_FORMAT=json "
            f"(got {env.get('CASEWATCH_LOG_FORMAT', '').strip()!r})"
        )
    if problems:
        raise ConfigError(problems)
    return level, form


def default_read_workers() -> int:
    """One feed-reading worker where this process may use two cores or more
    (on ``bench.ingest``, 0.99–1.07× feedparser's speed instead of 0.71–0.77×,
    for ~13 MB counting shared pages once: :mod:`bot.read_workers`); none on
    one core, where a worker would only add the cost of handing items over;
    none on Windows, where a worker cannot inherit its socket."""
    if os.name != "posix":
        return 0
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may run on (a container's share)
    except AttributeError:  # macOS
        cores = os.cpu_count() or 1
    return 1 if cores >= 2 else 0


def settings_from_env(
    env: Mapping[str, str] | None = None,
    *,
    need_slack: bool = False,
    need_contact: bool = False,
    serves_slack: bool = True,
) -> Settings:
    """The settings in ``env`` (the process's environment by default), every
    problem reported at once as a :class:`ConfigError`. ``need_slack``: the
    command talks to Slack; ``serves_slack=False``: it only posts (``digest``),
    so it needs a token but no signing secret or app token."""
    env = os.environ if env is None else env
    problems: list[str] = []
    try:
        log_level, log_format = logging_from_env(env)
    except ConfigError as error:
        problems += error.problems
        log_level, log_format = "INFO", "text"

    def seconds(name: str, default: float, low: float, high: float) -> float:
        text = env.get(name, "").strip()
        if not text:
            return default
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not low <= value <= high:  # also refuses nan
            problems.append(f"{name} must be a number of seconds from {low:g} to {high:g} (got {text!r})")
            return default
        return value

    def count(name: str, default: int, low: int, high: int) -> int:
        text = env.get(name, "").strip()
        if not text:
            return default
        if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
            problems.append(f"{name} must be a whole number from {low} to {high} (got {text!r})")
            return default
        return int(text)

    def flag(name: str) -> bool:
        value = env.get(name, "").strip().lower()
        if value in TRUE_WORDS:
            return True
        if value not in FALSE_WORDS:
            problems.append(f"{name} must be 1 or 0 (got {value!r})")
        return False

    port_text = env.get("PORT", "3000").strip()
    port = int(port_text) if port_text.isdigit() else 0
    if not 0 < port < 65536:
        problems.append(f"PORT must be a TCP port number from 1 to 65535 (got {port_text!r})")

    metrics_port = count("METRICS_PORT", 0, 1, 65535)

    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    if urlsplit(api_url).scheme not in ("http", "https") or not urlsplit(api_url).netloc:
        problems.append(f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_SLACK_API_URL}")
    api_url = api_url.rstrip("/") + "/"

    feeds_path = Path(env.get("CASEWATCH_FEEDS", "").strip() or BUNDLED_CATALOG)
    if not feeds_path.is_file():
        problems.append(f"CASEWATCH_FEEDS names no readable file: {feeds_path}")

    contact = env.get("CASEWATCH_CONTACT", "").strip()
    if need_contact and "@" not in contact:
        problems.append(
            "CASEWATCH_CONTACT must be an e-mail address for the User-Agent "
            "(the SEC refuses anonymous clients), e.g. CASEWATCH_CONTACT=compliance@example.com"
        )

    bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
    signing_secret = env.get("SLACK_SIGNING_SECRET", "").strip()
    app_token = env.get("SLACK_APP_TOKEN", "").strip()
    client_id = env.get("SLACK_CLIENT_ID", "").strip()
    client_secret = env.get("SLACK_CLIENT_SECRET", "").strip()
    redirect_uri = env.get("SLACK_REDIRECT_URI", "").strip()
    if need_slack:
        problems += _slack_problems(bot_token, signing_secret, app_token, client_id, client_secret, serves_slack)
    db_url = env.get("CASEWATCH_DB", "").strip() or "casewatch.db"
    try:
        parse_url(db_url)
    except ValueError as error:
        problems.append(f"CASEWATCH_DB: {error}")
        db_url = "casewatch.db"
    if redirect_uri and not redirect_uri.startswith("https://"):
        problems.append("SLACK_REDIRECT_URI must be an https URL ending in /slack/oauth_redirect")

    digest_text = env.get("CASEWATCH_DIGEST_TIME", "").strip() or "09:00"
    digest_parts = digest_text.split(":")
    digest_hour = digest_minute = -1
    if len(digest_parts) == 2 and all(part.isdigit() for part in digest_parts):
        digest_hour, digest_minute = int(digest_parts[0]), int(digest_parts[1])
    if not (0 <= digest_hour < 24 and 0 <= digest_minute < 60):
        problems.append(f"CASEWATCH_DIGEST_TIME must be HH:MM on a 24-hour clock, e.g. 09:00 (got {digest_text!r})")
    timezone = env.get("CASEWATCH_TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"CASEWATCH_TIMEZONE must be a time zone name such as America/New_York (got {timezone!r})")
    admins = frozenset(part.strip() for part in env.get("CASEWATCH_ADMINS", "").split(",") if part.strip())
    news_search_url = env.get("CASEWATCH_NEWS_SEARCH_URL", "").strip()
    if news_search_url and (
        "{query}" not in news_search_url or not news_search_url.startswith(("http://", "https://"))
    ):
        problems.append("CASEWATCH_NEWS_SEARCH_URL must be an http(s) URL containing {query}")

    slack_timeout = seconds("CASEWATCH_SLACK_TIMEOUT_SECONDS", 10.0, 0.1, 120)
    post_interval = seconds("CASEWATCH_POST_INTERVAL_SECONDS", 1.0, 0, 60)
    auth_check = seconds("CASEWATCH_AUTH_CHECK_SECONDS", 300.0, 1, 86_400)

    settings = Settings(
        db_url=db_url,
        feeds_path=feeds_path,
        contact=contact,
        allow_private_feeds=flag("CASEWATCH_ALLOW_PRIVATE_FEEDS"),
        host=env.get("HOST", "").strip() or "127.0.0.1",
        port=port,
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=api_url,
        digest_hour=max(digest_hour, 0),
        digest_minute=max(digest_minute, 0),
        timezone=timezone,
        stale_send_seconds=count("CASEWATCH_STALE_SEND_SECONDS", 60, 0, 86_400),
        lease_seconds=count("CASEWATCH_LEASE_SECONDS", 30, 3, 600),
        admins=admins,
        news_search_url=news_search_url,
        slack_timeout_seconds=slack_timeout,
        post_interval_seconds=post_interval,
        auth_check_seconds=auth_check,
        fetch_deadline_seconds=seconds("CASEWATCH_FETCH_DEADLINE_SECONDS", 60.0, 0.5, 3600),
        busy_timeout_seconds=seconds("CASEWATCH_BUSY_TIMEOUT_SECONDS", 10.0, 0.05, 600),
        case_cache_answers=count("CASEWATCH_CASE_CACHE", 128, 0, 100_000),
        news_window_days=count("CASEWATCH_NEWS_WINDOW_DAYS", 30, 0, 3650),
        read_workers=count("CASEWATCH_READ_WORKERS", default_read_workers(), 0, 16),
        read_timeout_seconds=seconds("CASEWATCH_READ_TIMEOUT_SECONDS", 60.0, 0.1, 3600),
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_redirect_uri=redirect_uri,
        log_level=log_level,
        log_format=log_format,
        shutdown_seconds=seconds("CASEWATCH_SHUTDOWN_SECONDS", 20.0, 0, 600),
        metrics_port=metrics_port,
    )
    if problems:
        raise ConfigError(problems)
    return settings


def _slack_problems(
    bot_token: str, signing_secret: str, app_token: str, client_id: str, client_secret: str, serves_slack: bool
) -> list[str]:
    """What keeps ``run`` from serving Slack: one bot token (single workspace),
    or the OAuth app's client id and secret (any workspace, HTTP only); a
    command that only posts needs no signing secret."""
    problems: list[str] = []
    if client_id or client_secret:
        if not (client_id and client_secret):
            missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
            problems.append(f"{missing} is not set (Basic Information → App Credentials; OAuth needs both)")
        if app_token:
            problems.append("SLACK_APP_TOKEN cannot be used with OAuth (SLACK_CLIENT_ID): installs need HTTP mode")
        if bot_token:
            problems.append("SLACK_BOT_TOKEN must not be set with SLACK_CLIENT_ID: OAuth keeps a token per workspace")
        if serves_slack and not signing_secret:
            problems.append("SLACK_SIGNING_SECRET is not set (Basic Information → Signing Secret)")
        return problems
    if not bot_token:
        problems.append(
            "SLACK_BOT_TOKEN is not set (the app's Bot User OAuth Token, xoxb-…; "
            "or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install from an Add to Slack link)"
        )
    elif not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    if serves_slack and not signing_secret and not app_token:
        problems.append("SLACK_SIGNING_SECRET is not set (Basic Information → Signing Secret)")
    if app_token and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp- (for Socket Mode)")
    return problems
