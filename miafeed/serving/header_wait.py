"""gunicorn's threaded worker, made safe to face slow clients without a proxy.

gunicorn's gthread worker keeps a connection that has sent nothing in its
event loop, but once the first bytes arrive, a pool thread reads the rest
of the headers with a blocking socket. A client that sends its headers a
byte at a time therefore holds a thread for as long as it likes: with 40
such clients, plain gthread answered /healthz once in 12 s
(bench/slow_clients.py, docs/benchmarks.md). nginx and Caddy in front buffer
whole requests, but `make run` may be exposed without them.

This worker hands a connection to the thread pool only once its whole
header block has arrived. It peeks at the socket (MSG_PEEK, nothing is
consumed) when gunicorn queues the connection (`enqueue_req`); while the
blank line that ends the headers is missing, the connection waits in the
worker's own selector (`poller`), costing a file descriptor and no thread.
SO_RCVLOWAT makes the socket readable again only once more bytes than
those already peeked have arrived, so a waiting connection is looked at
once per packet, not in a busy loop. A connection whose headers are still
incomplete after HEADER_SECONDS is closed (`murder_pending`, which the
worker's loop calls every turn).

It overrides two public methods of gunicorn's ThreadWorker and uses its
`poller`; no private name. TLS connections (gunicorn's own certfile) cannot
be peeked at as plain text and get gunicorn's behaviour, and so does
every connection once the worker is stopping.
"""
from __future__ import annotations

import socket
import time
import selectors
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

# A real client sends its headers in one packet; a slow mobile link in a
# few. Ten seconds is generous and still stops a connection from waiting
# for ever while it dribbles.
HEADER_SECONDS = 10.0
# Peek at most this much. A header block larger than this is not waited for
# here: gunicorn's limit_request_line/limit_request_fields settle it.
PEEK_BYTES = 64 * 1024
_HEADER_END = (b"\r\n\r\n", b"\n\n")


class HeaderCompleteThreadWorker(ThreadWorker):
    """gthread, except a thread only reads a request whose headers are all there."""

    def init_process(self):
        self.header_waiting: dict[object, float] = {}  # connection -> when it started waiting
        super().init_process()

    def enqueue_req(self, conn):
        if not self.alive or self.cfg.is_ssl or getattr(conn, "is_http2", False) or _has_buffered_bytes(conn):
            return super().enqueue_req(conn)
        try:
            peeked = conn.sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            peeked = None  # nothing yet: wait for the first byte
        except OSError:
            peeked = b""  # reset or closed: gunicorn cleans up
        if peeked is not None and (peeked == b"" or len(peeked) >= PEEK_BYTES
                                   or any(end in peeked for end in _HEADER_END)):
            _set_low_water(conn.sock, 1)
            return super().enqueue_req(conn)
        started = self.header_waiting.setdefault(conn, time.monotonic())
        if time.monotonic() - started > HEADER_SECONDS:
            return self._close_waiting(conn)
        conn.sock.setblocking(False)
        _set_low_water(conn.sock, len(peeked or b"") + 1)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._more_header_bytes, conn))

    def _more_header_bytes(self, conn, client):
        self.poller.unregister(client)
        self.enqueue_req(conn)

    def murder_pending(self):
        """gunicorn's sweep of idle new connections, plus ours: close those
        whose headers are still incomplete after HEADER_SECONDS."""
        super().murder_pending()
        now = time.monotonic()
        for conn, started in list(self.header_waiting.items()):
            if now - started > HEADER_SECONDS:
                try:
                    self.poller.unregister(conn.sock)
                except (OSError, KeyError, ValueError):
                    pass  # handed on meanwhile
                self._close_waiting(conn)

    def _close_waiting(self, conn):
        self.header_waiting.pop(conn, None)
        self.log.debug("Closing %s: headers incomplete after %ss", conn.client, HEADER_SECONDS)
        self.nr_conns -= 1
        conn.close()

    def handle(self, conn):
        # The connection is in a thread now: it no longer waits here.
        self.header_waiting.pop(conn, None)
        return super().handle(conn)


def _set_low_water(sock, size: int) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, size)
    except OSError:
        pass  # closed meanwhile


def _has_buffered_bytes(conn) -> bool:
    # On a kept-alive connection, gunicorn may already have read the start
    # of the next request into its parser; the socket alone cannot tell.
    parser = getattr(conn, "parser", None)
    unreader = getattr(parser, "unreader", None)
    buffer = getattr(unreader, "buf", None)
    return bool(buffer is not None and buffer.getvalue())
