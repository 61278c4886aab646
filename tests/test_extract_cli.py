"""``python -m bot extract``: what Casewatch reads from each item, run as a user would."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, FeedServer, bot_env, run_bot, write_catalog

SDNY_URL = "https://ecf.nysd.uscourts.gov/cgi-bin/rss_outside.pl"
SEC_URL = "https://www.sec.gov/enforcement-litigation/litigation-releases/rss"


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_extract_prints_one_record_per_item_of_a_court_file(tmp_path: Path) -> None:
    result = run_bot(["extract", str(FIXTURES / "pacer/sdny_1.xml"), "--url", SDNY_URL], bot_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    read = records(result.stdout)
    assert len(read) == 358 and [r["index"] for r in read] == list(range(358))
    first = read[0]
    assert first["title"] == "1:18-cv-03365 Chau v. Donovan et al"
    assert first["dockets"] == ["1:18-cv-03365"] and first["docket_keys"] == ["18-cv-03365"]
    assert first["court"] == "S.D.N.Y."
    assert first["caption"] == "Chau v. Donovan et al."
    assert {"name": "Donovan", "role": "defendant", "aliases": []} in first["parties"]
    assert first["action"] == "filing" and first["case"] is None
    assert first["published"] == "2018-04-18T00:09:55+00:00"
    assert not (tmp_path / "casewatch.db").exists()  # reading a file touches no database


def test_extract_reads_a_url_with_the_kind_guessed_from_the_published_address(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve_file("/lr.xml", "sec/litigation_releases_2024-06-part.xml")
    result = run_bot(["extract", url, "--url", SEC_URL], bot_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    read = records(result.stdout)
    assert len(read) == 12
    ni = next(r for r in read if r["title"].startswith("Zhou Min Ni"))
    assert ni["link"] == "https://www.sec.gov/node/960311"
    assert "Zhou Min Ni" in [party["name"] for party in ni["parties"]]
    assert all(party["role"] == "defendant" for party in ni["parties"])


@pytest.mark.sqlite_only  # extract --db opens a SQLite file read-only
def test_extract_with_db_shows_the_case_each_item_would_join_without_writing(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    court = feed_server.serve_file("/sdny.xml", "pacer/sdny_1.xml")
    env = bot_env(tmp_path, CASEWATCH_FEEDS=str(write_catalog(tmp_path / "feeds.toml", [("SDNY", court, "court")])))
    assert run_bot(["poll", "--once"], env, tmp_path).returncode == 0
    db_path = tmp_path / "casewatch.db"
    before = db_path.read_bytes()

    result = run_bot(
        ["extract", str(FIXTURES / "pacer/sdny_1.xml"), "--url", SDNY_URL, "--db", str(db_path)], env, tmp_path
    )
    assert result.returncode == 0, result.stderr
    chau = records(result.stdout)[0]
    with sqlite3.connect(db_path) as db:
        (case_id, caption), *_ = db.execute(
            "SELECT cases.id, cases.caption FROM cases JOIN case_dockets ON case_dockets.case_id = cases.id "
            "WHERE docket_key = '18-cv-03365'"
        ).fetchall()
    assert chau["case"] == {"id": case_id, "caption": caption}
    assert db_path.read_bytes() == before


def test_extract_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    missing = run_bot(["extract", str(tmp_path / "nowhere.xml")], bot_env(tmp_path), tmp_path)
    assert missing.returncode == 1 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    page = tmp_path / "page.html"
    page.write_text("<html><body>Not a feed</body></html>")
    not_feed = run_bot(["extract", str(page)], bot_env(tmp_path), tmp_path)
    assert not_feed.returncode == 1 and "not a feed" in not_feed.stderr and "Traceback" not in not_feed.stderr
    no_db = run_bot(
        ["extract", str(FIXTURES / "sec/litigation_releases_2024-06-part.xml"), "--db", "x.db"],
        bot_env(tmp_path),
        tmp_path,
    )
    assert no_db.returncode == 1 and "no database" in no_db.stderr


def test_extract_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    """``python -m bot extract FILE | head -1``: the reader closes the pipe; no traceback."""
    env = bot_env(tmp_path)
    reader = subprocess.Popen(["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    writer = subprocess.run(
        [sys.executable, "-m", "bot", "extract", str(FIXTURES / "pacer/sdny_1.xml")],
        env=env,
        cwd=tmp_path,
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    reader.stdin.close()
    first = reader.stdout.read()
    reader.wait(timeout=30)
    assert json.loads(first)["index"] == 0
    assert "Traceback" not in writer.stderr, writer.stderr
