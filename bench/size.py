"""Benchmark: database bytes per stored item, full-text search included.

    .venv/bin/python -m bench.generate --items 1000000 --db /tmp/cw/1m.db
    .venv/bin/python -m bench.size --db /tmp/cw/1m.db

Copies the database compacted (``VACUUM INTO`` a temporary file, so free
pages do not count and the original is untouched), migrating it first as
Casewatch would at start, and prints its size per item, the biggest tables
and indexes per item (``dbstat``), and, as the floor, the bytes of the items'
own text (title, summary and link) per item.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sqlite_utils import Database

from storage.database import open_database

TARGET = 950
SHOWN = 14


def measure(path: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        compact = Path(folder) / "compact.db"
        db = open_database(path)  # migrated, as at start
        db.execute("VACUUM INTO ?", [str(compact)])
        db.close()
        copy = Database(compact)
        (items,) = copy.execute("SELECT count(*) FROM items").fetchone()
        (text,) = copy.execute(
            "SELECT sum(length(CAST(title AS BLOB)) + length(CAST(summary AS BLOB)) + "
            "coalesce(length(CAST(link AS BLOB)), 0)) FROM items"
        ).fetchone()
        parts = copy.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        size = compact.stat().st_size
        copy.close()
    per_item = size / items
    print(f"{items:,} items: {size / 1e6:,.0f} MB compacted, {per_item:,.0f} B per item")
    for name, bytes_ in parts[:SHOWN]:
        print(f"  {name:<34} {bytes_ / items:7.1f} B/item")
    floor = text / items
    print(f"floor (the items' title, summary and link): {floor:,.0f} B per item; ratio {per_item / floor:.2f}×")
    print(f"target ≤ {TARGET} B per item: {'PASS' if per_item <= TARGET else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a database made by bench.generate")
    args = parser.parse_args()
    if not args.db.exists():
        parser.error(f"{args.db} does not exist: make it with bench.generate")
    measure(args.db)


if __name__ == "__main__":
    main()
