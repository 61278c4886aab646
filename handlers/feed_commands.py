"""/feeds: everyone may list the feeds; admins (CASEWATCH_ADMINS) may add,
pause, resume, remove and poll them. Every change is audited.

Adding and polling fetch a feed, which can take long: they are acknowledged
at once and run as :class:`BackgroundWork`, reporting through ``respond``.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable

from slack_bolt import Ack, App, Respond
from sqlite_utils import Database

from feeds.catalog import DEFAULT_INTERVAL_MINUTES
from feeds.fetch import Fetcher, FetchError, check_address
from feeds.probe import NotAFeed, probe
from feeds.types import PollOutcome
from handlers.background import BackgroundWork
from handlers.feeds_answer import FEEDS_HELP, feed_statuses, slack_feed_list
from handlers.interactive import could_not, request_database, storage_problem
from handlers.mrkdwn import escape, truncate
from handlers.watch_answer import ephemeral
from handlers.watch_request import written_number
from storage.database import StorageUnavailable, ThreadDatabases, write_transaction
from storage.feeds import Feed, add_feed, change_feed, listed_feeds, name_taken

log = logging.getLogger(__name__)
PollNow = Callable[[Feed], PollOutcome]
"""Polls one feed now, through the ingest pipeline (given by ``bot.app``'s wiring)."""
CHANGES = ("pause", "resume", "remove")
BUSY = "Casewatch is busy with other feed checks; please try again in a minute."


def _find(feeds: list[Feed], reference: str) -> Feed | None:
    position = written_number(reference)
    if position is not None:
        return feeds[position - 1] if 0 < position <= len(feeds) else None
    wanted = reference.casefold()
    exact = [feed for feed in feeds if feed.name.casefold() == wanted]
    partial = [feed for feed in feeds if wanted in feed.name.casefold()]
    for matches in (exact, partial):  # a unique exact name, else a unique part of one
        if len(matches) == 1:
            return matches[0]
    return None


def _unique_name(db: Database, name: str) -> str:
    candidate, number = name[:120], 2
    while name_taken(db, candidate):
        candidate, number = f"{name[:110]} ({number})", number + 1
    return candidate


def _reporting(respond: Respond, doing: str, job: Callable[[], None]) -> Callable[[], None]:
    """``job``, made to answer the user whatever happens: a storage problem or
    a bug (logged) is reported as such, rather than leaving them waiting.
    ``doing`` is mrkdwn, already escaped: ``poll *SEC press*``."""

    def run() -> None:
        try:
            job()
        except Exception as error:
            if storage_problem(error) is None:
                log.exception("could not %s", doing)
                respond(**ephemeral(f"Could not {doing}: something went wrong (the details are in Casewatch's log)."))
            else:
                log.warning("could not %s: %s", doing, error)
                respond(**could_not(doing, error))

    return run


def register(
    app: App,
    databases: ThreadDatabases,
    fetcher: Fetcher,
    *,
    admins: frozenset[str],
    on_change: Callable[[], None],
    background: BackgroundWork,
    poll_feed_now: PollNow,
) -> None:

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
        db = databases.get()
        with write_transaction(db):  # no other add can take the name between choosing and adding
            feed = add_feed(
                db,
                name=_unique_name(db, name or found.title),
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
        outcome = poll_feed_now(feed)
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
            url, name = rest[0], " ".join(rest[1:]) or None
            job = _reporting(respond, f"add {escape(url)}", lambda: add(url, name, user_id, team_id, respond))
            ack(**ephemeral(f"Checking {escape(url)} …" if background.submit(job) else BUSY))
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
            job = _reporting(respond, f"poll *{escape(feed.name)}*", lambda: poll_now(feed, respond))
            ack(**ephemeral(f"Polling *{escape(feed.name)}* …" if background.submit(job) else BUSY))
            return
        try:
            with request_database(databases) as db:
                change_feed(db, feed, change=verb, actor=user_id, team_id=team_id)
        except StorageUnavailable as error:
            ack(**could_not("change the feed", error))
            return
        on_change()
        ack(**ephemeral(f"*{escape(feed.name)}* {verb}d."))

    app.command("/feeds")(feeds_command)
