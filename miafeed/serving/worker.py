"""gunicorn's threaded worker, made safe to face slow clients without a proxy.

gunicorn's gthread worker waits for a new connection's first bytes in its
event loop, but once they arrive, a pool thread reads the rest of the
headers with a blocking socket. A client that sends its headers a byte at
a time therefore holds a thread for as long as it likes, and a few dozen
such clients hold them all (bench/slow_clients.py shows it).

This worker hands a connection to the request code only once its whole
header block has arrived: a thread peeks at the socket without reading
(MSG_PEEK) and, while the blank line that ends the headers is missing,
gives the connection back to the event loop, where waiting costs a file
descriptor and no thread. gunicorn closes a deferred connection that sends
nothing for `keepalive` seconds; this worker also closes one whose headers
are still incomplete after HEADER_SECONDS. TLS connections (gunicorn's own
certfile) cannot be peeked at as plain text and get gunicorn's behaviour.

Two more things a worker of this class does:

- On a reload, an old worker keeps serving until its replacements have
  built their app (miafeed/serving/handover.py): gunicorn alone stops the old ones
  while the new ones are still importing, and readers wait for the whole
  boot (4-15 s measured by bench/reload.py).
- faulthandler is on, so a crash in C code (SIGSEGV, SIGBUS, SIGABRT)
  prints every thread's Python stack to the error log before the worker
  dies; without it the log says only "Worker was sent SIGSEGV".
"""
from __future__ import annotations

import faulthandler
import os
import socket
import sys
import threading
import time

from gunicorn.workers.gthread import _DEFER, ThreadWorker

from .handover import boot_record

# A real client sends its headers in one packet; a slow mobile link in a
# few. Ten seconds is generous and still stops a connection from waiting
# for ever while it dribbles.
HEADER_SECONDS = 10.0
# Peek at most this much. A header block larger than this is not waited for
# here: gunicorn's limit_request_line/limit_request_fields settle it.
PEEK_BYTES = 64 * 1024
_HEADER_END = (b"\r\n\r\n", b"\n\n")
# A stopping worker waits at most this long for younger workers to start
# serving (one whose boot failed never will); gunicorn's own `timeout`.
REPLACEMENT_WAIT_SECONDS = 30.0
REPLACEMENT_POLL_SECONDS = 0.05


class HeaderCompleteThreadWorker(ThreadWorker):
    """gthread, except a thread only reads a request whose headers are all
    there, and a reload hands over without a gap."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built in the master just before the fork: the record is shared from here.
        boot_record().spawned(self.age)
        self.miafeed_stop_asked = False

    def init_process(self):
        # On stderr, which is the error log ("-"; the journal under systemd).
        faulthandler.enable(file=sys.stderr, all_threads=True)
        super().init_process()

    def run(self):
        boot_record().ready(self.age)
        super().run()

    def handle_exit(self, sig, frame):
        """SIGTERM: stop, but not before the workers replacing this one serve."""
        if self.miafeed_stop_asked:
            return
        self.miafeed_stop_asked = True
        if boot_record().replacements_ready(self.age):
            return super().handle_exit(sig, frame)
        self.log.info("Worker %s keeps serving until the new workers are ready", self.pid)
        threading.Thread(target=self._stop_once_replaced, args=(sig, frame), name="miafeed-handover",
                         daemon=True).start()

    def _stop_once_replaced(self, sig, frame):
        deadline = time.monotonic() + REPLACEMENT_WAIT_SECONDS
        record = boot_record()
        while not record.replacements_ready(self.age) and time.monotonic() < deadline and os.getppid() == self.ppid:
            time.sleep(REPLACEMENT_POLL_SECONDS)
        # gthread's SIGTERM handler only flags the loop and wakes it through
        # its thread-safe queue, so calling it from this thread is fine.
        super().handle_exit(sig, frame)

    def handle(self, conn):
        # A stopping worker no longer puts deferred connections back in its
        # loop: gthread would close a new one that is still sending its
        # headers, unanswered. Its thread reads them instead, as gunicorn does.
        if self.cfg.is_ssl or conn.is_http2 or _has_buffered_bytes(conn) or not self.alive:
            return super().handle(conn)
        try:
            peeked = conn.sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            peeked = None  # nothing yet
        except OSError:
            return super().handle(conn)  # reset or closed: gunicorn cleans up
        complete = peeked is not None and (
            peeked == b"" or len(peeked) >= PEEK_BYTES or any(end in peeked for end in _HEADER_END)
        )
        if complete:
            conn.miafeed_waiting_since = None
            return super().handle(conn)
        started = getattr(conn, "miafeed_waiting_since", None)
        now = time.monotonic()
        if started is None:
            conn.miafeed_waiting_since = now
        elif now - started > HEADER_SECONDS:
            self.log.debug("Closing %s: headers incomplete after %ss", conn.client, HEADER_SECONDS)
            return False
        conn.data_ready = False
        return _DEFER


def _has_buffered_bytes(conn) -> bool:
    # On a kept-alive connection, gunicorn may already have read the start
    # of the next request into its parser; the socket alone cannot tell.
    parser = getattr(conn, "parser", None)
    unreader = getattr(parser, "unreader", None)
    buffer = getattr(unreader, "buf", None)
    return bool(buffer is not None and buffer.getvalue())
