"""The command line on either engine (issue 11): ``migrate``, a database made by
a newer Casewatch refused in one line, the PostgreSQL password never shown."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.config import ConfigError, settings_from_env
from bot.demo import DEMO_FEEDS, serve_directory
from storage.database import connect_without_migrating, open_database
from storage.schema import migrations
from tests.conftest import FeedServer, SlackApi, bot_env, run_bot, slack_bot_env
from tests.pg import Databases, EngineDatabase
from tests.test_check import SHORT_INSTALL_PROBLEM, check, install_one_short_and_one_whole, problems, two_good_feeds

PASSWORD = "hunter2-secret"
SLACK = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "SLACK_API_URL": "http://127.0.0.1:9/"}


def with_password(url: str) -> str:
    """``url`` with a password (the test cluster trusts every local connection, so any password is accepted)."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")


def shown(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def test_migrate_makes_a_new_postgresql_database_then_finds_it_up_to_date(
    tmp_path: Path, pg_databases: Databases
) -> None:
    url = with_password(pg_databases.create(migrated=False))
    try:
        env = bot_env(tmp_path, CASEWATCH_DB=url)
        first = run_bot(["migrate"], env, tmp_path)
        assert first.returncode == 0, first.stderr
        assert [line for line in first.stdout.splitlines() if line.startswith("applied ")] == [
            f"applied {name}" for name in migrations.names
        ]
        assert f"{len(migrations.names)} migrations applied." in first.stdout
        db = open_database(url)
        (tables,) = db.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('alerts', 'items', 'cases', 'watches')"
        ).fetchone()
        db.close()
        assert tables == 4
        again = run_bot(["migrate"], env, tmp_path)
        assert again.returncode == 0 and again.stdout.strip().endswith(": up to date.")
        assert "postgres:***@" in again.stdout
        assert PASSWORD not in shown(first) + shown(again)
    finally:
        pg_databases.drop(url)


@pytest.mark.parametrize("command", [["case", "binance"], ["feeds"]])
def test_a_reading_command_on_an_empty_postgresql_database_says_how_to_make_it_and_makes_nothing(
    tmp_path: Path, pg_databases: Databases, command: list[str]
) -> None:
    url = with_password(pg_databases.create(migrated=False))
    try:
        result = run_bot(command, bot_env(tmp_path, CASEWATCH_DB=url), tmp_path)
        assert result.returncode == 1
        assert result.stderr.startswith("casewatch: no Casewatch tables in postgresql://postgres:***@")
        assert "python -m bot migrate" in result.stderr and "python -m bot demo" in result.stderr
        assert PASSWORD not in shown(result)
        db = connect_without_migrating(url)
        (tables,) = db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        db.close()
        assert tables == 0
    finally:
        pg_databases.drop(url)


def test_migrate_makes_a_new_sqlite_file_then_finds_it_up_to_date(tmp_path: Path) -> None:
    env = bot_env(tmp_path, CASEWATCH_DB=f"sqlite:///{tmp_path}/new.db")
    first = run_bot(["migrate"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"{len(migrations.names)} migrations applied." in first.stdout
    assert (tmp_path / "new.db").is_file()
    again = run_bot(["migrate"], env, tmp_path)
    assert again.returncode == 0 and again.stdout == f"sqlite:///{tmp_path}/new.db: up to date.\n"


@pytest.mark.reliability("a database made by a newer Casewatch", kind="storage fault")
@pytest.mark.parametrize("command", [["run"], ["case", "binance"], ["migrate"], ["feeds"], ["audit"]])
def test_a_newer_database_is_refused_in_one_line(tmp_path: Path, engine_db: EngineDatabase, command: list[str]) -> None:
    db = engine_db.open()
    db.execute("INSERT INTO migrations (name, applied_at) VALUES ('m999_from_the_future', 'later')")
    url = with_password(engine_db.url)
    result = run_bot(command, bot_env(tmp_path, CASEWATCH_DB=url, **SLACK), tmp_path, timeout=60)
    assert "Traceback" not in shown(result) and PASSWORD not in shown(result)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "casewatch: database is newer than this Casewatch: upgrade (it has migration m999_from_the_future)"
    )


@pytest.mark.reliability("the PostgreSQL server is down when a command starts", kind="storage fault")
def test_an_unreachable_server_is_said_in_one_line_without_the_password(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    url = f"postgresql://casewatch:{PASSWORD}@127.0.0.1:{port}/cw?connect_timeout=2"
    result = run_bot(["feeds"], bot_env(tmp_path, CASEWATCH_DB=url), tmp_path, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("casewatch: storage: database unreachable")
    assert "Traceback" not in shown(result) and PASSWORD not in shown(result)


def test_oauth_on_postgresql_is_accepted_and_check_reads_its_installs(
    tmp_path: Path, slack_api: SlackApi, feed_server: FeedServer, pg_databases: Databases
) -> None:
    """OAuth on PostgreSQL (test_oauth_e2e installs and answers there): the
    settings take it, and ``check`` finds each workspace's scopes in the store."""
    url = pg_databases.create()
    env = slack_bot_env(
        tmp_path,
        slack_api,
        two_good_feeds(tmp_path, feed_server),
        CASEWATCH_DB=with_password(url),
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="oauth-client-secret-4321",
    )
    del env["SLACK_BOT_TOKEN"]
    try:
        settings = settings_from_env(env, need_slack=True, need_contact=True)
        assert settings.oauth and settings.on_postgresql
        install_one_short_and_one_whole(url, slack_api)
        result = check(env, tmp_path)
    finally:
        pg_databases.drop(url)
    assert problems(result) == [SHORT_INSTALL_PROBLEM]
    assert "ok: OAuth: 2 workspaces installed in the installation store" in result.stdout.splitlines()
    assert PASSWORD not in shown(result)


def test_poll_then_case_answer_alike_on_sqlite_and_postgresql(tmp_path: Path, pg_databases: Databases) -> None:
    """The sample feeds polled into each engine with the command line; ``case``
    prints the same answers from both, the password never shown."""
    pg_url = with_password(pg_databases.create(migrated=False))
    answers: dict[str, list[str]] = {}
    try:
        with serve_directory(DEMO_FEEDS) as base:
            catalog = tmp_path / "catalog.toml"
            catalog.write_text((DEMO_FEEDS / "catalog.toml").read_text().replace("{base}", base))
            for engine, url in (("sqlite", str(tmp_path / "casewatch.db")), ("postgresql", pg_url)):
                env = bot_env(tmp_path, CASEWATCH_DB=url, CASEWATCH_FEEDS=str(catalog))
                polled = run_bot(["poll", "--once"], env, tmp_path)
                assert polled.returncode == 0, shown(polled)
                assert PASSWORD not in shown(polled)
                answers[engine] = []
                for query in ("binance", "Changpeng Zhao", "1:23-cv-01599", "consensys", "bnance"):
                    found = run_bot(["case", query], env, tmp_path)
                    assert found.returncode == 0 and PASSWORD not in shown(found), shown(found)
                    answers[engine].append(found.stdout)
    finally:
        pg_databases.drop(pg_url)
    assert "Binance" in answers["postgresql"][0]
    assert answers["postgresql"] == answers["sqlite"]


def test_the_settings_hold_the_url_and_show_it_masked() -> None:
    settings = settings_from_env({"CASEWATCH_DB": f"postgres://casewatch:{PASSWORD}@db.example/cw"})
    assert settings.on_postgresql and settings.db_shown == "postgres://casewatch:***@db.example/cw"
    assert settings_from_env({"CASEWATCH_DB": "sqlite:////srv/cw.db"}).db_path == Path("/srv/cw.db")
    assert settings_from_env({}).db_path == Path("casewatch.db")


def test_an_unknown_database_scheme_is_a_setting_problem_with_the_password_masked() -> None:
    with pytest.raises(ConfigError) as refused:
        settings_from_env({"CASEWATCH_DB": f"mysql://root:{PASSWORD}@db/cw"})
    (problem,) = refused.value.problems
    assert problem.startswith("CASEWATCH_DB: unsupported database URL mysql://root:***@db/cw")
