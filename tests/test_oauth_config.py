"""OAuth mode's settings: when it is on, what it needs, and the scopes it asks for."""

from __future__ import annotations

import json

import pytest

from bot.config import ConfigError, settings_from_env
from bot.oauth import BOT_SCOPES
from tests.conftest import ROOT

OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "shh", "SLACK_SIGNING_SECRET": "sign"}


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        settings_from_env(env, need_slack=True)
    return raised.value.problems


def test_client_id_secret_and_signing_secret_turn_oauth_on_without_a_bot_token() -> None:
    settings = settings_from_env(OAUTH, need_slack=True)
    assert settings.oauth and not settings.socket_mode and settings.slack_bot_token == ""
    single = settings_from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "sign"}, need_slack=True)
    assert not single.oauth


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLACK_CLIENT_ID": "1111.2222", "SLACK_SIGNING_SECRET": "sign"}, "SLACK_CLIENT_SECRET is not set"),
        ({"SLACK_CLIENT_SECRET": "shh", "SLACK_SIGNING_SECRET": "sign"}, "SLACK_CLIENT_ID is not set"),
        ({**OAUTH, "SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"),
        ({**OAUTH, "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_APP_TOKEN cannot be used with OAuth"),
        ({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN must not be set with SLACK_CLIENT_ID"),
        ({**OAUTH, "SLACK_REDIRECT_URI": "http://example.org/slack/oauth_redirect"}, "must be an https URL"),
    ],
)
def test_an_incomplete_oauth_setup_is_named_in_one_line(env: dict[str, str], expected: str) -> None:
    found = problems(env)
    assert len(found) == 1 and expected in found[0], found
    assert not any(secret in line for line in found for secret in ("shh", "sign", "xapp-1", "xoxb-1"))


def test_without_any_credentials_both_install_modes_are_offered() -> None:
    assert any("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in line for line in problems({}))


def test_the_scopes_asked_at_install_are_the_manifests() -> None:
    manifests = sorted(ROOT.glob("manifest*.json"))
    assert manifests
    for manifest in manifests:
        scopes = json.loads(manifest.read_text())["oauth_config"]["scopes"]["bot"]
        assert sorted(scopes) == sorted(BOT_SCOPES), manifest.name
