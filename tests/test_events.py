"""Events end to end (issue 8, point 8): two docket entries of one case on one
day are two events and two alerts; the court's entry, the agency's release and
the next day's news about one ruling are one event and one alert listing all
three; an alert names the related cases that its channel also watches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from feeds.extract import docket_entry_number
from tests.conftest import FeedServer, SlackApi, run_bot, slack_bot_env, write_catalog
from tests.test_alerts_e2e import CAPTION, DOCKET, SLACK_TIMEOUT, World, item, rss, text_of

NEWS_SITE = "https://news.example.org/"
SEAL_ORDER = item(
    CAPTION,
    "[Order on Motion to Seal] ORDER granting motion for leave to file under seal. (10)",
    "Fri, 28 Jun 2024 15:02:00 GMT",
    "dcd-10",
    DOCKET,
)
DISMISSAL_RULING = item(
    CAPTION,
    "[Memorandum Opinion] MEMORANDUM OPINION granting in part and denying in part motions to dismiss. (12)",
    "Fri, 28 Jun 2024 20:41:12 GMT",
    "dcd-12",
    DOCKET,
)
SEC_RELEASE = (
    "<item><title>Court Grants in Part and Denies in Part Binance Motions to Dismiss</title>"
    "<link>https://www.sec.gov/litigation/litreleases/lr-26050</link>"
    "<description>On June 28, 2024, the U.S. District Court for the District of Columbia granted in part and "
    "denied in part the motions to dismiss. Securities and Exchange Commission v. Binance Holdings Limited, et al., "
    "Civil Action No. 1:23-cv-01599 (D.D.C.).</description>"
    "<pubDate>Fri, 28 Jun 2024 16:00:00 -0400</pubDate><guid isPermaLink='false'>lr-26050</guid>"
    "<dc:creator xmlns:dc='http://purl.org/dc/elements/1.1/'>LR-26050</dc:creator></item>"
)
NEXT_DAY_NEWS = item(
    "Judge trims SEC lawsuit against Binance but lets most claims proceed - Example News",
    "A federal judge dismissed some of the SEC's claims while allowing most of the case, "
    "SEC v. Binance Holdings Ltd., to proceed.",
    "Sat, 29 Jun 2024 13:00:00 GMT",
    "news-binance-ruling",
    "https://news.example.org/2024/06/29/binance",
)
CFTC_COMPLAINT = item(
    "CFTC Charges Binance and Its Founder, Changpeng Zhao",
    "Commodity Futures Trading Commission v. Changpeng Zhao, Binance Holdings Limited, and Samuel Lim, "
    "Case No. 1:23-cv-01887 (N.D. Ill.).",
    "Mon, 27 Mar 2023 13:00:00 -0400",
    "cftc-8680-23",
    "https://www.cftc.gov/PressRoom/PressReleases/8680-23",
)


@pytest.fixture
def world(tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable) -> World:
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("SEC litigation releases", f"{feed_server.base}/sec.xml", "regulator"),
            ("D.D.C. docket", f"{feed_server.base}/dcd.xml", "court"),
            ("News search", f"{feed_server.base}/news.xml", "news"),
            ("Markers", f"{feed_server.base}/flush.xml", "news"),
        ],
    )
    env = slack_bot_env(
        tmp_path,
        slack_api,
        catalog,
        CASEWATCH_SLACK_TIMEOUT_SECONDS=str(SLACK_TIMEOUT),
        CASEWATCH_POST_INTERVAL_SECONDS="0.05",
    )
    world = World(slack_api, feed_server, env, tmp_path, "", start_bot)
    world.serve()
    serve_news(world)
    feed_server.serve("/flush.xml", rss("https://example.org/"))
    world.events_url = start_bot(env) + "/slack/events"
    world.poll()  # every feed's first poll (its backlog alerts no one) is behind us
    # So is the bot's own start-up poll of each feed (a job a second apart): were
    # it still running, it could read a test's news story before the release.
    for path in ("/sec.xml", "/dcd.xml", "/news.xml", "/flush.xml"):
        assert feed_server.wait_for_request(path, count=2, timeout=20)
    return world


def serve_news(world: World, *items: str) -> None:
    world.feeds.serve("/news.xml", rss(NEWS_SITE, *items))


def test_two_docket_entries_of_one_case_on_one_day_are_two_alerts(world: World) -> None:
    world.command("/watch", "binance")
    world.serve(dcd=(DISMISSAL_RULING, SEAL_ORDER))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 2, timeout=10)
    world.flush()
    first, second = world.api.posts("C0001")
    assert second["thread_ts"] == first["ts"]  # one case, one thread
    bodies = text_of(first) + text_of(second)
    assert "motion for leave to file under seal" in bodies and "motions to dismiss" in bodies
    assert len(world.api.posts("C0001")) == 2


def test_one_ruling_from_court_agency_and_next_day_news_is_one_alert_with_three_sources(world: World) -> None:
    world.command("/watch", "binance")
    world.serve(sec=(SEC_RELEASE,), dcd=(DISMISSAL_RULING,))
    serve_news(world, NEXT_DAY_NEWS)
    world.poll()
    sources = ("SEC litigation releases", "D.D.C. docket", "News search")
    assert world.api.wait_for(
        lambda: bool(world.api.posts("C0001")) and all(s in text_of(world.api.posts("C0001")[0]) for s in sources),
        timeout=10,
    )
    world.flush()
    (alert,) = world.api.posts("C0001")
    assert "*Sources (3):*" in text_of(alert)
    assert "*Status:* Motion to dismiss granted in part" in text_of(alert)
    assert "*Date:* <!date^1719576000^{date_short}|2024-06-28>" in text_of(alert)  # the court's day, not the news'


def shows_sources(api: SlackApi, *sources: str) -> bool:
    """The channel's first alert lists every one of ``sources``."""
    posts = api.posts("C0001")
    return bool(posts) and all(source in text_of(posts[0]) for source in sources)


@pytest.mark.reliability(
    "a source of an event joins while Slack has not yet answered its alert's post", kind="slack fault"
)
def test_a_source_joining_while_its_alert_is_being_posted_is_added_to_the_message(world: World) -> None:
    world.command("/watch", "binance")
    world.api.hold_posts.clear()  # Slack has the message; its answer has not reached the bot yet
    world.serve(sec=(SEC_RELEASE,))
    world.poll()
    assert world.api.post_arrived.wait(timeout=10)
    world.serve(sec=(SEC_RELEASE,), dcd=(DISMISSAL_RULING,))
    world.poll()  # the court's entry joins the event meanwhile
    world.api.hold_posts.set()
    assert world.api.wait_for(lambda: shows_sources(world.api, "SEC litigation releases", "D.D.C. docket"), timeout=10)
    world.flush()
    assert len(world.api.posts("C0001")) == 1


@pytest.mark.reliability(
    "a source of an event joins while Slack has not yet answered its alert's edit", kind="slack fault"
)
def test_a_source_joining_while_its_alert_is_being_edited_is_added_too(world: World) -> None:
    world.command("/watch", "binance")
    world.serve(sec=(SEC_RELEASE,))
    world.poll()
    assert world.api.wait_for(lambda: shows_sources(world.api, "SEC litigation releases"), timeout=10)
    world.api.hold_updates.clear()  # the edit for the court's entry reaches Slack; its answer waits
    world.serve(sec=(SEC_RELEASE,), dcd=(DISMISSAL_RULING,))
    world.poll()
    assert world.api.wait_for(lambda: shows_sources(world.api, "SEC litigation releases", "D.D.C. docket"), timeout=10)
    serve_news(world, NEXT_DAY_NEWS)
    world.poll()  # the next day's story joins while that edit is under way
    world.api.hold_updates.set()
    sources = ("SEC litigation releases", "D.D.C. docket", "News search")
    assert world.api.wait_for(lambda: shows_sources(world.api, *sources), timeout=10)
    world.flush()
    (alert,) = world.api.posts("C0001")
    assert "*Sources (3):*" in text_of(alert)


def test_a_digest_stays_a_digest_when_one_of_its_events_gains_a_source(world: World) -> None:
    world.command("/watch", "binance daily")
    world.serve(dcd=(DISMISSAL_RULING,))
    world.poll()
    digest = run_bot(["digest"], world.env, cwd=world.cwd)
    assert "1 daily digest posted." in digest.stdout, digest.stderr
    world.serve(sec=(SEC_RELEASE,), dcd=(DISMISSAL_RULING,))
    world.poll()  # the SEC's release joins the ruling's event, which the digest listed
    world.flush()
    world.flush()  # a pass of the sender that began after the release was stored has ended
    (message,) = world.api.posts("C0001")
    assert "Casewatch daily digest" in text_of(message)
    assert world.api.calls_of("chat.update") == []


def test_an_alert_names_related_cases_that_the_channel_also_watches(world: World) -> None:
    world.command("/watch", "binance", channel="C0001")
    world.command("/watch", "1:23-cv-01599", channel="C0002")
    world.serve(sec=(CFTC_COMPLAINT,))
    world.poll()
    world.serve(sec=(CFTC_COMPLAINT,), dcd=(DISMISSAL_RULING,))
    world.poll()
    assert world.api.wait_for(lambda: len(world.api.posts("C0001")) == 2 and world.api.posts("C0002"), timeout=10)
    ruling = next(post for post in world.api.posts("C0001") if "Ruling" in text_of(post))
    assert "*Related:* Commodity Futures Trading Commission v. Changpeng Zhao" in text_of(ruling)
    assert "(CFTC, filed)" in text_of(ruling)
    (docket_only,) = world.api.posts("C0002")  # that channel does not watch the CFTC case
    assert "Related" not in text_of(docket_only)


@pytest.mark.parametrize(
    ("link", "summary", "docket_entry", "number"),
    [
        (
            "https://ecf.dcd.uscourts.gov/cgi-bin/DktRpt.pl?259117",
            "[Order] ORDER granting ( 10 ) motion. ( 12 )",
            True,
            "12",
        ),
        ("https://www.courtlistener.com/docket/67474542/sec-v-binance/#entry-248", "Order", False, "248"),
        ("https://www.courtlistener.com/docket/1/x/#minute-entry-99123", "Minute order", False, "minute-entry-99123"),
        ("https://ecf.dcd.uscourts.gov/cgi-bin/DktRpt.pl?1", "[Minute Order] granting (10) motion on 6/28", True, None),
        ("https://www.sec.gov/x", "The court ruled (12)", False, None),
    ],
)
def test_entry_numbers(link: str, summary: str, docket_entry: bool, number: str | None) -> None:
    assert docket_entry_number(link, summary, docket_entry=docket_entry) == number
