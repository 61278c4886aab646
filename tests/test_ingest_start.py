"""The watch index is built when the bot starts, not by its first poll."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from handlers.watch_request import BadRequest, parse_watch
from storage.database import ThreadDatabases
from storage.watches import add_watch
from tests.conftest import SlackApi, slack_bot_env, write_catalog


def test_run_builds_the_watch_index_before_it_serves(tmp_path: Path, slack_api: SlackApi, start_bot: Callable) -> None:
    """So that the first poll after a start is as quick as the next (issue 9: 10,000–100,000 watches)."""
    env = slack_bot_env(tmp_path, slack_api, write_catalog(tmp_path / "feeds.toml", []))
    db = ThreadDatabases(env["CASEWATCH_DB"]).get()
    for term in ("Binance", "1:23-cv-01599", "Acme Widgets Inc."):
        spec = parse_watch(term)
        assert not isinstance(spec, BadRequest)
        add_watch(db, team_id="T0001", channel_id="C1", user_id="U1", spec=spec)
    db.conn.close()
    start_bot(env)
    process = start_bot.processes[-1]
    process.terminate()
    log = process.communicate(timeout=30)[0]
    built = log.find("matching against 3 watched names, dockets and cases")
    assert 0 <= built < log.find("serving Slack requests at http://127.0.0.1:"), log
