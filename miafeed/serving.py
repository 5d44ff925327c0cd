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
"""
from __future__ import annotations

import socket
import time

from gunicorn.workers.gthread import _DEFER, ThreadWorker

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

    def handle(self, conn):
        if self.cfg.is_ssl or conn.is_http2 or _has_buffered_bytes(conn):
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
