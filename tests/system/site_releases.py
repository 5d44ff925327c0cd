"""What tests/system/test_deploy_site.py and bench/upgrade.py share: a git
repository made from this checkout with release commits on top, a site
root the service user can reach, and readers that keep reading pages
while an operator upgrades.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
SITE = CHECKOUT / "deploy" / "site"
GIT = ["git", "-c", "user.name=Release test", "-c", "user.email=release@example.org"]


def make_source(folder: Path) -> Path:
    """A git repository holding this checkout's files (committed or not) as release A."""
    source = folder / "source"
    source.mkdir()
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=CHECKOUT,
                           capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, (name.decode() for name in files)):
        path = CHECKOUT / name
        if path.is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name)
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], cwd=source, check=True)
    commit(source, "release A")
    return source


def commit(source: Path, message: str, tag: str | None = None) -> str:
    """Commit everything in `source` (tagged `tag`, so it stays fetchable); its id."""
    subprocess.run(["git", "add", "-A"], cwd=source, check=True)
    subprocess.run([*GIT, "commit", "--quiet", "--allow-empty", "-m", message], cwd=source, check=True)
    if tag:
        subprocess.run(["git", "tag", "--force", tag], cwd=source, check=True, capture_output=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True,
                          check=True).stdout.strip()


def start_from(source: Path, commit_id: str) -> None:
    """Make the next release on top of `commit_id` (main moves there)."""
    subprocess.run(["git", "checkout", "--quiet", "--force", "-B", "main", commit_id], cwd=source, check=True)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1))


def site_folder() -> Path:
    """A folder under /tmp the service user can traverse (pytest's own are root's 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="miafeed-site-"))
    folder.chmod(0o755)
    return folder


def write_settings(root: Path, port: int, content: Path) -> None:
    (root / "shared").mkdir(parents=True)
    settings = root / "shared" / "miafeed.env"
    settings.write_text(
        "MIAFEED_ENV=production\n"
        f"MIAFEED_SECRET_KEY={secrets.token_urlsafe(48)}\n"
        "MIAFEED_SITE_URL=https://example.org\n"
        f"MIAFEED_CONTENT_DIR={content}\n"
        "MIAFEED_MAIL_BACKGROUND_DELIVERY=false\n"
        f"PORT={port}\n"
        "WEB_CONCURRENCY=2\n"
        "GUNICORN_THREADS=4\n"
    )
    settings.chmod(0o600)


def site(*args: str) -> subprocess.CompletedProcess:
    """deploy/site, as the operator runs it; its output in .stdout."""
    return subprocess.run([str(SITE), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)


def fetch(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def stylesheet_of(page: str) -> str:
    return re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)


class Readers:
    """`count` threads reading `paths` one after another until stopped;
    every answer other than 200 (or none) is a failure."""

    def __init__(self, base: str, paths: list[str], count: int = 6):
        self.base = base
        self.paths = paths
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.failures: list[str] = []
        self.slowest = 0.0
        self.slowest_path = ""
        self.requests = 0
        self.threads = [threading.Thread(target=self._read, args=(offset,), daemon=True) for offset in range(count)]

    def _read(self, offset: int) -> None:
        turn = offset
        while not self.stopping.is_set():
            path = self.paths[turn % len(self.paths)]
            turn += 1
            started = time.monotonic()
            try:
                status, _ = fetch(self.base + path, timeout=30)
                problem = None if status == 200 else f"{path}: {status}"
            except OSError as exc:
                problem = f"{path}: {exc}"
            took = time.monotonic() - started
            with self.lock:
                self.requests += 1
                if took > self.slowest:
                    self.slowest, self.slowest_path = took, path
                if problem:
                    self.failures.append(problem)

    def __enter__(self) -> "Readers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)
