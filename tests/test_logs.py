"""Logs as an operator reads them: `run` as a subprocess, its stderr captured
whole, in text and in JSON (CASEWATCH_LOG_FORMAT), at a chosen level, and
never with a token or a secret in it."""

from __future__ import annotations

import io
import json
import logging
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.logs import TEXT_FORMAT, JsonFormatter, SecretMask, secrets_in
from tests.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FeedServer,
    SlackApi,
    bot_env,
    post_event,
    post_slack,
    run_bot,
    slack_bot_env,
    slash_command,
    write_catalog,
)
from tests.pg import opened
from tests.test_alerts_e2e import SEC_COMPLAINT, rss
from tests.test_shutdown import Output


def output_of(process: subprocess.Popen) -> str:
    """Everything the bot wrote, once SIGTERM has stopped it."""
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return output


def json_lines(output: str) -> list[dict]:
    """Each line as a JSON object (failing on the first line that is not one)."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines
    parsed = []
    for line in lines:
        entry = json.loads(line)
        assert isinstance(entry, dict) and {"time", "level", "logger", "message"} <= entry.keys(), line
        parsed.append(entry)
    return parsed


def feed_id(db_path: Path, name: str) -> int:
    with opened(db_path) as db:
        return db.execute("SELECT id FROM feeds WHERE name = ?", [name]).fetchone()[0]


@pytest.fixture
def catalog(tmp_path: Path, feed_server: FeedServer) -> Path:
    feed_server.serve("/sec.xml", rss("https://www.sec.gov/"))
    feed_server.serve("/broken.xml", "down for maintenance", status=503)
    return write_catalog(
        tmp_path / "feeds.toml",
        [
            ("SEC press releases", f"{feed_server.base}/sec.xml", "regulator"),
            ("Broken feed", f"{feed_server.base}/broken.xml", "regulator"),
        ],
    )


def test_json_logs_are_one_object_per_line_with_the_feed_id_of_a_failure_and_the_alert_of_a_send(
    tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable, catalog: Path
) -> None:
    env = slack_bot_env(
        tmp_path, slack_api, catalog, CASEWATCH_LOG_FORMAT="json", CASEWATCH_POST_INTERVAL_SECONDS="0.05"
    )
    events = start_bot(env) + "/slack/events"
    assert feed_server.wait_for_request("/broken.xml")
    watch = post_slack(events, slash_command("/watch", "binance", channel_id="C0042"))
    assert watch.status == 200 and "now watches" in watch.json()["text"]
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0  # the feed's backlog alerts no one
    feed_server.serve("/sec.xml", rss("https://www.sec.gov/", SEC_COMPLAINT))
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    assert slack_api.wait_for(lambda: len(slack_api.posts("C0042")) == 1, timeout=10)
    alert_id = slack_api.posts("C0042")[0]["metadata"]["event_payload"]["alert_id"]

    entries = json_lines(output_of(start_bot.processes[-1]))  # type: ignore[attr-defined]

    broken = feed_id(tmp_path / "casewatch.db", "Broken feed")
    failures = [e for e in entries if e.get("feed_id") == broken and e["level"] == "WARNING"]
    assert failures and "'Broken feed' failed: HTTP 503" in failures[0]["message"], entries
    sends = [e for e in entries if e.get("alert_id") == alert_id]
    assert sends, entries
    assert sends[0]["channel_id"] == "C0042" and sends[0]["team_id"] == "T0001"
    assert sends[0]["message"].startswith(f"alert {alert_id} posted to C0042")
    assert any(e["level"] == "INFO" and e["logger"] == "bot.server" for e in entries)


def test_log_level_warning_drops_the_info_lines(
    tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable, catalog: Path
) -> None:
    env = slack_bot_env(tmp_path, slack_api, catalog, CASEWATCH_LOG_FORMAT="json", CASEWATCH_LOG_LEVEL="warning")
    start_bot(env)
    assert feed_server.wait_for_request("/broken.xml")
    broken = feed_id(tmp_path / "casewatch.db", "Broken feed")
    assert slack_api.wait_for(lambda: bool(slack_api.calls_of("auth.test")))
    entries = json_lines(output_of(start_bot.processes[-1]))  # type: ignore[attr-defined]
    assert [e for e in entries if e["level"] in ("DEBUG", "INFO")] == []
    assert any(e.get("feed_id") == broken for e in entries), entries


APP_TOKEN = "xapp-1-A0001-test-app-token"
# A broken proxy in front of Slack answers with a page echoing what it was sent (slack_sdk quotes its first 100 characters).
ECHOING_PROXY_PAGE = "<p>502 Bad Gateway: {secret} {token}</p>"


def secrets_absent(output: str) -> None:
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET):
        assert secret not in output and secret.partition("-")[2] not in output, secret


@pytest.mark.parametrize("form", ["text", "json"])
@pytest.mark.reliability("Slack's answers echo the bot token and signing secret, logged at DEBUG", kind="abuse")
def test_no_token_or_secret_reaches_the_debug_log(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, catalog: Path, form: str
) -> None:
    env = slack_bot_env(tmp_path, slack_api, catalog, CASEWATCH_LOG_FORMAT=form, CASEWATCH_LOG_LEVEL="DEBUG")
    slack_api.fail("views.publish", 502, ECHOING_PROXY_PAGE.format(token=BOT_TOKEN, secret=SIGNING_SECRET))
    events = start_bot(env) + "/slack/events"
    assert post_event(events, {"type": "app_home_opened", "user": "U0001", "tab": "home"}).status == 200
    process = start_bot.processes[-1]  # type: ignore[attr-defined]
    lines = Output(process)
    lines.wait_for("502 Bad Gateway")  # the failed views.publish is logged (by a Bolt thread)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    output = lines.whole()

    secrets_absent(output)
    assert "502 Bad Gateway: *** xoxb-***" in output, output  # the echoed page was logged, masked
    if form == "json":
        json_lines(output)


@pytest.mark.parametrize("form", ["text", "json"])
@pytest.mark.reliability(
    "Slack's answer echoes the app token and signing secret into a crash's traceback", kind="abuse"
)
def test_no_token_or_secret_reaches_the_log_in_a_traceback(tmp_path: Path, slack_api: SlackApi, form: str) -> None:
    env = bot_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api.url,
        CASEWATCH_LOG_FORMAT=form,
    )
    slack_api.fail("apps.connections.open", 502, ECHOING_PROXY_PAGE.format(token=APP_TOKEN, secret=SIGNING_SECRET))

    crashed = run_bot(["run"], env, cwd=tmp_path, timeout=60)  # Socket Mode cannot connect: run stops

    assert crashed.returncode == 1
    output = crashed.stdout + crashed.stderr
    secrets_absent(output)
    if form == "json":
        (crash,) = [entry for entry in json_lines(crashed.stderr) if "exception" in entry]
        traceback = crash["exception"]
    else:
        traceback = crashed.stderr[crashed.stderr.index("Traceback") :]
    assert "SlackApiError" in traceback and "502 Bad Gateway: *** xapp-***" in traceback, output


def test_a_bad_log_level_or_format_is_one_line_with_an_example(tmp_path: Path) -> None:
    level = run_bot(["case", "binance"], bot_env(tmp_path, CASEWATCH_LOG_LEVEL="LOUD"), cwd=tmp_path)
    assert level.returncode == 2
    assert level.stderr == (
        "casewatch: CASEWATCH_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, "
        "e.g. CASEWATCH_LOG_LEVEL=WARNING (got 'LOUD')\n"
    )
    form = run_bot(["feeds"], bot_env(tmp_path, CASEWATCH_LOG_FORMAT="xml"), cwd=tmp_path)
    assert form.returncode == 2
    assert (
        form.stderr
        == "casewatch: CASEWATCH_LOG_FORMAT must be text or json, e.g. CASEWATCH_LOG_FORMAT=json (got 'xml')\n"
    )


@pytest.mark.parametrize("form", ["text", "json"])
def test_the_mask_hides_database_passwords_and_client_secrets_in_messages_and_tracebacks(form: str) -> None:
    env = {
        "CASEWATCH_DB": "postgresql://casewatch:p%40ss-w0rd!@db.example.org/casewatch",
        "PGPASSWORD": "libpq-secret-77",
        "SLACK_CLIENT_SECRET": "client-secret-0123456789",
    }
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(SecretMask(secrets_in(env), env["CASEWATCH_DB"]))
    logger = logging.getLogger("tests.secrets")
    logger.addHandler(handler)
    try:
        logger.warning("connecting as casewatch:%s failed", "p@ss-w0rd!")
        try:
            raise RuntimeError("password=libpq-secret-77 refused; client_secret=client-secret-0123456789 xoxp-12-34-ab")
        except RuntimeError:
            logger.exception("OAuth exchange failed")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    for secret in ("p@ss-w0rd!", "p%40ss-w0rd!", "libpq-secret-77", "client-secret-0123456789", "12-34-ab"):
        assert secret not in written, secret
    assert "connecting as casewatch:*** failed" in written and "password=*** refused" in written
    assert "client_secret=*** xoxp-***" in written and "RuntimeError" in written
