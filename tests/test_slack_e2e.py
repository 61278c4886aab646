"""End to end over real HTTP: feeds from a local server, ``python -m bot poll
--once``, then ``python -m bot run`` in HTTP mode answering signed ``/case``
requests, with the Slack Web API played by a local stand-in."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.demo import DEMO_FEEDS
from feeds.extract import extract
from feeds.types import FeedItem
from storage.database import open_database
from storage.items import store_items
from tests.conftest import (
    ROOT,
    FeedServer,
    SlackApi,
    post_slack,
    run_bot,
    slack_bot_env,
    slash_command,
    write_catalog,
)
from tests.pg import database_url

HOSTILE_FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>News</title>
<item>
  <title>SEC v. Evilcorp Ltd. &lt;!channel&gt; read &lt;https://evil.example/phish|sec.gov&gt;</title>
  <link>javascript:alert(document.cookie)</link>
  <description>Securities and Exchange Commission v. Evilcorp Ltd., Civil Action No. 1:24-cv-09999 (D.D.C.) &lt;!here&gt;</description>
  <pubDate>Mon, 01 Jul 2024 10:00:00 GMT</pubDate>
  <guid>evil-1</guid>
</item>
</channel></rss>"""


@pytest.fixture
def slack_bot(tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable) -> str:
    """A polled database and a running bot; returns the events URL."""
    feeds = [
        (
            "SEC litigation releases",
            feed_server.serve_file("/lr.xml", "sec/litigation_releases_2024-06-part.xml"),
            "regulator",
        ),
        ("SEC press releases", feed_server.serve("/pr.xml", (DEMO_FEEDS / "sec_press.xml").read_bytes()), "regulator"),
        ("D.D.C. docket", feed_server.serve("/dcd.xml", (DEMO_FEEDS / "dcd_pacer.xml").read_bytes()), "court"),
        ("Hostile regulator", feed_server.serve("/news.xml", HOSTILE_FEED), "regulator"),
    ]
    catalog = write_catalog(tmp_path / "feeds.toml", feeds)
    env = slack_bot_env(tmp_path, slack_api, catalog)
    polled = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert polled.returncode == 0, polled.stdout + polled.stderr
    return start_bot(env) + "/slack/events"


def blocks_text(answer: dict) -> str:
    return json.dumps(answer["blocks"])


def test_case_command_answers_with_a_case_card(slack_bot: str) -> None:
    answer = post_slack(slack_bot, slash_command("/case", "binance"))
    assert answer.status == 200
    message = answer.json()
    assert message["response_type"] == "ephemeral"
    text = blocks_text(message)
    assert "Securities and Exchange Commission v. Binance Holdings Limited" in text
    assert "*Court:* D.D.C." in text and "*Docket:* 1:23-cv-01599" in text
    assert "Ruling on <!date^" in text and "{date_short}|2024-06-28>" in text  # in the reader's time zone
    assert "<https://www.sec.gov/news/press-release/2023-101|SEC Files 13 Charges" in text
    assert "items from 2 sources" in text


def test_docket_number_form_finds_the_case(slack_bot: str) -> None:
    message = post_slack(slack_bot, slash_command("/case", "Civil Action No. 23-1599")).json()
    assert "Binance Holdings Limited" in blocks_text(message)


def test_feed_text_is_escaped_in_the_answer(slack_bot: str) -> None:
    message = post_slack(slack_bot, slash_command("/case", "evilcorp")).json()
    text = json.dumps(message)
    assert "&lt;!channel&gt;" in text and "&lt;https://evil.example/phish|sec.gov&gt;" in text
    for raw in ("<!channel>", "<!here>", "<https://evil.example/phish|sec.gov>", "javascript:"):
        assert raw not in text


def test_empty_command_gets_usage_help(slack_bot: str) -> None:
    message = post_slack(slack_bot, slash_command("/case", "   ")).json()
    assert message["response_type"] == "ephemeral"
    assert "/case 1:23-cv-01599" in message["text"]


def test_no_match_gets_suggestions(slack_bot: str) -> None:
    message = post_slack(slack_bot, slash_command("/case", "binanse")).json()
    assert "No case matches" in message["text"] and "Did you mean" in message["text"]


@pytest.mark.reliability("hostile /case queries (FTS5 syntax, 5,000 characters) on a populated index", kind="abuse")
@pytest.mark.parametrize("query", ['"', "NEAR(", "x" * 5000, "*-OR", '"binance" OR "coinbase"', "<!channel>"])
def test_hostile_queries_get_an_answer_not_an_error(slack_bot: str, query: str) -> None:
    answer = post_slack(slack_bot, slash_command("/case", query))
    assert answer.status == 200
    assert answer.json()["response_type"] == "ephemeral"
    assert "<!channel>" not in answer.body


@pytest.mark.reliability("a request with a forged signature", kind="abuse")
def test_wrong_signature_is_refused(slack_bot: str) -> None:
    answer = post_slack(slack_bot, slash_command("/case", "binance"), secret="not-the-secret")
    assert answer.status == 401
    assert "Binance" not in answer.body


@pytest.mark.reliability("a replayed request with a stale timestamp", kind="abuse")
def test_stale_timestamp_is_refused(slack_bot: str) -> None:
    answer = post_slack(slack_bot, slash_command("/case", "binance"), timestamp=int(time.time()) - 600)
    assert answer.status == 401


def test_every_manifest_command_is_answered(slack_bot: str) -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    commands = [entry["command"] for entry in manifest["features"]["slash_commands"]]
    assert "/case" in commands
    for command in commands:
        answer = post_slack(slack_bot, slash_command(command, ""))
        assert answer.status == 200, command
        assert answer.json()["response_type"] == "ephemeral", command


def test_an_item_stored_while_the_server_runs_is_in_the_next_answer(slack_bot: str, tmp_path: Path) -> None:
    """The server keeps recent answers; another process's write must show at once."""
    assert post_slack(slack_bot, slash_command("/case", "acme widgets")).json()["text"].startswith("No case")
    db = open_database(database_url(tmp_path / "casewatch.db"))
    feed_id = db.execute("SELECT min(id) FROM feeds").fetchone()[0]
    item = FeedItem(
        "acme-1", "acme-1", None, "SEC charges Acme", "SEC v. Acme Widgets Inc., Case No. 24-1234", None, None
    )
    extraction = extract(
        title=item.title, summary=item.summary, author=None, feed_agency="SEC", feed_kind="regulator", feed_url=""
    )
    store_items(db, feed_id, [(item, extraction)])
    assert "SEC v. Acme Widgets Inc." in blocks_text(
        post_slack(slack_bot, slash_command("/case", "acme widgets")).json()
    )


def test_the_server_answers_a_case_in_process_before_it_listens(tmp_path: Path, slack_api: SlackApi) -> None:
    """``run`` warms the whole request path with one signed /case before listening."""
    from bot.app import create_app, web_client
    from bot.config import settings_from_env
    from bot.server import warm_request_path, wsgi_application
    from feeds.fetch import Fetcher
    from storage.database import ThreadDatabases

    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": slack_api.url}
    settings = settings_from_env({**env, "CASEWATCH_DB": str(tmp_path / "warm.db")}, need_slack=True)
    databases = ThreadDatabases(settings.db_path)
    app = create_app(
        settings, databases, web_client(settings), Fetcher(contact="t@example.com"), lambda: None, lambda feed: None
    )
    assert warm_request_path(wsgi_application(app, dict, "s3cret"), "s3cret") == "200 OK"
