"""What ``python -m bot poll --once`` shows while it runs.

Each feed's outcome is printed as soon as the feed is done (standard output,
one line each: its failure, if any, said there and only there). On a terminal,
one more line on standard error, rewritten in place, tells how many feeds are
done of how many and which are being fetched; log lines are printed above it.
Into a pipe or a file there is no such line: only clean lines.
"""

from __future__ import annotations

import logging
import shutil
import threading
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from feeds.types import PollOutcome
    from storage.feeds import Feed

CLEAR_LINE = "\r\x1b[K"


class PollProgress:
    """Watches a polling round (``bot.ingest.poll_feeds(watcher=…)``)."""

    def __init__(self, total: int, out: TextIO, err: TextIO) -> None:
        self.total = total
        self.out = out
        self.err = err
        self.live = err.isatty()
        self.done = 0
        self.running: list[str] = []
        self._lock = threading.Lock()  # log lines come from the poll threads
        self._drawn = False
        self._gone: set[TextIO] = set()  # streams whose reader has left

    def started(self, feed: Feed) -> None:
        with self._lock:
            self.running.append(feed.name)
            self._draw()

    def finished(self, feed: Feed, outcome: PollOutcome) -> None:
        with self._lock:
            self.running.remove(feed.name)
            self.done += 1
            self._print(outcome.summary(), self.out)
            self._draw()

    def log(self, line: str) -> None:
        """A log line, above the progress line."""
        with self._lock:
            self._print(line, self.err)
            self._draw()

    def close(self) -> None:
        with self._lock:
            self._clear()

    def _print(self, line: str, stream: TextIO) -> None:
        self._clear()
        if stream in self._gone:
            return
        try:
            print(line, file=stream, flush=True)
        except BrokenPipeError:  # the reader left (`… | head`): the round goes on, the command ends quietly
            self._gone.add(stream)

    def _draw(self) -> None:
        if not self.live:
            return
        line = f"[{self.done}/{self.total}] {', '.join(self.running)}".rstrip()
        width = shutil.get_terminal_size().columns - 1
        self.err.write(CLEAR_LINE + (line if len(line) <= width else line[: width - 1] + "…"))
        self.err.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.err.write(CLEAR_LINE)
            self.err.flush()
            self._drawn = False


class ProgressLogHandler(logging.Handler):
    """Sends log records through :meth:`PollProgress.log`, so that they never
    land in the middle of the progress line."""

    def __init__(self, progress: PollProgress, formatter: logging.Formatter | None) -> None:
        super().__init__()
        self.progress = progress
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.progress.log(self.format(record))
        except Exception:
            self.handleError(record)


class DropRecords(logging.Filter):
    """Drops the records logged with the message template ``template``."""

    def __init__(self, template: str) -> None:
        super().__init__()
        self.template = template

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != self.template
