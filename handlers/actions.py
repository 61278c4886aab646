"""Block actions: the Watch / Unwatch and Share in channel buttons on case cards.

A click is acknowledged at once; the work runs as a Bolt lazy listener and
answers through ``respond`` (Slack takes no message in a click's acknowledgement).

Watch and Unwatch replace the card they are on (``replace_original``): the
same answer again, its button flipped, headed by what the channel now watches.
Share posts the card through the click's ``response_url`` with
``response_type: in_channel``, rather than ``chat.postMessage`` as the bot:
it works in every conversation the user can click in (private channels and
DMs the bot was never invited to included) and needs no further scope; the
ephemeral answer stays, for the user's next click.
"""

from __future__ import annotations

from slack_bolt import App, Respond
from sqlite_utils import Database

from feeds.extract import find_dockets
from feeds.vocabulary import WatchKind
from handlers.case_answer import (
    SHARE_ACTION,
    UNWATCH_ACTION,
    WATCH_ACTION,
    CardButton,
    read_button,
    shared_card,
    slack_answer,
)
from handlers.interactive import acknowledge, could_not, request_database
from handlers.mrkdwn import escape, mention_channel
from storage.cases import CaseView, case_view, known_case_view
from storage.database import StorageUnavailable, ThreadDatabases
from storage.search import SearchResult, search_cases
from storage.watches import (
    TooManyWatches,
    Watch,
    WatchSpec,
    add_watch,
    case_watch_in_channel,
    cases_watched_in_channel,
    other_channels_watching,
    remove_watch,
)

STALE_BUTTON = "That button no longer works: look the case up again with `/case`."


def _where(body: dict) -> tuple[str, str, str]:
    team_id = (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id", "")
    return team_id, (body.get("channel") or {}).get("id", ""), body["user"]["id"]


def _answer(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)


def _case_spec(case: CaseView) -> WatchSpec:
    """The watch that follows exactly this case: its docket number if it has one (every form of it), else the case."""
    dockets = find_dockets(case.dockets[0]) if case.dockets else []
    if dockets:
        return WatchSpec(kind=WatchKind.DOCKET, term=dockets[0].display, term_key=dockets[0].key)
    return WatchSpec(kind=WatchKind.CASE, term=case.caption[:100], term_key=f"case:{case.id}", case_id=case.id)


def watching_note(watch: Watch, created: bool, elsewhere: list[str]) -> str:
    """What a click on Watch did: the channel watches *this case* (by its docket number, or the case itself)."""
    how = f"by its docket number *{escape(watch.term)}*" if watch.kind == WatchKind.DOCKET else "itself"
    verb = "now watches" if created else "already watched"
    note = f":white_check_mark: This channel {verb} this case ({how}): an alert for each new item of it."
    if elsewhere:
        note += " Also watched in " + ", ".join(mention_channel(channel) for channel in elsewhere[:10]) + "."
    return note


def unwatching_note(watch: Watch | None) -> str:
    if watch is None:
        return "This channel was not watching this case."
    return f":wave: This channel no longer watches this case (*{escape(watch.term)}*). Its undelivered alerts were cancelled."


def _card_again(db: Database, button: CardButton, where: tuple[str, str, str], note: str) -> dict:
    """The message the button was on, rebuilt as it now is (the button flipped), headed by ``note``:
    the ``/case`` answer (its query is in the button), or the one card shared in a channel."""
    team_id, channel_id, _ = where
    if button.query is not None:
        result = search_cases(db, button.query)
        cases = [case.id for case in result.cases]
    else:
        case = case_view(db, button.case_id)
        result = SearchResult(query="", cases=[case], total=1)
        cases = [case.id]
    watched = cases_watched_in_channel(db, team_id, channel_id, cases)
    if button.query is not None:
        message = slack_answer(result, watched)
    else:
        message = shared_card(result.cases[0], button.case_id in watched, button.shared_by)
    heading = {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
    return {"text": note, "blocks": [heading, *message["blocks"]]}


def register(app: App, databases: ThreadDatabases) -> None:
    def watch_case(body: dict, action: dict, respond: Respond) -> None:
        where = _where(body)
        team_id, channel_id, user_id = where
        button = read_button(action.get("value") or "")
        if button is None or not channel_id:
            _answer(respond, STALE_BUTTON)
            return
        try:
            with request_database(databases) as db:
                case = known_case_view(db, button.case_id)
                if case is None:
                    _answer(respond, STALE_BUTTON)
                    return
                watch, created = add_watch(
                    db, team_id=team_id, channel_id=channel_id, user_id=user_id, spec=_case_spec(case)
                )
        except TooManyWatches as error:
            _answer(respond, f"Not added: {error}. Remove some with `/unwatch`.")
            return
        except StorageUnavailable as error:
            _answer(respond, could_not("save the watch", error)["text"])
            return
        elsewhere = other_channels_watching(db, team_id, watch.kind, watch.term_key, channel_id)
        card = _card_again(db, button, where, watching_note(watch, created, elsewhere))
        respond(replace_original=True, **card)

    def unwatch_case(body: dict, action: dict, respond: Respond) -> None:
        where = _where(body)
        team_id, channel_id, user_id = where
        button = read_button(action.get("value") or "")
        if button is None or not channel_id:
            _answer(respond, STALE_BUTTON)
            return
        try:
            with request_database(databases) as db:
                if known_case_view(db, button.case_id) is None:
                    _answer(respond, STALE_BUTTON)
                    return
                watch = case_watch_in_channel(db, team_id, channel_id, button.case_id)
                removed = watch and remove_watch(
                    db, team_id=team_id, channel_id=channel_id, watch_id=watch.id, user_id=user_id
                )
        except StorageUnavailable as error:
            _answer(respond, could_not("remove the watch", error)["text"])
            return
        respond(replace_original=True, **_card_again(db, button, where, unwatching_note(removed or None)))

    def share_case(body: dict, action: dict, respond: Respond) -> None:
        team_id, channel_id, user_id = _where(body)
        button = read_button(action.get("value") or "")
        db = databases.get()
        case = known_case_view(db, button.case_id) if button else None
        if case is None:
            _answer(respond, STALE_BUTTON)
            return
        watched = case.id in cases_watched_in_channel(db, team_id, channel_id, [case.id])
        respond(response_type="in_channel", replace_original=False, **shared_card(case, watched, user_id))

    app.action(WATCH_ACTION)(ack=acknowledge, lazy=[watch_case])
    app.action(UNWATCH_ACTION)(ack=acknowledge, lazy=[unwatch_case])
    app.action(SHARE_ACTION)(ack=acknowledge, lazy=[share_case])
