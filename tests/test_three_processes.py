"""Three ``run`` processes on one PostgreSQL database (issue 11): 2,000 alerts
to deliver; the poller and another process are killed with SIGKILL mid-way,
two of their posts stored by Slack but never recorded. Every item is stored
once, every alert posted exactly once, and the survivor takes polling over
within the lease time and polls what the feed publishes next."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from bench.feedsets import acme_releases
from handlers.watch_request import parse_watch
from storage.database import open_database
from storage.watches import WatchSpec, add_watch
from tests.conftest import FeedServer, SlackApi, eventually, free_port, slack_bot_env, wait_until_healthy, write_catalog
from tests.pg import Databases
from tests.reliability import Observed

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = [f"C{n:04d}" for n in range(1, 21)]
FIRST_ITEMS = 100  # x 20 channels = 2,000 alerts
LATER_ITEMS = 10  # published after the kill: polled by the survivor
LEASE_SECONDS = 3


def health(base: str) -> dict:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
            return json.loads(answer.read())
    except OSError:
        return {}


def posted_alerts(slack_api: SlackApi) -> Counter[int]:
    return Counter(message["metadata"]["event_payload"]["alert_id"] for message in slack_api.posts())


@pytest.mark.reliability("the poller and a sender die (SIGKILL) mid-delivery among three processes", kind="crash")
def test_three_processes_deliver_every_alert_once_through_two_kills(
    tmp_path: Path, pg_databases: Databases, feed_server: FeedServer, slack_api: SlackApi, observed: Observed
) -> None:
    url = pg_databases.create()
    db = open_database(url)
    for channel in CHANNELS:
        spec = parse_watch("acme")
        assert isinstance(spec, WatchSpec)
        add_watch(db, team_id="T0001", channel_id=channel, user_id="U0001", spec=spec)
    catalog = write_catalog(
        tmp_path / "catalog.toml",
        [("SEC litigation", feed_server.serve("/lr.xml", acme_releases(FIRST_ITEMS)), "regulator")],
    )
    env = slack_bot_env(
        tmp_path,
        slack_api,
        catalog,
        CASEWATCH_DB=url,
        CASEWATCH_LEASE_SECONDS=str(LEASE_SECONDS),
        CASEWATCH_STALE_SEND_SECONDS="2",
        CASEWATCH_POST_INTERVAL_SECONDS="0",
    )
    processes: dict[str, subprocess.Popen[str]] = {}
    try:
        for _ in range(3):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            log = (tmp_path / f"run-{port}.log").open("w")  # a file, not a pipe: a line per alert would fill one
            processes[base] = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                env={**env, "PORT": str(port), "HOST": "127.0.0.1"},
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
            wait_until_healthy(base, processes[base], timeout=120)  # three start at once on a loaded machine
        assert slack_api.wait_for(lambda: len(slack_api.posts()) >= 500, timeout=120)

        # Posts stored by Slack but unanswered: whoever sent them dies before recording them.
        before = len(slack_api.posts())
        slack_api.hold_posts.clear()
        assert slack_api.wait_for(lambda: len(slack_api.posts()) >= before + 3, timeout=10)  # one held in each
        (poller,) = [base for base in processes if health(base).get("polling")]
        other = next(base for base in processes if base != poller)
        (survivor,) = [base for base in processes if base not in (poller, other)]
        for base in (poller, other):
            processes[base].send_signal(signal.SIGKILL)
            processes[base].wait(timeout=10)
        killed_at = time.monotonic()
        slack_api.hold_posts.set()
        feed_server.serve("/lr.xml", acme_releases(FIRST_ITEMS + LATER_ITEMS))

        assert slack_api.wait_for(lambda: health(survivor).get("polling") is True, timeout=4 * LEASE_SECONDS)
        taken_over_after = time.monotonic() - killed_at
        total = (FIRST_ITEMS + LATER_ITEMS) * len(CHANNELS)
        delivered = slack_api.wait_for(lambda: len(posted_alerts(slack_api)) >= total, timeout=120)
        assert delivered, (
            len(posted_alerts(slack_api)),
            db.execute("SELECT status, count(*) FROM alerts GROUP BY status").fetchall(),
            db.execute("SELECT count(*) FROM items").fetchone(),
        )
        posts = posted_alerts(slack_api)

        def statuses() -> Counter[str]:
            return Counter(status for (status,) in db.execute("SELECT status FROM alerts"))

        eventually(lambda: statuses() == {"sent": total}, timeout=30)  # the last post is recorded after Slack has it
        recorded = statuses()
        (items, distinct) = db.execute("SELECT count(*), count(DISTINCT (feed_id, item_key)) FROM items").fetchone()
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        db.close()

    duplicated = sum(count - 1 for count in posts.values())
    observed.record(
        alerts_lost=total - len(posts), alerts_duplicated=duplicated, items_lost=FIRST_ITEMS + LATER_ITEMS - items
    )
    assert (len(posts), duplicated) == (total, 0)
    assert recorded == {"sent": total}
    assert items == distinct == FIRST_ITEMS + LATER_ITEMS
    assert taken_over_after <= LEASE_SECONDS + LEASE_SECONDS / 3 + 1.5, taken_over_after
