"""Which token the alert sender uses for each workspace.

Single-workspace mode (``SLACK_BOT_TOKEN``) has one poster for every alert.
OAuth mode reads each workspace's bot token from the installation store
(rotating it when it is about to expire), keeps one client per workspace while
its token stays the same, and answers None for a workspace where the app is
not installed: the sender then pauses that workspace's alerts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.slack_poster import SlackPoster, WebApiPoster

log = logging.getLogger(__name__)


@runtime_checkable
class Workspaces(Protocol):
    per_team: bool  # False: one token for all (its check releases every held alert)

    def poster(self, team_id: str) -> SlackPoster | None:
        """The poster with ``team_id``'s bot token; None if the app is not installed there."""

    def forget(self, team_id: str) -> None:
        """Drop what is cached for ``team_id`` (the app was uninstalled there)."""


class OneWorkspace:
    """Single-workspace mode: the same poster (``SLACK_BOT_TOKEN``) for every alert."""

    per_team = False

    def __init__(self, poster: SlackPoster):
        self._poster = poster

    def poster(self, team_id: str) -> SlackPoster:
        return self._poster

    def forget(self, team_id: str) -> None:
        pass


class InstalledWorkspaces:
    """OAuth mode: each workspace's bot token from ``store``. ``client_for``
    makes a client for a token (the sender's: no retries of its own);
    ``rotator`` refreshes a rotating token ``rotation_minutes`` before it expires."""

    per_team = True

    def __init__(
        self,
        store: InstallationStore,  # find_bot, save_bot
        client_for: Callable[[str], WebClient],
        rotator: TokenRotator | None,
        rotation_minutes: int,
    ):
        self.store = store
        self.client_for = client_for
        self.rotator = rotator
        self.rotation_minutes = rotation_minutes
        self._posters: dict[str, tuple[str, WebApiPoster]] = {}
        self._lock = threading.Lock()

    def poster(self, team_id: str) -> SlackPoster | None:
        token = self._token(team_id)
        with self._lock:
            if token is None:
                self._posters.pop(team_id, None)
                return None
            cached = self._posters.get(team_id)
            if cached is None or cached[0] != token:
                cached = (token, WebApiPoster(self.client_for(token)))
                self._posters[team_id] = cached
            return cached[1]

    def forget(self, team_id: str) -> None:
        with self._lock:
            self._posters.pop(team_id, None)

    def _token(self, team_id: str) -> str | None:
        """The workspace's bot token, refreshed first if it rotates and expires soon."""
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            return None
        if bot.bot_refresh_token and self.rotator is not None:
            try:
                refreshed = self.rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=self.rotation_minutes
                )
            except (SlackClientError, OSError) as error:  # Slack refused the refresh, or was unreachable
                # The current token may still work; if not, the post fails with
                # a token error and the alert is held until a check passes.
                log.warning("could not refresh the bot token of %s: %s", team_id, type(error).__name__)
                return bot.bot_token
            if refreshed is not None:
                self.store.save_bot(refreshed)
                return refreshed.bot_token
        return bot.bot_token
