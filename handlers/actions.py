"""Block actions: the Watch / Unwatch buttons on case cards."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond

from feeds.extract import find_dockets
from handlers.case_answer import UNWATCH_ACTION, WATCH_ACTION
from handlers.watch_answer import unwatched, watch_confirmation
from storage.cases import case_view
from storage.database import ThreadDatabases
from storage.search import SearchResult
from storage.watches import WatchSpec, add_watch, case_watch_in_channel, other_channels_watching, remove_watch


def _where(body: dict) -> tuple[str, str, str]:
    team_id = (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id", "")
    return team_id, body["channel"]["id"], body["user"]["id"]


def register(app: App, databases: ThreadDatabases) -> None:
    def watch_case(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        db = databases.get()
        team_id, channel_id, user_id = _where(body)
        case = case_view(db, int(action["value"]), timeline_limit=0)
        dockets = find_dockets(case.dockets[0]) if case.dockets else []
        if dockets:
            spec = WatchSpec(kind="docket", term=dockets[0].display, term_key=dockets[0].key)
        else:
            spec = WatchSpec(kind="case", term=case.caption[:100], term_key=f"case:{case.id}", case_id=case.id)
        watch, created = add_watch(db, team_id=team_id, channel_id=channel_id, user_id=user_id, spec=spec)
        known = SearchResult(query=watch.term, cases=[case], total=1)
        elsewhere = other_channels_watching(db, team_id, watch.kind, watch.term_key, channel_id)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=watch_confirmation(watch, created, known, elsewhere),
        )

    def unwatch_case(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        db = databases.get()
        team_id, channel_id, user_id = _where(body)
        watch = case_watch_in_channel(db, team_id, channel_id, int(action["value"]))
        removed = watch and remove_watch(db, team_id=team_id, channel_id=channel_id, watch_id=watch.id, user_id=user_id)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=unwatched(removed) if removed else "This channel was not watching that case.",
        )

    app.action(WATCH_ACTION)(watch_case)
    app.action(UNWATCH_ACTION)(unwatch_case)
