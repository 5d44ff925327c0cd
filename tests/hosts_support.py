"""Real gunicorn servers for tests that play several hosts, each with its own instance folder."""
from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from processes import BIN, ROOT, free_port, gunicorn  # noqa: F401  (free_port: tests import it from here)


@dataclass
class Host:
    """One app host: its instance folder, its settings, and (once started) its URL."""

    name: str
    instance: Path
    settings: dict
    base_url: str = ""
    # The code this host runs: this checkout, or an older release's tree
    # (tests/system/test_two_hosts.py's rolling deploy).
    root: Path = ROOT

    def env(self) -> dict:
        env = dict(os.environ, MIAFEED_INSTANCE_PATH=str(self.instance), PYTHONWARNINGS="ignore",
                   MIAFEED_SECRET_KEY="two-host-test-secret-key-" + "x" * 24)
        if self.root != ROOT:
            env["PYTHONPATH"] = str(self.root)  # its own miafeed package before the installed one
        env.pop("MIAFEED_TEST_DATABASE_URL", None)
        env.update({f"MIAFEED_{key}": str(value) for key, value in self.settings.items()})
        return env

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """Run `flask --app wsgi ARGS` on this host, as an operator would."""
        result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=self.root, env=self.env(),
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"flask {' '.join(args)} on {self.name}:\n{result.stdout}\n{result.stderr}"
        return result

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def status(self, path: str) -> int:
        """The status of a GET whose body is not text (an image)."""
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def sign_up(self, email: str) -> int:
        """POST the sign-up form without JavaScript; returns the status (200, 429...)."""
        data = urllib.parse.urlencode({"email": email, "frequency": "weekly", "source": "/", "website": ""}).encode()
        request = urllib.request.Request(self.base_url + "/newsletter/subscribe", data=data, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@contextmanager
def running(host: Host, workers: int = 2, log_dir: Path | None = None):
    """Start gunicorn for `host` on a free loopback port; stop it afterwards."""
    port = free_port()
    host.base_url = f"http://127.0.0.1:{port}"
    env = dict(host.env(), HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY=str(workers),
               MIAFEED_SITE_URL=host.base_url)
    log_path = (log_dir or host.instance) / f"gunicorn-{host.name}.log"
    with gunicorn(env, log_path, host.base_url + "/robots.txt", cwd=host.root):
        yield host
