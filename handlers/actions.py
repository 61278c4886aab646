"""Block actions: the Watch / Unwatch buttons on case cards.

A click is acknowledged at once; the work runs as a Bolt lazy listener and
answers through ``respond`` (Slack takes no message in a click's acknowledgement).
"""

from __future__ import annotations

from slack_bolt import App, Respond

from feeds.extract import find_dockets
from feeds.vocabulary import WatchKind
from handlers.case_answer import UNWATCH_ACTION, WATCH_ACTION
from handlers.interactive import acknowledge, could_not, request_database
from handlers.watch_answer import unwatched, watch_confirmation
from handlers.watch_request import written_number
from storage.cases import case_view
from storage.database import StorageUnavailable, ThreadDatabases
from storage.search import SearchResult
from storage.watches import WatchSpec, add_watch, case_watch_in_channel, other_channels_watching, remove_watch

STALE_BUTTON = "That button no longer works: look the case up again with `/case`."


def _where(body: dict) -> tuple[str, str, str]:
    team_id = (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id", "")
    return team_id, (body.get("channel") or {}).get("id", ""), body["user"]["id"]


def _answer(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)


def register(app: App, databases: ThreadDatabases) -> None:
    def watch_case(body: dict, action: dict, respond: Respond) -> None:
        team_id, channel_id, user_id = _where(body)
        case_id = written_number(action.get("value") or "")
        if case_id is None or not channel_id:
            _answer(respond, STALE_BUTTON)
            return
        try:
            with request_database(databases) as db:
                case = case_view(db, case_id, timeline_limit=0)
                dockets = find_dockets(case.dockets[0]) if case.dockets else []
                if dockets:
                    spec = WatchSpec(kind=WatchKind.DOCKET, term=dockets[0].display, term_key=dockets[0].key)
                else:
                    spec = WatchSpec(
                        kind=WatchKind.CASE, term=case.caption[:100], term_key=f"case:{case.id}", case_id=case.id
                    )
                watch, created = add_watch(db, team_id=team_id, channel_id=channel_id, user_id=user_id, spec=spec)
        except StorageUnavailable as error:
            _answer(respond, could_not("save the watch", error)["text"])
            return
        known = SearchResult(query=watch.term, cases=[case], total=1)
        elsewhere = other_channels_watching(db, team_id, watch.kind, watch.term_key, channel_id)
        _answer(respond, watch_confirmation(watch, created, known, elsewhere))

    def unwatch_case(body: dict, action: dict, respond: Respond) -> None:
        team_id, channel_id, user_id = _where(body)
        case_id = written_number(action.get("value") or "")
        if case_id is None or not channel_id:
            _answer(respond, STALE_BUTTON)
            return
        try:
            with request_database(databases) as db:
                watch = case_watch_in_channel(db, team_id, channel_id, case_id)
                removed = watch and remove_watch(
                    db, team_id=team_id, channel_id=channel_id, watch_id=watch.id, user_id=user_id
                )
        except StorageUnavailable as error:
            _answer(respond, could_not("remove the watch", error)["text"])
            return
        _answer(respond, unwatched(removed) if removed else "This channel was not watching that case.")

    app.action(WATCH_ACTION)(ack=acknowledge, lazy=[watch_case])
    app.action(UNWATCH_ACTION)(ack=acknowledge, lazy=[unwatch_case])
