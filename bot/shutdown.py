"""How ``run`` serves until it is told to stop, and how it stops.

On SIGTERM (systemd, Docker, Kubernetes) or SIGINT (Ctrl-C), ``run``:

1. stops taking new work: the scheduler starts no poll, the sender claims no alert;
2. lets the polls and the send under way finish, for at most
   ``CASEWATCH_SHUTDOWN_SECONDS`` in all, and logs what it waited for;
3. releases the polling lease, so another ``run`` polls at once;
4. stops serving Slack (closes the HTTP server or the Socket Mode connection),
   and exits 0.

Slack's requests are served until the last step: ``/case`` still answers
while the sends finish.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Protocol

import waitress
from slack_bolt import App
from waitress import wasyncore

from bot.metrics import TimedSocketModeHandler
from bot.scheduler import Scheduler
from bot.sender import AlertSender

log = logging.getLogger(__name__)
WATCH_SECONDS = 1.0  # how often the main thread looks whether the server is still running


class Server(Protocol):
    def alive(self) -> bool: ...

    def close(self) -> None: ...


class HttpServer:
    """waitress serving ``application`` on its own thread until :meth:`close`."""

    def __init__(self, application: Callable, **options: object) -> None:
        self.server = waitress.create_server(application, **options)
        self.thread = threading.Thread(target=self.server.run, name="http-server", daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def close(self, timeout: float = 5.0) -> None:
        """Stop listening and close every connection, from the server's own
        thread (waitress is not thread-safe), then let the requests being
        answered finish (waitress waits up to 5 s)."""
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(timeout)
        self.server.task_dispatcher.shutdown()


class SocketModeServer:
    """Bolt's Socket Mode connection (its own threads) until :meth:`close`."""

    def __init__(self, app: App, app_token: str) -> None:
        self.handler = TimedSocketModeHandler(app, app_token)  # /case timed until acknowledged (bot.metrics)
        self.handler.connect()

    def alive(self) -> bool:
        return not self.handler.client.closed

    def close(self) -> None:
        self.handler.close()


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (the main thread's handlers)."""
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return stopping


def serve_until_stopped(server: Server, stopping: threading.Event) -> None:
    """Block until a signal asks to stop (or the server ended by itself)."""
    while not stopping.wait(WATCH_SECONDS):
        if not server.alive():
            log.error("the Slack server stopped by itself; stopping")
            return


def finish_work(scheduler: Scheduler, sender: AlertSender, sender_thread: threading.Thread, seconds: float) -> bool:
    """Steps 1 to 3 of the module's docstring: no new work, the work under
    way finished (for at most ``seconds``), the lease released. False if
    some work was still under way when the time was up."""
    deadline = time.monotonic() + seconds
    sender.stop()
    polls = scheduler.stop_polling()
    sending = sender.posting
    log.info(
        "waiting up to %g s for %s and %s",
        seconds,
        f"the polls of feeds {', '.join(map(str, sorted(polls)))}" if polls else "no poll",
        f"the send of alert {sending}" if sending is not None else "no send",
    )
    unfinished = scheduler.wait_for_polls(max(0.0, deadline - time.monotonic()))
    sender_thread.join(max(0.0, deadline - time.monotonic()))
    finished = not unfinished and not sender_thread.is_alive()
    if not finished:
        log.warning(
            "stopped waiting after %g s: %s still under way",
            seconds,
            ", ".join(
                [f"the poll of feed {feed_id}" for feed_id in sorted(unfinished)]
                + ([f"the send of alert {sender.posting}"] if sender_thread.is_alive() else [])
            ),
        )
    scheduler.release_lease()
    log.info("stopped work in %.1f s; polling lease released", seconds - max(0.0, deadline - time.monotonic()))
    return finished
