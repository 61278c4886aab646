"""Every extraction equals the golden snapshot (``bench/golden/extractions.json.gz``).

The snapshot holds what ``feeds.record.extract_item`` read from 9,304 items: the
labelled set, every fixture feed read as each kind of feed, and 2,000 generated
SEC/PACER-shaped items. A change meant to make extraction faster must not change
one of them; a change meant to read better re-saves the snapshot on purpose
(``python -m bench.extract_speed --save``) and says why in its commit.
"""

from __future__ import annotations

from bench.extract_speed import GOLDEN_ITEMS, all_feeds, differences, outputs


def test_every_extraction_equals_the_golden_snapshot() -> None:
    differ = differences(outputs(all_feeds(GOLDEN_ITEMS)))
    assert not differ, "\n".join(f"{key}\n  golden: {golden}\n  now:    {now}" for key, golden, now in differ[:3])
