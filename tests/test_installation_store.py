"""OAuth installs and install states on either engine (issue 11): the
installation store keeps slack_sdk's SQLite3 store's tables and answers as it
does, so a SQLite file it wrote keeps its installs; on PostgreSQL the same."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore
from sqlite_utils import Database

from bot.installation_store import DatabaseInstallationStore, DatabaseOAuthStateStore
from storage import installations
from storage.database import open_database
from storage.engine import Connection, schema_objects
from storage.schema import migrations
from tests.pg import EngineDatabase

CLIENT_ID = "111.222"
OAUTH_MIGRATION = "m027_slack_oauth_tables"
OAUTH_TABLES = {"slack_installations", "slack_bots", "oauth_states", "slack_installations_idx", "slack_bots_idx"}


def install(team_id: str | None, token: str, *, enterprise_id: str | None = None, **fields: object) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name=f"Team {team_id}",
        bot_token=token,
        bot_id="B1",
        bot_user_id="UB1",
        bot_scopes=["commands", "chat:write"],
        user_id="U1",
        **fields,
    )


def rotated(bot: Bot, token: str, refresh_token: str) -> Bot:
    return Bot(
        **{
            **bot.to_dict_for_copying(),
            "bot_token": token,
            "bot_refresh_token": refresh_token,
            "bot_token_expires_at": 2_000_000_000,
        }
    )


def comparable(found: Installation | Bot | None) -> dict | None:
    """What a find answers, without the time of the save."""
    if found is None:
        return None
    values = found.to_dict()
    values.pop("installed_at")
    values["is_enterprise_install"] = bool(values["is_enterprise_install"])
    return values


def test_installs_are_found_rotated_and_deleted_per_workspace(any_db: Connection) -> None:
    store = DatabaseInstallationStore(lambda: any_db, CLIENT_ID)
    store.save(install("TA", "xoxb-a", bot_refresh_token="xoxe-a", bot_token_expires_in=60))
    store.save(install("TB", "xoxb-b"))
    found = store.find_bot(enterprise_id=None, team_id="TA")
    assert found is not None and (found.bot_token, found.bot_refresh_token) == ("xoxb-a", "xoxe-a")
    assert found.bot_scopes == ["commands", "chat:write"] and found.bot_token_expires_at > time.time()

    store.save_bot(rotated(found, "xoxb-a2", "xoxe-a2"))
    newest = store.find_bot(enterprise_id=None, team_id="TA")
    assert newest is not None and (newest.bot_token, newest.bot_refresh_token) == ("xoxb-a2", "xoxe-a2")
    assert newest.bot_token_expires_at == 2_000_000_000
    assert store.installed_team_ids() == ["TA", "TB"]
    assert DatabaseInstallationStore(lambda: any_db, "another.app").find_bot(enterprise_id=None, team_id="TA") is None

    store.delete_all(enterprise_id=None, team_id="TA")
    assert store.find_bot(enterprise_id=None, team_id="TA") is None
    assert store.find_installation(enterprise_id=None, team_id="TA") is None
    remaining = store.find_installation(enterprise_id=None, team_id="TB")
    assert remaining is not None and remaining.bot_token == "xoxb-b"
    assert store.installed_team_ids() == ["TB"]


def test_enterprise_grid_org_installs_and_workspace_installs_are_kept_apart(any_db: Connection) -> None:
    store = DatabaseInstallationStore(lambda: any_db, CLIENT_ID)
    store.save(install(None, "xoxb-org", enterprise_id="E1", is_enterprise_install=True))
    store.save(install("T1", "xoxb-t1", enterprise_id="E1"))
    org = store.find_bot(enterprise_id="E1", team_id="T7", is_enterprise_install=True)
    assert org is not None and org.bot_token == "xoxb-org" and org.is_enterprise_install is True
    workspace = store.find_bot(enterprise_id="E1", team_id="T1")
    assert workspace is not None and workspace.bot_token == "xoxb-t1" and workspace.is_enterprise_install is False
    assert store.find_bot(enterprise_id="E1", team_id="T7") is None
    assert store.find_bot(enterprise_id=None, team_id="T1") is None

    store.delete_installation(enterprise_id="E1", team_id=None)
    store.delete_bot(enterprise_id="E1", team_id=None)
    assert store.find_installation(enterprise_id="E1", team_id=None, is_enterprise_install=True) is None
    assert store.find_bot(enterprise_id="E1", team_id=None, is_enterprise_install=True) is None
    assert store.find_bot(enterprise_id="E1", team_id="T1") is not None


def test_a_users_install_carries_the_workspaces_newest_bot_token(any_db: Connection) -> None:
    store = DatabaseInstallationStore(lambda: any_db, CLIENT_ID)
    store.save(install("TA", "xoxb-a"))
    users_own = install("TA", None, user_token="xoxp-u2", user_scopes=["search:read"])
    users_own.user_id = "U2"
    store.save(users_own)
    found = store.find_installation(enterprise_id=None, team_id="TA", user_id="U2")
    assert found is not None and (found.user_token, found.bot_token) == ("xoxp-u2", "xoxb-a")
    assert found.user_scopes == ["search:read"]
    store.delete_installation(enterprise_id=None, team_id="TA", user_id="U2")
    assert store.find_installation(enterprise_id=None, team_id="TA", user_id="U2") is None
    assert store.find_installation(enterprise_id=None, team_id="TA", user_id="U1") is not None


@pytest.mark.reliability("a forged, replayed or stale OAuth state", kind="abuse")
def test_an_install_state_is_used_once_and_not_after_it_expires(any_db: Connection) -> None:
    states = DatabaseOAuthStateStore(lambda: any_db, expiration_seconds=600)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False
    assert states.consume("forged") is False
    installations.issue_state(any_db, "old", expire_at=100.0, now=50.0)
    installations.issue_state(any_db, "fresh", expire_at=200.0, now=60.0)
    assert installations.consume_state(any_db, "old", now=100.0) is False
    assert installations.consume_state(any_db, "fresh", now=199.5) is True
    # An issue drops the states expired by then.
    installations.issue_state(any_db, "next", expire_at=900.0, now=300.0)
    assert [state for (state,) in any_db.execute("SELECT state FROM oauth_states")] == ["next"]


def test_the_oauth_tables_are_made_on_either_engine(engine_db: EngineDatabase) -> None:
    db = engine_db.open()
    assert schema_objects(db, OAUTH_TABLES) == OAUTH_TABLES
    assert OAUTH_MIGRATION in migrations.applied(db)


@pytest.mark.sqlite_only  # slack_sdk's own store writes SQLite files
@pytest.mark.parametrize("tables_made_by", ["slack_sdk", "migration"])
def test_a_sqlite_file_slack_sdks_store_wrote_keeps_its_installs_and_both_stores_agree(
    tmp_path: Path, tables_made_by: str
) -> None:
    """A deployment upgraded with installs in slack_sdk's tables keeps them; and
    slack_sdk's store can still use the tables the migration made."""
    path = tmp_path / "casewatch.db"
    with sqlite3.connect(path) as conn:
        migrations.apply(Database(conn), stop_before=None if tables_made_by == "migration" else OAUTH_MIGRATION)
    theirs = SQLite3InstallationStore(database=str(path), client_id=CLIENT_ID)
    theirs.save(install("TA", "xoxb-a", bot_refresh_token="xoxe-a", bot_token_expires_in=60))
    their_states = SQLite3OAuthStateStore(database=str(path), expiration_seconds=600)
    their_state = their_states.issue()

    db = open_database(path)  # applies the migration over the tables slack_sdk made
    ours = DatabaseInstallationStore(lambda: db, CLIENT_ID)
    assert comparable(ours.find_bot(enterprise_id=None, team_id="TA")) == comparable(
        theirs.find_bot(enterprise_id=None, team_id="TA")
    )
    assert ours.find_bot(enterprise_id=None, team_id="TA").bot_token == "xoxb-a"
    assert DatabaseOAuthStateStore(lambda: db, expiration_seconds=600).consume(their_state) is True

    # What one store writes, the other reads: a rotation, a Grid install, an uninstall.
    ours.save_bot(rotated(ours.find_bot(enterprise_id=None, team_id="TA"), "xoxb-a2", "xoxe-a2"))
    ours.save(install(None, "xoxb-org", enterprise_id="E1", is_enterprise_install=True))
    theirs.save(install("TB", "xoxb-b", enterprise_id="E1"))
    for team, enterprise, org in (("TA", None, False), ("T7", "E1", True), ("TB", "E1", False), ("TC", None, False)):
        keys = {"enterprise_id": enterprise, "team_id": team, "is_enterprise_install": org}
        assert comparable(ours.find_bot(**keys)) == comparable(theirs.find_bot(**keys)), team
        assert comparable(ours.find_installation(**keys)) == comparable(theirs.find_installation(**keys)), team
    assert theirs.find_bot(enterprise_id=None, team_id="TA").bot_token == "xoxb-a2"
    theirs.delete_all(enterprise_id="E1", team_id="TB")
    assert ours.find_bot(enterprise_id="E1", team_id="TB") is None
    db.close()
