"""Noise control and notes end to end (issue 10): signed ``/watch … hide``,
``unhide``, ``note`` and ``/watchlist hidden`` to the running bot, docket
entries polled by a separate ``poll --once`` process, and what the Slack
stand-in received: hidden alerts are not posted but listed with their filter,
other channels are still alerted, and a note shows in ``/watchlist``, the
Home tab and the first alert of a case."""

from __future__ import annotations

import json

import pytest

from tests import test_alerts_e2e
from tests.conftest import block_kit_error, eventually, post_event
from tests.reliability import Observed
from tests.test_alerts_e2e import (
    CAPTION,
    DCD_APPEARANCE,
    DCD_COMPLAINT,
    DCD_RULING,
    DOCKET,
    SEC_COMPLAINT,
    World,
    item,
    record_delivery,
    text_of,
)

world = test_alerts_e2e.world  # the same running bot, feeds and Slack stand-in

PRO_HAC_VICE = item(
    CAPTION,
    "[Motion for Leave to Appear Pro Hac Vice] MOTION for Leave to Appear Pro Hac Vice of Jane Roe (15)",
    "Wed, 07 Jun 2023 09:00:00 GMT",
    "dcd-15",
    DOCKET,
)
EXTENSION_ORDER = item(
    CAPTION,
    "[Order on Motion for Extension of Time] ORDER granting 16 Motion for Extension of Time (17)",
    "Thu, 08 Jun 2023 09:00:00 GMT",
    "dcd-17",
    DOCKET,
)
SECOND_PRO_HAC_VICE = item(
    CAPTION,
    "[Motion for Leave to Appear Pro Hac Vice] MOTION for Leave to Appear Pro Hac Vice of John Doe (18)",
    "Fri, 09 Jun 2023 09:00:00 GMT",
    "dcd-18",
    DOCKET,
)


def fits_slack(answer: dict) -> bool:
    return block_kit_error(answer) is None and len(answer["text"]) <= 3000


@pytest.mark.reliability("a channel hides some alerts of a case other channels watch", kind="input")
def test_hidden_alerts_are_listed_with_their_filter_and_other_channels_still_hear(
    world: World, observed: Observed
) -> None:
    world.command("/watch", "1:23-cv-01599 all", channel="C0001")
    world.command("/watch", "23-cv-1599 all", channel="C0002")
    answer = world.command("/watch", '1:23-cv-01599 hide "Pro Hac Vice" orders', channel="C0001")
    assert "now hides the phrase “Pro Hac Vice”, the kind *orders*" in answer["text"], answer["text"]
    assert "`/watchlist hidden`" in answer["text"] and fits_slack(answer)

    world.serve(dcd=(DCD_APPEARANCE, PRO_HAC_VICE, EXTENSION_ORDER, DCD_RULING))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0002")) == 4, timeout=10)
    world.flush()
    shown = [text_of(post) for post in world.api.posts("C0001")]
    assert len(shown) == 2, shown  # the appearance and the ruling; not the motion nor the order
    assert "Notice of Appearance" in shown[0] and "*Ruling*" in shown[1]
    record_delivery(observed, world.api, "C0002", expected=4)  # the other channel lost nothing

    hidden = world.command("/watchlist", "hidden", channel="C0001")
    lines = hidden["text"].split("\n")
    assert lines[0] == "Hidden in this channel in the last 7 days (2), newest first:"
    assert "Extension of Time" in lines[1] and "hidden by the kind *orders*" in lines[2]
    assert "Pro Hac Vice of Jane Roe" in lines[3] and "hidden by the phrase “Pro Hac Vice”" in lines[4]
    assert fits_slack(hidden)
    assert "Nothing was hidden in this channel" in world.command("/watchlist", "hidden", channel="C0002")["text"]

    listed = world.command("/watchlist", "", channel="C0001")["text"]
    assert "hides the phrase “Pro Hac Vice”, the kind *orders*" in listed
    assert "2 alerts hidden in 7 days (`/watchlist hidden`)" in listed

    answer = world.command("/watch", '1:23-cv-01599 unhide "pro-hac-vice"', channel="C0001")
    assert "no longer hides the phrase “Pro Hac Vice”" in answer["text"]
    world.serve(dcd=(DCD_APPEARANCE, PRO_HAC_VICE, EXTENSION_ORDER, DCD_RULING, SECOND_PRO_HAC_VICE))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 3, timeout=10)
    assert "John Doe" in text_of(world.api.posts("C0001")[2])


def test_routine_entries_left_out_by_default_are_listed_too(world: World) -> None:
    world.command("/watch", "1:23-cv-01599")
    world.serve(dcd=(DCD_COMPLAINT, DCD_APPEARANCE))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 1, timeout=10)
    hidden = world.command("/watchlist", "hidden")["text"]
    assert "Notice of Appearance" in hidden and "hidden by routine docket entries (left out unless" in hidden


def test_a_note_shows_in_the_watchlist_the_home_tab_and_the_first_alert_of_a_case(world: World) -> None:
    world.api.channels_of_user["U0001"] = ["C0001"]
    world.command("/watch", "binance")
    answer = world.command("/watch", 'binance note "counterparty review for the Q3 audit <!channel> & co"')
    escaped = "_counterparty review for the Q3 audit &lt;!channel&gt; &amp; co_"
    assert escaped in answer["text"] and "<!channel>" not in answer["text"]
    assert f"note: {escaped}" in world.command("/watchlist", "")["text"]

    world.serve(sec=(SEC_COMPLAINT,), dcd=(DCD_COMPLAINT, DCD_RULING))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 2, timeout=10)
    first, reply = world.api.posts("C0001")
    assert reply["thread_ts"] == first["ts"]
    assert f":memo: *Note:* {escaped}" in text_of(first) and "Q3 audit" not in text_of(reply)

    assert eventually(lambda: "2 alerts sent" in world.command("/watchlist", "")["text"], timeout=5)
    assert post_event(world.events_url, {"type": "app_home_opened", "user": "U0001", "tab": "home"}).status == 200
    assert world.api.wait_for(lambda: world.api.calls_of("views.publish"), timeout=5)
    view = world.api.calls_of("views.publish")[0]["view"]
    assert escaped in json.dumps(view if isinstance(view, dict) else json.loads(view))

    removed = world.command("/watch", "binance note remove")["text"]
    assert "The note on *binance* was removed" in removed
    assert "note:" not in world.command("/watchlist", "")["text"]


BAD_REQUESTS = [
    ('binance hide "pro hac vice', "A quotation mark is not closed"),
    ('binance hide ""', "empty once punctuation is set aside"),
    ("binance hide !!!", "empty once punctuation is set aside"),
    ("binance hide", "Say what to hide"),
    ("binance hide " + "x" * 101, "at most 100 characters"),
    ("binance hide " + " ".join(f'"p{n}"' for n in range(11)), "At most 10 phrases at once"),
    ("binance note", "Say the note"),
    ("binance note " + "y" * 301, "A note can be at most 300 characters"),
    ('coinbase hide "pro hac vice"', "This channel does not watch *coinbase*"),
    ("#99 note why", "This channel has no watch #99"),
]


@pytest.mark.reliability("a malformed hide or note request to /watch", kind="input")
def test_bad_hide_and_note_requests_get_one_line_with_an_example(world: World) -> None:
    """One bot for every case (each a signed request): a bot per case would cost 4 s each."""
    world.command("/watch", "binance")
    for text, explained in BAD_REQUESTS:
        answer = world.command("/watch", text)
        assert explained in answer["text"], (text, answer["text"])
        assert "\n" not in answer["text"] and "`/watch" in answer["text"] and fits_slack(answer), answer
    listed = world.command("/watchlist", "")["text"]
    assert "hides" not in listed and "note:" not in listed
