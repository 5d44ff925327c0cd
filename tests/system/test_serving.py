"""The site keeps answering while clients send their headers slowly (real gunicorn).

Speed is measured in bench/slow_clients.py; this only checks that requests
get an answer at all while every thread would otherwise be held.
"""
from __future__ import annotations

import socket
import time

import pytest

from gunicorn_support import get, running_gunicorn


def _read_all(connection) -> bytes:
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    return answer


@pytest.mark.slow
def test_slow_header_clients_do_not_hold_the_threads_and_pieced_requests_still_work(tmp_path):
    log_path = tmp_path / "gunicorn.log"
    # One worker with two threads; six clients that never finish their headers.
    with running_gunicorn(tmp_path, log_path, GUNICORN_THREADS="2") as (base, port):
        slow = []
        try:
            for _ in range(6):
                connection = socket.create_connection(("127.0.0.1", port), timeout=5)
                connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
                slow.append(connection)
            for _ in range(3):
                assert get(base + "/robots.txt", timeout=8) == 200
            # A real client whose headers arrive in several packets is served.
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                for piece in (b"GET /robots.txt HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"Connection: close\r\n", b"\r\n"):
                    connection.sendall(piece)
                    time.sleep(0.3)
                assert _read_all(connection).startswith(b"HTTP/1.1 200")
        finally:
            for connection in slow:
                connection.close()
    assert "HeaderCompleteThreadWorker" in log_path.read_text()
