"""Requests per second of this tree's site against another tree's, side by side.

    .venv/bin/python bench/http_compare.py --against /path/to/other/checkout --rounds 3 --duration 3

Both run with the page cache on, each with gunicorn.conf.py from its own
tree, the demo content and 2 workers (WEB_CONCURRENCY to change), on free
loopback ports. wrk loads them in interleaved rounds (this tree, then the
other, the order flipped every round) on the routes that matter for a
change to the serving path: home, an article, a category (page-cache hits)
and the search long tail (misses: rendered every time). Prints the median
requests/s of each and their ratio. A figure, never a pass/fail; use it to
compare a branch with the main it left (a `git worktree add` of main).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_bench import BIN, BROWSER, PORTS, fetch, free_port, gunicorn, long_tail_script, wrk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def prepare(tree: Path, folder: str, port: int) -> dict:
    """An instance with the demo content imported by `tree`'s own code."""
    env = dict(os.environ, MIAFEED_INSTANCE_PATH=folder, MIAFEED_SITE_URL=f"http://127.0.0.1:{port}",
               MIAFEED_ENV="development", MIAFEED_MAIL_BACKGROUND_DELIVERY="false", PYTHONPATH=str(tree),
               WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "2"))
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade", "heads"], ["content", "import", str(tree / "content")], ["search", "reindex"]):
        subprocess.run([*flask, *command], cwd=tree, env=env, check=True, capture_output=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, type=Path, help="the other checkout (its own static/dist built)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--only", nargs="+", default=None, metavar="ROUTE", help="measure only these routes (names as printed)")
    args = parser.parse_args()
    trees = {"this tree": ROOT, "other": args.against.resolve()}
    with tempfile.TemporaryDirectory(prefix="miafeed-compare-") as tmp, ExitStack() as servers:
        bases = {}
        for name, tree in trees.items():
            folder = Path(tmp) / name.replace(" ", "-")
            folder.mkdir()
            PORTS[name] = free_port()
            env = prepare(tree, str(folder), PORTS[name])
            bases[name] = servers.enter_context(gunicorn(name, "wsgi:app", env, "gunicorn.conf.py", "/healthz", tree))
        home = fetch(bases["this tree"] + "/")[0].decode()
        routes = {
            "home": ("/", None),
            "article": (re.search(r'href="(/articles/[^"/]+)"', home).group(1), None),
            "category": (re.search(r'href="(/category/[^"/]+)"', home).group(1), None),
            "search long tail": ("/search", long_tail_script(Path(tmp))),
        }
        if args.only:
            routes = {name: routes[name] for name in args.only}
        for base in bases.values():  # warm up: open databases and searchers, keep each page once
            for path, script in routes.values():
                wrk(base + path, {}, 4 if script else 2, args.connections, script)
        rates: dict[tuple[str, str], list[float]] = {}
        for round_number in range(args.rounds):
            order = list(bases.items()) if round_number % 2 == 0 else list(reversed(bases.items()))
            for route, (path, script) in routes.items():
                for name, base in order:
                    rates.setdefault((route, name), []).append(wrk(base + path, {}, args.duration, args.connections, script)[0])
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    print(f"wrk -t1 -c{args.connections} -d{args.duration}s, {args.rounds} rounds, Accept-Encoding: {BROWSER['Accept-Encoding']}; "
          f"workers: {os.environ.get('WEB_CONCURRENCY', '2')}; other = {trees['other']}")
    print(f"{'route':<20}{'this tree req/s':>17}{'other req/s':>13}{'ratio':>8}")
    for route in routes:
        mine, theirs = (statistics.median(rates[(route, name)]) for name in trees)
        print(f"{route:<20}{mine:>17.0f}{theirs:>13.0f}{mine / theirs:>8.2f}")


if __name__ == "__main__":
    main()
