"""Slow-header clients against a real gunicorn: does /healthz still answer?

Starts gunicorn with the project's gunicorn.conf.py (4 workers, as in the
report in issue 9) three times: forced to the old sync workers (`-k sync
--threads 1`), to gunicorn's plain gthread worker (`-k gthread`), and as
configured (miafeed.serving.header_wait.HeaderCompleteThreadWorker). In each, N clients open a
connection, send the request line and then one header byte every 2 s for
HOLD seconds, never finishing their headers; meanwhile /healthz is fetched
twice a second and its latency recorded. Prints figures; asserts nothing.

    .venv/bin/python bench/slow_clients.py                 # N = 4 and 40, HOLD = 12 s
    .venv/bin/python bench/slow_clients.py --clients 4 --hold 20
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("BENCH_PORT", 8150))  # helper i9's range, 8100-8199


def start_gunicorn(instance: str, extra: list[str]) -> subprocess.Popen:
    env = dict(os.environ, MIAFEED_INSTANCE_PATH=instance, PORT=str(PORT), HOST="127.0.0.1", WEB_CONCURRENCY="4",
               MIAFEED_MAIL_BACKGROUND_DELIVERY="false")
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", *extra, "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2):
                return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)


def slow_client(hold: float, stop: threading.Event) -> None:
    """Send a request line, then a header one byte every 2 s until `hold` is over."""
    try:
        sock = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    except OSError:
        return
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        ends = time.monotonic() + hold
        while time.monotonic() < ends and not stop.is_set():
            sock.sendall(b"X")
            stop.wait(2)
    except OSError:
        pass  # the server closed on us: fine, that is a defence
    finally:
        sock.close()


def probe_health(duration: float) -> tuple[list[float], int]:
    """Fetch /healthz twice a second for `duration`; latencies (s) and failures."""
    latencies, failures = [], 0
    ends = time.monotonic() + duration
    while time.monotonic() < ends:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=60) as response:
                response.read()
            latencies.append(time.monotonic() - started)
        except OSError:
            failures += 1
        time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
    return latencies, failures


def scenario(instance: str, label: str, extra: list[str], clients: int, hold: float) -> None:
    server = start_gunicorn(instance, extra)
    try:
        stop = threading.Event()
        threads = [threading.Thread(target=slow_client, args=(hold, stop), daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)  # let them connect first
        latencies, failures = probe_health(hold - 1)
        stop.set()
        for thread in threads:
            thread.join(5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if latencies:
        ordered = sorted(latencies)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(f"{label:<28} {clients:>4} slow  /healthz: {len(latencies):>3} answered, median {statistics.median(latencies) * 1000:8.1f} ms,"
              f" p90 {p90 * 1000:8.1f} ms, max {max(latencies) * 1000:8.1f} ms, {failures} failed")
    else:
        print(f"{label:<28} {clients:>4} slow  /healthz: none answered in {hold:.0f} s, {failures} failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="*", default=[4, 40])
    parser.add_argument("--hold", type=float, default=12.0, help="seconds each slow client keeps dribbling")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="miafeed-slow-") as instance:
        env = dict(os.environ, MIAFEED_INSTANCE_PATH=instance)
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        print(f"gunicorn, 4 workers, 127.0.0.1:{PORT}; slow clients dribble a header byte every 2 s for {args.hold:.0f} s")
        for clients in args.clients:
            scenario(instance, "before: sync, 1 thread", ["-k", "sync", "--threads", "1"], clients, args.hold)
            scenario(instance, "plain gthread, 8 threads", ["-k", "gthread"], clients, args.hold)
            scenario(instance, "now: gunicorn.conf.py", [], clients, args.hold)


if __name__ == "__main__":
    main()
