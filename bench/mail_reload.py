"""Mail during a graceful reload (kill -HUP) or a killed worker, against a real
gunicorn and a real SMTP server (aiosmtpd, 40 ms per message).

Queues N confirmation mails, starts gunicorn (4 workers, the delivery
thread in each), and once a share of the mail has arrived, sends SIGHUP to
the master (the upgrade step in docs/operations.md), or SIGKILL to one worker with
--kill. Then watches until every reader has their mail or --wait seconds
pass, and prints: duplicates, rows stuck "sending", mail that arrived more
than 30 s after the signal, and mail still missing. Figures, no verdict.

Side by side with the code before issue 9 (any checkout of the project):

    git archive d74a71c | (mkdir -p /tmp/miafeed-before && tar -x -C /tmp/miafeed-before)
    .venv/bin/python bench/mail_reload.py --before /tmp/miafeed-before
    .venv/bin/python bench/mail_reload.py --kill --wait 120
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WEB_PORT = int(os.environ.get("BENCH_PORT", 8160))  # helper i9's range, 8100-8199
SMTP_PORT = WEB_PORT + 1
LATE_AFTER_SECONDS = 30


class SlowServer:
    """Accepts every message after a short pause, as a real relay would take."""

    def __init__(self, delay: float):
        self.delay = delay
        self.received: list[tuple[str, float]] = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        for address in envelope.rcpt_tos:
            self.received.append((address, time.monotonic()))
        return "250 Message accepted for delivery"


QUEUE_MAIL = """
from miafeed import create_app
from miafeed.newsletter import subscriptions
app = create_app()
with app.app_context():
    for number in range({count}):
        subscriptions.subscribe(f"reader{{number}}@example.org", "weekly", "/")
"""


def _env(code: Path, instance: str) -> dict:
    return dict(
        os.environ, PYTHONPATH=str(code), MIAFEED_INSTANCE_PATH=instance, MIAFEED_SECRET_KEY="bench-" + "k" * 40,
        MIAFEED_MAIL_SERVER="127.0.0.1", MIAFEED_MAIL_PORT=str(SMTP_PORT), MIAFEED_RATELIMIT_ENABLED="false",
        MIAFEED_SUBSCRIBE_MIN_ANSWER_SECONDS="0", MIAFEED_SUBSCRIBE_NOTICE_INTERVAL_MINUTES="0",
        HOST="127.0.0.1", PORT=str(WEB_PORT), WEB_CONCURRENCY="4",
    )


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _sending(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        return connection.execute("SELECT count(*) FROM outgoing_mail WHERE status = 'sending'").fetchone()[0]


def run(label: str, code: Path, count: int, kill: bool, wait: float, delay: float) -> None:
    smtp = SlowServer(delay)
    controller = Controller(smtp, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="miafeed-reload-") as instance:
            env = _env(code, instance)
            subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade", "heads"], cwd=code, env=env,
                           check=True, capture_output=True)
            subprocess.run([sys.executable, "-c", QUEUE_MAIL.format(count=count)], cwd=code, env=env, check=True)
            server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=code, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                _wait_for(f"http://127.0.0.1:{WEB_PORT}/healthz", server)
                while len(smtp.received) < count // 5:
                    time.sleep(0.05)
                signalled = time.monotonic()
                if kill:
                    victim = _children(server.pid)[0]
                    os.kill(victim, signal.SIGKILL)
                else:
                    os.kill(server.pid, signal.SIGHUP)
                time.sleep(3)
                stuck = _sending(Path(instance) / "miafeed.db")
                while len({address for address, _ in smtp.received}) < count and time.monotonic() - signalled < wait:
                    time.sleep(0.5)
            finally:
                server.terminate()
                server.wait(timeout=60)
    finally:
        controller.stop()
    per_reader = Counter(address for address, _ in smtp.received)
    first_arrival: dict[str, float] = {}
    for address, at in smtp.received:
        first_arrival.setdefault(address, at)
    late = sum(1 for at in first_arrival.values() if at - signalled > LATE_AFTER_SECONDS)
    last = max(first_arrival.values()) - signalled if first_arrival else 0
    event = "SIGKILL to one worker" if kill else "SIGHUP (graceful reload)"
    print(f"{label:<8} {event}: {count} readers, {sum(per_reader.values())} mails received;"
          f" {sum(1 for n in per_reader.values() if n > 1)} readers got theirs twice;"
          f" {stuck} rows 'sending' 3 s after the signal; {late} arrived >{LATE_AFTER_SECONDS} s after it;"
          f" {count - len(per_reader)} still missing after {wait:.0f} s; last first-arrival {last:.1f} s after the signal")


def _wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=400)
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--kill", action="store_true", help="SIGKILL one worker instead of a graceful reload")
    parser.add_argument("--wait", type=float, default=90, help="seconds to wait for the rest of the mail")
    parser.add_argument("--delay", type=float, default=0.04, help="seconds the SMTP server takes per message")
    args = parser.parse_args()
    if args.before:
        run("before", args.before.resolve(), args.readers, args.kill, args.wait, args.delay)
    run("now", ROOT, args.readers, args.kill, args.wait, args.delay)


if __name__ == "__main__":
    main()
