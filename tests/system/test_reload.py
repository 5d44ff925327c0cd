"""A graceful reload (kill -HUP on the master, the README's upgrade step)
under keep-alive load drops no request (real gunicorn, the project's
gunicorn.conf.py).

How long requests wait during the reload is measured by bench/reload.py;
this checks only that every request gets its page.
"""
from __future__ import annotations

import http.client
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gunicorn_support import ROOT, running_gunicorn
from processes import wait_until

PATHS = ("/", "/articles/sleep-and-mood", "/healthz", "/search?q=sleep", "/category/sleep", "/search?q=tea")
CLIENTS = 3
WORKERS = 1  # running_gunicorn's


class KeepAliveClient(threading.Thread):
    """Sends requests one after another over one kept-alive connection until told to stop.

    A request the server closed the kept-alive connection on before any
    answer is sent again on a new connection, as browsers and HTTP
    libraries do; a request with no answer at all is a failure."""

    def __init__(self, port: int, offset: int):
        super().__init__(daemon=True)
        self.port = port
        self.offset = offset
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self.connection = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def _ask(self, path: str) -> int:
        self.connection.request("GET", path, headers={"HX-Request": "true"} if "search" in path else {})
        response = self.connection.getresponse()
        response.read()
        if (response.getheader("Connection") or "").lower() == "close":
            self.connection.close()
            self.connection = self._connect()
        return response.status

    def run(self) -> None:
        for path in itertools.islice(itertools.cycle(PATHS), self.offset, None):
            if self.stop.is_set():
                break
            try:
                try:
                    self.statuses.append(self._ask(path))
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    self.connection.close()
                    self.connection = self._connect()
                    self.statuses.append(self._ask(path))
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(f"{path}: {error!r}")
                self.connection.close()
                self.connection = self._connect()
        self.connection.close()


def _site_with_one_article(tmp_path, content) -> None:
    content.write("sleep-and-mood", title="Sleep and mood", category="Sleep")
    env = dict(os.environ, MIAFEED_INSTANCE_PATH=str(tmp_path / "instance"))
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade", "heads"], ["content", "import", str(content.root)]):
        subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)


@pytest.mark.slow
def test_hup_under_keep_alive_load_drops_no_request(tmp_path, content):
    _site_with_one_article(tmp_path, content)
    log_path = tmp_path / "gunicorn.log"
    with running_gunicorn(tmp_path, log_path, GUNICORN_THREADS="4",
                          MIAFEED_RATELIMIT_ENABLED="false") as (_base, port):
        wait_until(lambda: log_path.read_text().count("Booting worker") >= WORKERS, 60, "the first workers")
        clients = [KeepAliveClient(port, offset) for offset in range(CLIENTS)]
        for client in clients:
            client.start()
        try:
            wait_until(lambda: all(len(client.statuses) >= 5 for client in clients), 60, "load before the HUP")
            master = int(re.search(r"Listening at: \S+ \((\d+)\)", log_path.read_text()).group(1))
            os.kill(master, signal.SIGHUP)
            # Every old worker has left and the new ones serve.
            wait_until(lambda: log_path.read_text().count("Worker exiting") >= WORKERS, 90, "the old workers to leave")
            served_after = [len(client.statuses) for client in clients]
            wait_until(lambda: all(len(client.statuses) >= before + 5
                                    for client, before in zip(clients, served_after)), 60, "load after the HUP")
        finally:
            for client in clients:
                client.stop.set()
            for client in clients:
                client.join(90)
    assert [failure for client in clients for failure in client.failures] == []
    assert {status for client in clients for status in client.statuses} == {200}
    log = log_path.read_text()
    assert log.count("Booting worker") >= 2 * WORKERS
    # gunicorn stops the old worker the moment it forks the new one, whose
    # app takes seconds to build: the old one served meanwhile.
    assert "keeps serving until the new workers are ready" in log
    # The control socket is announced by the master once, not at every
    # worker's boot (there is none when its path is too long for a socket).
    socket_path_fits = len(str(tmp_path / "instance" / "gunicorn.ctl").encode()) <= 107
    assert log.count("Control socket listening") == (1 if socket_path_fits else 0)
