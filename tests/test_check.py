"""``python -m bot check``, run as an operator would before going live: against
the Slack Web API stand-in (the real slack_sdk client) and real feed servers."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.installation_store import DatabaseInstallationStore
from feeds.catalog import load_catalog
from storage.database import connect_without_migrating, open_database, schema_version
from storage.feeds import change_feed, listed_feeds, sync_catalog
from storage.schema import migrations
from tests.conftest import (
    BOT_TOKEN,
    INVALID_TOKEN,
    SIGNING_SECRET,
    FeedServer,
    SlackApi,
    free_port,
    run_bot,
    slack_bot_env,
    write_catalog,
)
from tests.pg import running_on_postgres

SECRETS = (BOT_TOKEN, INVALID_TOKEN, SIGNING_SECRET, "xapp-1-A0001-socket-secret-9876", "oauth-client-secret-4321")


def check(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m bot check``; its output never holds a token or a secret."""
    result = run_bot(["check"], env, cwd=cwd, timeout=60)
    printed = result.stdout + result.stderr
    assert [secret for secret in SECRETS if secret in printed] == [], printed
    assert result.stderr == ""  # findings only, on stdout: no log line or traceback beside them
    return result


def problems(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("problem: ")]


def two_good_feeds(tmp_path: Path, feed_server: FeedServer, *more: tuple[str, str, str]) -> Path:
    return write_catalog(
        tmp_path / "feeds.toml",
        [
            ("SEC LR", feed_server.serve_file("/sec.xml", "sec/litigation_releases_2024-06-part.xml"), "regulator"),
            ("SDNY", feed_server.serve_file("/sdny.xml", "pacer/sdny_1.xml"), "court"),
            *more,
        ],
    )


def test_check_passes_when_all_is_well(tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer) -> None:
    env = slack_bot_env(tmp_path, slack_api, two_good_feeds(tmp_path, feed_server))
    result = check(env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert problems(result) == []
    assert "ok: Slack: SLACK_BOT_TOKEN xoxb-… works in workspace Test (T0001)" in lines  # short: not even its end
    assert "ok: Slack: the token has all 7 bot scopes of manifest.json" in lines
    not_yet = "has no Casewatch tables yet" if running_on_postgres() else "does not exist yet"
    assert any(line.startswith("ok: database: ") and not_yet in line for line in lines)
    assert "ok: feeds: 2 of 2 answer with a readable feed" in lines
    assert lines[-1].startswith("check: all is well")
    if running_on_postgres():  # checking changes nothing
        assert schema_version_of(env["CASEWATCH_DB"]) == 0
    else:
        assert not (tmp_path / "casewatch.db").exists()
    assert feed_server.count("/sec.xml") == 1 and feed_server.count("/sdny.xml") == 1


@pytest.mark.reliability("a bot token Slack does not accept, checked before going live", kind="slack fault")
def test_check_names_a_bad_token_and_its_fix(tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer) -> None:
    env = slack_bot_env(tmp_path, slack_api, two_good_feeds(tmp_path, feed_server), SLACK_BOT_TOKEN=INVALID_TOKEN)
    result = check(env, tmp_path)
    assert result.returncode == 1
    assert problems(result) == [
        "problem: SLACK_BOT_TOKEN xoxb-…0000: Slack refuses it (invalid_auth) — copy the Bot User OAuth Token "
        "(xoxb-…) again from OAuth & Permissions into SLACK_BOT_TOKEN"
    ]
    assert result.stdout.splitlines()[-1].startswith("check: 1 problem; fix them")


@pytest.mark.reliability("a bot token installed without some of the scopes Casewatch uses", kind="slack fault")
def test_check_names_each_missing_scope(tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer) -> None:
    slack_api.scopes = [scope for scope in slack_api.scopes if scope not in ("channels:history", "groups:read")]
    result = check(slack_bot_env(tmp_path, slack_api, two_good_feeds(tmp_path, feed_server)), tmp_path)
    assert result.returncode == 1
    found = problems(result)
    assert len(found) == 2, result.stdout
    assert found[0].startswith("problem: Slack: the bot token lacks the scope channels:history — add it under")
    assert found[1].startswith("problem: Slack: the bot token lacks the scope groups:read — add it under")


@pytest.mark.reliability("Slack's Web API unreachable, checked before going live", kind="slack fault")
def test_check_says_when_slack_does_not_answer(tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer) -> None:
    env = slack_bot_env(
        tmp_path, slack_api, two_good_feeds(tmp_path, feed_server), SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/"
    )
    result = check(env, tmp_path)
    assert result.returncode == 1
    [found] = problems(result)
    assert found.startswith("problem: Slack's Web API at http://127.0.0.1:") and "did not answer" in found
    assert "ok: feeds: 2 of 2 answer with a readable feed" in result.stdout.splitlines()  # the rest is still checked


@pytest.mark.reliability("catalog feeds that are gone (404) or whose server refuses connections", kind="feed fault")
def test_check_names_each_dead_feed_with_its_fix(tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer) -> None:
    refused = f"http://127.0.0.1:{free_port()}/feed.xml"
    catalog = two_good_feeds(
        tmp_path, feed_server, ("Gone", feed_server.base + "/gone.xml", "regulator"), ("Down", refused, "news")
    )
    result = check(slack_bot_env(tmp_path, slack_api, catalog), tmp_path)
    assert result.returncode == 1
    assert problems(result) == [
        f"problem: feed Gone: HTTP 404 Not Found from {feed_server.base}/gone.xml — check the URL in {catalog} "
        "or pause it with /feeds pause Gone",
        f"problem: feed Down: connection failed (ConnectionRefusedError) from {refused} — check the URL in {catalog} "
        "or pause it with /feeds pause Down",
    ]
    assert "ok: feeds: 2 of 4 answer with a readable feed" in result.stdout.splitlines()


def test_a_feed_paused_with_the_feeds_command_is_not_fetched(
    tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer
) -> None:
    catalog = two_good_feeds(tmp_path, feed_server, ("Gone", feed_server.base + "/gone.xml", "regulator"))
    env = slack_bot_env(tmp_path, slack_api, catalog)
    db = open_database(env["CASEWATCH_DB"])
    sync_catalog(db, load_catalog(catalog))
    gone = next(feed for feed in listed_feeds(db) if feed.name == "Gone")
    change_feed(db, gone, change="pause", actor="U0001", team_id="T0001")
    db.close()
    result = check(env, tmp_path)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert "note: feeds: 1 paused or removed with /feeds, not fetched" in lines
    assert any(line.startswith("ok: database: ") and "is up to date" in line for line in lines)
    assert feed_server.count("/gone.xml") == 0


@pytest.mark.reliability("several settings wrong at once (a port that is no number, a missing secret)", kind="input")
def test_check_reports_every_bad_setting_at_once(tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer) -> None:
    env = slack_bot_env(tmp_path, slack_api, two_good_feeds(tmp_path, feed_server), PORT="eighty")
    del env["SLACK_SIGNING_SECRET"]
    result = check(env, tmp_path)
    assert result.returncode == 1
    assert problems(result) == [
        "problem: setting PORT must be a TCP port number from 1 to 65535 (got 'eighty')",
        "problem: setting SLACK_SIGNING_SECRET is not set (Basic Information → Signing Secret)",
    ]
    assert result.stdout.splitlines()[-1].startswith("check: 2 problems in the settings")


def test_check_in_socket_mode_tries_the_app_token(tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer) -> None:
    app_token = SECRETS[3]
    env = slack_bot_env(tmp_path, slack_api, two_good_feeds(tmp_path, feed_server), SLACK_APP_TOKEN=app_token)
    del env["SLACK_SIGNING_SECRET"]
    good = check(env, tmp_path)
    assert good.returncode == 0, good.stdout
    assert "ok: Socket Mode: SLACK_APP_TOKEN xapp-…9876 may open a connection" in good.stdout

    slack_api.fail("apps.connections.open", 200, {"ok": False, "error": "invalid_auth"})
    bad = check(env, tmp_path)
    assert bad.returncode == 1
    assert problems(bad) == [
        "problem: SLACK_APP_TOKEN xapp-…9876: Slack refuses it (invalid_auth) — create an app-level token with the "
        "connections:write scope (Basic Information → App-Level Tokens) and put it in SLACK_APP_TOKEN"
    ]


SHORT_INSTALL_PROBLEM = (
    "problem: OAuth: workspace T1 granted the app no chat:write.public, channels:history, groups:history, "
    "channels:read, groups:read — ask it to install again from /slack/install"
)


def install_one_short_and_one_whole(database: str, slack_api: SlackApi) -> None:
    """Two workspaces' installs in ``database``: T1 without most scopes (:data:`SHORT_INSTALL_PROBLEM`), T2 with all."""
    db = open_database(database)
    store = DatabaseInstallationStore(lambda: db, client_id="111.222")
    for team, scopes in (("T1", "commands,chat:write"), ("T2", ",".join(slack_api.scopes))):
        installation = Installation(
            app_id="A0001", team_id=team, user_id="U1", bot_token=f"xoxb-{team}", bot_id="B1", bot_user_id="UB",
            bot_scopes=scopes,
        )  # fmt: skip
        store.save(installation)
    db.close()


def test_check_in_oauth_mode_checks_the_installations(
    tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer
) -> None:
    env = slack_bot_env(
        tmp_path,
        slack_api,
        two_good_feeds(tmp_path, feed_server),
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET=SECRETS[4],
    )
    del env["SLACK_BOT_TOKEN"]
    install_one_short_and_one_whole(env["CASEWATCH_DB"], slack_api)
    result = check(env, tmp_path)
    assert result.returncode == 1
    assert problems(result) == [SHORT_INSTALL_PROBLEM]
    assert "ok: OAuth: 2 workspaces installed in the installation store" in result.stdout.splitlines()
    assert slack_api.calls_of("auth.test") == []  # no bot token to test: the workspaces' are the store's


def database_behind_by_one(url: str) -> None:
    db = connect_without_migrating(url)
    migrations.apply(db, stop_before=migrations.names[-1])
    db.close()


def schema_version_of(url: str) -> int:
    db = connect_without_migrating(url)
    try:
        return schema_version(db)
    finally:
        db.close()


def database_from_a_newer_casewatch(path: str) -> None:
    db = open_database(path)
    db.execute("INSERT INTO migrations (name, applied_at) VALUES ('m999_from_the_future', '2030-01-01')")
    db.close()


@pytest.mark.parametrize(
    ("make", "code", "expected"),
    [
        (database_behind_by_one, 0, "note: database: {path} has 1 migration pending (m0"),
        pytest.param(
            database_from_a_newer_casewatch,
            1,
            "problem: database: {path} was made by a newer Casewatch (migration m999_from_the_future) — upgrade",
            marks=pytest.mark.reliability(
                "check pointed at a database made by a newer Casewatch", kind="storage fault"
            ),
        ),
    ],
)
def test_check_says_what_the_database_needs(
    tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer, make: Callable[[str], None], code: int, expected: str
) -> None:
    env = slack_bot_env(tmp_path, slack_api, two_good_feeds(tmp_path, feed_server))
    make(env["CASEWATCH_DB"])
    result = check(env, tmp_path)
    assert result.returncode == code, result.stdout
    assert any(line.startswith(expected.format(path=env["CASEWATCH_DB"])) for line in result.stdout.splitlines())
