"""/feeds, the polling lease and the feeds command line, run as users run them:
the bot as a process, signed requests, feeds and Slack on local servers."""

from __future__ import annotations

import csv
import io
import json
import signal
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import (
    FIXTURES,
    FeedServer,
    SlackApi,
    bot_env,
    eventually,
    post_slack,
    run_bot,
    slack_bot_env,
    slash_command,
    write_catalog,
)

GOOD = (FIXTURES / "sec/litigation_releases_2024-06-part.xml").read_bytes()
ADMIN, SOMEONE = "U0ADMIN", "U0OTHER"


def slack_env(tmp_path: Path, api: SlackApi, catalog: Path, **extra: str) -> dict[str, str]:
    return slack_bot_env(
        tmp_path, api, catalog, **{"CASEWATCH_ADMINS": f"{ADMIN}, UANOTHER", "CASEWATCH_LEASE_SECONDS": "3", **extra}
    )


def feeds(url: str, api: SlackApi, text: str, user: str = ADMIN) -> str:
    """Send /feeds; the immediate answer, then (for add and poll) the follow-up via response_url."""
    before = len(api.calls_of("T0001"))
    answer = post_slack(url, slash_command("/feeds", text, user_id=user, response_url=api.response_url))
    assert answer.status == 200, answer.body
    first = answer.json()["text"]
    if first.startswith(("Checking", "Polling")):
        assert api.wait_for(lambda: len(api.calls_of("T0001")) > before, timeout=30)
        return api.calls_of("T0001")[-1]["text"]
    return first


def is_polling(base: str) -> bool:
    with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
        return json.load(response)["polling"]


def wait_polling(base: str, expected: bool, timeout: float = 15) -> bool:
    return eventually(lambda: is_polling(base) == expected, timeout=timeout)


@pytest.fixture
def empty_catalog(tmp_path: Path) -> Path:
    return write_catalog(tmp_path / "feeds.toml", [])


def test_anyone_lists_only_admins_change(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, empty_catalog: Path
) -> None:
    url = start_bot(slack_env(tmp_path, slack_api, empty_catalog)) + "/slack/events"
    assert "No feeds yet" in feeds(url, slack_api, "", user=SOMEONE)
    refused = feeds(url, slack_api, "add https://www.sec.gov/news/pressreleases.rss", user=SOMEONE)
    assert "Only Casewatch admins can change feeds" in refused
    assert "`/feeds add <url> [name]`" in feeds(url, slack_api, "help", user=SOMEONE)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        pytest.param(
            "file:///etc/passwd",
            "only http and https feeds are allowed, not file:",
            marks=pytest.mark.reliability("/feeds add file:///etc/passwd", kind="abuse"),
        ),
        ("ftp://ftp.example.org/feed.xml", "only http and https feeds are allowed, not ftp:"),
        pytest.param(
            "http://127.0.0.1:9/feed.xml",
            "resolves to an internal address (127.0.0.1)",
            marks=pytest.mark.reliability("/feeds add of a loopback address", kind="abuse"),
        ),
        pytest.param(
            "http://169.254.169.254/latest/meta-data/",
            "resolves to an internal address (169.254.169.254)",
            marks=pytest.mark.reliability("/feeds add of the cloud metadata address", kind="abuse"),
        ),
        pytest.param(
            "http://[::ffff:127.0.0.1]:9/feed.xml",
            "resolves to an internal address (::ffff:7f00:1)",
            marks=pytest.mark.reliability("/feeds add of an IPv4-mapped IPv6 loopback address", kind="abuse"),
        ),
        pytest.param(
            "https://[docs]/feed.xml",
            "the URL's host is not a name or an IP address ([docs])",
            marks=pytest.mark.reliability("/feeds add of an address urllib refuses (a bracketed name)", kind="input"),
        ),
    ],
)
def test_feeds_add_refuses_unsafe_addresses(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, empty_catalog: Path, address: str, message: str
) -> None:
    env = slack_env(tmp_path, slack_api, empty_catalog, CASEWATCH_ALLOW_PRIVATE_FEEDS="0")
    url = start_bot(env) + "/slack/events"
    answer = feeds(url, slack_api, f"add {address}")
    assert answer.startswith("Not added:") and message in answer
    assert "No feeds yet" in feeds(url, slack_api, "")


def test_feeds_add_refuses_pages_that_are_not_feeds(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, empty_catalog: Path, feed_server: FeedServer
) -> None:
    url = start_bot(slack_env(tmp_path, slack_api, empty_catalog)) + "/slack/events"
    page = feed_server.serve("/page", "<!doctype html><html><body>SEC</body></html>")
    answer = feeds(url, slack_api, f"add {page}")
    assert "Not added: It does not answer with a feed" in answer and "HTML page" in answer
    empty = feed_server.serve(
        "/empty.xml", "<?xml version='1.0'?><rss version='2.0'><channel><title>e</title></channel></rss>"
    )
    assert "has no items" in feeds(url, slack_api, f"add {empty}")
    missing = feeds(url, slack_api, f"add {feed_server.base}/missing.xml")
    assert "Could not fetch it: HTTP 404" in missing


def test_a_feed_added_by_command_is_polled_listed_paused_resumed_and_removed(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, empty_catalog: Path, feed_server: FeedServer
) -> None:
    env = slack_env(tmp_path, slack_api, empty_catalog)
    url = start_bot(env) + "/slack/events"
    feed_url = feed_server.serve("/lr.xml", GOOD, etag='"v1"')
    added = feeds(url, slack_api, f"add {feed_url} SEC litigation")
    assert "Added *SEC litigation*" in added and "“Litigation Releases”" in added
    assert "• Bhardwaj et al." in added  # the latest items
    assert feed_server.wait_for_request("/lr.xml", count=2)  # the check, then its first poll: no restart
    listed = feeds(url, slack_api, "")
    assert "*1. SEC litigation*" in listed
    assert "every 30 min" in listed  # a 127.0.0.1 address is not a known regulator: news defaults
    assert feeds(url, slack_api, "pause 1") == "*SEC litigation* paused."
    assert ":double_vertical_bar: *1. SEC litigation* · paused" in feeds(url, slack_api, "")
    assert feeds(url, slack_api, "resume sec litigation") == "*SEC litigation* resumed."
    assert "Polled *SEC litigation*: unchanged" in feeds(url, slack_api, "poll 1")
    assert feeds(url, slack_api, "remove SEC litigation") == "*SEC litigation* removed."
    assert "No feeds yet" in feeds(url, slack_api, "")
    audit = run_bot(["audit"], env, cwd=tmp_path)
    actions = [row["action"] for row in csv.DictReader(io.StringIO(audit.stdout))]
    assert actions == ["feed added", "feed paused", "feed resumed", "feed removed"]


def test_failing_feed_shows_why_in_the_list(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, feed_server: FeedServer
) -> None:
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("Good", feed_server.serve("/good.xml", GOOD), "regulator"),
            ("Broken", feed_server.serve("/bad.xml", "x", status=500), "regulator"),
        ],
    )
    url = start_bot(slack_env(tmp_path, slack_api, catalog)) + "/slack/events"
    assert feed_server.wait_for_request("/bad.xml") and feed_server.wait_for_request("/good.xml")
    assert eventually(lambda: "failing since" in feeds(url, slack_api, ""), timeout=10)
    listed = feeds(url, slack_api, "")
    assert ":red_circle: *2. Broken* · failing since" in listed and "HTTP 500" in listed
    assert ":large_green_circle: *1. Good* · ok" in listed and "12 items" in listed


def test_only_one_process_polls_and_another_takes_over_when_it_dies(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, feed_server: FeedServer
) -> None:
    catalog = write_catalog(tmp_path / "feeds.toml", [("LR", feed_server.serve("/lr.xml", GOOD), "regulator")])
    env = slack_env(tmp_path, slack_api, catalog)
    first = start_bot(env)
    assert wait_polling(first, True)
    assert feed_server.wait_for_request("/lr.xml")
    second = start_bot(env)
    assert not is_polling(second)
    assert not wait_polling(second, True, timeout=4)  # a lease period later, still only the first polls
    assert feed_server.count("/lr.xml") == 1
    start_bot.processes[0].send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
    assert wait_polling(second, True, timeout=10)
    assert feed_server.wait_for_request("/lr.xml", count=2)  # and it polls at once


def test_a_watched_name_gets_its_news_search_feed(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, empty_catalog: Path, feed_server: FeedServer
) -> None:
    feed_server.serve("/search?q=%22Binance%22", GOOD)
    env = slack_env(
        tmp_path, slack_api, empty_catalog, CASEWATCH_NEWS_SEARCH_URL=f"{feed_server.base}/search?q={{query}}"
    )
    url = start_bot(env) + "/slack/events"
    post_slack(url, slash_command("/watch", "Binance", user_id=SOMEONE))
    assert feed_server.wait_for_request("/search?q=%22Binance%22")
    assert "News: Binance" in feeds(url, slack_api, "", user=SOMEONE)
    post_slack(url, slash_command("/unwatch", "binance", user_id=SOMEONE))
    assert "No feeds yet" in feeds(url, slack_api, "", user=SOMEONE)


def test_feeds_command_line_lists_health_and_checks_the_catalog(tmp_path: Path, feed_server: FeedServer) -> None:
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("LR", feed_server.serve("/lr.xml", GOOD), "regulator"),
            ("Old SEC URL", feed_server.serve("/old", "<html><body>moved</body></html>"), "regulator"),
        ],
    )
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(catalog))
    run_bot(["poll", "--once"], env, cwd=tmp_path)
    listed = run_bot(["feeds"], env, cwd=tmp_path)
    assert "  1. LR [ok]" in listed.stdout and "12 items" in listed.stdout
    assert "  2. Old SEC URL [failing since" in listed.stdout
    checked = run_bot(["feeds", "check"], env, cwd=tmp_path)
    assert checked.returncode == 1
    assert "[1/2] LR … ok: 12 items, “Litigation Releases”" in checked.stdout
    assert "[2/2] Old SEC URL … FAILS: It does not answer with a feed" in checked.stdout
    assert "1 of 2 feeds answer with a readable feed." in checked.stdout


def test_a_stopped_bot_hands_polling_to_the_next_at_once(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, feed_server: FeedServer
) -> None:
    catalog = write_catalog(tmp_path / "feeds.toml", [("LR", feed_server.serve("/lr.xml", GOOD), "regulator")])
    env = slack_env(tmp_path, slack_api, catalog, CASEWATCH_LEASE_SECONDS="600")
    first = start_bot(env)
    assert wait_polling(first, True)
    start_bot.processes[0].send_signal(signal.SIGTERM)  # type: ignore[attr-defined]
    assert start_bot.processes[0].wait(timeout=10) == 0  # type: ignore[attr-defined]
    second = start_bot(env)
    assert wait_polling(second, True, timeout=5)  # not after the 10-minute lease


def test_a_feed_added_through_the_other_process_is_polled_by_the_poller(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, empty_catalog: Path, feed_server: FeedServer
) -> None:
    env = slack_env(tmp_path, slack_api, empty_catalog)
    poller = start_bot(env)
    assert wait_polling(poller, True)
    other = start_bot(env)
    assert not is_polling(other)
    feed_url = feed_server.serve("/lr.xml", GOOD)
    assert "Added *SEC LR*" in feeds(other + "/slack/events", slack_api, f"add {feed_url} SEC LR")
    assert feed_server.wait_for_request("/lr.xml", count=2)  # the check by one, the first poll by the other
    assert eventually(lambda: "12 items" in feeds(poller + "/slack/events", slack_api, ""), timeout=10)


def test_a_feed_not_polled_yet_shows_as_pending_not_ok_in_feeds(
    tmp_path: Path, slack_api: SlackApi, start_bot: Callable, feed_server: FeedServer
) -> None:
    # The feed's first poll is under way (its server answers only after 5 s): nothing is known about it yet.
    slow = feed_server.serve("/slow.xml", GOOD, answer_after="/never")
    catalog = write_catalog(tmp_path / "feeds.toml", [("Slow SEC", slow, "regulator")])
    url = start_bot(slack_env(tmp_path, slack_api, catalog)) + "/slack/events"
    assert feed_server.wait_for_request("/slow.xml")
    listed = feeds(url, slack_api, "", user=SOMEONE)
    assert ":white_circle: *1. Slow SEC* · pending: not polled yet" in listed
    assert ":large_green_circle:" not in listed and "· ok" not in listed
