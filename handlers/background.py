"""Slow work asked for by a command (fetching a feed someone wants to add or
poll) runs here, off the threads that answer Slack's requests: a command is
answered at once and reports later through its ``response_url``."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class BackgroundWork:
    """A few worker threads and a bounded queue. ``submit`` never blocks: when
    ``capacity`` jobs are already waiting it refuses, and the command says so.

    The threads are daemons: a fetch that hangs must not keep the process
    from stopping (the work is redone on request; nothing is lost with it).
    """

    def __init__(self, *, workers: int = 4, capacity: int = 32, name: str = "command-work"):
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue(maxsize=capacity)
        for number in range(workers):
            threading.Thread(target=self._work, name=f"{name}-{number}", daemon=True).start()

    def submit(self, job: Callable[[], None]) -> bool:
        """Queue ``job``; False if too much work is waiting already."""
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            return False
        return True

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except Exception:  # a job reports its own failures; this is a bug, keep the worker alive
                log.exception("background job failed")
