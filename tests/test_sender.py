"""The alert sender's rules, driven directly: a real SQLite outbox, an in-memory
Slack (the :class:`SlackPoster` protocol) and a fake clock, so that pacing and
Retry-After are measured exactly and nothing sleeps. The same rules are
exercised end to end, with the real slack_sdk client, in test_alerts_e2e.py."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.sender import AUTH_ERRORS, AlertSender
from bot.slack_poster import SlackFailure, alert_metadata, carries_alert
from storage.database import ThreadDatabases, now_iso
from storage.workspaces import is_paused, resume
from tests.conftest import block_kit_error
from tests.reliability import Observed

TEAM = "T0001"


# When a test's alerts are due: before any fake clock's start. Stamping them with
# the real clock made a test flaky: alerts made across a second's boundary were
# due a fake second apart.
DUE_FROM_THE_START = "2000-01-01T00:00:00+00:00"


class FakeClock:
    """Unix time that moves only when told to; starts on a whole second, so sums stay exact."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSlack:
    """Slack in memory. Posts are stored with the fake clock's time; Block Kit
    limits are enforced as Slack does. Queued outcomes script the next posts:
    ``refuse`` (Slack answers no: nothing stored), ``unreachable`` (nothing
    sent), ``lose_answer`` (stored, or not, and then no clear answer)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.messages: list[dict] = []
        self.attempts: list[float] = []  # when each post was tried
        self.next_posts: list[tuple[SlackFailure, bool]] = []  # (failure, stored first)
        self.history_failures: list[SlackFailure] = []
        self.auth_failure: SlackFailure | None = None
        self._ts = itertools.count(1700000001)

    def refuse(self, code: str, *, retry_after: float | None = None) -> None:
        self.next_posts.append((SlackFailure(code, refused=True, retry_after=retry_after), False))

    def unreachable(self) -> None:
        self.next_posts.append((SlackFailure("connection refused"), False))

    def lose_answer(self, code: str = "timeout", *, stored: bool = True) -> None:
        self.next_posts.append((SlackFailure(code, maybe_done=True), stored))

    def post(self, message: dict) -> str:
        self.attempts.append(self.clock())
        failure, stored = self.next_posts.pop(0) if self.next_posts else (None, True)
        if failure and not stored:
            raise failure
        refusal = block_kit_error(message)
        if refusal:
            raise SlackFailure(refusal, refused=True)
        ts = f"{next(self._ts)}.000100"
        self.messages.append({**message, "ts": ts, "at": self.clock()})
        if failure:
            raise failure
        return ts

    def update(self, channel: str, ts: str, message: dict) -> None:
        for stored in self.messages:
            if stored["channel"] == channel and stored["ts"] == ts:
                stored.update(message, updated=True)

    def find_posted(self, channel: str, alert_id: int, *, thread_ts: str | None, oldest: float) -> str | None:
        if self.history_failures:
            raise self.history_failures.pop(0)
        for message in self.messages:
            in_place = message.get("thread_ts") == thread_ts or (thread_ts and message["ts"] == thread_ts)
            if message["channel"] == channel and in_place and carries_alert(message, alert_id):
                return message["ts"]
        return None

    def check_auth(self) -> None:
        if self.auth_failure:
            raise self.auth_failure

    def posts(self, channel: str | None = None) -> list[dict]:
        return [m for m in self.messages if channel is None or m["channel"] == channel]


class Outbox:
    """Alerts written straight into a real outbox (one event and item each)."""

    def __init__(self, path: Path) -> None:
        self.databases = ThreadDatabases(path)
        self.db: Database = self.databases.get()
        self.feed_id = (
            self.db["feeds"]
            .insert(
                {"name": "SEC press releases", "url": "https://www.sec.gov/rss", "kind": "regulator"}
                | {"interval_minutes": 10, "created_at": now_iso()}
            )
            .last_pk
        )
        self._items = itertools.count(1)

    def case(self, caption: str) -> int:
        return self.db["cases"].insert({"caption": caption, "agency": "SEC", "created_at": now_iso()}).last_pk

    def alert(
        self,
        channel: str = "C0001",
        *,
        title: str = "SEC charges Acme Widgets Inc.",
        link: str = "https://www.sec.gov/acme",
        case_id: int | None = None,
        action: str = "complaint",
        mode: str = "instant",
        team: str = TEAM,
    ) -> int:
        n = next(self._items)
        item_id = (
            self.db["items"]
            .insert(
                {"feed_id": self.feed_id, "item_key": f"k{n}", "link": link, "title": title}
                | {"seen_at": now_iso(), "event_at": now_iso(), "case_id": case_id}
            )
            .last_pk
        )
        event_id = (
            self.db["events"]
            .insert(
                {"case_id": case_id, "action": action, "event_day": "2024-07-01", "identity": f"e{n}"}
                | {"first_item_id": item_id, "created_at": now_iso()}
            )
            .last_pk
        )
        self.db.execute("UPDATE items SET event_id = ? WHERE id = ?", [event_id, item_id])
        watch_id = (
            self.db["watches"]
            .insert(
                {"team_id": team, "channel_id": channel, "kind": "name", "term": f"acme {n}", "term_key": f"acme {n}"}
                | {"mode": mode, "created_by": "U0001", "created_at": now_iso()}
            )
            .last_pk
        )
        return (
            self.db["alerts"]
            .insert(
                {"team_id": team, "channel_id": channel, "event_id": event_id, "case_id": case_id, "watch_id": watch_id}
                | {"matched_term": "acme", "mode": mode, "status": "pending", "next_attempt_at": DUE_FROM_THE_START}
                | {"created_at": now_iso()}
            )
            .last_pk
        )

    def status(self, alert_id: int) -> str:
        return self.db.execute("SELECT status FROM alerts WHERE id = ?", [alert_id]).fetchone()[0]

    def watch_error(self, alert_id: int) -> str | None:
        return self.db.execute(
            "SELECT watches.last_error FROM alerts JOIN watches ON watches.id = alerts.watch_id WHERE alerts.id = ?",
            [alert_id],
        ).fetchone()[0]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slack(clock: FakeClock) -> FakeSlack:
    return FakeSlack(clock)


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "sender.db")


@pytest.fixture
def sender(outbox: Outbox, slack: FakeSlack, clock: FakeClock) -> AlertSender:
    return AlertSender(
        outbox.databases,
        slack,
        stale_after=timedelta(seconds=60),
        post_interval=1.0,
        auth_check_seconds=300,
        clock=clock,
        sleep=clock.advance,
    )


def run(sender: AlertSender, clock: FakeClock, until: Callable[[], bool], *, seconds: float = 120) -> bool:
    """Pass after pass, moving the fake clock as the real loop would sleep,
    until ``until()`` holds or ``seconds`` of fake time have gone by."""
    deadline = clock() + seconds
    while clock() < deadline:
        sender.deliver_due()
        if until():
            return True
        clock.advance(max(sender.pause(), 0.001))
    return until()


def delivered(slack: FakeSlack, channel: str, alert_ids: list[int], observed: Observed | None = None) -> None:
    """Each alert in ``channel`` exactly once (recorded as reliability figures)."""
    ids = [m["metadata"]["event_payload"]["alert_id"] for m in slack.posts(channel)]
    lost = len(set(alert_ids) - set(ids))
    duplicated = len(ids) - len(set(ids))
    if observed is not None:
        observed.record(alerts_lost=lost, alerts_duplicated=duplicated)
    assert (lost, duplicated) == (0, 0), ids


# --- 429, 5xx, timeouts, unreachable ---------------------------------------------


def test_a_429_is_retried_after_its_retry_after_and_holds_that_channel_only(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    limited = outbox.alert("C0001")
    slack.refuse("ratelimited", retry_after=3)
    other = outbox.alert("C0002")
    assert run(sender, clock, lambda: len(slack.posts()) == 2)
    refused_at = slack.attempts[0]
    (posted,) = slack.posts("C0001")
    assert posted["at"] - refused_at >= 3
    assert slack.posts("C0002")[0]["at"] == refused_at  # the other channel did not wait
    delivered(slack, "C0001", [limited])
    delivered(slack, "C0002", [other])


@pytest.mark.parametrize(
    ("lose", "stored"),
    [
        pytest.param("timeout", True, id="timeout-after-storing"),
        pytest.param("ConnectionResetError", True, id="dropped-after-storing"),
        pytest.param("HTTP 503", True, id="5xx-after-storing"),
        pytest.param("unreadable answer", True, id="unreadable-answer-after-storing"),
        pytest.param("timeout", False, id="timeout-not-stored"),
        pytest.param("HTTP 500", False, id="5xx-not-stored"),
    ],
)
def test_an_answer_that_may_hide_a_post_is_checked_before_posting_again(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox, lose: str, stored: bool
) -> None:
    alert = outbox.alert()
    slack.lose_answer(lose, stored=stored)
    assert run(sender, clock, lambda: outbox.status(alert) == "sent")
    delivered(slack, "C0001", [alert])
    assert len(slack.attempts) == (1 if stored else 2)


def test_while_slack_cannot_say_whether_it_posted_the_alert_waits(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    alert = outbox.alert()
    slack.lose_answer("timeout", stored=True)
    slack.history_failures += [SlackFailure("HTTP 500", maybe_done=True), SlackFailure("timeout", maybe_done=True)]
    assert run(sender, clock, lambda: outbox.status(alert) == "sent")
    delivered(slack, "C0001", [alert])


def test_an_unreachable_slack_is_retried_with_backoff(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    alert = outbox.alert()
    for _ in range(3):
        slack.unreachable()
    assert run(sender, clock, lambda: outbox.status(alert) == "sent")
    assert [later - earlier for earlier, later in itertools.pairwise(slack.attempts)] == [1.0, 2.0, 4.0]
    delivered(slack, "C0001", [alert])


# --- permanent errors and the token ------------------------------------------------


def test_a_permanent_error_holds_the_alert_and_tells_the_channel(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    alert = outbox.alert()
    slack.refuse("not_in_channel")
    run(sender, clock, lambda: False, seconds=30)
    assert outbox.status(alert) == "failed" and outbox.watch_error(alert) == "not_in_channel"
    assert len(slack.attempts) == 1 and slack.posts() == []


def test_alerts_held_by_an_auth_error_and_only_those_are_released_when_the_token_works(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    not_invited = outbox.alert("C0009")
    slack.refuse("not_in_channel")
    run(sender, clock, lambda: outbox.status(not_invited) == "failed")
    slack.auth_failure = SlackFailure("token_revoked", refused=True)
    held = outbox.alert("C0001")
    slack.refuse("token_revoked")
    run(sender, clock, lambda: outbox.status(held) == "failed")
    run(sender, clock, lambda: False, seconds=400)  # checks fail: still held
    assert outbox.status(held) == "failed" and slack.posts() == []
    slack.auth_failure = None
    assert run(sender, clock, lambda: outbox.status(held) == "sent", seconds=301)
    delivered(slack, "C0001", [held])
    assert outbox.status(not_invited) == "failed" and outbox.watch_error(not_invited) == "not_in_channel"


class FakeWorkspaces:
    """A poster per installed workspace (OAuth mode); ``install``/``uninstall`` change which."""

    per_team = True

    def __init__(self) -> None:
        self.installed: dict[str, FakeSlack] = {}

    def poster(self, team_id: str) -> FakeSlack | None:
        return self.installed.get(team_id)

    def forget(self, team_id: str) -> None:
        pass


@pytest.mark.reliability(
    "an alert of a workspace without an installation, and a token failing in one of two", kind="slack fault"
)
def test_each_workspace_has_its_own_token_its_own_check_and_waits_while_not_installed(
    outbox: Outbox, clock: FakeClock, observed: Observed
) -> None:
    workspaces = FakeWorkspaces()
    team_a, team_b = FakeSlack(clock), FakeSlack(clock)
    workspaces.installed = {"TA": team_a, "TB": team_b}
    sender = AlertSender(outbox.databases, workspaces, auth_check_seconds=300, clock=clock, sleep=clock.advance)
    waiting = outbox.alert("C0003", team="TC")  # TC has not installed the app
    for_a, for_b = outbox.alert("C0001", team="TA"), outbox.alert("C0002", team="TB")
    assert run(sender, clock, lambda: outbox.status(for_a) == outbox.status(for_b) == "sent")
    assert [m["channel"] for m in team_a.posts()] == ["C0001"] and [m["channel"] for m in team_b.posts()] == ["C0002"]
    run(sender, clock, lambda: False, seconds=60)
    assert outbox.status(waiting) == "pending" and is_paused(outbox.db, "TC")

    # TA's token is revoked: its alert is held, TB's check is its own and TB goes on.
    team_a.auth_failure = SlackFailure("token_revoked", refused=True)
    team_a.refuse("token_revoked")
    held, later_b = outbox.alert("C0001", team="TA"), outbox.alert("C0002", team="TB")
    assert run(sender, clock, lambda: outbox.status(held) == "failed" and outbox.status(later_b) == "sent")
    run(sender, clock, lambda: False, seconds=400)
    assert outbox.status(held) == "failed" and len(team_a.posts()) == 1

    workspaces.installed["TC"] = FakeSlack(clock)
    resume(outbox.db, "TC", held_errors=AUTH_ERRORS)
    team_a.auth_failure = None
    assert run(sender, clock, lambda: outbox.status(held) == outbox.status(waiting) == "sent", seconds=301)
    expected = {"C0001": (team_a, [for_a, held]), "C0002": (team_b, [for_b, later_b])}
    expected["C0003"] = (workspaces.installed["TC"], [waiting])
    posted = {
        channel: [m["metadata"]["event_payload"]["alert_id"] for m in slack.posts(channel)]
        for channel, (slack, _) in expected.items()
    }
    lost = sum(len(set(ids) - set(posted[channel])) for channel, (_, ids) in expected.items())
    duplicated = sum(len(ids) - len(set(ids)) for ids in posted.values())
    observed.record(alerts_lost=lost, alerts_duplicated=duplicated)
    assert (lost, duplicated) == (0, 0), posted


# --- Slack's limits ------------------------------------------------------------------


def test_refused_blocks_fall_back_once_to_plain_text_in_the_thread_with_the_metadata(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    case = outbox.case("SEC v. Acme Widgets Inc.")
    first = outbox.alert(case_id=case)
    assert run(sender, clock, lambda: outbox.status(first) == "sent")
    reply = outbox.alert(case_id=case, action="ruling", title="Order on motion to dismiss <!channel>")
    slack.refuse("invalid_blocks")
    assert run(sender, clock, lambda: outbox.status(reply) == "sent")
    top, fallback = slack.posts("C0001")
    assert "blocks" not in fallback and fallback["thread_ts"] == top["ts"] and fallback["reply_broadcast"]
    assert "Ruling" in fallback["text"] and "&lt;!channel&gt;" in fallback["text"]
    delivered(slack, "C0001", [first, reply])


def test_a_refused_fallback_holds_the_alert_after_two_tries(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    alert = outbox.alert()
    slack.refuse("invalid_blocks")
    slack.refuse("msg_too_long")
    run(sender, clock, lambda: False, seconds=30)
    assert outbox.status(alert) == "failed" and len(slack.attempts) == 2


def test_a_huge_link_and_title_still_fit_slacks_limits(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    alert = outbox.alert(title="&<>" * 3000, link="https://www.sec.gov/?" + "a=1&" * 2000)
    assert run(sender, clock, lambda: outbox.status(alert) == "sent")
    (message,) = slack.posts()
    assert message["blocks"] and len(slack.attempts) == 1  # the full message, no fallback needed


# --- pacing ----------------------------------------------------------------------------


def test_posts_to_a_channel_are_a_second_apart_and_other_channels_do_not_wait(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    busy = [outbox.alert("C0001") for _ in range(30)]
    quiet = [outbox.alert("C0002") for _ in range(3)]
    assert run(sender, clock, lambda: len(slack.posts()) == 33)
    busy_times = [m["at"] for m in slack.posts("C0001")]
    assert {later - earlier for earlier, later in itertools.pairwise(busy_times)} == {1.0}
    assert [m["at"] - busy_times[0] for m in slack.posts("C0002")] == [0.0, 1.0, 2.0]
    delivered(slack, "C0001", busy)
    delivered(slack, "C0002", quiet)


def test_a_new_alert_to_a_quiet_channel_goes_out_at_once(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox
) -> None:
    for _ in range(25):  # more than one query's worth for the busy channel
        outbox.alert("C0001")
    sender.deliver_due()
    quiet = outbox.alert("C0002")
    sender.deliver_due()
    assert outbox.status(quiet) == "sent" and len(slack.posts("C0001")) == 1


# --- crashes -----------------------------------------------------------------------------


@pytest.mark.parametrize("posted_before_crash", [True, False])
def test_after_a_crash_a_claimed_alert_is_found_or_sent_once(
    sender: AlertSender, slack: FakeSlack, clock: FakeClock, outbox: Outbox, posted_before_crash: bool
) -> None:
    alert = outbox.alert()
    outbox.db.execute(
        "UPDATE alerts SET status = 'sending', claimed_at = '2024-01-01T00:00:00+00:00', attempts = 1 WHERE id = ?",
        [alert],
    )
    if posted_before_crash:
        slack.messages.append(
            {"channel": "C0001", "ts": "1.000100", "at": 0.0, "text": "x", "metadata": alert_metadata(alert)}
        )
    assert run(sender, clock, lambda: outbox.status(alert) == "sent")
    delivered(slack, "C0001", [alert])
    assert len(slack.attempts) == (0 if posted_before_crash else 1)


# --- digests -------------------------------------------------------------------------------


def test_a_digest_whose_answer_was_lost_is_not_posted_again(
    sender: AlertSender, slack: FakeSlack, outbox: Outbox
) -> None:
    alerts = [outbox.alert(mode="daily") for _ in range(3)]
    slack.lose_answer("timeout", stored=True)
    assert sender.send_digests(("daily",), period="daily") == 1
    assert sender.send_digests(("daily",), period="daily") == 0
    assert len(slack.posts()) == 1 and {outbox.status(a) for a in alerts} == {"sent"}
