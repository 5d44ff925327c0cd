"""Long-tail search load against a real gunicorn, watching for crashed workers.

Builds QUERIES distinct queries from the demo articles' own words (single
words, pairs, prefixes a reader is still typing, one-letter typos), half of
them asked as htmx fragments (HX-Request), writes a wrk Lua script that
cycles through them, and runs ROUNDS rounds of `wrk -t2 -c16` against a
gunicorn with the project's gunicorn.conf.py (5 workers x 8 threads by
default) on a free loopback port. Then prints, per round, requests, errors
and what gunicorn's log says about crashes ("was sent SIGSEGV", faulthandler's
"Fatal Python error" with every thread's stack). Figures; exits 0.

    .venv/bin/python bench/search_crash.py                   # 3 rounds of 12 s
    .venv/bin/python bench/search_crash.py --rounds 6 --log /tmp/crash.log
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CRASH_SIGNS = ("was sent SIGSEGV", "was sent SIGBUS", "was sent SIGABRT", "Fatal Python error", "Segmentation fault")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _vocabulary() -> list[str]:
    words: set[str] = set()
    for path in (ROOT / "content" / "articles").glob("*.md"):
        words.update(word.lower() for word in re.findall(r"[A-Za-z]{3,}", path.read_text()))
    return sorted(words)


def _typo(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word))
    kind = rng.randrange(3)
    if kind == 0:
        return word[:at] + word[at + 1:]  # a letter left out
    if kind == 1:
        return word[:at] + rng.choice("aeioustrn") + word[at:]  # one too many
    return word[:at - 1] + word[at] + word[at - 1] + word[at + 1:] if at < len(word) else word + "e"  # swapped


def queries(count: int, seed: int = 18) -> list[str]:
    """`count` distinct queries: words, pairs, prefixes, typos."""
    rng = random.Random(seed)
    vocabulary = _vocabulary()
    made: set[str] = set()
    while len(made) < count:
        word = rng.choice(vocabulary)
        kind = rng.randrange(4)
        if kind == 0:
            made.add(word)
        elif kind == 1:
            made.add(f"{word} {rng.choice(vocabulary)}")
        elif kind == 2:
            made.add(word[: rng.randrange(2, max(3, len(word)))])
        else:
            made.add(_typo(word, rng))
    return sorted(made, key=lambda _: rng.random())


def lua_script(paths: list[tuple[str, bool]]) -> str:
    """A wrk script that asks for each path in turn, fragment or page."""
    rows = ",\n".join(f'  {{"{path}", {"true" if fragment else "false"}}}' for path, fragment in paths)
    return f"""
local paths = {{
{rows}
}}
local counter = 0
request = function()
  counter = counter + 1
  local entry = paths[(counter % #paths) + 1]
  local headers = {{}}
  if entry[2] then headers["HX-Request"] = "true" end
  return wrk.format("GET", entry[1], headers)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    parser.add_argument("--log", type=Path, help="keep gunicorn's log here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed")
    port = args.port or _free_port()
    paths = [(f"/search?q={urllib.parse.quote_plus(text)}", number % 2 == 1)
             for number, text in enumerate(queries(args.queries))]
    with tempfile.TemporaryDirectory(prefix="miafeed-crash-") as instance:
        env = dict(os.environ, MIAFEED_INSTANCE_PATH=instance, HOST="127.0.0.1", PORT=str(port),
                   WEB_CONCURRENCY=str(args.workers), GUNICORN_THREADS=str(args.threads),
                   MIAFEED_SITE_URL=f"http://127.0.0.1:{port}", MIAFEED_RATELIMIT_ENABLED="false",
                   MIAFEED_MAIL_BACKGROUND_DELIVERY="false")
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        for command in (["db", "upgrade", "heads"], ["content", "import", str(ROOT / "content")],
                        ["search", "reindex"]):
            subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)
        script = Path(instance) / "longtail.lua"
        script.write_text(lua_script(paths))
        log_path = Path(instance) / "gunicorn.log"
        with log_path.open("w") as log:
            server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                                      env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
                    time.sleep(0.3)
            print(f"{len(paths)} distinct searches (half as fragments), {args.workers} workers x {args.threads}"
                  f" threads, wrk -t2 -c{args.connections} -d{args.seconds}s")
            for number in range(1, args.rounds + 1):
                before = log_path.read_text()
                result = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout",
                                         "10s", "-s", str(script), f"http://127.0.0.1:{port}"],
                                        capture_output=True, text=True, timeout=args.seconds + 60)
                after = log_path.read_text()[len(before):]
                requests = re.search(r"(\d+) requests in", result.stdout)
                errors = re.search(r"Socket errors: (.*)", result.stdout)
                non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
                crashes = {sign: after.count(sign) for sign in CRASH_SIGNS if sign in after}
                print(f"  round {number}: {requests.group(1) if requests else '?'} requests,"
                      f" socket errors: {errors.group(1) if errors else 'none'},"
                      f" non-2xx: {non2xx.group(1) if non2xx else 0}, crashes: {crashes or 'none'}")
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
            if args.log:
                shutil.copy(log_path, args.log)


if __name__ == "__main__":
    main()
