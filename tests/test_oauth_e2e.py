"""Multi-workspace OAuth end to end: two workspaces install the app through the
real "Add to Slack" flow (``GET /slack/install`` for the state cookie and the
link, then ``/slack/oauth_redirect`` with Slack's code, which the Web API
stand-in answers at ``oauth.v2.access``), then each uses Casewatch with its own
token, sees nothing of the other's, and an uninstall pauses one workspace's
alerts until it installs the app again. The installs live in the database, on
either engine (the suite's PostgreSQL pass runs this file on PostgreSQL)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.database import connect_without_migrating
from tests.conftest import (
    ROOT,
    SIGNING_SECRET,
    FeedServer,
    HttpAnswer,
    SlackApi,
    eventually,
    post_event,
    post_slack,
    run_bot,
    slack_bot_env,
    slash_command,
    write_catalog,
)
from tests.reliability import Observed
from tests.test_alerts_e2e import SEC_COMPLAINT, burst, rss

CLIENT_ID = "1111.2222"
TEAMS = {"TA": ("C0001", "UA"), "TB": ("C0002", "UB")}  # each workspace's channel and user


@dataclass
class Deployment:
    """One running bot in OAuth mode, its feeds and the Slack stand-in."""

    api: SlackApi
    feeds: FeedServer
    env: dict[str, str]
    cwd: Path
    base: str

    @property
    def events_url(self) -> str:
        return self.base + "/slack/events"

    def install(self, team_id: str, token: str, code: str, **rotation: str) -> HttpAnswer:
        """Install the app in ``team_id`` as a browser would: the install page
        sets the state cookie and links to Slack; Slack sends the user back to
        the redirect URL with a code, which the bot trades for ``token``."""
        self.api.install(code, team_id, token, **rotation)
        with urllib.request.urlopen(self.base + "/slack/install", timeout=10) as page:
            cookie = page.headers["Set-Cookie"].split(";")[0]
            html = page.read().decode()
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', html)
        assert link, html
        assert f"client_id={CLIENT_ID}" in link[1] and "chat%3Awrite" in link[1].replace(":", "%3A")
        state = re.search(r"state=([^&\"]+)", link[1])[1]
        redirect = urllib.request.Request(
            f"{self.base}/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie}
        )
        try:
            with urllib.request.urlopen(redirect, timeout=10) as answer:
                return HttpAnswer(answer.status, answer.read().decode())
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, error.read().decode())

    def command(self, team_id: str, command: str, text: str, channel: str | None = None) -> dict:
        own_channel, user = TEAMS[team_id]
        form = slash_command(command, text, team_id=team_id, channel_id=channel or own_channel, user_id=user)
        answer = post_slack(self.events_url, form)
        assert answer.status == 200, answer.body
        return answer.json()

    def poll(self) -> None:
        result = run_bot(["poll", "--once"], self.env, cwd=self.cwd)
        assert result.returncode == 0, result.stdout + result.stderr

    def posted_with(self, token: str) -> list[dict]:
        return self.api.calls_with_token("chat.postMessage", token)

    def alert_ids(self, channel: str) -> list[int]:
        return [post["metadata"]["event_payload"]["alert_id"] for post in self.api.posts(channel)]

    def audit(self, team_id: str) -> list[dict]:
        result = run_bot(["audit", "--team", team_id], self.env, cwd=self.cwd)
        assert result.returncode == 0, result.stderr
        return list(csv.DictReader(io.StringIO(result.stdout)))

    def alert_states(self, team_id: str) -> list[str]:
        rows = self.query("SELECT status FROM alerts WHERE team_id = ? ORDER BY id", [team_id])
        return [status for (status,) in rows]

    def query(self, sql: str, parameters: list[object]) -> list[tuple]:
        """Rows of the bot's database, as another process reads them."""
        db = connect_without_migrating(self.env["CASEWATCH_DB"])
        try:
            return [tuple(row) for row in db.execute(sql, parameters).fetchall()]
        finally:
            db.close()


@pytest.fixture
def deployment(
    tmp_path: Path, feed_server: FeedServer, slack_api: SlackApi, start_bot: Callable
) -> Iterator[Deployment]:
    """The bot in OAuth mode on the suite's database (SQLite, or PostgreSQL in its pass)."""
    catalog = write_catalog(
        tmp_path / "feeds.toml",
        [
            ("SEC press releases", f"{feed_server.base}/sec.xml", "regulator"),
            ("Spare", f"{feed_server.base}/x.xml", "news"),
        ],
    )
    feed_server.serve("/sec.xml", rss("https://www.sec.gov/"))
    feed_server.serve("/x.xml", rss("https://example.org/"))
    env = slack_bot_env(
        tmp_path,
        slack_api,
        catalog,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET="client-secret-0123",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        CASEWATCH_ADMINS="UA,UB",
        CASEWATCH_POST_INTERVAL_SECONDS="0.05",
        CASEWATCH_AUTH_CHECK_SECONDS="1",
    )
    del env["SLACK_BOT_TOKEN"]
    deployment = Deployment(slack_api, feed_server, env, tmp_path, "")
    deployment.poll()  # every feed's first poll (its backlog alerts no one) is behind us
    deployment.base = start_bot(env)
    yield deployment


def view_text(call: dict) -> str:
    view = call["view"]
    return json.dumps(view if isinstance(view, dict) else json.loads(view))


@pytest.mark.reliability("a workspace sees another workspace's watches, alerts, Home tab or audit", kind="abuse")
def test_two_workspaces_installed_through_oauth_see_nothing_of_each_other(deployment: Deployment) -> None:
    for team_id, token, code in (("TA", "xoxb-team-a", "code-a"), ("TB", "xoxb-team-b", "code-b")):
        answer = deployment.install(team_id, token, code)
        assert answer.status == 200 and "Thank you!" in answer.body, answer.body
    api = deployment.api
    assert [call["code"] for call in api.calls_of("oauth.v2.access")] == ["code-a", "code-b"]

    assert "now watches *Changpeng Zhao*" in deployment.command("TA", "/watch", '"Changpeng Zhao"')["text"]
    assert "now watches *binance*" in deployment.command("TB", "/watch", "binance")["text"]
    # The same channel id in the other workspace: not TA's channel.
    assert "watches nothing yet" in deployment.command("TB", "/watchlist", "", channel="C0001")["text"]
    listed = deployment.command("TA", "/watchlist", "")["text"]
    assert "*Changpeng Zhao*" in listed and "*binance*" not in listed
    assert "paused" in deployment.command("TA", "/feeds", "pause Spare")["text"].lower()

    deployment.feeds.serve("/sec.xml", rss("https://www.sec.gov/", SEC_COMPLAINT))
    deployment.poll()
    assert api.wait_for(lambda: len(api.posts("C0001")) == 1 and len(api.posts("C0002")) == 1, timeout=10)
    # Each alert is posted with its own workspace's token, to its own channel only.
    assert [post["channel"] for post in deployment.posted_with("xoxb-team-a")] == ["C0001"]
    assert [post["channel"] for post in deployment.posted_with("xoxb-team-b")] == ["C0002"]
    assert "watched: Changpeng Zhao" in json.dumps(api.posts("C0001")[0]["blocks"])
    assert "watched: binance" in json.dumps(api.posts("C0002")[0]["blocks"])

    # TB's Home tab, for a user whose channel list even names TA's channel id, shows only TB's.
    api.channels_of_user["UB"] = ["C0001", "C0002"]
    assert (
        post_event(deployment.events_url, {"type": "app_home_opened", "user": "UB", "tab": "home"}, "TB").status == 200
    )
    assert api.wait_for(lambda: api.calls_of("views.publish"), timeout=10)
    published = api.calls_with_token("views.publish", "xoxb-team-b")
    assert len(published) == len(api.calls_of("views.publish")) == 1
    home = view_text(published[0])
    assert "*binance*" in home and "Changpeng" not in home and "C0001" not in home

    audit_a, audit_b = deployment.audit("TA"), deployment.audit("TB")
    assert {row["team_id"] for row in audit_a} == {"TA"} and {row["team_id"] for row in audit_b} == {"TB"}
    assert any("Spare" in row["detail"] for row in audit_a)  # TA's feed change is TA's alone
    assert not any("Spare" in row["detail"] or row["channel_id"] == "C0001" for row in audit_b)
    assert [row["action"] for row in audit_b] == ["watch added", "alert delivered"]


UNINSTALLED = {"type": "app_uninstalled"}
BOT_TOKEN_REVOKED = {"type": "tokens_revoked", "tokens": {"oauth": ["UTA"], "bot": ["UBOTTA"]}}


@pytest.mark.parametrize(
    "removal",
    [
        pytest.param(
            UNINSTALLED,
            marks=pytest.mark.reliability(
                "a workspace uninstalls the app while its alerts are on their way, then installs it again",
                kind="slack fault",
            ),
            id="app_uninstalled",
        ),
        pytest.param(
            BOT_TOKEN_REVOKED,
            marks=pytest.mark.reliability(
                "a workspace revokes the bot's token while its alerts are on their way, then installs it again",
                kind="slack fault",
            ),
            id="tokens_revoked",
        ),
    ],
)
def test_an_uninstall_pauses_one_workspace_and_a_reinstall_sends_what_waited(
    deployment: Deployment, observed: Observed, removal: dict
) -> None:
    api = deployment.api
    assert deployment.install("TA", "xoxb-team-a", "code-a").status == 200
    assert deployment.install("TB", "xoxb-team-b", "code-b").status == 200
    for team_id in TEAMS:
        deployment.command(team_id, "/watch", "acme widgets")
    orders = burst(4)

    deployment.feeds.serve("/sec.xml", rss("https://www.sec.gov/", *orders[:1]))
    deployment.poll()
    assert api.wait_for(lambda: len(api.posts("C0001")) == 1 and len(api.posts("C0002")) == 1, timeout=10)

    # TA uninstalls: Slack revokes its token at once; the event may come after an alert is tried.
    api.revoke("xoxb-team-a")
    deployment.feeds.serve("/sec.xml", rss("https://www.sec.gov/", *orders[:2]))
    deployment.poll()
    assert api.wait_for(lambda: len(api.posts("C0002")) == 2 and len(deployment.posted_with("xoxb-team-a")) == 2)
    assert post_event(deployment.events_url, removal, "TA").status == 200
    # While TA is uninstalled its watches keep their alerts, unsent; TB's go on.
    deployment.feeds.serve("/sec.xml", rss("https://www.sec.gov/", *orders[:3]))
    deployment.poll()
    assert api.wait_for(lambda: len(api.posts("C0002")) == 3, timeout=10)
    assert len(api.posts("C0001")) == 1
    # A command from TA is told to reinstall (through its response_url, as Bolt answers).
    command = slash_command("/watchlist", "", team_id="TA", channel_id="C0001", response_url=api.response_url)
    assert post_slack(deployment.events_url, command).status == 200
    assert "Casewatch is not installed in this workspace" in api.calls_of("T0001")[-1]["text"]
    # Another process marks an alert after Slack answers it: probe its database until it has.
    assert eventually(lambda: sorted(deployment.alert_states("TA")) == ["failed", "pending", "sent"])

    # TA installs the app again: what waited is sent once, with the new token.
    assert deployment.install("TA", "xoxb-team-a-2", "code-a-2").status == 200
    assert api.wait_for(lambda: len(api.posts("C0001")) == 3, timeout=10)
    assert [post["channel"] for post in deployment.posted_with("xoxb-team-a-2")] == ["C0001", "C0001"]
    deployment.feeds.serve("/sec.xml", rss("https://www.sec.gov/", *orders))
    deployment.poll()
    assert api.wait_for(lambda: len(api.posts("C0001")) >= 4 and len(api.posts("C0002")) >= 4, timeout=10)

    ids = deployment.alert_ids("C0001") + deployment.alert_ids("C0002")
    lost, duplicated = 8 - len(set(ids)), len(ids) - len(set(ids))
    observed.record(alerts_lost=lost, alerts_duplicated=duplicated)
    assert (lost, duplicated) == (0, 0), ids
    assert eventually(lambda: deployment.alert_states("TA") == ["sent"] * 4), deployment.alert_states("TA")


@pytest.mark.reliability("a forged or replayed OAuth redirect (no state cookie, unknown state)", kind="abuse")
def test_a_redirect_without_the_browsers_state_installs_nothing(deployment: Deployment) -> None:
    deployment.api.install("code-x", "TX", "xoxb-team-x")
    with urllib.request.urlopen(deployment.base + "/slack/install", timeout=10) as page:
        state = re.search(r"state=([^&\"]+)", page.read().decode())[1]
    for headers in ({}, {"Cookie": "slack-app-oauth-state=forged"}):
        request = urllib.request.Request(
            f"{deployment.base}/slack/oauth_redirect?code=code-x&state={state}", headers=headers
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
    assert deployment.api.calls_of("oauth.v2.access") == []  # the code was never traded for a token


def test_a_rotating_token_is_refreshed_and_its_refresh_token_stored(deployment: Deployment) -> None:
    api = deployment.api
    # Expiring in a minute, well within the two hours before expiry when Casewatch refreshes it.
    assert deployment.install("TA", "xoxb-team-a", "code-a", refresh_token="xoxe-1-first", expires_in=60).status == 200
    api.rotate("xoxe-1-first", "TA", "xoxb-team-a-rotated", next_refresh_token="xoxe-1-second")
    assert "now watches *acme widgets*" in deployment.command("TA", "/watch", "acme widgets")["text"]
    deployment.feeds.serve("/sec.xml", rss("https://www.sec.gov/", *burst(1)))
    deployment.poll()
    assert api.wait_for(lambda: len(api.posts("C0001")) == 1, timeout=10)
    assert [call.get("grant_type") for call in api.calls_of("oauth.v2.access")] == [None, "refresh_token"]
    assert [post["channel"] for post in deployment.posted_with("xoxb-team-a-rotated")] == ["C0001"]
    assert deployment.posted_with("xoxb-team-a") == []
    stored = deployment.query("SELECT bot_token, bot_refresh_token FROM slack_bots ORDER BY id DESC LIMIT 1", [])
    assert stored == [("xoxb-team-a-rotated", "xoxe-1-second")]


@pytest.mark.reliability(
    "alerts of a workspace that has no installation (a token deployment switched to OAuth)", kind="slack fault"
)
def test_alerts_of_a_workspace_not_installed_wait_until_it_is(
    tmp_path: Path, deployment: Deployment, start_bot: Callable, observed: Observed
) -> None:
    api = deployment.api
    start_bot.processes[-1].terminate()  # type: ignore[attr-defined]
    start_bot.processes[-1].wait(timeout=10)  # type: ignore[attr-defined]
    single = {key: value for key, value in deployment.env.items() if not key.startswith("SLACK_CLIENT")}
    deployment.base = start_bot({**single, "SLACK_BOT_TOKEN": "xoxb-single"})
    deployment.command("TA", "/watch", "acme widgets")
    start_bot.processes[-1].terminate()  # type: ignore[attr-defined]
    start_bot.processes[-1].wait(timeout=10)  # type: ignore[attr-defined]

    deployment.base = start_bot(deployment.env)  # OAuth now; TA has not installed the app through the link yet
    deployment.feeds.serve("/sec.xml", rss("https://www.sec.gov/", *burst(2)))
    deployment.poll()
    # A sender may have claimed an alert before the workspace was found paused: it hands it back (unclaim).
    assert eventually(
        lambda: deployment.alert_states("TA") == ["pending", "pending"] and paused(deployment, "TA"), timeout=10
    )
    assert api.posts() == []
    assert deployment.install("TA", "xoxb-team-a", "code-a").status == 200
    assert api.wait_for(lambda: len(api.posts("C0001")) == 2, timeout=10)
    assert [post["channel"] for post in deployment.posted_with("xoxb-team-a")] == ["C0001", "C0001"]
    ids = deployment.alert_ids("C0001")
    observed.record(alerts_lost=2 - len(set(ids)), alerts_duplicated=len(ids) - len(set(ids)))
    assert sorted(set(ids)) == sorted(ids) and len(ids) == 2


def paused(deployment: Deployment, team_id: str) -> bool:
    return deployment.query("SELECT 1 FROM paused_workspaces WHERE team_id = ?", [team_id]) != []


def test_a_command_from_a_workspace_without_the_app_says_why_and_that_its_watches_are_kept(
    deployment: Deployment,
) -> None:
    api = deployment.api
    command = slash_command("/case", "binance", team_id="TX", channel_id="C0009", response_url=api.response_url)
    assert post_slack(deployment.events_url, command).status == 200
    assert api.wait_for(lambda: bool(api.calls_of("T0001")))
    told = api.calls_of("T0001")[-1]["text"]
    assert "Casewatch is not installed in this workspace" in told and "unknown reason" not in told
    assert "Add to Slack" in told and "watches are kept" in told


def test_an_install_cancelled_on_slacks_page_says_so_and_links_back_to_the_install_page(
    deployment: Deployment,
) -> None:
    with urllib.request.urlopen(deployment.base + "/slack/install", timeout=10) as page:
        cookie = page.headers["Set-Cookie"].split(";")[0]
        state = re.search(r"state=([^&\"]+)", page.read().decode())[1]
    # Slack sends the admin who pressed Cancel back with error=access_denied.
    back = urllib.request.Request(
        f"{deployment.base}/slack/oauth_redirect?error=access_denied&state={state}", headers={"Cookie": cookie}
    )
    with urllib.request.urlopen(back, timeout=10) as answer:
        page_text = answer.read().decode()
    assert "Casewatch was not installed" in page_text and "cancelled" in page_text
    assert 'href="/slack/install"' in page_text and "Refer to the documents" not in page_text
    assert deployment.api.calls_of("oauth.v2.access") == []


def test_the_install_page_names_casewatch_and_links_to_slacks_consent_screen_for_the_manifests_scopes(
    deployment: Deployment,
) -> None:
    with urllib.request.urlopen(deployment.base + "/slack/install", timeout=10) as page:
        page_text = page.read().decode()
    assert "<title>Add Casewatch to Slack</title>" in page_text and "Slack App Installation" not in page_text
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page_text)
    assert link, page_text
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(html.unescape(link[1])).query)
    manifest = json.loads((ROOT / "manifest.http.json").read_text())
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == manifest["oauth_config"]["scopes"]["bot"]
