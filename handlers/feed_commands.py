"""/feeds: everyone may list the feeds; admins (CASEWATCH_ADMINS) may add,
pause, resume, remove and poll them. Every change is audited."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable

from slack_bolt import Ack, App, Respond

from feeds.catalog import DEFAULT_INTERVAL_MINUTES
from feeds.fetch import Fetcher, FetchError, check_address
from feeds.poll import default_matcher, poll_feed
from feeds.probe import NotAFeed, probe
from handlers.feeds_answer import FEEDS_HELP, feed_statuses, slack_feed_list
from handlers.mrkdwn import escape, truncate
from handlers.watch_answer import ephemeral
from storage.database import ThreadDatabases
from storage.feeds import Feed, add_feed, change_feed, listed_feeds, name_taken

log = logging.getLogger(__name__)
CHANGES = ("pause", "resume", "remove")


def _find(feeds: list[Feed], reference: str) -> Feed | None:
    if reference.isdigit():
        position = int(reference)
        return feeds[position - 1] if 0 < position <= len(feeds) else None
    wanted = reference.casefold()
    exact = [feed for feed in feeds if feed.name.casefold() == wanted]
    partial = [feed for feed in feeds if wanted in feed.name.casefold()]
    for matches in (exact, partial):  # a unique exact name, else a unique part of one
        if len(matches) == 1:
            return matches[0]
    return None


def _unique_name(databases: ThreadDatabases, name: str) -> str:
    db = databases.get()
    candidate, number = name[:120], 2
    while name_taken(db, candidate):
        candidate, number = f"{name[:110]} ({number})", number + 1
    return candidate


def register(
    app: App, databases: ThreadDatabases, fetcher: Fetcher, *, admins: frozenset[str], on_change: Callable[[], None]
) -> None:
    matcher = default_matcher()

    def add(url: str, name: str | None, user_id: str, team_id: str, respond: Respond) -> None:
        try:
            check_address(url, allow_private=fetcher.allow_private)
            found = probe(fetcher, url)
        except (FetchError, NotAFeed) as error:
            respond(
                **ephemeral(
                    f"Not added: {escape(str(error))}\nExample: `/feeds add https://www.sec.gov/news/pressreleases.rss`"
                )
            )
            return
        feed = add_feed(
            databases.get(),
            name=_unique_name(databases, name or found.title),
            url=found.url,
            agency=found.agency,
            kind=found.kind,
            interval_minutes=DEFAULT_INTERVAL_MINUTES[found.kind],
            actor=user_id,
            team_id=team_id,
        )
        on_change()
        latest = "\n".join(f"• {escape(truncate(item.title, 150))}" for item in found.items[:3])
        respond(
            **ephemeral(
                f":white_check_mark: Added *{escape(feed.name)}* ({feed.kind}, {escape(feed.agency)}, every "
                f"{feed.interval_minutes} min), titled “{escape(found.title)}”. Latest items:\n{latest}"
            )
        )

    def poll_now(feed: Feed, respond: Respond) -> None:
        outcome = poll_feed(databases.get(), fetcher, feed, matcher)
        respond(**ephemeral(f"Polled *{escape(feed.name)}*: {escape(outcome.summary().split(': ', 1)[1])}"))

    def feeds_command(ack: Ack, command: dict, respond: Respond) -> None:
        try:
            words = shlex.split((command.get("text") or "").strip()[:2000])
        except ValueError:
            ack(**ephemeral("A quotation mark is not closed.\n" + FEEDS_HELP))
            return
        if not words or words[0].lower() == "list":
            ack(**ephemeral(slack_feed_list(feed_statuses(databases.get()))))
            return
        verb, rest = words[0].lower(), words[1:]
        if verb == "help" or verb not in (*CHANGES, "add", "poll"):
            ack(**ephemeral(FEEDS_HELP))
            return
        user_id, team_id = command["user_id"], command["team_id"]
        if user_id not in admins:
            ack(
                **ephemeral(
                    "Only Casewatch admins can change feeds (`CASEWATCH_ADMINS`). Anyone can list them: `/feeds`."
                )
            )
            return
        if verb == "add":
            if not rest:
                ack(
                    **ephemeral(
                        "Give the feed's address: `/feeds add https://www.sec.gov/news/pressreleases.rss [name]`"
                    )
                )
                return
            ack(**ephemeral(f"Checking {escape(rest[0])} …"))
            add(rest[0], " ".join(rest[1:]) or None, user_id, team_id, respond)
            return
        feed = _find(listed_feeds(databases.get()), " ".join(rest))
        if feed is None:
            ack(
                **ephemeral(
                    f"No single feed matches {escape(' '.join(rest)) or 'that'}: name it or give its number in `/feeds`."
                )
            )
            return
        if verb == "poll":
            ack(**ephemeral(f"Polling *{escape(feed.name)}* …"))
            poll_now(feed, respond)
            return
        change_feed(databases.get(), feed, change=verb, actor=user_id, team_id=team_id)
        on_change()
        ack(**ephemeral(f"*{escape(feed.name)}* {verb}d."))

    app.command("/feeds")(feeds_command)
