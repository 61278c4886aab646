"""Slash commands: /case, /watch, /unwatch, /watchlist. ``register`` names them."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote_plus

from slack_bolt import Ack, App

from handlers.case_answer import slack_answer, slack_usage
from handlers.watch_answer import ephemeral, unwatched, watch_confirmation, watchlist
from handlers.watch_request import WATCH_EXAMPLES, BadRequest, parse_watch, unwatch_target
from storage.database import ThreadDatabases
from storage.feeds import follow_news_search, retire_news_search
from storage.search import search_cases
from storage.watches import (
    TooManyWatches,
    add_watch,
    case_watch_in_channel,
    channel_watches,
    is_watched_anywhere,
    other_channels_watching,
    remove_watch,
)


def news_search_url(template: str, term: str) -> str:
    """The news search feed for a watched name: the template with the quoted name."""
    return template.replace("{query}", quote_plus(f'"{term}"'))


def register(
    app: App, databases: ThreadDatabases, *, news_search: str = "", on_feeds_changed: Callable[[], None] = lambda: None
) -> None:
    def case_command(ack: Ack, command: dict) -> None:
        """``/case QUERY``: answered in the acknowledgement itself, so the user
        sees it well inside Slack's 3-second window; ephemeral."""
        query = (command.get("text") or "").strip()
        if not query:
            ack(response_type="ephemeral", **slack_usage())
            return
        db = databases.get()
        result = search_cases(db, query)
        watched = {
            case.id
            for case in result.cases
            if case_watch_in_channel(db, command["team_id"], command["channel_id"], case.id)
        }
        ack(response_type="ephemeral", **slack_answer(result, watched))

    def watch_command(ack: Ack, command: dict) -> None:
        spec = parse_watch(command.get("text") or "")
        if isinstance(spec, BadRequest):
            ack(**ephemeral(f"{spec.message}\nExamples: {WATCH_EXAMPLES}"))
            return
        db = databases.get()
        team_id, channel_id = command["team_id"], command["channel_id"]
        try:
            watch, created = add_watch(
                db, team_id=team_id, channel_id=channel_id, user_id=command["user_id"], spec=spec
            )
        except TooManyWatches as error:
            ack(**ephemeral(f"Not added: {error}. Remove some with `/unwatch`."))
            return
        known = search_cases(db, watch.term)
        elsewhere = other_channels_watching(db, team_id, watch.kind, watch.term_key, channel_id)
        ack(**ephemeral(watch_confirmation(watch, created, known, elsewhere)))
        if news_search and watch.kind == "name":
            url = news_search_url(news_search, watch.term)
            if follow_news_search(db, term=watch.term, url=url, team_id=team_id):
                on_feeds_changed()

    def unwatch_command(ack: Ack, command: dict) -> None:
        target = unwatch_target(command.get("text") or "")
        if isinstance(target, BadRequest):
            ack(**ephemeral(f"{target.message}\nExample: `/unwatch binance` or `/unwatch 2`"))
            return
        db = databases.get()
        team_id, channel_id = command["team_id"], command["channel_id"]
        watches = channel_watches(db, team_id, channel_id)
        if isinstance(target, int):
            chosen = watches[target - 1] if 0 < target <= len(watches) else None
        else:
            kind, key = target
            chosen = next((w for w in watches if w.kind == kind and w.term_key == key), None)
        if chosen is None:
            ack(**ephemeral("This channel has no such watch. `/watchlist` shows them, numbered."))
            return
        removed = remove_watch(
            db, team_id=team_id, channel_id=channel_id, watch_id=chosen.id, user_id=command["user_id"]
        )
        ack(**ephemeral(unwatched(removed) if removed else "That watch was already removed."))
        if removed and news_search and removed.kind == "name":
            still = is_watched_anywhere(db, "name", removed.term_key)
            if retire_news_search(db, url=news_search_url(news_search, removed.term), still_watched=still):
                on_feeds_changed()

    def watchlist_command(ack: Ack, command: dict) -> None:
        ack(**ephemeral(watchlist(channel_watches(databases.get(), command["team_id"], command["channel_id"]))))

    app.command("/case")(case_command)
    app.command("/watch")(watch_command)
    app.command("/unwatch")(unwatch_command)
    app.command("/watchlist")(watchlist_command)
