"""Reading feeds (parse, extract) in worker processes while this one stores.

A process's threads share one interpreter lock, so the pipeline of
:mod:`bot.ingest` runs on one core: on the ingest bench the processing lock is
held 99 % of the time, all of it CPU. With ``CASEWATCH_READ_WORKERS`` at N > 0,
N worker processes parse each fetched feed and extract all its items while
this process plans and stores the feed before it. They run only the pure steps
of ``feeds/`` (no database, no Slack).

A worker is this process forked (when it has a single thread, as ``run`` has
before it imports the rest: the worker then shares with it the pages of the
interpreter and of ``feeds/``, and ``run`` with one worker takes ~13 MB more
counting shared pages once: ``bench.memory``), or, otherwise, a new
interpreter that imports ``feeds/``. Each talks to this
process over its own socket, a request and an answer at a time (pickled, as
``multiprocessing.connection`` frames them), and leaves when the socket reaches its end: when this process closes
it or ends in any way, ``kill -9`` included.

A feed's body is untrusted, and this process must outlive any of them:

- A worker that dies while it reads a feed (killed, out of memory) loses no
  feed: a new worker takes its place and reads the feed again. If that one
  dies too, the body is taken for the cause: the feed fails this round
  (:class:`feeds.errors.FeedReadError`; it is polled again after the feed's
  backoff) and is never read in this process, which it would kill.
- A worker that has not answered ``timeout`` seconds after it was given a feed
  (a parser stuck on its body) is killed and replaced, and the feed fails the
  same way, so the feeds waiting for a worker wait at most that long. A
  worker's time starts once it is ready: a new interpreter's imports do not count.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.errors import FeedReadError
from feeds.extract import Extraction
from feeds.parse import parse_feed
from feeds.record import extract_or_skip
from feeds.types import FeedSource, ParsedFeed

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

_PROJECT = Path(__file__).resolve().parent.parent
READ_TIMEOUT = 60.0  # seconds a worker may take to read one feed (as long as a fetch may take)
START_TIMEOUT = 60.0  # seconds a new worker may take to be ready (a new interpreter imports feeds/)
_READY = "ready"


@dataclass(frozen=True)
class ReadFeed:
    """A feed's body parsed, and each of its items extracted."""

    parsed: ParsedFeed
    extractions: tuple[Extraction | str, ...]
    """One for each of ``parsed.items``, in order: its extraction, or, if
    extracting it failed, how the feed's health names it (``'guid': reason``)."""


def parse_and_extract(body: bytes, *, base_url: str, source: FeedSource, fetched_at: datetime) -> ReadFeed:
    """Parse ``body`` and extract every item, each failure costing its item only
    (raises :class:`feeds.errors.FeedError` when the body is no feed)."""
    parsed = parse_feed(body, base_url=base_url, court_feed=source.kind == "court", fetched_at=fetched_at)
    return ReadFeed(parsed, tuple(extract_or_skip(item, source, parsed) for item in parsed.items))


class WorkerDied(Exception):
    """The worker process ended before it answered."""


class WorkerStuck(Exception):
    """The worker process did not answer in time."""


def serve(channel: Connection) -> None:
    """A worker's loop: each request read from ``channel`` answered with
    ``(True, ReadFeed)`` or ``(False, the exception)``, until its end."""
    # Ctrl-C and SIGTERM are for the polling process: it finishes its polls, then closes the connection.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        channel.send(_READY)
    except OSError:
        return
    while True:
        try:
            body, base_url, source, fetched_at = channel.recv()
        except (EOFError, OSError):  # the polling process closed the connection, or ended
            return
        try:
            read = parse_and_extract(body, base_url=base_url, source=source, fetched_at=fetched_at)
            answer: tuple[bool, Any] = (True, read)
        except Exception as error:
            error.add_note("in a feed-reading worker:\n" + "".join(traceback.format_exception(error)).rstrip())
            answer = (False, error)
        try:
            _send_answer(channel, answer)
        except OSError:  # the polling process closed the connection meanwhile (stopping)
            return


def _send_answer(channel: Connection, answer: tuple[bool, Any]) -> None:
    try:
        channel.send(answer)  # pickled whole before anything is written
    except (pickle.PicklingError, TypeError, AttributeError) as unpicklable:  # an exception that will not pickle
        channel.send((False, RuntimeError(f"{answer[1]!r} (could not be sent from the worker: {unpicklable})")))


def serve_inherited(fd: int) -> None:
    """:func:`serve` on a socket inherited as ``fd`` (a worker started as a new interpreter)."""
    serve(Connection(fd))


class _Worker:
    def __init__(self, pid: int, connection: socket.socket, reap: Callable[[], object]):
        self.pid = pid
        self.connection = connection  # kept to shut it down: that wakes a thread reading from it
        self._channel = Connection(os.dup(connection.fileno()))
        self._reap = reap
        self._ready = False

    def ask(self, request: tuple, timeout: float) -> tuple[bool, Any]:
        """The worker's answer to ``request``; :class:`WorkerStuck` if it has
        not answered ``timeout`` seconds after it was ready."""
        try:
            if not self._ready:
                self._receive(START_TIMEOUT)
                self._ready = True
            self._channel.send(request)
            answer = self._receive(timeout)
        except (EOFError, OSError) as error:  # OSError also when the connection was closed here
            raise WorkerDied(f"worker {self.pid}") from error
        try:
            return pickle.loads(answer)
        except Exception as error:
            return False, RuntimeError(f"a feed-reading worker's answer could not be read: {error!r}")

    def _receive(self, timeout: float) -> bytes:
        if not self._channel.poll(timeout):
            raise WorkerStuck(f"worker {self.pid}: no answer in {timeout:g} s")
        return self._channel.recv_bytes()

    def kill(self) -> None:
        """Stop the worker now, whatever it is doing."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def close(self, *, wait: bool = True) -> None:
        """End the connection, so that the worker leaves; reap it if ``wait``."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)  # wakes a thread reading from it here
        for end in (self._channel, self.connection):
            with contextlib.suppress(OSError):
                end.close()
        if wait:
            with contextlib.suppress(ChildProcessError):  # reaped already
                self._reap()


def start_read_workers(settings: Settings) -> ReadWorkers | None:
    """The workers ``settings`` ask for (``CASEWATCH_READ_WORKERS``, each
    feed within ``CASEWATCH_READ_TIMEOUT_SECONDS``), started; None for none."""
    if not settings.read_workers:
        return None
    return ReadWorkers(settings.read_workers, timeout=settings.read_timeout_seconds)


class ReadWorkers:
    """``workers`` processes that run :func:`parse_and_extract` for the polling threads."""

    def __init__(self, workers: int, *, fork: bool | None = None, timeout: float = READ_TIMEOUT):
        """Start ``workers`` workers: forked from this process if ``fork``
        (by default, on Linux, if this process has a single thread: forking one
        with threads may copy a lock another thread held), else new interpreters.
        ``timeout``: the seconds a worker may take to read one feed."""
        self.workers = workers
        self.timeout = timeout
        self._lock = threading.Condition()
        self._all: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._closed = False
        if fork is None:  # on Linux only: macOS's system libraries are not safe to use in a forked child
            fork = sys.platform == "linux" and threading.active_count() == 1
        if fork:
            gc.freeze()  # what both processes share: no collection in either writes to its pages
        for _ in range(workers):
            worker = self._fork() if fork else self._exec()
            self._all.append(worker)
            self._idle.append(worker)

    def _fork(self) -> _Worker:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the worker: it must never return into the caller's code
            status = 0
            try:
                ours.close()
                for other in self._all:  # only this process may hold their ends: their workers see it end
                    os.close(other.connection.fileno())
                serve(Connection(theirs.detach()))
            except BaseException:
                traceback.print_exc()
                status = 1
            finally:
                os._exit(status)
        theirs.close()
        return _Worker(pid, ours, lambda: os.waitpid(pid, 0))

    def _exec(self) -> _Worker:
        ours, theirs = socket.socketpair()
        path = os.pathsep.join(filter(None, [str(_PROJECT), os.environ.get("PYTHONPATH")]))
        process = subprocess.Popen(
            [sys.executable, "-c", f"from bot.read_workers import serve_inherited; serve_inherited({theirs.fileno()})"],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path},
        )
        theirs.close()
        return _Worker(process.pid, ours, process.wait)

    def warm(self) -> None:
        """Have each worker read an empty feed (one started as a new interpreter is then done importing)."""
        empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>warm-up</title></channel></rss>'
        source = FeedSource("https://warm-up.invalid/", "news", None)
        workers = [self._take() for _ in range(self.workers)]
        try:
            for worker in workers:
                if worker is not None:
                    worker.ask((empty, source.url, source, datetime.now(UTC)), self.timeout)
        finally:
            for worker in workers:
                if worker is not None:
                    self._give_back(worker)

    def pids(self) -> list[int]:
        """The workers' process ids."""
        with self._lock:
            return [worker.pid for worker in self._all]

    def read(self, body: bytes, *, base_url: str, source: FeedSource, fetched_at: datetime) -> ReadFeed:
        """:func:`parse_and_extract` in a worker: a second worker if the first
        died reading it; :class:`feeds.errors.FeedReadError` if that one died
        too, or if a worker took longer than ``timeout``. In this process only
        once the workers are closed (stopping)."""
        request = (body, base_url, source, fetched_at)
        died: WorkerDied | None = None
        for _ in range(2):
            worker = self._take()
            if worker is None:
                break
            try:
                ok, answer = worker.ask(request, self.timeout)
            except WorkerStuck as stuck:
                self._replace(worker)
                raise FeedReadError(f"reading the feed took longer than {self.timeout:g} s; it was stopped") from stuck
            except WorkerDied as error:
                if self._replace(worker):
                    break  # closed on purpose (stopping)
                log.warning("a feed-reading worker process stopped while it read a feed; a new worker starts")
                died = error
                continue
            except BaseException:  # interrupted mid-request
                self._replace(worker)
                raise
            self._give_back(worker)
            if ok:
                return answer
            raise answer
        else:
            raise FeedReadError("the process reading the feed stopped twice while reading it") from died
        return parse_and_extract(body, base_url=base_url, source=source, fetched_at=fetched_at)

    def _take(self) -> _Worker | None:
        with self._lock:
            while not self._closed and not self._idle:
                self._lock.wait()
            return None if self._closed else self._idle.pop()

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(worker)
                self._lock.notify()
                return
            self._all.remove(worker)
            self._lock.notify_all()
        worker.close()

    def _replace(self, dead: _Worker) -> bool:
        """Stop ``dead`` (died, stuck, or interrupted mid-request: what it would
        answer is no one's) and start a worker in its place; returns whether the
        workers were closed meanwhile (then ``dead`` was closed on purpose, and none starts)."""
        with self._lock:
            closed = self._closed
        dead.kill()
        dead.close(wait=not closed)  # stopping: past its bound, do not wait on any worker
        with self._lock:
            self._all.remove(dead)
            self._lock.notify_all()
            if self._closed:
                return True
            worker = self._exec()  # not forked: this process has threads now
            self._all.append(worker)
            self._idle.append(worker)
            self._lock.notify()
            return False

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers, after the feeds they are reading if ``wait``; later feeds are read in this process."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()  # a poll waiting for a worker reads its feed here instead
            idle, self._idle = self._idle, []
            for worker in idle:
                self._all.remove(worker)
            busy = list(self._all)
        for worker in idle:
            worker.close()
        if not wait:
            for worker in busy:  # its poll reads the feed here instead
                worker.close(wait=False)
            return
        with self._lock:
            while self._all:
                self._lock.wait()
