"""Socket Mode end to end: ``run`` with SLACK_APP_TOKEN asks the Web API
stand-in for a socket URL, connects to a local WebSocket peer playing Slack,
and answers a /case envelope in its acknowledgement."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from websockets.sync.server import ServerConnection, serve

from bot.demo import DEMO_FEEDS
from tests.conftest import FeedServer, SlackApi, bot_env, run_bot, slash_command, spawn_bot, write_catalog


class SocketModePeer:
    """Sends Slack's hello and one slash-command envelope; keeps the bot's ack."""

    def __init__(self, command: dict[str, str]):
        self.command = command
        self.acks: list[dict] = []
        self.acked = threading.Event()
        self.server = serve(self._session, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {}}))
        connection.send(
            json.dumps(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": self.command,
                }
            )
        )
        for message in connection:
            ack = json.loads(message)
            if ack.get("envelope_id") == "env-1":
                self.acks.append(ack)
                self.acked.set()

    def close(self) -> None:
        self.server.shutdown()


def test_socket_mode_answers_case_in_the_ack(tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi) -> None:
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            (
                "SEC press releases",
                feed_server.serve("/pr.xml", (DEMO_FEEDS / "sec_press.xml").read_bytes()),
                "regulator",
            ),
            ("D.D.C. docket", feed_server.serve("/dcd.xml", (DEMO_FEEDS / "dcd_pacer.xml").read_bytes()), "court"),
        ],
    )
    env = bot_env(
        tmp_path,
        CASEWATCH_FEEDS=str(catalog),
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_APP_TOKEN="xapp-test-token",
        SLACK_API_URL=slack_api.url,
    )  # no signing secret: Socket Mode needs none
    assert run_bot(["poll", "--once"], env, cwd=tmp_path).returncode == 0
    peer = SocketModePeer(slash_command("/case", "binance"))
    slack_api.socket_url = peer.url
    process = spawn_bot(["run"], env, tmp_path)
    try:
        assert peer.acked.wait(timeout=30), "no acknowledgement over the socket"
        (ack,) = peer.acks
        answer = ack["payload"]
        assert answer["response_type"] == "ephemeral"
        body = json.dumps(answer["blocks"])
        assert "Securities and Exchange Commission v. Binance Holdings Limited" in body
        assert "*Docket:* 1:23-cv-01599" in body
    finally:
        process.terminate()
        process.wait(timeout=10)
        peer.close()
