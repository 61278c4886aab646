"""Watches and alerts end to end: signed commands and clicks to the running bot,
feeds from a local server polled by a separate ``poll --once`` process, and
alerts delivered to the Slack Web API stand-in."""

from __future__ import annotations

import csv
import io
import itertools
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest

from tests.conftest import (
    FeedServer,
    SlackApi,
    eventually,
    post_button,
    post_event,
    post_slack,
    run_bot,
    slack_bot_env,
    slash_command,
    write_catalog,
)
from tests.reliability import Observed

CAPTION = "1:23-cv-01599 Securities and Exchange Commission v. Binance Holdings Limited et al"
SEC_LINK = "https://www.sec.gov/news/press-release/2023-101"
SEC_TEXT = (
    "The SEC today filed 13 charges against Binance Holdings Ltd. and its founder. Securities and Exchange "
    "Commission v. Binance Holdings Limited, BAM Trading Services Inc., BAM Management US Holdings Inc., and "
    "Changpeng Zhao, Civil Action No. 1:23-cv-01599 (D.D.C.)."
)


def item(title: str, description: str, date: str, guid: str, link: str) -> str:
    return (
        f"<item><title>{xml_escape(title)}</title><link>{xml_escape(link)}</link>"
        f"<description>{xml_escape(description)}</description><pubDate>{date}</pubDate>"
        f"<guid isPermaLink='false'>{xml_escape(guid)}</guid></item>"
    )


def rss(site: str, *items: str) -> str:
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><link>{site}</link>{''.join(items)}</channel></rss>"


SEC_COMPLAINT = item(
    "SEC Files 13 Charges Against Binance Entities and Founder Changpeng Zhao",
    SEC_TEXT,
    "Mon, 05 Jun 2023 10:00:00 -0400",
    "sec-pr-2023-101",
    SEC_LINK,
)
SEC_REPUBLISHED = item(
    "SEC Files 13 Charges Against Binance Entities and Its Founder (updated)",
    SEC_TEXT,
    "Mon, 05 Jun 2023 10:00:00 -0400",
    "sec-pr-2023-101-republished",
    SEC_LINK + "?v=2",
)
DOCKET = "https://ecf.dcd.uscourts.gov/cgi-bin/DktRpt.pl?259117"
DCD_COMPLAINT = item(CAPTION, "[Complaint] (1)", "Mon, 05 Jun 2023 14:05:00 GMT", "dcd-1", DOCKET)
DCD_APPEARANCE = item(CAPTION, "[Notice of Appearance] (12)", "Tue, 06 Jun 2023 15:20:00 GMT", "dcd-12", DOCKET)
DCD_RULING = item(
    CAPTION,
    "[Order on Motion to Dismiss] Memorandum Opinion and Order granting in part and denying in part. (248)",
    "Fri, 28 Jun 2024 20:41:12 GMT",
    "dcd-248",
    DOCKET,
)
METADATA_NEWS = item(
    "Metadata Inc. fined by regulator",
    "In the Matter of Metadata Inc., an order.",
    "Mon, 01 Jul 2024 10:00:00 GMT",
    "meta-1",
    "https://news.example.org/metadata",
)


SLACK_TIMEOUT = 2  # the sender's Web API timeout in these tests (seconds)


@dataclass
class World:
    api: SlackApi
    feeds: FeedServer
    env: dict[str, str]
    cwd: Path
    events_url: str
    start: Callable[[dict[str, str]], str]
    flushes: int = 0

    def serve(self, *, sec: tuple[str, ...] = (), dcd: tuple[str, ...] = ()) -> None:
        self.feeds.serve("/sec.xml", rss("https://www.sec.gov/", *sec))
        self.feeds.serve("/dcd.xml", rss("https://ecf.dcd.uscourts.gov", *dcd))

    def poll(self) -> str:
        result = run_bot(["poll", "--once"], self.env, cwd=self.cwd)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def command(self, command: str, text: str, team: str = "T0001", channel: str = "C0001") -> dict:
        answer = post_slack(
            self.events_url, slash_command(command, text, team_id=team, channel_id=channel, user_id="U0001")
        )
        assert answer.status == 200, answer.body
        return answer.json()

    def flush(self) -> None:
        """Wait until the sender has finished a full pass after everything so
        far: a marker alert, created now, is delivered only after recovery and
        every older due alert (the sender works in that order)."""
        self.flushes += 1
        if self.flushes == 1:
            self.command("/watch", "flushmarker", channel="CFLUSH")
        self.feeds.serve(
            "/flush.xml",
            rss(
                "https://example.org/",
                *(
                    item(f"Flushmarker {n}", "marker", "Mon, 01 Jan 2024 10:00:00 GMT", f"f{n}", "https://example.org/")
                    for n in range(self.flushes)
                ),
            ),
        )
        self.poll()
        assert self.api.wait_for(lambda: len(self.api.posts("CFLUSH")) == self.flushes, timeout=10)

    def restart(self, **env: str) -> None:
        self.stop()
        self.events_url = self.start({**self.env, **env}) + "/slack/events"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        process = self.start.processes[-1]  # type: ignore[attr-defined]
        process.send_signal(sig)
        process.wait(timeout=10)


@pytest.fixture
def world(tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable) -> World:
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("SEC press releases", f"{feed_server.base}/sec.xml", "regulator"),
            ("D.D.C. docket", f"{feed_server.base}/dcd.xml", "court"),
            ("Markers", f"{feed_server.base}/flush.xml", "news"),
        ],
    )
    env = slack_bot_env(
        tmp_path,
        slack_api,
        catalog,
        CASEWATCH_STALE_SEND_SECONDS="0",
        CASEWATCH_SLACK_TIMEOUT_SECONDS=str(SLACK_TIMEOUT),
        CASEWATCH_POST_INTERVAL_SECONDS="0.05",
        CASEWATCH_AUTH_CHECK_SECONDS="1",
    )
    world = World(slack_api, feed_server, env, tmp_path, "", start_bot)
    world.serve()
    feed_server.serve("/flush.xml", rss("https://example.org/"))
    world.events_url = start_bot(env) + "/slack/events"
    world.poll()  # every feed's first poll (its backlog alerts no one) is behind us
    return world


def text_of(message: dict) -> str:
    return json.dumps(message.get("blocks")) + message.get("text", "")


def record_delivery(observed: Observed, api: SlackApi, channel: str, expected: int) -> None:
    """Alerts lost and duplicated in ``channel``, counted from the stand-in's messages
    (each alert carries its id as message metadata)."""
    ids = [post.get("metadata", {}).get("event_payload", {}).get("alert_id") for post in api.posts(channel)]
    lost = max(0, expected - len(set(ids)))
    duplicated = len(ids) - len(set(ids))
    observed.record(alerts_lost=lost, alerts_duplicated=duplicated)
    assert (lost, duplicated) == (0, 0), ids


def test_a_watch_alerts_once_per_event_threaded_per_case(world: World) -> None:
    answer = world.command("/watch", "binance")
    assert "This channel now watches *binance* with instant alerts" in answer["text"]

    world.serve(sec=(SEC_COMPLAINT,), dcd=(DCD_COMPLAINT,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 1, timeout=20)
    first = world.api.posts("C0001")[0]
    assert "thread_ts" not in first  # the first alert of a case is top-level
    body = text_of(first)
    assert "*Complaint*" in body and "Securities and Exchange Commission v. Binance Holdings Limited" in body
    assert (
        "*Court:* D.D.C." in body
        and "1:23-cv-01599" in body
        and "*Date:* <!date^1685966400^{date_short}|2023-06-05>" in body
    )
    assert "watched: binance" in body
    # One event, two feeds: one alert naming both (in the message, or by an edit).
    assert world.api.wait_for(
        lambda: all(name in text_of(world.api.posts("C0001")[0]) for name in ("SEC press releases", "D.D.C. docket")),
        timeout=20,
    )

    world.serve(sec=(SEC_COMPLAINT,), dcd=(DCD_RULING, DCD_APPEARANCE, DCD_COMPLAINT))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 2, timeout=20)
    reply = world.api.posts("C0001")[1]
    assert reply["thread_ts"] == first["ts"]  # later events go into the case's thread
    assert reply["reply_broadcast"] in (True, "true", "1", 1)  # a ruling is major: also sent to the channel
    assert "*Ruling*" in text_of(reply)

    # Nothing new, a routine entry, and a re-published release with an edited title: no alert.
    world.serve(sec=(SEC_REPUBLISHED, SEC_COMPLAINT), dcd=(DCD_RULING, DCD_APPEARANCE, DCD_COMPLAINT))
    world.poll()
    world.flush()
    world.restart()  # a restart must not resend anything either
    world.flush()
    assert "2 alerts sent" in world.command("/watchlist", "")["text"]
    assert len(world.api.posts("C0001")) == 2
    assert all("Notice of Appearance" not in text_of(post) for post in world.api.posts())


@pytest.mark.reliability(
    "a watched founder named only by the agency's release, after the court's entry of the complaint", kind="input"
)
def test_a_party_named_only_by_the_events_later_source_is_alerted(world: World, observed: Observed) -> None:
    """The court's entry of the complaint names Binance "et al"; the SEC's
    release of the same complaint, polled later, also names the founder.
    The channel watching the founder hears of the complaint then; the one
    watching Binance, alerted by the entry, gets no second alert."""
    world.command("/watch", "binance")
    world.command("/watch", "Changpeng Zhao", channel="CZHAO")
    world.serve(dcd=(DCD_COMPLAINT,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 1, timeout=20)
    assert world.api.posts("CZHAO") == []

    world.serve(sec=(SEC_COMPLAINT,), dcd=(DCD_COMPLAINT,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("CZHAO")) == 1, timeout=20)
    world.flush()
    record_delivery(observed, world.api, "CZHAO", 1)
    alert = text_of(world.api.posts("CZHAO")[0])
    assert "*Complaint*" in alert and "watched: Changpeng Zhao" in alert
    assert len(world.api.posts("C0001")) == 1


def test_a_name_watch_ignores_other_words(world: World) -> None:
    world.command("/watch", "Meta")
    world.serve(sec=(METADATA_NEWS,))
    world.poll()
    world.flush()
    assert world.api.posts("C0001") == []


def test_routine_entries_alert_only_watches_that_ask_for_all(world: World) -> None:
    world.command("/watch", "1:23-cv-01599 all", channel="C0001")
    world.command("/watch", "23-cv-1599", channel="C0002")
    world.serve(dcd=(DCD_APPEARANCE,))
    world.poll()
    world.serve(dcd=(DCD_APPEARANCE, DCD_RULING))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0002")) == 1 and len(world.api.posts("C0001")) == 2)
    assert "Notice of Appearance" in text_of(world.api.posts("C0001")[0])
    assert "*Ruling*" in text_of(world.api.posts("C0002")[0])


@pytest.mark.reliability("a workspace sees or is alerted for another workspace's watches", kind="abuse")
def test_workspaces_never_see_each_other(world: World) -> None:
    world.command("/watch", "binance", team="T0001", channel="C0001")
    answer = world.command("/watch", "binance", team="T0002", channel="C0009")
    assert "Also watched in" not in answer["text"]
    assert "This channel watches nothing yet" in world.command("/watchlist", "", team="T0002", channel="C0001")["text"]
    answer = world.command("/watch", "binance", team="T0001", channel="C0003")
    assert "Also watched in <#C0001>" in answer["text"] and "C0009" not in answer["text"]
    world.serve(sec=(SEC_COMPLAINT,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts()) == 3, timeout=20)
    assert sorted(post["channel"] for post in world.api.posts()) == ["C0001", "C0003", "C0009"]


@pytest.mark.reliability("Slack answers 429 (Retry-After), 500 and 503 to an alert", kind="slack fault")
def test_rate_limits_and_server_errors_are_retried_without_duplicates(world: World, observed: Observed) -> None:
    world.api.fail("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, **{"Retry-After": "1"})
    world.api.fail("chat.postMessage", 500, "<html>Internal Server Error</html>")
    world.api.fail("chat.postMessage", 503, {"ok": False, "error": "service_unavailable"})
    world.command("/watch", "binance")
    world.serve(sec=(SEC_COMPLAINT,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts()) == 1, timeout=15)
    assert len(world.api.calls_of("chat.postMessage")) == 4  # three refusals, one success
    assert eventually(lambda: "1 alert sent" in world.command("/watchlist", "")["text"], timeout=20)
    world.restart()
    world.flush()
    assert "1 alert sent" in world.command("/watchlist", "")["text"]
    record_delivery(observed, world.api, "C0001", expected=1)


@pytest.mark.reliability(
    "Slack refuses an alert for good (not_in_channel) until the bot is invited", kind="slack fault"
)
def test_not_in_channel_is_explained_and_alerts_follow_the_invite(world: World, observed: Observed) -> None:
    world.api.fail("chat.postMessage", 200, {"ok": False, "error": "not_in_channel"})
    world.command("/watch", "binance", channel="C0005")
    world.serve(sec=(SEC_COMPLAINT,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.calls_of("chat.postMessage")) == 1, timeout=20)
    assert eventually(
        lambda: "/invite @Casewatch" in world.command("/watchlist", "", channel="C0005")["text"], timeout=20
    )
    assert world.api.posts() == []
    world.api.channels_of_user["U0001"] = ["C0005"]
    assert post_event(world.events_url, {"type": "app_home_opened", "user": "U0001", "tab": "home"}).status == 200
    assert world.api.wait_for(lambda: world.api.calls_of("views.publish"), timeout=20)
    assert "/invite @Casewatch" in json.dumps(world.api.calls_of("views.publish")[0]["view"])
    answer = post_event(world.events_url, {"type": "member_joined_channel", "user": "UBOT", "channel": "C0005"})
    assert answer.status == 200
    assert world.api.wait_for(lambda: len(world.api.posts("C0005")) == 1, timeout=20)
    assert "/invite" not in world.command("/watchlist", "", channel="C0005")["text"]
    record_delivery(observed, world.api, "C0005", expected=1)


def test_alerts_created_while_the_bot_is_down_are_sent_after_restart(world: World) -> None:
    world.command("/watch", "binance")
    world.stop()
    world.serve(sec=(SEC_COMPLAINT,), dcd=(DCD_RULING,))
    output = world.poll()
    assert "SEC press releases: 1 new of 1, 1 alert queued" in output
    assert "D.D.C. docket: 1 new of 1, 1 alert queued" in output
    assert world.api.posts() == []
    world.restart()
    assert world.api.wait_for(lambda: len(world.api.posts()) == 2, timeout=20)


@pytest.mark.parametrize(
    "history_fails_first",
    [
        pytest.param(False, marks=pytest.mark.reliability("kill -9 while sending an alert", kind="crash")),
        pytest.param(
            True,
            marks=pytest.mark.reliability(
                "kill -9 while sending, and Slack's history fails at first after the restart", kind="crash"
            ),
        ),
    ],
)
def test_a_crash_between_posting_and_recording_sends_nothing_twice(
    world: World, history_fails_first: bool, observed: Observed
) -> None:
    world.command("/watch", "binance")
    world.api.hold_posts.clear()  # Slack stores the message but the answer never reaches the bot
    world.serve(sec=(SEC_COMPLAINT,))
    world.poll()
    assert world.api.post_arrived.wait(timeout=20)
    world.stop(signal.SIGKILL)
    world.api.hold_posts.set()
    if history_fails_first:  # Slack cannot say at first whether the post landed: ask again, do not resend
        world.api.fail("conversations.history", 500, {"ok": False, "error": "internal_error"})
    world.restart()
    # Recording the found message settles the alert for good: no later pass can post it again.
    assert eventually(lambda: "1 alert sent" in world.command("/watchlist", "")["text"], timeout=10)
    record_delivery(observed, world.api, "C0001", expected=1)


def test_daily_digest_groups_events_by_case_and_skips_empty_days(world: World) -> None:
    world.command("/watch", "binance daily")
    world.serve(sec=(SEC_COMPLAINT,), dcd=(DCD_RULING,))
    world.poll()
    world.flush()
    assert world.api.posts("C0001") == []  # digest watches get nothing instantly
    # A digest from cron posts with the bot token alone: it serves no Slack request, so it needs no signing secret.
    posting_only = {name: value for name, value in world.env.items() if name != "SLACK_SIGNING_SECRET"}
    digest = run_bot(["digest"], posting_only, cwd=world.cwd)
    assert digest.returncode == 0, digest.stderr
    assert "1 daily digest posted." in digest.stdout
    (message,) = world.api.posts("C0001")
    body = text_of(message)
    assert "Casewatch daily digest: 2 new events in 1 case" in body
    assert body.count("Securities and Exchange Commission v. Binance Holdings Limited") == 1
    assert "*Complaint*" in body and "*Ruling*" in body
    again = run_bot(["digest"], world.env, cwd=world.cwd)
    assert "0 daily digests posted." in again.stdout
    assert len(world.api.posts("C0001")) == 1


def test_watch_button_on_the_case_card(world: World) -> None:
    world.serve(sec=(SEC_COMPLAINT,), dcd=(DCD_COMPLAINT,))
    world.poll()
    card = world.command("/case", "binance")
    (button, _share) = [b for block in card["blocks"] if block["type"] == "actions" for b in block["elements"]]
    assert button["action_id"] == "watch_case"
    answer = post_button(world.events_url, "watch_case", button["value"], world.api.response_url)
    assert answer.status == 200
    assert world.api.wait_for(lambda: world.api.calls_of("T0001"), timeout=20)
    assert "now watches this case (by its docket number *1:23-cv-01599*)" in world.api.calls_of("T0001")[0]["text"]
    assert "1:23-cv-01599" in world.command("/watchlist", "")["text"]
    card = world.command("/case", "binance")
    (button, _share) = [b for block in card["blocks"] if block["type"] == "actions" for b in block["elements"]]
    assert button["action_id"] == "unwatch_case"
    post_button(world.events_url, "unwatch_case", button["value"], world.api.response_url)
    assert world.api.wait_for(lambda: len(world.api.calls_of("T0001")) == 2, timeout=20)
    assert "nothing yet" in world.command("/watchlist", "")["text"]


def test_home_tab_shows_the_users_channels_watches_and_alerts(world: World) -> None:
    world.api.channels_of_user["U0001"] = ["C0001"]
    world.command("/watch", "binance", channel="C0001")
    world.command("/watch", "coinbase", channel="C0777")  # a channel the user is not in
    world.serve(sec=(SEC_COMPLAINT,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts()) == 1, timeout=20)
    # Slack has the message; wait until the bot has recorded it, which is what the Home tab reads.
    assert eventually(lambda: "1 alert sent" in world.command("/watchlist", "", channel="C0001")["text"], timeout=20)
    assert post_event(world.events_url, {"type": "app_home_opened", "user": "U0001", "tab": "home"}).status == 200
    assert world.api.wait_for(lambda: world.api.calls_of("views.publish"), timeout=20)
    view = world.api.calls_of("views.publish")[0]["view"]
    body = json.dumps(view if isinstance(view, dict) else json.loads(view))
    assert "*binance*" in body and "coinbase" not in body
    assert "Complaint" in body and "Securities and Exchange Commission v. Binance" in body


def test_watch_commands_explain_bad_input(world: World) -> None:
    assert "Say what to watch" in world.command("/watch", "")["text"]
    assert "not closed" in world.command("/watch", '"Changpeng Zhao aka CZ')["text"]
    assert "too short" in world.command("/watch", "x")["text"]
    assert "no such watch" in world.command("/unwatch", "7")["text"]
    answer = world.command("/watch", '"Changpeng Zhao" aka CZ weekly')
    assert "*Changpeng Zhao* or *CZ*" in answer["text"] and "a weekly digest" in answer["text"]
    answer = world.command("/watch", "<!channel> <https://evil|x>")
    assert "<!channel>" not in answer["text"] and "&lt;!channel&gt;" in answer["text"]
    assert "no longer watches *Changpeng Zhao*" in world.command("/unwatch", "1")["text"]


def test_audit_exports_watch_changes_and_deliveries(world: World) -> None:
    world.command("/watch", "binance")
    world.command("/watch", "binance daily")
    world.serve(sec=(SEC_COMPLAINT,))
    world.poll()
    run_bot(["digest"], world.env, cwd=world.cwd)
    world.command("/unwatch", "binance")
    result = run_bot(["audit"], world.env, cwd=world.cwd)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["action"] for row in rows] == ["watch added", "watch changed", "alert delivered", "watch removed"]
    assert rows[0]["actor"] == "U0001" and rows[0]["channel_id"] == "C0001" and rows[0]["team_id"] == "T0001"
    assert json.loads(rows[2]["detail"])["ts"]


# --- Slack faults: maybe posted, limits, pacing, tokens -------------------------------------------


@pytest.mark.reliability("Slack stores an alert but answers after the bot's timeout", kind="slack fault")
def test_an_alert_answered_after_the_timeout_is_not_posted_again(world: World, observed: Observed) -> None:
    world.command("/watch", "binance")
    world.api.answer_late("chat.postMessage", 12)  # beyond any client timeout the bot may use
    world.serve(sec=(SEC_COMPLAINT,))
    world.poll()
    # Slack has it at once; the bot hears nothing, so it must look before posting again.
    assert eventually(lambda: "1 alert sent" in world.command("/watchlist", "")["text"], timeout=20)
    world.flush()
    record_delivery(observed, world.api, "C0001", expected=1)


@pytest.mark.reliability("Slack stores an alert, then the connection drops before the answer", kind="slack fault")
def test_an_alert_whose_connection_dropped_is_not_posted_again(world: World, observed: Observed) -> None:
    world.command("/watch", "binance")
    world.api.drop_connection("chat.postMessage")
    world.serve(sec=(SEC_COMPLAINT,))
    world.poll()
    assert eventually(lambda: "1 alert sent" in world.command("/watchlist", "")["text"], timeout=10)
    world.flush()
    record_delivery(observed, world.api, "C0001", expected=1)


def long_link_item(length: int) -> str:
    link = "https://www.sec.gov/news/press-release/2023-101?" + "&".join(
        f"utm_{n}=tracking" for n in range(length // 15)
    )
    return item(
        "SEC Files 13 Charges Against Binance Entities and Founder Changpeng Zhao",
        SEC_TEXT,
        "Mon, 05 Jun 2023 10:00:00 -0400",
        "sec-pr-2023-101",
        link[:length],
    )


@pytest.mark.reliability("a feed link of 5,000 characters (over Slack's block limits)", kind="input")
def test_an_alert_with_a_huge_link_fits_slacks_limits(world: World, observed: Observed) -> None:
    world.command("/watch", "binance")
    world.serve(sec=(long_link_item(5000),))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 1, timeout=10)
    (message,) = world.api.posts("C0001")
    assert message.get("blocks")  # the full message, not the fallback
    assert "Binance" in text_of(message) and "utm_300" not in text_of(message)
    world.flush()
    record_delivery(observed, world.api, "C0001", expected=1)


@pytest.mark.reliability("Slack refuses an alert's blocks (invalid_blocks)", kind="slack fault")
def test_refused_blocks_fall_back_once_to_plain_text_in_the_same_thread(world: World, observed: Observed) -> None:
    world.command("/watch", "binance")
    world.serve(sec=(SEC_COMPLAINT,), dcd=(DCD_COMPLAINT,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 1, timeout=10)
    world.api.fail("chat.postMessage", 200, {"ok": False, "error": "invalid_blocks"})
    world.serve(sec=(SEC_COMPLAINT,), dcd=(DCD_RULING, DCD_COMPLAINT))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 2, timeout=10)
    first, fallback = world.api.posts("C0001")
    assert not fallback.get("blocks") and fallback["thread_ts"] == first["ts"]
    assert "Ruling" in fallback["text"] and "Binance" in fallback["text"]
    assert eventually(lambda: "2 alerts sent" in world.command("/watchlist", "")["text"], timeout=20)
    world.flush()
    record_delivery(observed, world.api, "C0001", expected=2)


def burst(count: int) -> tuple[str, ...]:
    return tuple(
        item(
            f"Acme Widgets Inc. fined, order {n}",
            f"In the Matter of Acme Widgets Inc., order {n}.",
            f"Mon, {3 * n + 1:02d} Jul 2024 10:00:00 GMT",
            f"acme-{n}",
            f"https://www.sec.gov/acme/{n}",
        )
        for n in range(count)
    )


@pytest.mark.reliability("a burst of alerts to one channel (Slack allows about one a second)", kind="slack fault")
def test_a_burst_of_alerts_is_paced_per_channel(world: World, observed: Observed) -> None:
    world.restart(CASEWATCH_POST_INTERVAL_SECONDS="0.4")
    world.command("/watch", "acme widgets", channel="C0001")
    world.command("/watch", "acme widgets", channel="C0002")
    world.serve(sec=burst(4))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts()) == 8, timeout=15), [
        text_of(p)[:300] for p in world.api.posts()
    ]
    for channel in ("C0001", "C0002"):
        times = [at for posted_to, at in world.api.post_times if posted_to == channel]
        assert min(later - earlier for earlier, later in itertools.pairwise(times)) >= 0.4
    # The second channel is not held up behind the first one's pacing.
    order = [channel for channel, _ in world.api.post_times]
    assert order.index("C0002") < len(order) - order[::-1].index("C0001") - 1
    record_delivery(observed, world.api, "C0001", expected=4)
    record_delivery(observed, world.api, "C0002", expected=4)


@pytest.mark.reliability("the bot's token fails (invalid_auth) for a while, then works again", kind="slack fault")
def test_alerts_held_by_a_failing_token_are_sent_once_it_works_again(world: World, observed: Observed) -> None:
    world.command("/watch", "binance")
    world.api.auth_broken = True
    world.serve(sec=(SEC_COMPLAINT,))
    world.poll()
    assert eventually(lambda: "reinstall the app" in world.command("/watchlist", "")["text"], timeout=10)
    assert world.api.posts() == []
    world.api.auth_broken = False
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 1, timeout=10)
    assert eventually(lambda: "reinstall" not in world.command("/watchlist", "")["text"], timeout=20)
    world.flush()
    record_delivery(observed, world.api, "C0001", expected=1)
