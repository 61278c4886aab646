"""``GET /healthz``: is this process doing its work? 200 only when the
database answers, the alert sender's and the scheduler's threads are alive,
and (in the process holding the polling lease) a feed's poll finished within
twice the shortest feed interval; else 503 naming each failing part.

Cheap by design (load balancers, Docker, the tests' start-up wait and
bench/case's floor ask it often): a request only reads what is known. The
database is asked by a thread of its own every :data:`DATABASE_PROBE_SECONDS`
on a fresh connection (its header only: about a millisecond); an answer older
than :data:`DATABASE_PROBE_STALE_SECONDS` (the probe hangs on a dead disk, or
has stopped) counts as no answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.scheduler import Scheduler
from storage.monitoring import database_problem

DATABASE_PROBE_SECONDS = 1.0
DATABASE_PROBE_STALE_SECONDS = 10.0


def poll_overdue(
    *, polling: bool, since: float | None, last_poll: float | None, shortest_interval: float | None, now: float
) -> str | None:
    """Why polling looks stuck, or None. Only the lease holder polls; its
    clock starts when it took the lease (``since``), then at each finished
    poll (``last_poll``); all times monotonic seconds."""
    if not polling or since is None or shortest_interval is None:
        return None
    waited = now - max(since, last_poll or since)
    if waited <= 2 * shortest_interval:
        return None
    return f"no feed poll finished for {waited:.0f} s (the shortest feed interval is {shortest_interval:.0f} s)"


class Health:
    """The answer of ``/healthz``: ``{"ok": bool, "failing": [part, …],
    "polling": bool}``, with ``"problems": {part: why}`` when something fails."""

    def __init__(
        self,
        database_url: str,
        sender: threading.Thread,
        scheduler: Scheduler,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.database_url = database_url
        self.sender = sender
        self.scheduler = scheduler
        self.clock = clock
        self._probed: tuple[float, str | None] | None = None  # (when, its problem) of the last probe

    def start(self, stop: threading.Event) -> threading.Thread:
        """Ask the database now, then every :data:`DATABASE_PROBE_SECONDS` until ``stop``."""
        self._probe()
        thread = threading.Thread(target=self._probe_until, args=(stop,), name="database-probe", daemon=True)
        thread.start()
        return thread

    def _probe_until(self, stop: threading.Event) -> None:
        while not stop.wait(DATABASE_PROBE_SECONDS):
            self._probe()

    def _probe(self) -> None:
        self._probed = (self.clock(), database_problem(self.database_url))

    def status(self) -> dict:
        problems = {
            part: problem
            for part, problem in (
                ("database", self._database()),
                ("sender", None if self.sender.is_alive() else "the alert sender's thread has stopped"),
                ("scheduler", None if self.scheduler.alive() else "the scheduler's thread has stopped"),
                ("polling", self._polling()),
            )
            if problem
        }
        answer: dict = {"ok": not problems, "failing": list(problems), "polling": self.scheduler.polling}
        if problems:
            answer["problems"] = problems
        return answer

    def _database(self) -> str | None:
        if self._probed is None:
            return "not asked yet"
        probed_at, problem = self._probed
        waited = self.clock() - probed_at
        return f"no answer for {waited:.0f} s" if waited > DATABASE_PROBE_STALE_SECONDS else problem

    def _polling(self) -> str | None:
        return poll_overdue(
            polling=self.scheduler.polling,
            since=self.scheduler.polling_since,
            last_poll=self.scheduler.last_poll_done,
            shortest_interval=self.scheduler.shortest_interval,
            now=self.clock(),
        )
