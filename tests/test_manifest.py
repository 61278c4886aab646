"""The app manifests: valid against Slack's schema, the same app in both install
modes, and no scope, command or event the code does not use."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import jsonschema
import pytest

from bot.server import EVENTS_PATH
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "tests/data/slack_manifest_schema/manifest.schema.1.0.0.json").read_text())
SOCKET_MODE = json.loads((ROOT / "manifest.json").read_text())
HTTP = json.loads((ROOT / "manifest.http.json").read_text())
PLACEHOLDER_HOST = "YOUR-HOST"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"

# The bot scopes each Web API method the code calls needs (api.slack.com/methods), and each event.
SCOPES_OF_METHOD: dict[str, set[str]] = {
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "conversations_history": {"channels:history", "groups:history"},  # after a crash: was the alert posted?
    "conversations_replies": {"channels:history", "groups:history"},  # … in the case's thread
    "users_conversations": {"channels:read", "groups:read"},  # the Home tab: the reader's channels
    "views_publish": set(),
    "auth_test": set(),
}
SCOPES_OF_EVENT: dict[str, set[str]] = {
    "app_home_opened": set(),
    "member_joined_channel": {"channels:read", "groups:read"},
    "app_uninstalled": set(),
    "tokens_revoked": set(),
}
# Needed without a method call of their own: slash commands, and alerts posted to a public channel the bot
# was never invited to (a channel where someone typed /watch).
IMPLIED_SCOPES = {"commands", "chat:write.public"}


def source_text() -> str:
    return "\n".join(
        path.read_text() for folder in ("bot", "handlers") for path in sorted((ROOT / folder).glob("*.py"))
    )


@pytest.mark.parametrize("manifest", [SOCKET_MODE, HTTP], ids=["manifest.json", "manifest.http.json"])
def test_the_manifest_is_valid_against_slacks_schema(manifest: dict) -> None:
    jsonschema.validate(manifest, SCHEMA)


def test_the_schema_refuses_what_slack_refuses() -> None:
    broken = json.loads(json.dumps(SOCKET_MODE))
    broken["features"]["slash_commands"][0]["command"] = "case"  # no leading slash
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_both_manifests_describe_the_same_app_and_differ_only_in_how_slack_reaches_it() -> None:
    assert SOCKET_MODE["settings"]["socket_mode_enabled"] is True
    assert HTTP["settings"]["socket_mode_enabled"] is False
    urls = [
        *(command["url"] for command in HTTP["features"]["slash_commands"]),
        HTTP["settings"]["event_subscriptions"]["request_url"],
        HTTP["settings"]["interactivity"]["request_url"],
    ]
    assert {urlsplit(url).netloc for url in urls} == {PLACEHOLDER_HOST}
    assert {urlsplit(url).path for url in urls} == {EVENTS_PATH}
    assert HTTP["oauth_config"]["redirect_urls"] == [f"https://{PLACEHOLDER_HOST}{OAUTH_REDIRECT_PATH}"]
    without_urls = json.loads(json.dumps(HTTP))
    for command in without_urls["features"]["slash_commands"]:
        del command["url"]
    del without_urls["oauth_config"]["redirect_urls"]
    del without_urls["settings"]["event_subscriptions"]["request_url"]
    del without_urls["settings"]["interactivity"]["request_url"]
    without_urls["settings"]["socket_mode_enabled"] = True
    assert without_urls == SOCKET_MODE


def test_the_messages_tab_settings_agree() -> None:
    home = SOCKET_MODE["features"]["app_home"]
    assert home["home_tab_enabled"] is True
    # Casewatch answers no direct message: no Messages tab, and so nothing to make read-only.
    assert home["messages_tab_enabled"] is False and home["messages_tab_read_only_enabled"] is False
    events = SOCKET_MODE["settings"]["event_subscriptions"]["bot_events"]
    assert not any(event.startswith("message") for event in events)


def test_the_manifest_asks_only_for_the_scopes_the_code_uses() -> None:
    source = source_text()
    called = set(re.findall(r"\bclient\.(\w+)\(", source))
    assert called - SCOPES_OF_METHOD.keys() == set(), "a new Web API method: add its scopes here"
    events = SOCKET_MODE["settings"]["event_subscriptions"]["bot_events"]
    needed = IMPLIED_SCOPES.union(
        *(SCOPES_OF_METHOD[method] for method in called), *(SCOPES_OF_EVENT[e] for e in events)
    )
    assert sorted(SOCKET_MODE["oauth_config"]["scopes"]["bot"]) == sorted(needed)
    assert "user" not in SOCKET_MODE["oauth_config"]["scopes"]


def test_the_manifest_declares_exactly_the_commands_and_at_least_the_events_the_code_handles() -> None:
    source = source_text()
    commands = set(re.findall(r'app\.command\("(/\w+)"\)', source))
    assert {command["command"] for command in SOCKET_MODE["features"]["slash_commands"]} == commands
    events = set(SOCKET_MODE["settings"]["event_subscriptions"]["bot_events"])
    assert set(re.findall(r'app\.event\("(\w+)"\)', source)) <= events
    assert {"app_uninstalled", "tokens_revoked"} <= events  # a workspace's uninstall reaches the bot


def test_the_readme_says_why_each_scope_is_needed() -> None:
    readme = (ROOT / "README.md").read_text()
    setup = readme[readme.index("## Slack setup") : readme.index("## Configuration")]
    reasons = dict(re.findall(r"^ *\| `([a-z:.]+)` \| ([^|]*\w[^|]*) \|$", setup, flags=re.MULTILINE))
    assert sorted(reasons) == sorted(SOCKET_MODE["oauth_config"]["scopes"]["bot"])
    assert "manifest.http.json" in setup and "manifest.json" in setup


# The words a command reads after its name that change what it does, each of which its usage hint (shown as
# the user types the command) should reveal: `/watchlist hidden`, `/watch <watch> hide|unhide|note`, `help`.
COMMAND_WORDS = {
    "/case": ["help"],
    "/watch": ["hide", "unhide", "note", "daily", "weekly", "all", "help"],
    "/watchlist": ["hidden"],
    "/feeds": ["add", "pause", "resume", "remove", "poll", "help"],
}


@pytest.mark.parametrize("manifest", [SOCKET_MODE, HTTP], ids=["manifest.json", "manifest.http.json"])
def test_each_commands_usage_hint_shows_the_words_it_reads(manifest: dict) -> None:
    hints = {command["command"]: command.get("usage_hint", "") for command in manifest["features"]["slash_commands"]}
    missing = {
        command: [word for word in words if not re.search(rf"\b{word}\b", hints[command])]
        for command, words in COMMAND_WORDS.items()
    }
    assert not any(missing.values()), missing
