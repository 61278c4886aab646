"""Related cases: cases that share a party (a defendant, respondent or one of
their aliases), such as SEC v. Binance, CFTC v. Zhao and United States v.
Binance. Links are stored both ways and added whenever a case gains a party.

Plaintiffs never link cases (the SEC sues thousands), nor do parties that
stand for a government or for nobody in particular.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass

from sqlite_utils import Database

from storage.engine import each_int, each_text
from storage.status import status_of_case

RELATED_SHOWN = 5
# Name keys that say nothing about who a case is against.
_UNLINKING = re.compile(
    r"(?:the )?(?:united states(?: of america)?|usa|us|u s|u s a|america|"
    r"(?:people of the )?state of [a-z ]+|commonwealth of [a-z ]+|"
    r"(?:john|jane) does?(?: \d+(?: \d+)?)?|does? \d+(?: \d+)?|unknown(?: \w+)?|et al|"
    r"securities and exchange commission|sec|commodity futures trading commission|cftc|"
    r"internal revenue service|commissioner of internal revenue|nlrb|national labor relations board)"
)


@dataclass(frozen=True)
class RelatedCase:
    id: int
    caption: str
    agency: str | None
    status: str


def display_caption(caption: str | None, agency: str | None, defendants: list[str]) -> str:
    """A case's caption, or one made from its agency and defendants."""
    if caption:
        return caption
    names = ", ".join(defendants[:3]) + (" et al." if len(defendants) > 3 else "")
    return f"{agency} v. {names}" if agency and names else names or "(unnamed matter)"


def linking_key(key: str) -> bool:
    """Whether a party's name key may link two cases."""
    return len(key.replace(" ", "")) >= 3 and not _UNLINKING.fullmatch(key)


def link_case(db: Database, case_id: int) -> int:
    """Link ``case_id`` with every case that shares one of its parties; returns new links."""
    keys = [
        key
        for (key,) in db.execute(
            "SELECT DISTINCT name_key FROM case_parties WHERE case_id = ? AND role != 'plaintiff'", [case_id]
        )
        if linking_key(key)
    ]
    added = 0
    for key in keys:
        for (other,) in db.execute(
            "SELECT DISTINCT case_id FROM case_parties WHERE name_key = ? AND role != 'plaintiff' AND case_id != ?",
            [key, case_id],
        ).fetchall():
            for pair in ((case_id, other), (other, case_id)):
                added += db.execute(
                    "INSERT INTO case_links (case_id, related_id) VALUES (?, ?) ON CONFLICT DO NOTHING", pair
                ).rowcount
    return added


_LINKED_KEYS = "SELECT DISTINCT case_id, name_key FROM case_parties WHERE case_id IN ({ids}) AND role != 'plaintiff'"
_CASES_NAMED = "SELECT DISTINCT name_key, case_id FROM case_parties WHERE name_key IN ({keys}) AND role != 'plaintiff'"
_INSERT_LINK = "INSERT INTO case_links (case_id, related_id) VALUES (?, ?) ON CONFLICT DO NOTHING"


def link_cases(db: Database, case_ids: Collection[int]) -> None:
    """:func:`link_case` for several cases (a batch's renamed ones): their
    parties' keys in one query, the cases sharing them in another, the new
    links in one ``executemany`` (two queries a case before)."""
    if not case_ids:
        return
    keys_of: dict[int, set[str]] = {}
    for case_id, key in db.execute(_LINKED_KEYS.format(ids=each_int(db, "?1")), [json.dumps(sorted(case_ids))]):
        if linking_key(key):
            keys_of.setdefault(case_id, set()).add(key)
    keys = sorted({key for linked in keys_of.values() for key in linked})
    if not keys:
        return
    named: dict[str, set[int]] = {}
    for key, other in db.execute(_CASES_NAMED.format(keys=each_text(db, "?1")), [json.dumps(keys)]):
        named.setdefault(key, set()).add(other)
    pairs = {
        pair
        for case_id, linked in keys_of.items()
        for key in linked
        for other in named.get(key, ())
        if other != case_id
        for pair in ((case_id, other), (other, case_id))
    }
    if pairs:
        db.conn.executemany(_INSERT_LINK, sorted(pairs))


def relink_all(db: Database) -> None:
    """Recompute every link (after names were re-keyed)."""
    db.execute("DELETE FROM case_links")
    for (case_id,) in db.execute("SELECT id FROM cases").fetchall():
        link_case(db, case_id)


def _related(db: Database, case_id: int) -> RelatedCase:
    caption, agency = db.execute("SELECT caption, agency FROM cases WHERE id = ?", [case_id]).fetchone()
    defendants = [
        name
        for (name,) in db.execute(
            "SELECT name FROM case_parties WHERE case_id = ? AND role = 'defendant' ORDER BY rowid LIMIT 4", [case_id]
        )
    ]
    return RelatedCase(case_id, display_caption(caption, agency, defendants), agency, status_of_case(db, case_id))


def related_ids(db: Database, case_id: int) -> list[int]:
    """The cases linked to ``case_id``, most recently active first."""
    return [
        related
        for (related,) in db.execute(
            "SELECT case_links.related_id FROM case_links JOIN cases ON cases.id = case_links.related_id "
            "WHERE case_links.case_id = ? ORDER BY cases.last_event_at DESC, cases.id DESC",
            [case_id],
        )
    ]


def related_cases(db: Database, case_id: int, *, limit: int = RELATED_SHOWN) -> tuple[list[RelatedCase], int]:
    """The first ``limit`` related cases and how many there are in all."""
    ids = related_ids(db, case_id)
    return [_related(db, related) for related in ids[:limit]], len(ids)


def _watched_by(db: Database, team_id: str, channel_id: str, case_id: int) -> bool:
    """Whether a watch of this channel follows ``case_id``: the case itself, one of
    its docket numbers, or a watched name (or alias) found among its parties."""
    if db.execute(
        "SELECT 1 FROM watches WHERE team_id = ? AND channel_id = ? AND ((kind = 'case' AND case_id = ?) OR "
        "(kind = 'docket' AND term_key IN (SELECT docket_key FROM case_dockets WHERE case_id = ? "
        "UNION SELECT docket_short FROM case_dockets WHERE case_id = ?))) LIMIT 1",
        [team_id, channel_id, case_id, case_id, case_id],
    ).fetchone():
        return True
    names = [
        key
        for (key,) in db.execute(
            "SELECT term_key FROM watches WHERE team_id = ? AND channel_id = ? AND kind = 'name' UNION "
            "SELECT alias_key FROM watch_aliases JOIN watches ON watches.id = watch_aliases.watch_id "
            "WHERE team_id = ? AND channel_id = ? AND kind = 'name'",
            [team_id, channel_id, team_id, channel_id],
        )
    ]
    if not names:
        return False
    parties = [f" {key} " for (key,) in db.execute("SELECT name_key FROM case_parties WHERE case_id = ?", [case_id])]
    return any(f" {name} " in party for name in names if name for party in parties)


def watched_related(
    db: Database, team_id: str, channel_id: str, case_id: int, *, limit: int = RELATED_SHOWN
) -> tuple[list[RelatedCase], int]:
    """The cases related to ``case_id`` that this channel also watches (the first
    ``limit``), and how many there are."""
    ids = [related for related in related_ids(db, case_id) if _watched_by(db, team_id, channel_id, related)]
    return [_related(db, related) for related in ids[:limit]], len(ids)
