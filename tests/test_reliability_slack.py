"""Slack faults and hostile feed text, end to end: the running bot, a separate
``poll --once``, and the Slack Web API stand-in on 127.0.0.1 (see
test_alerts_e2e.py for the world these tests share, and the other Slack
faults: 429/5xx, late answers, dropped connections, refused blocks, bursts,
failing tokens, kill -9 while sending)."""

from __future__ import annotations

import pytest

from tests import test_alerts_e2e
from tests.conftest import eventually
from tests.pg import opened
from tests.reliability import Observed
from tests.test_alerts_e2e import SEC_COMPLAINT, World, item, record_delivery, text_of

world = test_alerts_e2e.world  # the same fixture: a running bot, its feeds and the Slack stand-in


def attempts_made(world: World) -> int:
    """How often the bot has tried to send its alerts so far (read from its database)."""
    with opened(world.cwd / "casewatch.db") as db:
        return db.execute("SELECT coalesce(sum(attempts), 0) FROM alerts WHERE channel_id = 'C0001'").fetchone()[0]


@pytest.mark.reliability("Slack's API refuses connections for a while", kind="slack fault")
def test_alerts_wait_while_slack_refuses_connections(world: World, observed: Observed) -> None:
    world.command("/watch", "binance")
    world.api.refuse_connections()
    try:
        world.serve(sec=(SEC_COMPLAINT,))
        world.poll()
        assert eventually(lambda: attempts_made(world) >= 2, timeout=15)
    finally:
        world.api.accept_connections()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 1, timeout=15)
    world.flush()
    record_delivery(observed, world.api, "C0001", expected=1)


HOSTILE_TITLE = "<!channel> Binance Holdings <@U0123ABC> <#C0001> <https://evil.example|sec.gov> & *bold* <!subteam^S1>"
HOSTILE = item(
    HOSTILE_TITLE,
    "Binance Holdings <!here|here> &lt;already escaped&gt; <javascript:alert(1)|click>",
    "Mon, 05 Jun 2023 10:00:00 -0400",
    "hostile-1",
    "javascript:alert(document.cookie)",
)


@pytest.mark.reliability("mrkdwn mentions, disguised links and javascript: links in feed text", kind="abuse")
def test_hostile_feed_text_reaches_slack_escaped_and_unlinked(world: World, observed: Observed) -> None:
    world.command("/watch", "binance")
    world.serve(sec=(HOSTILE,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 1, timeout=10)
    body = text_of(world.api.posts("C0001")[0])
    for raw in ("<!channel>", "<@U0123ABC>", "<#C0001>", "<https://evil.example", "<!subteam", "<!here"):
        assert raw not in body
    assert "javascript:" not in body
    assert "&lt;!channel&gt; Binance Holdings &lt;@U0123ABC&gt;" in body and "&amp; *bold*" in body
    world.flush()
    record_delivery(observed, world.api, "C0001", expected=1)
