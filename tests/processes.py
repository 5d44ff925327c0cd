"""Real servers for tests: a free loopback port, waiting (by polling with a
deadline, never by a fixed sleep) until something is true, and the project's
gunicorn started the way an operator starts it.

Every test and fixture that starts a process (tests/system/, tests/browser/)
takes these from here, so "is it up yet?" is decided one way.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, TypeVar

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], T], seconds: float, what: str,
               process: subprocess.Popen | None = None, log: Path | None = None, step: float = 0.1) -> T:
    """Poll `condition` until it returns something true and return that.

    An OSError from the condition counts as "not yet" (a port not listening).
    Gives up with an AssertionError naming `what` (and the log's text, if
    given) when `seconds` pass or `process` exits first.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        exited = process is not None and process.poll() is not None
        if exited or time.monotonic() > deadline:
            reason = "exited" if exited else f"gave up after {seconds:g} s"
            details = f"\n{log.read_text()}" if log is not None and log.exists() else ""
            raise AssertionError(f"{what}: {reason}{details}")
        time.sleep(step)


def port_open(port: int) -> bool:
    """True once something accepts connections on 127.0.0.1:`port`."""
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    return True


def answers(url: str) -> bool:
    """True once `url` answers 200."""
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


@contextmanager
def gunicorn(env: dict, log_path: Path, ready_url: str, cwd: Path = ROOT, seconds: float = 60):
    """Run `gunicorn -c gunicorn.conf.py wsgi:app` (as deployed) with `env`,
    its output in `log_path`; yield the process once `ready_url` answers 200;
    stop it (SIGTERM, then SIGKILL after 30 s) on the way out."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=cwd, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: answers(ready_url), seconds, "gunicorn did not start", process=server, log=log_path)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
