"""The Slack conventions users expect, over signed HTTP to the running bot:
dates in the reader's time zone, a Share button, buttons that update their
card, a paged Home tab, help with examples, and headlines that read well."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.demo import DEMO_FEEDS
from feeds.vocabulary import WatchKind
from handlers.mrkdwn import slack_date
from storage.database import open_database
from storage.watches import MAX_WATCHES_PER_CHANNEL, WatchSpec, add_watch
from tests.conftest import (
    FeedServer,
    SlackApi,
    block_kit_error,
    eventually,
    post_button,
    post_event,
    post_slack,
    run_bot,
    slack_bot_env,
    slash_command,
)
from tests.test_alerts_e2e import World, item, world  # noqa: F401 (world is a fixture)

DATE = re.compile(r"<!date\^[0-9]+\^\{date_short\}\|[0-9]{4}-[0-9]{2}-[0-9]{2}>")
DATE_AND_TIME = re.compile(
    r"<!date\^[0-9]+\^\{date_short\} \{time\}\|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC>"
)


@pytest.fixture
def demo_bot(tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable) -> tuple[str, dict]:
    """The demo's feeds (five Binance cases) polled, and a running bot; returns its events URL and environment."""
    for feed in DEMO_FEEDS.glob("*.xml"):
        feed_server.serve(f"/{feed.name}", feed.read_bytes())
    catalog = tmp_path / "feeds.toml"
    catalog.write_text((DEMO_FEEDS / "catalog.toml").read_text().replace("{base}", feed_server.base))
    env = slack_bot_env(tmp_path, slack_api, catalog)
    polled = run_bot(["poll", "--once"], env, cwd=tmp_path)
    assert polled.returncode == 0, polled.stdout + polled.stderr
    return start_bot(env) + "/slack/events", env


def ask(url: str, command: str, text: str, channel: str = "C0001") -> dict:
    answer = post_slack(url, slash_command(command, text, channel_id=channel, user_id="U0001"))
    assert answer.status == 200, answer.body
    message = answer.json()
    assert block_kit_error(message) is None, message
    return message


def buttons(blocks: list[dict]) -> list[dict]:
    return [element for block in blocks if block["type"] == "actions" for element in block["elements"]]


def cards(message: dict) -> list[list[dict]]:
    """The case cards of a ``/case`` answer: the blocks between its dividers."""
    found: list[list[dict]] = []
    for block in message["blocks"]:
        if block["type"] == "divider":
            found.append([])
        elif found:
            found[-1].append(block)
    return [card for card in found if buttons(card)]


def without_button_values(blocks: list[dict], leaving_out: str = "") -> list[dict]:
    """``blocks`` without their buttons' values (what a click carries, never shown) and without ``leaving_out`` buttons."""

    def shown(element: dict) -> dict:
        return {key: value for key, value in element.items() if key != "value"}

    return [
        {**block, "elements": [shown(b) for b in block["elements"] if b["action_id"] != leaving_out]}
        if block["type"] == "actions"
        else block
        for block in blocks
    ]


def responses(api: SlackApi) -> list[dict]:
    """What the bot sent to the clicks' response_url, each with its blocks read."""
    sent = api.calls_of("T0001")
    for payload in sent:
        if isinstance(payload.get("blocks"), str):
            payload["blocks"] = json.loads(payload["blocks"])
    return sent


# --- Answers read well ------------------------------------------------------------


def test_the_case_headline_names_the_query_then_how_many_are_shown(demo_bot: tuple[str, dict], tmp_path: Path) -> None:
    url, env = demo_bot
    message = ask(url, "/case", "binance")
    assert message["text"] == "4 cases match *binance* by name; showing the best 3"
    assert message["blocks"][0]["elements"][0]["text"] == "4 cases match *binance* by name; showing the best 3"
    assert ask(url, "/case", "1:23-cv-01599")["text"] == "1 case matches *1:23-cv-01599*"
    printed = run_bot(["case", "binance"], env, cwd=tmp_path)
    assert printed.stdout.splitlines()[0] == "4 cases match 'binance' by name; showing the best 3"


# --- Help -------------------------------------------------------------------------------


def test_help_gives_examples_for_case_watch_and_feeds(demo_bot: tuple[str, dict]) -> None:
    url, _ = demo_bot
    case_help = ask(url, "/case", "help")["text"]
    assert "`/case binance`" in case_help and "`/case 1:23-cv-01599`" in case_help and "Share in channel" in case_help
    assert "case matches" not in case_help and "cases match" not in case_help  # help, not a search for "help"
    watch_help = ask(url, "/watch", "help")["text"]
    assert '`/watch "Changpeng Zhao" aka CZ`' in watch_help and "`/watch binance daily`" in watch_help
    assert "watches nothing yet" in ask(url, "/watchlist", "")["text"]  # "help" was not watched
    assert "`/feeds pause 3`" in ask(url, "/feeds", "help")["text"]


def test_the_watchlist_footer_uses_the_channels_own_watches(demo_bot: tuple[str, dict]) -> None:
    url, _ = demo_bot
    ask(url, "/watch", "coinbase")
    listed = ask(url, "/watchlist", "")["text"]
    number = re.search(r"`#([0-9]+)` \*coinbase\*", listed).group(1)
    assert listed.splitlines()[-1] == f"Remove one by its number, `/unwatch {number}`, or by name, `/unwatch coinbase`."
    assert "binance" not in listed


# --- Dates in the reader's time zone ------------------------------------------------------


def test_dates_are_shown_in_the_readers_time_zone(
    demo_bot: tuple[str, dict], feed_server: FeedServer, tmp_path: Path
) -> None:
    url, env = demo_bot
    card = json.dumps(ask(url, "/case", "binance")["blocks"])
    assert "Ruling on <!date^" in card and len(DATE.findall(card)) >= 6
    assert "`2024-06-28`" not in card  # no bare UTC day left
    ask(url, "/watch", "binance")
    listed = ask(url, "/watchlist", "")["text"]
    assert re.search(r"added by <@U0001> on " + DATE.pattern, listed), listed
    feed_server.serve("/news.xml", b"", status=500)
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    feeds = ask(url, "/feeds", "")["text"]
    assert re.search("last success " + DATE_AND_TIME.pattern, feeds), feeds
    assert re.search("failing since " + DATE_AND_TIME.pattern, feeds), feeds


def test_alerts_and_home_show_dates_in_the_readers_time_zone(world: World) -> None:  # noqa: F811
    world.api.channels_of_user["U0001"] = ["C0001"]
    world.command("/watch", "binance")
    world.serve(sec=(BINANCE_JUDGMENT,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 1, timeout=5)
    alert = json.dumps(world.api.posts("C0001")[0]["blocks"])
    assert "*Date:* <!date^1736510400^{date_short}|2025-01-10>" in alert  # a day alone reads as that day, at noon UTC
    assert eventually(lambda: "1 alert sent" in world.command("/watchlist", "")["text"], timeout=5)
    view = home_view_after(world, lambda: post_event(world.events_url, HOME_OPENED))
    assert re.search(r"1 alert sent, last " + DATE.pattern, json.dumps(view)), view


# --- Share -----------------------------------------------------------------------------------


def test_share_posts_the_card_in_the_channel_and_the_answer_stays(
    demo_bot: tuple[str, dict], slack_api: SlackApi
) -> None:
    url, _ = demo_bot
    answer = ask(url, "/case", "binance")
    card = cards(answer)[1]
    (share,) = [button for button in buttons(card) if button["action_id"] == "share_case"]
    assert share["text"]["text"] == "Share in channel"
    assert post_button(url, "share_case", share["value"], slack_api.response_url).status == 200
    assert slack_api.wait_for(lambda: responses(slack_api), timeout=5)
    (shared,) = responses(slack_api)
    assert shared["response_type"] == "in_channel" and shared["replace_original"] is False  # the ephemeral stays
    assert block_kit_error(shared) is None
    *blocks, shared_by = shared["blocks"]
    assert shared_by["elements"][0]["text"] == "Shared by <@U0001>"
    assert without_button_values(blocks) == without_button_values(card, leaving_out="share_case")  # minus Share
    assert "Share in channel" not in json.dumps(shared)


# --- Buttons update their card ----------------------------------------------------------------


def test_watch_and_unwatch_replace_the_card_with_the_button_flipped(
    demo_bot: tuple[str, dict], slack_api: SlackApi
) -> None:
    url, _ = demo_bot
    answer = ask(url, "/case", "binance")
    first, second, _ = cards(answer)
    watch = buttons(first)[0]
    assert (watch["action_id"], watch["text"]["text"]) == ("watch_case", "Watch this case")
    post_button(url, "watch_case", watch["value"], slack_api.response_url)
    assert slack_api.wait_for(lambda: len(responses(slack_api)) == 1, timeout=5)
    replaced = responses(slack_api)[0]
    assert replaced["replace_original"] is True and block_kit_error(replaced) is None
    assert replaced["blocks"][0]["elements"][0]["text"].startswith(
        ":white_check_mark: This channel now watches this case"
    )
    flipped, untouched, _ = cards(replaced)
    assert [(b["action_id"], b["text"]["text"]) for b in buttons(flipped)] == [
        ("unwatch_case", "Unwatch this case"),
        ("share_case", "Share in channel"),
    ]
    assert buttons(untouched)[0]["action_id"] == "watch_case" and untouched[0] == second[0]
    assert "1:23-cv-01599" in ask(url, "/watchlist", "")["text"]

    post_button(url, "unwatch_case", buttons(flipped)[0]["value"], slack_api.response_url)
    assert slack_api.wait_for(lambda: len(responses(slack_api)) == 2, timeout=5)
    again = responses(slack_api)[1]
    assert again["replace_original"] is True
    assert again["blocks"][0]["elements"][0]["text"].startswith(":wave: This channel no longer watches this case")
    assert buttons(cards(again)[0])[0]["action_id"] == "watch_case"
    assert "watches nothing yet" in ask(url, "/watchlist", "")["text"]


@pytest.mark.reliability("a Watch click in a channel that has as many watches as allowed", kind="abuse")
def test_a_watch_click_over_the_channels_limit_says_so(demo_bot: tuple[str, dict], slack_api: SlackApi) -> None:
    url, env = demo_bot
    db = open_database(env["CASEWATCH_DB"])
    for n in range(MAX_WATCHES_PER_CHANNEL):
        spec = WatchSpec(kind=WatchKind.NAME, term=f"company{n}", term_key=f"company{n}")
        add_watch(db, team_id="T0001", channel_id="C0001", user_id="U0001", spec=spec)
    db.close()
    watch = buttons(cards(ask(url, "/case", "binance"))[0])[0]
    post_button(url, "watch_case", watch["value"], slack_api.response_url)
    assert slack_api.wait_for(lambda: responses(slack_api), timeout=5)
    (answer,) = responses(slack_api)
    assert answer["replace_original"] is False  # the card stays as it was: nothing changed
    assert answer["text"].startswith(f"Not added: this channel already has {MAX_WATCHES_PER_CHANNEL} watches")


def test_a_name_watch_says_it_watches_the_name(demo_bot: tuple[str, dict]) -> None:
    url, _ = demo_bot
    answer = ask(url, "/watch", "binance")["text"]
    assert "now watches *binance*" in answer and "this case" not in answer


# --- Home tab -------------------------------------------------------------------------------------

HOME_OPENED = {"type": "app_home_opened", "user": "U0001", "tab": "home"}
BINANCE_JUDGMENT = item(
    "SEC obtains final judgment against Binance and Changpeng Zhao",
    "Securities and Exchange Commission v. Binance Holdings Limited and Changpeng Zhao, Civil Action No. "
    "1:23-cv-01599 (D.D.C.): final judgment entered.",
    "Fri, 10 Jan 2025 00:00:00 GMT",
    "sec-judgment-2025",
    "https://www.sec.gov/news/press-release/2025-9",
)
UNCASED_NEWS = item(
    "Acmecoin exchange warned by regulator over marketing",
    "The regulator warned Acmecoin about its marketing.",
    "Mon, 13 Jan 2025 10:00:00 GMT",
    "acme-1",
    "https://news.example.org/acmecoin",
)


def home_view_after(running: World, click: Callable[[], object]) -> dict:
    """The Home tab the bot publishes after ``click`` (an event or a button)."""
    before = len(running.api.calls_of("views.publish"))
    click()
    assert running.api.wait_for(lambda: len(running.api.calls_of("views.publish")) > before, timeout=5)
    view = running.api.calls_of("views.publish")[-1]["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    assert len(view["blocks"]) <= 100 and block_kit_error({"text": "home", "blocks": view["blocks"]}) is None
    return view


def test_home_shows_every_watch_page_by_page(world: World) -> None:  # noqa: F811
    world.api.channels_of_user["U0001"] = ["C0001", "C0002"]
    terms = [f"company{n:02d}" for n in range(45)]
    for n, term in enumerate(terms):
        world.command("/watch", term, channel="C0001" if n % 2 else "C0002")
    first = json.dumps(home_view_after(world, lambda: post_event(world.events_url, HOME_OPENED)), ensure_ascii=False)
    assert "Watches 1\u201330 of 45" in first
    (more,) = [b for b in buttons(json.loads(first)["blocks"]) if b["text"]["text"] == "Show more"]
    second = json.dumps(
        home_view_after(world, lambda: post_button(world.events_url, more["action_id"], more["value"], "")),
        ensure_ascii=False,
    )
    assert "Watches 31\u201345 of 45" in second and "Show more" not in second
    assert all((f"*{term}*" in first) != (f"*{term}*" in second) for term in terms)  # each on exactly one page


def test_home_counts_an_alert_for_every_watch_and_names_uncased_alerts(world: World) -> None:  # noqa: F811
    world.api.channels_of_user["U0001"] = ["C0001"]
    world.command("/watch", "binance")
    world.command("/watch", '"Changpeng Zhao"')
    world.command("/watch", "Acmecoin")
    world.serve(sec=(BINANCE_JUDGMENT, UNCASED_NEWS))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 2, timeout=5)  # one alert per event
    listed = lambda: world.command("/watchlist", "")["text"]  # noqa: E731
    assert eventually(lambda: listed().count("1 alert sent") == 3, timeout=5), listed()
    view = json.dumps(home_view_after(world, lambda: post_event(world.events_url, HOME_OPENED)))
    assert view.count("1 alert sent") == 3
    assert "unnamed matter" not in view and "Acmecoin exchange warned by regulator" in view


# --- the date helper -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iso", "with_time", "shown"),
    [
        ("2024-06-28T20:41:12+00:00", False, "<!date^1719607272^{date_short}|2024-06-28>"),
        ("2024-06-28T22:41:12+02:00", True, "<!date^1719607272^{date_short} {time}|2024-06-28 20:41 UTC>"),
        ("2024-06-28T20:41:12", True, "<!date^1719607272^{date_short} {time}|2024-06-28 20:41 UTC>"),  # naive: UTC
        ("2024-06-28", False, "<!date^1719576000^{date_short}|2024-06-28>"),  # a day alone: noon UTC
        ("2024-06-28T00:00:00+00:00", False, "<!date^1719576000^{date_short}|2024-06-28>"),
        ("2024-06-28T00:00:00+00:00", True, "<!date^1719532800^{date_short} {time}|2024-06-28 00:00 UTC>"),
        ("<!channel> & co", False, "&lt;!channel&gt; &amp; co"),  # not a date: shown escaped
        (None, False, "undated"),
    ],
)
def test_slack_date_shows_the_readers_zone_and_falls_back_to_utc(iso: str | None, with_time: bool, shown: str) -> None:
    assert slack_date(iso, with_time=with_time) == shown


@pytest.mark.reliability("a button of an old answer about a case that no longer exists", kind="input")
@pytest.mark.parametrize("action_id", ["watch_case", "unwatch_case", "share_case"])
def test_a_button_about_a_case_that_is_gone_says_so(
    demo_bot: tuple[str, dict], slack_api: SlackApi, action_id: str
) -> None:
    url, _ = demo_bot
    gone = json.dumps({"case": 987654, "q": "binance"})
    assert post_button(url, action_id, gone, slack_api.response_url).status == 200
    assert slack_api.wait_for(lambda: responses(slack_api), timeout=5)
    (answer,) = responses(slack_api)
    assert answer["text"] == "That button no longer works: look the case up again with `/case`."
    assert answer["replace_original"] is False and answer.get("response_type") == "ephemeral"
    assert "now watches" not in json.dumps(answer)  # no watch made on a case that does not exist
