"""Run the real gunicorn with the project's gunicorn.conf.py for a test."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from newsletter_support import free_port

ROOT = Path(__file__).resolve().parents[1]


def get(url: str, timeout: float = 10, **headers) -> int:
    """GET `url`; its status code, whether 2xx or not."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@contextlib.contextmanager
def running_gunicorn(tmp_path: Path, log_path: Path, **env_overrides):
    """Yield (base URL, port) of a gunicorn on loopback; SIGTERM and wait on exit."""
    port = free_port()
    env = dict(
        os.environ,
        PORT=str(port),
        WEB_CONCURRENCY="1",
        MIAFEED_INSTANCE_PATH=str(tmp_path / "instance"),
        MIAFEED_MAIL_BACKGROUND_DELIVERY="false",
        **env_overrides,
    )
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(base + "/robots.txt", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield base, port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
