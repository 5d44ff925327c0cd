"""Requests per second of the site against a hello-world Flask app, side by side.

    make bench-http                     # or: .venv/bin/python bench/http_bench.py --rounds 3 --duration 3

Starts, on three free loopback ports (or `--base-port N`: N, N+1, N+2), three gunicorns with the site's own
gunicorn.conf.py settings: the site with its page cache on, the site with it
off, and a hello-world Flask app (bench/hello_app.py, same settings minus the
site's hooks). Then wrk (Debian's package) loads them in interleaved rounds:
each round measures, for every route, hello world and then the route on
both sites. A route's ratio is its requests/s over the hello-world run just
before it; the table prints the medians over rounds, and the p99 latency.

Requests send `Accept-Encoding: br, gzip` like a browser. "search mix" is a
wrk script cycling through 60 searches a site would see (popular words
repeated, spacing and case variants, some as htmx fragments). "search long
tail" cycles through thousands of distinct searches made from the demo
articles' words (single words, pairs, prefixes as typed, typos, synonyms),
so nearly every request misses the page cache: what a crowd of readers
typing their own words costs. "article 304" revalidates the article with
its ETag. A figure, never a pass/fail.

    .venv/bin/python bench/http_bench.py --base-port 8301 --only "search long tail" "search page"
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Filled in by main(): the machine is shared, so fixed ports may be taken.
PORTS: dict[str, int] = {}
BROWSER = {"Accept-Encoding": "br, gzip"}
SEARCH_WORDS = ["sleep", "stress", "pain", "coffee", "walking", "anxiety", "diet", "heart", "memory", "mindfulness",
                "exercise", "insomnia", "blood pressure", "\"chronic pain\"", "meditation", "nap"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def choose_ports(base: int | None) -> dict[str, int]:
    names = ("cache on", "cache off", "hello")
    if base:
        return {name: base + offset for offset, name in enumerate(names)}
    return {name: free_port() for name in names}


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server for {url} did not start")
            time.sleep(0.2)


@contextmanager
def gunicorn(name: str, app: str, env: dict, config: str, health: str, tree: Path = ROOT):
    """gunicorn serving `app` from `tree` (this checkout unless told) on PORTS[name]."""
    port = PORTS[name]
    env = dict(env, HOST="127.0.0.1", PORT=str(port))
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", config, app], cwd=tree, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}{health}", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def prepare_instance(folder: str) -> dict:
    env = dict(os.environ, MIAFEED_INSTANCE_PATH=folder, MIAFEED_SITE_URL=f"http://127.0.0.1:{PORTS['cache on']}",
               MIAFEED_ENV="development", MIAFEED_MAIL_BACKGROUND_DELIVERY="false")
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade", "heads"], ["content", "import", str(ROOT / "content")], ["search", "reindex"]):
        subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def fetch(url: str, headers: dict | None = None) -> tuple[bytes, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request) as response:
        return response.read(), dict(response.headers)


def routes(base: str) -> dict[str, tuple[str, dict]]:
    """Route name -> (path, extra headers), read from the running site."""
    home = fetch(base + "/")[0].decode()
    article = re.search(r'href="(/articles/[^"/]+)"', home).group(1)
    category = re.search(r'href="(/category/[^"/]+)"', home).group(1)
    css = re.search(r'href="(/static/[^"]+\.css)"', home).group(1)
    etag = fetch(base + article, BROWSER)[1]["ETag"]
    htmx = {"HX-Request": "true"}
    return {
        "home": ("/", {}),
        "article": (article, {}),
        "article 304": (article, {"If-None-Match": etag}),
        "category": (category, {}),
        "search page": ("/search?q=sleep", {}),
        "search fragment": ("/search?q=sleep", htmx),
        "search mix": ("/search", {"__script__": "mix"}),
        "search long tail": ("/search", {"__script__": "long tail"}),
        "related fragment": (article + "/related", htmx),
        "static (hashed css)": (css, {}),
    }


LONG_TAIL_SIZE = 4000
# Reader words the synonym list maps to article words (content/synonyms.yml).
LAY_WORDS = ["heart attack", "high blood pressure", "stroke", "junk food", "lumbago", "physio", "afib",
             "sleeplessness", "weight training", "kids", "elderly", "tiredness", "hypertension", "cardio"]


def long_tail_queries(count: int = LONG_TAIL_SIZE, seed: int = 21) -> list[str]:
    """Distinct searches made from the demo articles' title and tag words: words,
    pairs, prefixes as typed (3 letters on), typos (a letter dropped or
    swapped) and lay words that synonyms widen. Deterministic."""
    words: set[str] = set()
    for path in sorted((ROOT / "content" / "articles").glob("*.md")):
        head = path.read_text(encoding="utf-8").split("\n---", 1)[0]
        for line in head.splitlines():
            if line.startswith(("title:", "tags:")):
                words.update(w.lower() for w in re.findall(r"[A-Za-z]{4,}", line.split(":", 1)[1]))
    vocabulary = sorted(words)
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        kind = rng.random()
        word = rng.choice(vocabulary)
        if kind < 0.3:
            query = word
        elif kind < 0.55:
            query = f"{word} {rng.choice(vocabulary)}"
        elif kind < 0.8:
            query = word[: rng.randint(3, max(3, len(word) - 1))]
        elif kind < 0.95:
            i = rng.randrange(1, len(word) - 1)
            query = word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i - 1] + word[i] + word[i - 1] + word[i + 1 :]
        else:
            query = f"{rng.choice(LAY_WORDS)} {word}"
        found.setdefault(query)
    return list(found)


def long_tail_script(folder: Path) -> Path:
    """A wrk Lua script cycling through the long tail, 40% as htmx fragments."""
    rng = random.Random(7)
    lines = ["local requests = {"]
    for query in long_tail_queries():
        headers = '{["Accept-Encoding"]="br, gzip"' + (', ["HX-Request"]="true"' if rng.random() < 0.4 else "") + "}"
        lines.append(f'  wrk.format("GET", "/search?q={urllib.parse.quote_plus(query)}", {headers}),')
    # Each wrk thread starts at a different place, so runs do not replay one another's requests.
    lines += ["}", "math.randomseed(os.time())", "local i = math.random(#requests)", "request = function()", "  i = i % #requests + 1",
              "  return requests[i]", "end"]
    script = folder / "search_long_tail.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def search_mix_script(folder: Path) -> Path:
    """A wrk Lua script cycling through a fixed, realistic list of searches."""
    rng = random.Random(10)
    requests = []
    for _ in range(60):
        # Popular words come up far more often than rare ones.
        word = SEARCH_WORDS[min(int(rng.expovariate(0.35)), len(SEARCH_WORDS) - 1)]
        variant = rng.choice([word, word, word.capitalize(), f" {word} ", word + "  "])
        query = urllib.parse.quote_plus(variant)
        fragment = rng.random() < 0.4  # live search from the box sends fragments
        path = f"/search?q={query}"
        requests.append((path, fragment))
    lines = ["local requests = {"]
    for path, fragment in requests:
        headers = '{["Accept-Encoding"]="br, gzip"' + (', ["HX-Request"]="true"' if fragment else "") + "}"
        lines.append(f'  wrk.format("GET", "{path}", {headers}),')
    lines += ["}", "local i = 0", "request = function()", "  i = i % #requests + 1", "  return requests[i]", "end"]
    script = folder / "search_mix.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


LATENCY = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def wrk(url: str, headers: dict, duration: int, connections: int, script: Path | None = None) -> tuple[float, float]:
    """(requests per second, p99 latency in ms) of one bounded wrk run."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for name, value in {**BROWSER, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, timeout=duration + 30).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        print(f"  warning: {errors.group(1)} error responses from {url}", file=sys.stderr)
    value, unit = LATENCY.search(output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rate, p99


def in_process_costs(env: dict) -> list[str]:
    """What a render, a cache hit, a 304 and Brotli cost inside one process (median ms)."""
    code = r"""
import os, statistics, time, brotli
from miafeed import create_app
app = create_app()
client = app.test_client()
article = client.get("/").get_data(as_text=True).split('href="/articles/', 1)[1].split('"', 1)[0]
url = "/articles/" + article
def median_ms(call, n=300):
    samples = []
    for _ in range(n):
        start = time.perf_counter(); call(); samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
br = {"Accept-Encoding": "br"}
etag = client.get(url, headers=br).headers["ETag"]
hit = median_ms(lambda: client.get(url, headers=br))
revalidate = median_ms(lambda: client.get(url, headers={**br, "If-None-Match": etag}))
app.config["PAGE_CACHE_ENABLED"] = False
render = median_ms(lambda: client.get(url, headers=br))
render_plain = median_ms(lambda: client.get(url))
render_304 = median_ms(lambda: client.get(url, headers={**br, "If-None-Match": etag}))
home = median_ms(lambda: client.get("/", headers=br))
body = client.get(url).data
compress = median_ms(lambda: brotli.compress(body, quality=5))
print(f"article render + Brotli (cache off): {render:.2f} ms; render without compression: {render_plain:.2f} ms; home render + Brotli: {home:.2f} ms")
print(f"Brotli (level 5) of the article's {len(body)} bytes alone: {compress:.2f} ms")
print(f"page-cache hit (compressed copy kept): {hit:.2f} ms")
print(f"304 from the page cache (decided before rendering): {revalidate:.2f} ms = {revalidate / render:.2f} of a render")
print(f"304 with the cache off (rendered, then compared): {render_304:.2f} ms")
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode:
        return ["in-process figures failed: " + result.stderr.strip().splitlines()[-1]]
    return result.stdout.strip().splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--base-port", type=int, default=None, help="use N, N+1, N+2 instead of free ports")
    parser.add_argument("--only", nargs="+", default=None, metavar="ROUTE", help="measure only these routes (names as printed)")
    args = parser.parse_args()
    PORTS.update(choose_ports(args.base_port))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    with tempfile.TemporaryDirectory(prefix="miafeed-http-bench-") as tmp, ExitStack() as servers:
        env = prepare_instance(tmp)
        scripts = {"mix": search_mix_script(Path(tmp)), "long tail": long_tail_script(Path(tmp))}
        hello = servers.enter_context(gunicorn("hello", "bench.hello_app:app", env, "bench/hello_gunicorn_conf.py", "/"))
        sites = {
            "cache on": servers.enter_context(gunicorn("cache on", "wsgi:app", env, "gunicorn.conf.py", "/healthz")),
            "cache off": servers.enter_context(
                gunicorn("cache off", "wsgi:app", dict(env, MIAFEED_PAGE_CACHE_ENABLED="false"), "gunicorn.conf.py", "/healthz")
            ),
        }
        paths = routes(sites["cache on"])
        if args.only:
            unknown = set(args.only) - set(paths)
            if unknown:
                raise SystemExit(f"unknown route(s) {', '.join(sorted(unknown))}; routes: {', '.join(paths)}")
            paths = {name: paths[name] for name in args.only}
        print(f"workers: {os.environ.get('WEB_CONCURRENCY', 'gunicorn.conf.py default')}; wrk -t1 -c{args.connections} "
              f"-d{args.duration}s; {args.rounds} rounds; cores: {os.cpu_count()}", flush=True)
        # Warm up: every worker opens its database and searcher, and (cache
        # on) keeps each page once; the search mix has 60 searches to keep.
        for mode, base in sites.items():
            for path, headers in paths.values():
                mix = scripts.get(headers.get("__script__"))
                wrk(base + path, {k: v for k, v in headers.items() if k != "__script__"}, 8 if mix else 2,
                    args.connections, mix)

        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        hello_rates = []
        for round_number in range(args.rounds):
            order = list(paths.items())
            if round_number % 2:
                order.reverse()
            for name, (path, headers) in order:
                # Hello world right before the route's two runs: the machine
                # is shared, so only figures taken side by side compare.
                hello_rate = wrk(hello + "/", {}, args.duration, args.connections)[0]
                hello_rates.append(hello_rate)
                plain = {k: v for k, v in headers.items() if k != "__script__"}
                mix = scripts.get(headers.get("__script__"))
                for mode, base in sites.items():
                    if mix and name == "search mix":  # steady state: the popular searches were asked a moment ago
                        wrk(base + path, plain, args.duration, args.connections, mix)
                    rate, p99 = wrk(base + path, plain, args.duration, args.connections, mix)
                    results.setdefault((name, mode), []).append((rate, p99, rate / hello_rate))
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr, flush=True)

        print(f"\nhello world: {statistics.median(hello_rates):.0f} req/s (median of all its runs; min {min(hello_rates):.0f}, max {max(hello_rates):.0f})\n")
        header = f"{'route':<22}{'cache on req/s':>15}{'p99 ms':>9}{'x hello':>9}{'cache off req/s':>17}{'p99 ms':>9}{'x hello':>9}"
        print(header)
        print("-" * len(header))
        for name in paths:
            cells = []
            for mode in sites:
                runs = results[(name, mode)]
                cells.append(f"{statistics.median(r[0] for r in runs):>{15 if mode == 'cache on' else 17}.0f}"
                             f"{statistics.median(r[1] for r in runs):>9.1f}{statistics.median(r[2] for r in runs):>9.2f}")
            print(f"{name:<22}{''.join(cells)}")
        print("\nIn process (median of 300, one worker, Accept-Encoding: br):")
        for line in in_process_costs(env):
            print("  " + line)


if __name__ == "__main__":
    main()
