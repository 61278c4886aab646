"""Cheap word checks that let extraction skip a costly regular expression.

A pattern searched over a whole item costs tens of microseconds even when it
finds nothing; ``word in text`` costs well under one. A :class:`Cued` pattern
names words one of which every match must contain, and is searched only when
the text holds one of them: same answer, far less work on the usual item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

# Python's IGNORECASE also matches "ı", "İ", "ſ" and the Kelvin sign with ASCII
# letters; str.lower() leaves the first and third and spells "İ" otherwise.


@lru_cache(maxsize=64)  # one item's text is read by several cued patterns
def caseless(text: str) -> str:
    """``text`` lower-cased so that a lower-case ASCII word a case-insensitive
    pattern finds in ``text`` is also found in it by ``in``."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    # "İ" lower-cases to "i" and a combining dot: dropping the dot only adds words.
    return lowered.replace("ı", "i").replace("ſ", "s").replace("\u0307", "")


def aligned(text: str) -> bool:
    """Whether ``caseless(text)`` has each character of ``text`` where ``text`` has it: "İ" is
    the only character that lower-cases to two, and combining dots are dropped."""
    return text.isascii() or ("\u0130" not in text and "\u0307" not in text)


@dataclass(frozen=True)
class Cued:
    """A pattern with the words (``cues``) one of which every match contains:
    lower-case words for a case-insensitive pattern, exact ones otherwise.
    ``leading``: every match starts with one of them, so a search starts at
    the first cue in the text (where the caseless copy is aligned with the
    text: ASCII text, or a case-sensitive pattern)."""

    pattern: re.Pattern[str]
    cues: tuple[str, ...]
    leading: bool = False
    ignorecase: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ignorecase", bool(self.pattern.flags & re.IGNORECASE))
        if self.ignorecase and any(cue != caseless(cue) for cue in self.cues):
            raise ValueError(f"a case-insensitive pattern needs lower-case cues: {self.cues}")

    def cued_in(self, text: str, lowered: str) -> bool:
        """Whether ``text`` holds a cue (``lowered`` is ``caseless(text)``,
        read for a case-insensitive pattern)."""
        where = lowered if self.ignorecase else text
        return any(map(where.__contains__, self.cues))

    def start(self, text: str, lowered: str) -> int | None:
        """Where in ``text`` a search must start to find every match; None when there is none."""
        if not self.leading:
            return 0 if self.cued_in(text, lowered) else None
        where = lowered if self.ignorecase else text
        found = [at for cue in self.cues if (at := where.find(cue)) >= 0]
        if not found:
            return None
        return min(found) if where is text or aligned(text) else 0

    def search(self, text: str, lowered: str) -> re.Match[str] | None:
        """``pattern.search(text)``, skipped when ``text`` holds no cue."""
        start = self.start(text, lowered)
        return None if start is None else self.pattern.search(text, start)

    def finditer(self, text: str, lowered: str) -> Iterator[re.Match[str]]:
        """``pattern.finditer(text)``, skipped when ``text`` holds no cue."""
        start = self.start(text, lowered)
        return iter(()) if start is None else self.pattern.finditer(text, start)


def cued(pattern: str, *cues: str, flags: int = 0, leading: bool = False) -> Cued:
    return Cued(re.compile(pattern, flags), cues, leading)
