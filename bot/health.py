"""``GET /healthz``: is this process doing its work? 200 only when the
database answers, the alert sender's and the scheduler's threads are alive,
and (in the process holding the polling lease) a feed's poll finished within
twice the shortest feed interval; else 503 naming each failing part.

Cheap by design (load balancers, Docker and the tests' start-up wait ask it
often): thread checks are attribute reads, and the database is asked on a
fresh connection (its header only, under a millisecond) at most once per
:data:`DATABASE_PROBE_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.scheduler import Scheduler
from storage.monitoring import database_problem

DATABASE_PROBE_SECONDS = 1.0


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
        self._probe_lock = threading.Lock()
        self._probed: tuple[float, str | None] = (float("-inf"), None)

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
        with self._probe_lock:
            probed_at, problem = self._probed
            if self.clock() - probed_at >= DATABASE_PROBE_SECONDS:
                problem = database_problem(self.database_url)
                self._probed = (self.clock(), problem)
            return problem

    def _polling(self) -> str | None:
        return poll_overdue(
            polling=self.scheduler.polling,
            since=self.scheduler.polling_since,
            last_poll=self.scheduler.last_poll_done,
            shortest_interval=self.scheduler.shortest_interval,
            now=self.clock(),
        )
