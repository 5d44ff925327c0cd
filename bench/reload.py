"""A graceful reload (kill -HUP, the README's upgrade step) under keep-alive load.

Starts a real gunicorn with the project's gunicorn.conf.py on a throw-away
instance folder (migrated, demo content imported), keeps CLIENTS threads
each sending requests one after another over one kept-alive connection
(article pages, category pages, search pages and fragments, /healthz),
sends SIGHUP to the master twice, and prints: requests that failed, the
slowest request (what, and when against the HUPs), the median, and how
often a client had to resend on a fresh connection because the server had
closed the kept-alive one (browsers and HTTP libraries resend an idempotent
request then; that is not a failure, a missing answer is). Figures, no
verdict; exits 0.

    .venv/bin/python bench/reload.py                      # 8 clients, 20 s, HUP at 6 s and 13 s
    .venv/bin/python bench/reload.py --workers 5 --seconds 30 --database-url postgresql+psycopg://...
    git archive 44a97cf | (mkdir -p /tmp/miafeed-before && tar -x -C /tmp/miafeed-before)
    .venv/bin/python bench/reload.py --before /tmp/miafeed-before   # that checkout, then this one

A free loopback port is used unless --port says which.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REQUEST_TIMEOUT = 15.0
HUP_WINDOW = 5.0  # requests in flight from a HUP to this long after it are "near" it
SEARCHES = ("sleep", "stress", "vitamin d", "exercise heart", "anx", "mediterranean diet", "sleeep", "gut")


@dataclass
class Sample:
    started: float  # seconds since the load began
    seconds: float
    path: str
    outcome: str  # "ok" (any HTTP answer), or why there was none


@dataclass
class Client:
    host: str
    port: int
    paths: list[tuple[str, dict]]
    samples: list[Sample] = field(default_factory=list)
    resent: int = 0
    connection: http.client.HTTPConnection | None = None

    def _fresh(self) -> http.client.HTTPConnection:
        if self.connection is not None:
            self.connection.close()
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
        return self.connection

    def _ask(self, path: str, headers: dict) -> int:
        connection = self.connection or self._fresh()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.getheader("Connection", "").lower() == "close":
            self._fresh()
        return response.status

    def one(self, path: str, headers: dict, began: float) -> None:
        start = time.monotonic()
        try:
            try:
                self._ask(path, headers)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed the kept-alive connection before answering:
                # resend once on a new one, as a browser would.
                self.resent += 1
                self._fresh()
                self._ask(path, headers)
            outcome = "ok"
        except (OSError, http.client.HTTPException) as error:
            outcome = type(error).__name__
            self._fresh()
        self.samples.append(Sample(start - began, time.monotonic() - start, path, outcome))

    def run(self, began: float, until: float, offset: int) -> None:
        for path, headers in itertools.islice(itertools.cycle(self.paths), offset, None):
            if time.monotonic() >= until:
                break
            self.one(path, headers, began)
        if self.connection is not None:
            self.connection.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _paths(base_host: str, port: int) -> list[tuple[str, dict]]:
    """A mix of what readers ask for: articles, lists, search pages and fragments, health."""
    connection = http.client.HTTPConnection(base_host, port, timeout=REQUEST_TIMEOUT)
    connection.request("GET", "/sitemap.xml")
    sitemap = connection.getresponse().read().decode()
    connection.close()
    found = [re.sub(r"^https?://[^/]+", "", loc) for loc in re.findall(r"<loc>([^<]+)</loc>", sitemap)]
    articles = [path for path in found if path.startswith("/articles/")][:12]
    categories = [path for path in found if path.startswith("/category/")][:4]
    fragment = {"HX-Request": "true"}
    paths: list[tuple[str, dict]] = []
    for number, article in enumerate(articles):
        paths.append((article, {}))
        query = SEARCHES[number % len(SEARCHES)].replace(" ", "+")
        paths.append((f"/search?q={query}", fragment if number % 2 else {}))
        if number % 3 == 0:
            paths.append(("/healthz", {}))
        if categories and number % 4 == 0:
            paths.append((categories[number // 4 % len(categories)], {}))
    paths.append(("/", {}))
    return paths


def _wait_ready(port: int, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)


def _prepare(code: Path, env: dict) -> None:
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade", "heads"], cwd=code, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "content", "import", str(ROOT / "content")], cwd=code, env=env, check=True,
                   capture_output=True)
    subprocess.run([*flask, "search", "reindex"], cwd=code, env=env, check=True, capture_output=True)


def run(args, code: Path) -> None:
    code = code.resolve()
    port = args.port or _free_port()
    with tempfile.TemporaryDirectory(prefix="miafeed-reload-") as instance:
        env = dict(os.environ, PYTHONPATH=str(code), MIAFEED_INSTANCE_PATH=instance, HOST="127.0.0.1",
                   PORT=str(port), WEB_CONCURRENCY=str(args.workers), GUNICORN_THREADS=str(args.threads),
                   MIAFEED_SITE_URL=f"http://127.0.0.1:{port}", MIAFEED_RATELIMIT_ENABLED="false")
        if args.database_url:
            env["MIAFEED_SQLALCHEMY_DATABASE_URI"] = args.database_url
        _prepare(code, env)
        log_path = Path(instance) / "gunicorn.log"
        with log_path.open("w") as log:
            server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=code,
                                      env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(port, server, log_path)
            paths = _paths("127.0.0.1", port)
            clients = [Client("127.0.0.1", port, paths) for _ in range(args.clients)]
            began = time.monotonic()
            until = began + args.seconds
            threads = [threading.Thread(target=client.run, args=(began, until, number * 7), daemon=True)
                       for number, client in enumerate(clients)]
            for thread in threads:
                thread.start()
            hups = []
            for at in (args.seconds * 0.3, args.seconds * 0.65):
                time.sleep(max(0.0, began + at - time.monotonic()))
                hups.append(time.monotonic() - began)
                os.kill(server.pid, signal.SIGHUP)
            for thread in threads:
                thread.join(args.seconds + REQUEST_TIMEOUT * 3)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
        log_text = log_path.read_text()
    if args.log:
        (args.log if code == ROOT else args.log.with_suffix(".before.log")).write_text(log_text)
    _report(args, code, clients, hups, log_text)


def _report(args, code: Path, clients: list[Client], hups: list[float], log_text: str) -> None:
    samples = [sample for client in clients for sample in client.samples]
    failed = [sample for sample in samples if sample.outcome != "ok"]
    seconds = sorted(sample.seconds for sample in samples)
    slowest = max(samples, key=lambda sample: sample.seconds)
    since = min((slowest.started - hup for hup in hups if hup <= slowest.started + 0.001), default=None)
    per_client_max = sorted(max(sample.seconds for sample in client.samples) for client in clients)
    near = [sample.seconds for sample in samples if any(0 <= sample.started + sample.seconds - hup and
                                                        sample.started - hup < HUP_WINDOW for hup in hups)]
    away = [sample.seconds for sample in samples if all(sample.started + sample.seconds < hup or
                                                        sample.started - hup >= HUP_WINDOW for hup in hups)]
    print(f"{code}: {args.workers} workers x {args.threads} threads, {args.clients} keep-alive clients for"
          f" {args.seconds:.0f} s, SIGHUP at {', '.join(f'{hup:.1f}' for hup in hups)} s"
          f" ({'PostgreSQL' if args.database_url else 'SQLite'})")
    print(f"  requests {len(samples)}, failed {len(failed)}"
          + (f" ({', '.join(sorted({sample.outcome for sample in failed}))})" if failed else "")
          + f", resent on a fresh connection {sum(client.resent for client in clients)}")
    print(f"  median {statistics.median(seconds) * 1000:.0f} ms, 99th percentile"
          f" {seconds[int(len(seconds) * 0.99) - 1] * 1000:.0f} ms, slowest {slowest.seconds * 1000:.0f} ms"
          f" ({slowest.path}, started {slowest.started:.1f} s"
          + (f", {since:.1f} s after a HUP)" if since is not None else ")"))
    print(f"  slowest in flight within {HUP_WINDOW:.0f} s of a HUP {max(near, default=0) * 1000:.0f} ms,"
          f" slowest away from them {max(away, default=0) * 1000:.0f} ms")
    print(f"  each client's slowest request (ms): {', '.join(f'{value * 1000:.0f}' for value in per_client_max)}")
    print(f"  requests over 1 s: {sum(1 for value in seconds if value > 1)};"
          f" 'Control socket listening' logged {log_text.count('Control socket listening')} times;"
          f" workers booted {log_text.count('Booting worker')}")
    for sample in sorted(samples, key=lambda sample: -sample.seconds)[:args.list_slow]:
        print(f"    {sample.seconds * 1000:6.0f} ms  started {sample.started:5.1f} s  {sample.path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    parser.add_argument("--database-url", help="a PostgreSQL URL to run on instead of SQLite")
    parser.add_argument("--list-slow", type=int, default=0, help="also list this many slowest requests")
    parser.add_argument("--log", type=Path, help="keep gunicorn's log here")
    parser.add_argument("--before", type=Path, help="another checkout to measure first, under the same load")
    args = parser.parse_args()
    if args.before:
        run(args, args.before)
    run(args, ROOT)


if __name__ == "__main__":
    main()
