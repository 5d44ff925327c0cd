"""Run the real gunicorn with the project's gunicorn.conf.py for a test (tests/processes.py)."""
from __future__ import annotations

import contextlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from processes import free_port, gunicorn

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
    base = f"http://127.0.0.1:{port}"
    with gunicorn(env, log_path, base + "/robots.txt"):
        yield base, port
