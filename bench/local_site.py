"""Start the site the way production runs it, for the benchmarks that need a URL.

`running_site()` gives the base URL of a gunicorn serving a throw-away
instance folder (database migrated, content/ imported), or BASE_URL from
the environment when you already have a server running (`make run`).
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_site(content: str | None = None):
    if os.environ.get("BASE_URL"):
        yield os.environ["BASE_URL"].rstrip("/")
        return
    with tempfile.TemporaryDirectory(prefix="miafeed-bench-") as tmp:
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, MIAFEED_INSTANCE_PATH=tmp, MIAFEED_SITE_URL=base_url, HOST="127.0.0.1",
                   PORT=str(port), WEB_CONCURRENCY="2")
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([*flask, "content", "import", content or os.environ.get("CONTENT", str(ROOT / "content"))],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        commands = subprocess.run([*flask, "--help"], cwd=ROOT, env=env, capture_output=True, text=True).stdout
        if "\n  search" in commands:
            subprocess.run([*flask, "search", "reindex"], cwd=ROOT, env=env, check=True, capture_output=True)
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(base_url + "/healthz", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("gunicorn did not start")
                    time.sleep(0.2)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=20)


def first_article_path(base_url: str) -> str:
    """The newest article's path, read from the sitemap like a crawler would."""
    import xml.etree.ElementTree as ET

    with urllib.request.urlopen(base_url + "/sitemap.xml") as response:
        tree = ET.fromstring(response.read())
    for loc in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
        if "/articles/" in loc.text:
            return loc.text[len(base_url):] if loc.text.startswith(base_url) else "/articles/" + loc.text.split("/articles/")[1]
    raise SystemExit("no article to measure: import some content first")
