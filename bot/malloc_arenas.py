"""One malloc arena for the whole process (glibc).

glibc gives a thread that allocates while another thread holds an arena's lock
an arena of its own, up to eight per core, and memory freed in one arena is not
reused by the others. ``run``'s threads (the Slack request threads, the pollers,
the sender) take turns at Python's interpreter lock and gain little from
arenas of their own, while each keeps what it once held: with one arena
``run`` at 1M items and 100,000 watches holds ~7 MB less after its first round
(``bench.memory``: 94.1 against 101.6 MB), at the same ingest speed
(``bench.ingest``: 1.01× and 1.08× feedparser against 1.01× and 0.97×).
"""

from __future__ import annotations

import ctypes
import os

_M_ARENA_MAX = -8  # glibc's malloc.h


def use_one_malloc_arena() -> bool:
    """Limit malloc to the arena it has (call before starting threads).

    False where the operator set ``MALLOC_ARENA_MAX`` (theirs stands) or the
    C library is not glibc (musl's ``mallopt`` does nothing and says so)."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no C library to load by name None (Windows), no mallopt (macOS)
        return False
    return bool(mallopt(_M_ARENA_MAX, 1))
