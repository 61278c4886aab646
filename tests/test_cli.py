"""The ``python -m bot`` command line, run as a user would."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.__main__ import build_parser
from bot.config import ENVIRONMENT, ConfigError, environment_of, settings_from_env
from tests.conftest import (
    FIXTURES,
    ROOT,
    FeedServer,
    SlackApi,
    bot_env,
    long_feed,
    run_bot,
    slack_bot_env,
    write_catalog,
)


def test_demo_runs_offline_and_answers_case_binance(tmp_path: Path) -> None:
    result = run_bot(["demo"], bot_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "SEC press releases (sample): 3 new of 3" in out
    assert "Securities and Exchange Commission v. Binance Holdings Limited" in out
    assert "Docket: 1:23-cv-01599" in out and "Court: D.D.C." in out
    assert "United States v. Binance Holdings Limited" in out or "Commodity Futures Trading Commission" in out
    assert "Status: Motion to dismiss granted in part" in out  # SEC v. Binance, from the ruling of 2024-06-28
    assert "Related: " in out and "(CFTC, settled)" in out  # each Binance card lists the other Binance cases
    assert not (tmp_path / "casewatch.db").exists()  # the user's database is never touched


@pytest.mark.parametrize("read_workers", ["0", "1"])  # read in this process, or in a worker process
def test_poll_once_reports_each_feed_and_survives_a_bad_one(
    tmp_path: Path, feed_server: FeedServer, read_workers: str
) -> None:
    good = feed_server.serve_file("/sec.xml", "sec/litigation_releases_2024-06-part.xml", etag='"e1"')
    court = feed_server.serve_file("/sdny.xml", "pacer/sdny_1.xml")
    broken = feed_server.serve("/broken.xml", "<html><body>Not a feed</body></html>")
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [("SEC LR", good, "regulator"), ("SDNY", court, "court"), ("Broken", broken, "news")],
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog), CASEWATCH_READ_WORKERS=read_workers)
    first = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert "SEC LR: 12 new of 12" in lines
    assert "SDNY: 358 new of 358" in lines
    assert any(line.startswith("Broken: error: not a feed") for line in lines)

    second = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert "SEC LR: unchanged" in second.stdout.splitlines()  # 304 via ETag
    assert "SDNY: unchanged" in second.stdout.splitlines()  # every item already stored

    case = run_bot(["case", "Jian", "Ming", "Ni"], env, cwd=tmp_path)
    assert case.returncode == 0
    parties = next(line for line in case.stdout.splitlines() if "Parties:" in line)
    assert "Jian Ming Ni" in parties and "CPA" not in parties  # the nickname is an alias, CPA a credential


def test_poll_once_stops_reading_a_feed_after_the_read_timeout_and_polls_the_rest(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    slow = feed_server.serve("/slow.xml", long_feed(1700))  # 20,400 items: seconds to read
    good = feed_server.serve_file("/sec.xml", "sec/litigation_releases_2024-06-part.xml")
    catalog = write_catalog(tmp_path / "feeds.toml", [("Slow", slow, "regulator"), ("SEC LR", good, "regulator")])
    env = bot_env(
        tmp_path, CASEWATCH_FEEDS=str(catalog), CASEWATCH_READ_WORKERS="1", CASEWATCH_READ_TIMEOUT_SECONDS="0.5"
    )
    polled = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert polled.returncode == 0, polled.stderr
    lines = polled.stdout.splitlines()
    assert "Slow: error: reading the feed took longer than 0.5 s; it was stopped" in lines, lines
    assert "SEC LR: 12 new of 12" in lines


def test_poll_once_and_feeds_check_count_one_feed_and_one_item_in_the_singular(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    one_item = feed_server.serve(
        "/one.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>One</title><link>https://www.sec.gov/</link>'
        "<item><title>SEC Charges Acme Widgets Corp.</title><link>https://www.sec.gov/news/1</link>"
        "<guid>1</guid><pubDate>Fri, 28 Jun 2024 15:02:00 GMT</pubDate></item></channel></rss>",
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(write_catalog(tmp_path / "feeds.toml", [("One", one_item, "news")])))
    polled = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert polled.stdout.splitlines()[-1] == "1 feed polled: 1 new item, 0 failed.", polled.stdout
    checked = run_bot(["feeds", "check"], env, cwd=tmp_path)
    assert "[1/1] One … ok: 1 item, “One”" in checked.stdout.splitlines(), checked.stdout


def test_poll_once_fails_only_when_every_feed_failed(tmp_path: Path, feed_server: FeedServer) -> None:
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [("Gone", feed_server.base + "/missing.xml", "regulator"), ("Down", "http://127.0.0.1:9/x", "news")],
    )
    result = run_bot(["poll", "--once"], bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog)), cwd=tmp_path)
    assert result.returncode == 1
    assert "Gone: error: HTTP 404" in result.stdout
    assert "Down: error: connection failed" in result.stdout


def test_poll_refuses_private_feeds_without_the_override(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.serve_file("/sec.xml", "sec/litigation_releases_2024-06-part.xml")
    catalog = write_catalog(tmp_path / "feeds.toml", [("Local", url, "regulator")])
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog), CASEWATCH_ALLOW_PRIVATE_FEEDS="0")
    result = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert result.returncode == 1
    assert "internal address" in result.stdout


def test_case_without_a_database_explains_what_to_do(tmp_path: Path) -> None:
    result = run_bot(["case", "binance"], bot_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert "poll --once" in result.stderr and "python -m bot demo" in result.stderr


def test_run_without_slack_credentials_names_what_is_missing(tmp_path: Path) -> None:
    result = run_bot(["run"], bot_env(tmp_path), cwd=tmp_path, timeout=30)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr
    assert "python -m bot demo" in result.stderr


def test_malformed_settings_fail_with_one_line_each(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_env(
            {
                "PORT": "eighty",
                "CASEWATCH_ALLOW_PRIVATE_FEEDS": "maybe",
                "SLACK_API_URL": "not a url",
                "CASEWATCH_FEEDS": str(tmp_path / "nope.toml"),
                "SLACK_BOT_TOKEN": "xoxp-user-token-secret",
            },
            need_slack=True,
            need_contact=True,
        )
    problems = raised.value.problems
    assert len(problems) == 7
    assert any(p.startswith("PORT must be") for p in problems)
    assert any(p.startswith("CASEWATCH_ALLOW_PRIVATE_FEEDS must be 1 or 0") for p in problems)
    assert not any("xoxp-user-token-secret" in p for p in problems)  # secrets never echoed


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("CASEWATCH_LEASE_SECONDS", "2", "CASEWATCH_LEASE_SECONDS must be a whole number from 3 to 600 (got '2')"),
        ("CASEWATCH_LEASE_SECONDS", "601", "CASEWATCH_LEASE_SECONDS must be a whole number from 3 to 600 (got '601')"),
        (
            "CASEWATCH_STALE_SEND_SECONDS",
            "-5",
            "CASEWATCH_STALE_SEND_SECONDS must be a whole number from 0 to 86400 (got '-5')",
        ),
        (
            "CASEWATCH_STALE_SEND_SECONDS",
            "1e3",
            "CASEWATCH_STALE_SEND_SECONDS must be a whole number from 0 to 86400 (got '1e3')",
        ),
    ],
)
def test_a_lease_or_stale_send_out_of_range_is_refused_with_its_range(name: str, text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_env({name: text})
    assert raised.value.problems == [problem]


def test_lease_and_stale_send_read_whole_seconds_with_defaults() -> None:
    assert (settings_from_env({}).lease_seconds, settings_from_env({}).stale_send_seconds) == (30, 60)
    chosen = settings_from_env({"CASEWATCH_LEASE_SECONDS": " 3 ", "CASEWATCH_STALE_SEND_SECONDS": "0"})
    assert (chosen.lease_seconds, chosen.stale_send_seconds) == (3, 0)


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CASEWATCH_DB=from-dotenv.db\n")
    env = bot_env(tmp_path)
    del env["CASEWATCH_DB"]
    result = run_bot(["case", "binance"], env, cwd=tmp_path)
    assert "from-dotenv.db" in result.stderr


def test_bad_catalog_is_reported_in_one_line(tmp_path: Path) -> None:
    catalog = tmp_path / "feeds.toml"
    catalog.write_text('[[feed]]\nname = "x"\nurl = "ftp://x"\nkind = "regulator"\n')
    result = run_bot(["poll", "--once"], bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog)), cwd=tmp_path)
    assert result.returncode == 2
    assert "url must start with http:// or https://" in result.stderr


def test_fixture_files_exist() -> None:
    assert (FIXTURES / "pacer" / "sdny_1.xml").is_file()


def _one_feed_polled_and_one_not(tmp_path: Path, feed_server: FeedServer) -> dict[str, str]:
    """The bot's environment: a catalog of an SEC feed polled once and an SDNY feed added after that poll."""
    polled = feed_server.serve_file("/sec.xml", "sec/litigation_releases_2024-06-part.xml")
    env = bot_env(
        tmp_path, CASEWATCH_FEEDS=str(write_catalog(tmp_path / "feeds.toml", [("SEC LR", polled, "regulator")]))
    )
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    later = feed_server.serve_file("/sdny.xml", "pacer/sdny_1.xml")
    write_catalog(tmp_path / "feeds.toml", [("SEC LR", polled, "regulator"), ("SDNY", later, "court")])
    return env


def test_feeds_shows_a_feed_not_polled_yet_as_pending(tmp_path: Path, feed_server: FeedServer) -> None:
    env = _one_feed_polled_and_one_not(tmp_path, feed_server)
    listed = run_bot(["feeds"], env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "  1. SEC LR [ok]" in listed.stdout
    assert "  2. SDNY [pending: not polled yet]" in listed.stdout


@pytest.mark.parametrize(
    "args",
    [["feeds"], ["case", "binance"], ["audit"], ["extract", str(FIXTURES / "pacer" / "sdny_1.xml"), "--db", "{db}"]],
    ids=["feeds", "case", "audit", "extract --db"],
)
@pytest.mark.reliability("a read-only command pointed at a database file that does not exist", kind="storage fault")
def test_a_read_only_command_on_a_missing_database_says_so_and_creates_none(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "nowhere" / "casewatch.db"
    env = bot_env(tmp_path, CASEWATCH_DB=str(db))
    result = run_bot([arg.replace("{db}", str(db)) for arg in args], env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"casewatch: no database at {db}" in result.stderr
    assert "python -m bot poll --once" in result.stderr  # how to create it
    assert result.stdout == ""
    assert not db.exists() and not db.parent.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["case", "Jian", "Ming", "Ni"],
        ["feeds"],
        ["audit"],
        ["extract", str(FIXTURES / "pacer" / "sdny_1.xml")],
        ["--help"],
    ],
    ids=["case", "feeds", "audit", "extract", "help"],
)
@pytest.mark.reliability("the reader of a command's output exits early (`| head -2`)", kind="crash")
def test_a_reader_that_stops_early_ends_the_command_quietly(
    tmp_path: Path, feed_server: FeedServer, args: list[str]
) -> None:
    """``python -m bot case binance | head -2``: the reader is gone before the
    command writes (the surest way to make every write fail)."""
    url = feed_server.serve_file("/sec.xml", "sec/litigation_releases_2024-06-part.xml")
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(write_catalog(tmp_path / "feeds.toml", [("SEC LR", url, "regulator")])))
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    del env["PYTHONUNBUFFERED"]  # as a user runs it: stdout into a pipe is block-buffered
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.close()  # `head` has read its lines and left
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) in (0, 128 + signal.SIGPIPE), errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors and "Exception ignored" not in errors


class ReadNames(dict):
    """An environment that records every name read from it."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def get(self, name: str, default: object = None) -> object:
        self.read.add(name)
        return super().get(name, default)

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return super().__getitem__(name)


COMMANDS = [
    "demo",
    "poll",
    "case",
    "extract",
    "run",
    "feeds",
    "digest",
    "audit",
    "migrate",
    "check",
    "backup",
    "copy-db",
]


def test_the_environment_table_lists_every_variable_the_settings_read_and_the_readme_too() -> None:
    env = ReadNames()
    with pytest.raises(ConfigError):  # no Slack token and no contact: what matters is what was read
        settings_from_env(env, need_slack=True, need_contact=True)
    assert {variable.name for variable in ENVIRONMENT} == env.read
    readme = (ROOT / "README.md").read_text()
    configuration = readme[readme.index("## Configuration") :]
    assert [name for name in env.read if f"`{name}`" not in configuration] == []
    assert {command for variable in ENVIRONMENT for command in variable.commands} <= set(COMMANDS)


def test_help_describes_every_command_its_arguments_and_the_variables_it_reads(tmp_path: Path) -> None:
    top = run_bot(["--help"], bot_env(tmp_path), cwd=tmp_path)
    assert top.returncode == 0
    assert [command for command in COMMANDS if f"\n    {command} " not in top.stdout] == []  # each with its summary
    assert [variable.name for variable in ENVIRONMENT if variable.name not in top.stdout] == []
    assert ".env" in top.stdout
    for command in COMMANDS:
        helped = run_bot([command, "--help"], bot_env(tmp_path), cwd=tmp_path)
        assert helped.returncode == 0, helped.stderr
        assert helped.stdout.startswith(f"usage: python -m bot {command}")
        description = helped.stdout.split("\n\n")[1]
        assert len(description.split()) >= 8, f"{command}: no description: {description!r}"
        environment = helped.stdout[helped.stdout.index("\nenvironment") :]
        lines = environment.splitlines()[1:]
        listed = {line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("   ")}
        assert listed == {variable.name for variable in environment_of(command)}, command


def test_every_argument_of_every_command_has_its_own_help() -> None:
    commands = next(action for action in build_parser()._actions if action.dest == "command")
    assert sorted(commands.choices) == sorted(COMMANDS)
    for name, parser in commands.choices.items():
        for action in parser._actions:
            assert action.help, f"{name} {action.dest}: no help"


def three_feeds_one_broken(tmp_path: Path, feed_server: FeedServer) -> dict[str, str]:
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("SEC LR", feed_server.serve_file("/sec.xml", "sec/litigation_releases_2024-06-part.xml"), "regulator"),
            ("SDNY", feed_server.serve_file("/sdny.xml", "pacer/sdny_1.xml"), "court"),
            ("Broken", feed_server.serve("/broken.xml", "<html><body>Not a feed</body></html>"), "news"),
        ],
    )
    return bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))


def read_terminal(fd: int) -> str:
    """All a pseudo-terminal received until its last writer closed it."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_poll_once_on_a_terminal_shows_progress_and_each_failure_once(tmp_path: Path, feed_server: FeedServer) -> None:
    env = three_feeds_one_broken(tmp_path, feed_server)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "poll", "--once"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    shown = read_terminal(controller)
    os.close(controller)
    out = process.stdout.read()
    assert process.wait(timeout=60) == 0
    assert "\r" in shown and "[0/3]" in shown and "[2/3]" in shown  # one line, rewritten as feeds finish
    assert any(f"[{done}/3] {name}" in shown for done in range(3) for name in ("SEC LR", "SDNY", "Broken"))
    assert not shown.rstrip("\r\n").endswith("/3]")  # the progress line is cleared at the end
    assert (shown + out).count("not a feed") == 1, shown + out
    assert "SEC LR: 12 new of 12" in out.splitlines() and "Broken: error: not a feed" in out


def test_poll_once_into_pipes_writes_clean_lines_and_each_failure_once(tmp_path: Path, feed_server: FeedServer) -> None:
    result = run_bot(["poll", "--once"], three_feeds_one_broken(tmp_path, feed_server), cwd=tmp_path)
    assert result.returncode == 0
    assert "\r" not in result.stderr + result.stdout and "\x1b" not in result.stderr + result.stdout
    assert (result.stderr + result.stdout).count("not a feed") == 1
    assert "SDNY: 358 new of 358" in result.stdout.splitlines()


def test_run_starts_without_a_bolt_warning(tmp_path: Path, slack_api: SlackApi, start_bot: Callable) -> None:
    start_bot(slack_bot_env(tmp_path, slack_api, write_catalog(tmp_path / "feeds.toml", [])))
    process = start_bot.processes[-1]
    process.terminate()
    log = process.communicate(timeout=30)[0]
    assert "serving Slack requests at http://127.0.0.1:" in log  # the log of a whole start
    assert "`token` will be unused" not in log
    assert [line for line in log.splitlines() if "WARNING slack_bolt" in line] == []


def test_feeds_on_a_terminal_shows_pending_in_grey_and_ok_in_green(tmp_path: Path, feed_server: FeedServer) -> None:
    env = _one_feed_polled_and_one_not(tmp_path, feed_server)
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bot", "feeds"], env=env, cwd=tmp_path, stdout=terminal)
    os.close(terminal)
    shown = read_terminal(controller)
    os.close(controller)
    assert process.wait(timeout=60) == 0
    assert "SEC LR [\x1b[32mok\x1b[0m]" in shown
    assert "SDNY [\x1b[90mpending: not polled yet\x1b[0m]" in shown
    plain = run_bot(["feeds"], {**env, "NO_COLOR": "1"}, cwd=tmp_path).stdout
    assert "\x1b" not in plain and "SDNY [pending: not polled yet]" in plain


@pytest.mark.reliability("the reader of poll --once's output exits before the round ends", kind="crash")
def test_poll_once_finishes_its_round_when_its_reader_is_gone(tmp_path: Path, feed_server: FeedServer) -> None:
    env = three_feeds_one_broken(tmp_path, feed_server)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "poll", "--once"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 128 + signal.SIGPIPE, errors
    assert "Traceback" not in errors and "Exception ignored" not in errors
    listed = run_bot(["feeds"], env, cwd=tmp_path).stdout
    assert "SEC LR [ok]" in listed and "SDNY [ok]" in listed and "Broken [failing since" in listed  # every feed polled
