"""SIGTERM as systemd, Docker or Kubernetes send it: `run` finishes what it is
doing (bounded), hands polling over and exits 0."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import (
    FeedServer,
    SlackApi,
    eventually,
    post_slack,
    run_bot,
    slack_bot_env,
    slash_command,
    spawn_bot,
    write_catalog,
)
from tests.pg import opened
from tests.reliability import Observed
from tests.test_alerts_e2e import SEC_COMPLAINT, record_delivery, rss
from tests.test_socket_mode import SocketModePeer

SHUTDOWN_SECONDS = 8


class Output:
    """The lines a bot process writes, collected as they come, to wait for one."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def whole(self, timeout: float = 30) -> str:
        """Everything the process wrote, once it has closed its output (exited)."""
        self._reader.join(timeout)
        with self._changed:
            return "".join(self.lines)

    def has(self, text: str) -> bool:
        with self._changed:
            return any(text in line for line in self.lines)

    def wait_for(self, text: str, timeout: float = 10) -> str:
        with self._changed:
            self._changed.wait_for(lambda: any(text in line for line in self.lines), timeout=timeout)
            found = [line for line in self.lines if text in line]
        assert found, f"no line with {text!r} in:\n{''.join(self.lines)}"
        return found[0]


@pytest.fixture
def env(tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi) -> dict[str, str]:
    feed_server.serve("/sec.xml", rss("https://www.sec.gov/"))
    catalog = write_catalog(
        tmp_path / "feeds.toml", [("SEC press releases", f"{feed_server.base}/sec.xml", "regulator")]
    )
    return slack_bot_env(
        tmp_path,
        slack_api,
        catalog,
        CASEWATCH_LEASE_SECONDS="600",  # the next process polls only if the lease is released
        CASEWATCH_SHUTDOWN_SECONDS=str(SHUTDOWN_SECONDS),
        CASEWATCH_POST_INTERVAL_SECONDS="0.05",
    )


@pytest.mark.reliability("SIGTERM while an alert is being posted", kind="crash")
def test_sigterm_during_a_send_posts_it_once_records_it_and_hands_polling_over(
    tmp_path: Path,
    env: dict[str, str],
    feed_server: FeedServer,
    slack_api: SlackApi,
    start_bot: Callable,
    observed: Observed,
) -> None:
    events = start_bot(env) + "/slack/events"
    bot = start_bot.processes[-1]  # type: ignore[attr-defined]
    output = Output(bot)
    assert post_slack(events, slash_command("/watch", "binance")).status == 200
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0  # the backlog alerts no one
    feed_server.serve("/sec.xml", rss("https://www.sec.gov/", SEC_COMPLAINT))
    slack_api.hold_posts.clear()  # Slack takes the message and answers only when the test says
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    assert slack_api.post_arrived.wait(timeout=10)

    bot.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    assert eventually(lambda: bot.poll() is not None or output.has("waiting up to"), timeout=SHUTDOWN_SECONDS)
    polls_before = feed_server.count("/sec.xml")
    slack_api.hold_posts.set()  # Slack answers: the send under way finishes, if the bot waited for it
    assert bot.wait(timeout=SHUTDOWN_SECONDS + 5) == 0
    assert time.monotonic() - signalled < SHUTDOWN_SECONDS
    waiting = output.wait_for("waiting up to")
    assert f"waiting up to {SHUTDOWN_SECONDS} s for no poll and the send of alert" in waiting
    output.wait_for("polling lease released")
    with opened(tmp_path / "casewatch.db") as db:  # recorded by the process that posted it, before it left
        recorded = db.execute("SELECT status, message_ts FROM alerts WHERE channel_id = 'C0001'").fetchall()
    assert recorded == [("sent", slack_api.posts("C0001")[0]["ts"])]

    events = start_bot(env) + "/slack/events"  # the next process polls at once, not after the 10-minute lease
    assert feed_server.wait_for_request("/sec.xml", timeout=10, count=polls_before + 1)
    watchlist = post_slack(events, slash_command("/watchlist", "")).json()["text"]
    assert "1 alert sent" in watchlist, watchlist  # recorded as sent: never posted again
    record_delivery(observed, slack_api, "C0001", expected=1)


@pytest.mark.reliability("SIGTERM while Slack never answers a post", kind="crash")
def test_sigterm_waits_no_longer_than_the_bound_and_the_alert_is_not_posted_twice(
    tmp_path: Path,
    env: dict[str, str],
    feed_server: FeedServer,
    slack_api: SlackApi,
    start_bot: Callable,
    observed: Observed,
) -> None:
    env = {
        **env,
        "CASEWATCH_SHUTDOWN_SECONDS": "1",
        "CASEWATCH_SLACK_TIMEOUT_SECONDS": "20",
        "CASEWATCH_STALE_SEND_SECONDS": "0",  # the next process looks at once whether the send went through
    }
    events = start_bot(env) + "/slack/events"
    bot = start_bot.processes[-1]  # type: ignore[attr-defined]
    output = Output(bot)
    assert post_slack(events, slash_command("/watch", "binance")).status == 200
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    feed_server.serve("/sec.xml", rss("https://www.sec.gov/", SEC_COMPLAINT))
    slack_api.hold_posts.clear()  # Slack takes the message and does not answer within the bound
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    assert slack_api.post_arrived.wait(timeout=10)

    bot.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    assert bot.wait(timeout=10) == 0
    assert time.monotonic() - signalled < 5
    assert "stopped waiting after 1 s: the send of alert" in output.wait_for("stopped waiting")
    slack_api.hold_posts.set()

    events = start_bot(env) + "/slack/events"  # finds the message it may have posted, and records it
    assert eventually(lambda: "1 alert sent" in post_slack(events, slash_command("/watchlist", "")).json()["text"])
    record_delivery(observed, slack_api, "C0001", expected=1)


def test_sigterm_in_socket_mode_closes_the_connection_and_exits_0(
    tmp_path: Path, env: dict[str, str], slack_api: SlackApi
) -> None:
    peer = SocketModePeer(slash_command("/case", "binance"))
    slack_api.socket_url = peer.url
    socket_env = {**env, "SLACK_APP_TOKEN": "xapp-test-token"}
    bot = spawn_bot(["run"], socket_env, tmp_path)
    output = Output(bot)
    try:
        assert peer.acked.wait(timeout=30), "no acknowledgement over the socket"
        output.wait_for("this process now polls the feeds")
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=SHUTDOWN_SECONDS + 5) == 0
        assert output.lines.index(output.wait_for("polling lease released")) < output.lines.index(
            output.wait_for("The connection has been closed")
        )  # Slack's connection is closed last: the work under way could still answer it
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
        peer.close()


def test_sigterm_during_a_poll_lets_it_finish_and_store_its_items(
    tmp_path: Path, env: dict[str, str], feed_server: FeedServer
) -> None:
    body = rss("https://www.sec.gov/", SEC_COMPLAINT).encode()
    feed_server.serve("/sec.xml", body, drip=6 / len(body))  # the feed takes 6 s to arrive
    bound = 30  # far above the poll's time, so that a loaded machine cannot end it first
    bot = spawn_bot(["run"], {**env, "CASEWATCH_SHUTDOWN_SECONDS": str(bound)}, tmp_path)
    output = Output(bot)
    try:
        assert feed_server.wait_for_request("/sec.xml", timeout=30)
        output.wait_for("serving Slack requests", timeout=30)
        bot.send_signal(signal.SIGTERM)
        assert f"waiting up to {bound} s for the polls of feeds 1 and no send" in output.wait_for("waiting up to")
        assert bot.wait(timeout=bound + 5) == 0
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    with opened(tmp_path / "casewatch.db") as db:
        assert db.execute("SELECT count(*) FROM items").fetchone() == (1,)
        assert db.execute("SELECT failing_since FROM feeds").fetchall() == [(None,)]
    assert "stopped waiting" not in "".join(output.lines)
