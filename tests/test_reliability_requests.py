"""Slack requests under fault and abuse, end to end: the bot as a process
serving signed requests on 127.0.0.1, feeds and Slack's Web API on local
stand-ins. Slow commands must not hold up anyone else, a locked database gets
a clear answer, malformed or hostile requests a refusal (never a 500)."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storage.database import open_database
from storage.engine import begin_write
from tests.conftest import (
    BOT_TOKEN,
    FIXTURES,
    SIGNING_SECRET,
    FeedServer,
    SlackApi,
    eventually,
    post_event,
    post_signed,
    post_slack,
    slack_bot_env,
    slash_command,
    write_catalog,
)
from tests.pg import database_url

ADMIN = "U0ADMIN"
GOOD_FEED = (FIXTURES / "sec/litigation_releases_2024-06-part.xml").read_bytes()
SLACK_DEADLINE = 3.0  # Slack tells the user the command failed after this
FORM = "application/x-www-form-urlencoded"
BINANCE_ITEM = """<?xml version='1.0'?><rss version='2.0'><channel><title>SEC</title><link>https://www.sec.gov/</link>
<item><title>SEC Files 13 Charges Against Binance Entities</title><link>https://www.sec.gov/news/2023-101</link>
<description>Securities and Exchange Commission v. Binance Holdings Limited, Civil Action No. 1:23-cv-01599
(D.D.C.)</description><pubDate>Mon, 05 Jun 2023 10:00:00 -0400</pubDate><guid>sec-2023-101</guid></item>
</channel></rss>"""
EMPTY_FEED = "<?xml version='1.0'?><rss version='2.0'><channel><title>SEC</title></channel></rss>"


class Bot:
    """The running bot: its events URL, database file and (once stopped) its log."""

    def __init__(self, url: str, db_path: Path, process: subprocess.Popen):
        self.url = url
        self.db_path = db_path
        self.process = process

    def command(self, name: str, text: str, **fields: str) -> tuple[int, str, float]:
        """Send a signed slash command: the HTTP status, the answer's text and how long it took."""
        started = time.monotonic()
        answer = post_slack(self.url, slash_command(name, text, **fields))
        took = time.monotonic() - started
        text_of = answer.json().get("text", "") if answer.status == 200 and answer.body else answer.body
        return answer.status, text_of, took

    def answer(self, name: str, text: str, **fields: str) -> str:
        """The text of a command's answer, which must come in time with status 200."""
        status, text_of, took = self.command(name, text, **fields)
        assert status == 200 and took < SLACK_DEADLINE, (name, text, status, text_of, took)
        return text_of

    def stop_and_read_log(self) -> str:
        """Stop the bot; everything it logged."""
        self.process.terminate()
        output, _ = self.process.communicate(timeout=15)
        return output


@pytest.fixture
def start(tmp_path: Path, slack_api: SlackApi, start_bot: Callable) -> Callable[..., Bot]:
    """Start a bot whose admin is ``ADMIN``, polling the given (name, url) feeds
    (``settings``: more of its environment)."""

    def launch(feeds: list[tuple[str, str]] = (), **settings: str) -> Bot:
        catalog = write_catalog(tmp_path / "feeds.toml", [(name, url, "regulator") for name, url in feeds])
        env = slack_bot_env(tmp_path, slack_api, catalog, CASEWATCH_ADMINS=ADMIN, **settings)
        url = start_bot(env) + "/slack/events"
        return Bot(url, tmp_path / "casewatch.db", start_bot.processes[-1])

    return launch


def admin(api: SlackApi) -> dict[str, str]:
    return {"user_id": ADMIN, "response_url": api.response_url}


def responses(api: SlackApi) -> list[str]:
    """What the bot sent later through the response URL."""
    return [call["text"] for call in api.calls_of("T0001")]


# --- 4: slow commands ------------------------------------------------------------


@pytest.mark.reliability("a dozen /feeds add and /feeds poll of feeds that hang hold up no one else", kind="abuse")
def test_slow_feed_commands_do_not_block_other_users(
    start: Callable[..., Bot], slack_api: SlackApi, feed_server: FeedServer
) -> None:
    # These URLs answer only once /release is asked for (the stand-in gives up after 5 s): longer than the
    # other user's commands below take.
    polled = feed_server.serve("/hang-polled.xml", GOOD_FEED, answer_after="/release")
    bot = start([("Slow regulator", polled)])
    urls = [feed_server.serve(f"/hang{n}.xml", GOOD_FEED, answer_after="/release") for n in range(11)]
    texts = [f"add {url}" for url in urls] + ["poll Slow regulator"]
    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        first = list(pool.map(lambda text: bot.command("/feeds", text, **admin(slack_api)), texts))
    assert [status for status, _, _ in first] == [200] * 12, first
    assert all(text.startswith(("Checking", "Polling")) for _, text, _ in first), first
    assert eventually(lambda: feed_server.in_flight >= 1), "no feed was fetched"

    other = {"user_id": "U0OTHER", "channel_id": "C0OTHER"}
    assert "now watches *binance*" in bot.answer("/watch", "binance", **other)
    assert "No case matches" in bot.answer("/case", "binance", **other)
    assert "*binance*" in bot.answer("/watchlist", "", **other)

    # Meanwhile the slow work goes on elsewhere and reports through the response URL.
    urllib.request.urlopen(feed_server.serve("/release", "released"), timeout=5).close()
    assert slack_api.wait_for(lambda: len(responses(slack_api)) == 12, timeout=60), responses(slack_api)
    answers = sorted(responses(slack_api))
    assert answers[-1].startswith("Polled *Slow regulator*:"), answers
    assert all(text.startswith(":white_check_mark: Added") for text in answers[:-1]), [
        a for a in answers if "Added" not in a
    ]
    assert "Feeds (12)" in bot.answer("/feeds", "")


# --- 5: a locked database ----------------------------------------------------------


@pytest.mark.reliability(
    "another process holds the database's write lock while users send commands", kind="storage fault"
)
def test_a_locked_database_gets_a_clear_answer_and_nothing_half_written(
    start: Callable[..., Bot], slack_api: SlackApi, feed_server: FeedServer
) -> None:
    # A poll gives up on the lock after the busy timeout (10 s unless set): 2 s keeps its wait short.
    bot = start([("SEC press", feed_server.serve("/sec.xml", BINANCE_ITEM))], CASEWATCH_BUSY_TIMEOUT_SECONDS="2")
    assert "now watches *coinbase*" in bot.answer("/watch", "coinbase")
    assert eventually(lambda: "No case matches" not in bot.answer("/case", "binance")), "no poll at start"
    locker = open_database(database_url(bot.db_path))
    begin_write(locker)  # another process writing, for longer than anyone waits (on PostgreSQL: past lock_timeout)
    try:
        busy = "the database is busy. Please try again in a minute."
        assert bot.answer("/watch", "binance") == f"Could not save the watch: {busy}"
        assert bot.answer("/unwatch", "coinbase").startswith(f"Could not remove the watch: {busy}")
        assert bot.answer("/feeds", "pause SEC press", user_id=ADMIN).startswith(f"Could not change the feed: {busy}")
        listed = bot.answer("/watchlist", "")  # reading still works
        assert "*coinbase*" in listed and "*binance*" not in listed
        assert "No case matches" not in bot.answer("/case", "binance")
        joined = post_event(bot.url, {"type": "member_joined_channel", "user": "UBOT", "channel": "C0001"})
        assert joined.status == 500  # not done: Slack will send the event again
        assert bot.answer("/feeds", "poll SEC press", **admin(slack_api)).startswith("Polling")
        assert slack_api.wait_for(lambda: responses(slack_api), timeout=30), "the poll was never reported"
        (report,) = responses(slack_api)
        assert "SEC press" in report and re.search(r"database (is busy|locked)", report), report
    finally:
        locker.conn.rollback()
        locker.close()
    assert "now watches *binance*" in bot.answer("/watch", "binance")
    listed = bot.answer("/watchlist", "")
    assert "*coinbase*" in listed and "*binance*" in listed and "This channel's watches (2)" in listed
    assert "paused" not in bot.answer("/feeds", "")
    assert post_event(bot.url, {"type": "member_joined_channel", "user": "UBOT", "channel": "C0001"}).status == 200
    log = bot.stop_and_read_log()
    assert "Traceback" not in log and "database locked" in log


# --- 9: malformed requests ---------------------------------------------------------


def _form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def _block_actions(**changes: object) -> dict:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": "U0001", "team_id": "T0001"},
        "channel": {"id": "C0001"},
        "response_url": "http://127.0.0.1:9/respond",
        "actions": [{"action_id": "watch_case", "value": "1", "type": "button"}],
    }
    payload.update(changes)
    return {key: value for key, value in payload.items() if value is not None}


def _event(**changes: object) -> bytes:
    body = {"type": "event_callback", "team_id": "T0001", "event": {"type": "app_home_opened", "user": "U0001"}}
    body.update(changes)
    return json.dumps(body).encode()


MALFORMED = {
    "a form body that is not UTF-8": (b"command=%2Fcase&team_id=T0001&text=bin\xff\xfeance", FORM),
    "a JSON body that is not UTF-8": (b'{"type": "event_callback", "event": "\xff"}', "application/json"),
    "a JSON body that is not JSON": (b'{"type": "event_callback", ', "application/json"),
    "a JSON body that is a list": (b'[{"type": "event_callback"}]', "application/json"),
    "an event that is a list": (_event(event=[{"type": "app_home_opened"}]), "application/json"),
    "an event without a type": (_event(event={"user": "U0001"}), "application/json"),
    "a team_id that is a number": (_event(team_id=1234), "application/json"),
    "a user that is a number": (_event(event={"type": "app_home_opened", "user": 5}), "application/json"),
    "a payload that is not JSON": (_form(payload="{not json"), FORM),
    "a payload that is a list": (_form(payload="[1, 2]"), FORM),
    "block actions without actions": (_form(payload=json.dumps(_block_actions(actions=None))), FORM),
    "block actions with an action that is text": (_form(payload=json.dumps(_block_actions(actions=["x"]))), FORM),
    "block actions with a user that is text": (_form(payload=json.dumps(_block_actions(user="U0001"))), FORM),
    "block actions with a team that is a list": (_form(payload=json.dumps(_block_actions(team=["T0001"]))), FORM),
    "a slash command without a channel": (_form(command="/watch", team_id="T0001", user_id="U0001", text="x"), FORM),
}


@pytest.mark.reliability("malformed but correctly signed requests (bad UTF-8, JSON of the wrong types)", kind="input")
def test_malformed_signed_requests_get_400_and_one_log_line(start: Callable[..., Bot]) -> None:
    bot = start()
    for case, (body, content_type) in MALFORMED.items():
        answer = post_signed(bot.url, body, content_type)
        assert answer.status == 400, (case, answer)
    assert "No case matches" in bot.answer("/case", "binance")  # still serving
    well_formed = post_signed(bot.url, _event(), "application/json")
    assert (well_formed.status, well_formed.body) == (200, "")  # acknowledged, with nothing for Slack to show
    log = bot.stop_and_read_log()
    assert "Traceback" not in log and SIGNING_SECRET not in log
    refusals = [line for line in log.splitlines() if "malformed Slack request" in line]
    assert len(refusals) == len(MALFORMED), log


# --- 10, 11: stable watch numbers, invisible characters ----------------------------


def watch_numbers(listing: str) -> dict[str, int]:
    """Each watched term in a /watchlist answer and its number."""
    return {term: int(number) for number, term in re.findall(r"`#(\d+)` \*(.+?)\*", listing)}


@pytest.mark.reliability("/unwatch N replayed or double-clicked", kind="input")
def test_unwatch_by_number_removes_that_watch_and_nothing_else_when_replayed(start: Callable[..., Bot]) -> None:
    bot = start()
    bot.answer("/watch", "binance")
    bot.answer("/watch", "coinbase")
    numbers = watch_numbers(bot.answer("/watchlist", ""))
    assert set(numbers) == {"binance", "coinbase"}
    assert "no longer watches *binance*" in bot.answer("/unwatch", str(numbers["binance"]))
    replayed = bot.answer("/unwatch", str(numbers["binance"]))
    assert "already removed" in replayed and "coinbase" not in replayed
    bot.answer("/unwatch", str(numbers["coinbase"]))
    bot.answer("/watch", "kraken")  # a new watch never takes a removed one's number
    assert watch_numbers(bot.answer("/watchlist", ""))["kraken"] not in numbers.values()
    assert "already removed" in bot.answer("/unwatch", str(numbers["coinbase"]))
    assert list(watch_numbers(bot.answer("/watchlist", ""))) == ["kraken"]


@pytest.mark.reliability("watch terms with control, zero-width or bidi characters", kind="input")
def test_invisible_characters_are_stripped_from_terms(start: Callable[..., Bot]) -> None:
    bot = start()
    assert "now watches *binance*" in bot.answer("/watch", "bin\u200bance\u202e\x00")
    assert "*binance*" in bot.answer("/watchlist", "")
    refused = bot.answer("/watch", "\u200b\u2066\ufeff\x07")
    assert "invisible" in refused and "/watch binance" in refused
    assert "invisible" in bot.answer("/unwatch", "\u200d\u200e")
    assert "invisible" in bot.answer("/case", "\u2060\x1b")
    assert "No case matches *coinbase*" in bot.answer("/case", "coin\u00adbase")
    assert "no longer watches *binance*" in bot.answer("/unwatch", "\u202abinance\u202c")
    assert "watches nothing yet" in bot.answer("/watchlist", "")


# --- abuse: signatures, sizes, hostile text, permissions, scope, secrets ----------


@pytest.mark.reliability("a 10 MB request body", kind="abuse")
def test_a_ten_megabyte_body_is_refused_and_the_bot_keeps_serving(start: Callable[..., Bot]) -> None:
    bot = start()
    body = urllib.parse.urlencode(slash_command("/case", "x" * (10 * 1024 * 1024))).encode()
    try:
        status = post_signed(bot.url, body, FORM).status
    except OSError:  # the server may close the connection while the body is still being sent
        status = None
    assert status in (None, 413)
    assert "No case matches" in bot.answer("/case", "binance")


@pytest.mark.reliability("a non-admin tries /feeds add, remove, pause and poll", kind="abuse")
def test_only_admins_change_feeds(start: Callable[..., Bot], slack_api: SlackApi, feed_server: FeedServer) -> None:
    bot = start([("SEC press", feed_server.serve("/sec.xml", BINANCE_ITEM))])
    for text in (f"add {feed_server.base}/other.xml", "remove SEC press", "pause 1", "poll SEC press"):
        answer = bot.answer("/feeds", text, user_id="U0SOMEONE", response_url=slack_api.response_url)
        assert "Only Casewatch admins can change feeds" in answer, text
    listed = bot.answer("/feeds", "")
    assert "Feeds (1)" in listed and "SEC press" in listed and "paused" not in listed
    assert feed_server.count("/other.xml") == 0 and responses(slack_api) == []


@pytest.mark.reliability("a watch removed from another channel or workspace", kind="abuse")
def test_watches_cannot_be_seen_or_removed_across_channels_and_teams(start: Callable[..., Bot]) -> None:
    bot = start()
    bot.answer("/watch", "binance", team_id="T0001", channel_id="C000A")
    (number,) = watch_numbers(bot.answer("/watchlist", "", team_id="T0001", channel_id="C000A")).values()
    for team, channel in (("T0001", "C000B"), ("T0002", "C000A")):
        assert "watches nothing yet" in bot.answer("/watchlist", "", team_id=team, channel_id=channel)
        assert "already removed" in bot.answer("/unwatch", str(number), team_id=team, channel_id=channel)
        assert "no such watch" in bot.answer("/unwatch", "binance", team_id=team, channel_id=channel)
    assert "*binance*" in bot.answer("/watchlist", "", team_id="T0001", channel_id="C000A")


@pytest.mark.reliability("tokens or signing secret written to the logs", kind="abuse")
def test_the_log_of_a_session_holds_no_secret(
    start: Callable[..., Bot], slack_api: SlackApi, feed_server: FeedServer
) -> None:
    feed_server.serve("/sec.xml", EMPTY_FEED)
    bot = start([("SEC press", f"{feed_server.base}/sec.xml")])
    assert eventually(lambda: feed_server.count("/sec.xml") >= 1)
    bot.answer("/watch", "binance")
    bot.answer("/watch", "binance", channel_id="C0GONE")
    slack_api.fail("chat.postMessage", 200, {"ok": False, "error": "invalid_auth"})
    slack_api.fail("chat.postMessage", 500, "<html>Internal Server Error</html>")
    feed_server.serve("/sec.xml", BINANCE_ITEM)
    bot.answer("/feeds", "poll SEC press", **admin(slack_api))
    assert slack_api.wait_for(lambda: len(slack_api.posts()) >= 1, timeout=20)  # one refused, one retried
    post_slack(bot.url, slash_command("/case", "binance"), secret="forged")
    post_signed(bot.url, b"\xff", FORM)
    bot.answer("/case", "binance")
    bot.answer("/watchlist", "")
    log = bot.stop_and_read_log()
    assert BOT_TOKEN not in log and SIGNING_SECRET not in log


HOSTILE_TEXTS = (
    "<!channel> <!here> <@U0ADMIN> <https://evil.example|sec.gov>",
    '"',
    "'",
    '"binance" OR "coinbase" NEAR(a b) * -x AND ^c: {d}',
    "payload={}",  # Bolt reads a form with "payload" in it as an interaction: the command would be lost
    "Robert'); DROP TABLE watches;--",
    "x" * 100_000,
)


@pytest.mark.reliability("hostile slash-command text (mentions, quotes, FTS and SQL syntax, 100 KB)", kind="abuse")
def test_hostile_command_text_gets_a_clear_answer(start: Callable[..., Bot]) -> None:
    bot = start()
    for text in HOSTILE_TEXTS:
        for name in ("/case", "/unwatch", "/watch", "/feeds"):
            answer = bot.answer(name, text)
            assert answer and "<!channel>" not in answer and "<!here>" not in answer, (name, text[:50], answer)
    assert "No case matches" in bot.answer("/case", "binance")
    listed = bot.answer("/watchlist", "")
    assert "<!channel>" not in listed and "&lt;!channel&gt;" in listed
