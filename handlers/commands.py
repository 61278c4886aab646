"""Slash commands: /case, /watch, /unwatch, /watchlist. ``register`` names them.

Each is answered in its acknowledgement (Bolt runs it before answering the
HTTP request), so it must be quick: database writes wait at most a moment for
the lock, and say so when they cannot be made.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote_plus

from slack_bolt import Ack, App
from sqlite_utils import Database

from feeds.vocabulary import WatchKind
from handlers.case_answer import is_help, slack_answer, slack_help, slack_usage
from handlers.interactive import could_not, request_database
from handlers.noise_commands import change_watch, hidden_alerts
from handlers.watch_answer import WATCH_HELP, already_removed, ephemeral, unwatched, watch_confirmation, watchlist
from handlers.watch_changes import parse_watch_change
from handlers.watch_request import (
    WATCH_EXAMPLES,
    BadRequest,
    invisible_refusal,
    only_invisible,
    parse_watch,
    unwatch_target,
    visible_text,
)
from storage.database import StorageUnavailable, ThreadDatabases, write_transaction
from storage.feeds import follow_news_search, retire_news_search
from storage.search import SearchResult, search_cases
from storage.watch_filters import hidden_counts
from storage.watches import (
    TooManyWatches,
    Watch,
    WatchSpec,
    add_watch,
    cases_watched_in_channel,
    channel_watches,
    is_watched_anywhere,
    other_channels_watching,
    remove_watch,
)


def news_search_url(template: str, term: str) -> str:
    """The news search feed for a watched name: the template with the quoted name."""
    return template.replace("{query}", quote_plus(f'"{term}"'))


# The answer to a slash command: the keyword arguments of Bolt's ``ack()`` (``text``, ``blocks``, ``response_type``).
CaseReply = Callable[[dict], dict]


def case_replier(databases: ThreadDatabases, search: Callable[[Database, str], SearchResult]) -> CaseReply:
    """The answer to ``/case QUERY`` (ephemeral) for a slash command's fields,
    searched with ``search``: what the Bolt listener acknowledges with, and
    what :mod:`bot.server`'s signed ``/case`` path answers without Bolt's
    dispatch. One function, so the two cannot differ."""

    def reply(command: dict) -> dict:
        text = command.get("text") or ""
        if only_invisible(text):
            return ephemeral(invisible_refusal("/case binance").message)
        query = visible_text(text).strip()
        if not query:
            return {"response_type": "ephemeral", **slack_usage()}
        if is_help(query):
            return {"response_type": "ephemeral", **slack_help()}
        with databases.lend() as db:
            result = search(db, query)
            watched = cases_watched_in_channel(
                db, command["team_id"], command["channel_id"], [case.id for case in result.cases]
            )
        return {"response_type": "ephemeral", **slack_answer(result, watched)}

    return reply


def register(
    app: App,
    databases: ThreadDatabases,
    *,
    news_search: str = "",
    on_feeds_changed: Callable[[], None] = lambda: None,
    search: Callable[[Database, str], SearchResult] = search_cases,
    case_reply: CaseReply | None = None,
) -> None:
    """The commands' listeners; ``/case`` answers with ``case_reply``, by
    default :func:`case_replier` with ``search`` (the server's keeps recent
    answers: :class:`storage.search.SearchCache`)."""

    def save_watch(db: Database, command: dict, spec: WatchSpec) -> tuple[Watch, bool, bool]:
        """The watch and its news search feed, both or neither. Returns the
        watch, whether it is new, and whether a news search feed was added."""
        with write_transaction(db):
            watch, created = add_watch(
                db, team_id=command["team_id"], channel_id=command["channel_id"], user_id=command["user_id"], spec=spec
            )
            followed = bool(news_search) and watch.kind == WatchKind.NAME
            if followed:
                url = news_search_url(news_search, watch.term)
                followed = follow_news_search(db, term=watch.term, url=url, team_id=command["team_id"])
        return watch, created, followed

    def drop_watch(db: Database, command: dict, target: tuple[str, str] | int) -> tuple[Watch | None, bool]:
        """Remove the watch (by number, or by kind and key) and, when no watch
        needs it any more, its news search feed; both or neither. Returns the
        removed watch, and whether a news search feed was retired."""
        team_id, channel_id = command["team_id"], command["channel_id"]
        with write_transaction(db):
            if isinstance(target, int):
                watch_id: int | None = target
            else:
                kind, key = target
                watches = channel_watches(db, team_id, channel_id)
                watch_id = next((w.id for w in watches if w.kind == kind and w.term_key == key), None)
            if watch_id is None:
                return None, False
            removed = remove_watch(
                db, team_id=team_id, channel_id=channel_id, watch_id=watch_id, user_id=command["user_id"]
            )
            retired = False
            if removed and news_search and removed.kind == "name":
                still = is_watched_anywhere(db, WatchKind.NAME, removed.term_key)
                retired = retire_news_search(db, url=news_search_url(news_search, removed.term), still_watched=still)
        return removed, retired

    reply = case_reply or case_replier(databases, search)

    def case_command(ack: Ack, command: dict) -> None:
        """``/case QUERY``: answered in the acknowledgement itself; ephemeral."""
        ack(**reply(command))

    def watch_command(ack: Ack, command: dict) -> None:
        if is_help(command.get("text") or ""):
            ack(**ephemeral(WATCH_HELP))
            return
        change = parse_watch_change(command.get("text") or "")
        if isinstance(change, BadRequest):
            ack(**ephemeral(change.message))
            return
        if change is not None:
            ack(**change_watch(databases, command, change))
            return
        spec = parse_watch(command.get("text") or "")
        if isinstance(spec, BadRequest):
            ack(**ephemeral(f"{spec.message}\nExamples: {WATCH_EXAMPLES}"))
            return
        try:
            with request_database(databases) as db:
                watch, created, followed = save_watch(db, command, spec)
        except TooManyWatches as error:
            ack(**ephemeral(f"Not added: {error}. Remove some with `/unwatch`."))
            return
        except StorageUnavailable as error:
            ack(**could_not("save the watch", error))
            return
        if followed:
            on_feeds_changed()
        known = search_cases(db, watch.term)
        elsewhere = other_channels_watching(db, command["team_id"], watch.kind, watch.term_key, command["channel_id"])
        ack(**ephemeral(watch_confirmation(watch, created, known, elsewhere)))

    def unwatch_command(ack: Ack, command: dict) -> None:
        target = unwatch_target(command.get("text") or "")
        if isinstance(target, BadRequest):
            ack(**ephemeral(f"{target.message}\nExample: `/unwatch binance` or `/unwatch 12`"))
            return
        try:
            with request_database(databases) as db:
                removed, retired = drop_watch(db, command, target)
        except StorageUnavailable as error:
            ack(**could_not("remove the watch", error))
            return
        if retired:
            on_feeds_changed()
        if removed:
            ack(**ephemeral(unwatched(removed)))
        elif isinstance(target, int):
            ack(**ephemeral(already_removed(target)))
        else:
            ack(**ephemeral("This channel has no such watch. `/watchlist` shows them, with their numbers."))

    def watchlist_command(ack: Ack, command: dict) -> None:
        if visible_text(command.get("text") or "").strip().lower() == "hidden":
            ack(**hidden_alerts(databases, command))
            return
        db, team_id, channel_id = databases.get(), command["team_id"], command["channel_id"]
        ack(**ephemeral(watchlist(channel_watches(db, team_id, channel_id), hidden_counts(db, team_id, channel_id))))

    app.command("/case")(case_command)
    app.command("/watch")(watch_command)
    app.command("/unwatch")(unwatch_command)
    app.command("/watchlist")(watchlist_command)
