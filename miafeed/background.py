"""The skeleton of a worker's background thread: start, stop, and a loop
that runs one pass at an interval (or sooner, when woken).

Each gunicorn worker runs two: mail delivery (newsletter/delivery.py) and
the search follower (search/follow.py). They differ only in what one pass
does, how often it runs and what wakes it early; the thread, the stopping
and "a bad minute for the database must not end the thread" live here once.
"""
from __future__ import annotations

import logging
import threading


class BackgroundLoop:
    """A daemon thread that calls one_pass() in an app context, every
    `interval` seconds or as soon as `wake` is set, until stop().

    Subclasses give one_pass(); `pass_at_start` runs a first pass at once
    instead of after the first wait. A pass that raises is logged with
    `failure` and the loop carries on.
    """

    STOP_SECONDS: float = 10

    def __init__(self, app, *, name: str, interval: float, failure: str,
                 wake: threading.Event | None = None, pass_at_start: bool = False):
        self.app = app
        self.interval = interval
        self.failure = failure
        self.pass_at_start = pass_at_start
        self.stopping = threading.Event()
        self.wake = wake if wake is not None else threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def one_pass(self) -> None:
        raise NotImplementedError

    def start(self):
        """Start the thread; returns self."""
        self.thread.start()
        return self

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the thread to end after its current pass; True when it ended
        within `timeout` (STOP_SECONDS by default)."""
        self.stopping.set()
        self.wake.set()
        self.thread.join(self.STOP_SECONDS if timeout is None else timeout)
        return not self.thread.is_alive()

    def _run(self) -> None:
        if self.pass_at_start:
            self._guarded_pass()
        while not self.stopping.is_set():
            self.wake.wait(self.interval)
            self.wake.clear()
            if self.stopping.is_set():
                break
            self._guarded_pass()

    def _guarded_pass(self) -> None:
        try:
            with self.app.app_context():
                self.one_pass()
        except Exception:  # a bad minute for the database must not end the thread
            logging.getLogger(type(self).__module__).exception(self.failure)
