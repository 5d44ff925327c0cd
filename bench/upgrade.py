"""An upgrade under load: failed requests and the slowest, the old way and the new.

Six readers read the home page, a category, a search and release A's
hashed stylesheet, one request after another, while the site moves from
release A to release B (B changes the footer template and the stylesheet).

    .venv/bin/python bench/upgrade.py            # deploy/site: install A, start, upgrade to B (as root)
    .venv/bin/python bench/upgrade.py --before f0a72ef
        # the way docs/operations.md described before deploy/site: a checkout
        # at that commit served by gunicorn, `git checkout` of B in place,
        # the static files rebuilt, then `kill -HUP` to the master

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "system")]

from processes import answers, free_port, wait_until  # noqa: E402
from site_releases import (GIT, Readers, commit, edit, fetch, make_source, site, site_folder,  # noqa: E402
                           stylesheet_of, write_settings)

FOOTER = "templates/partials/_footer.html"
STYLESHEET = "static/css/site.css"
SETTLE_SECONDS = 5


def release_b(source: Path) -> str:
    edit(source / FOOTER, "<footer class=\"site-footer\">", "<footer class=\"site-footer\"><p>Release B</p>")
    edit(source / STYLESHEET, "", "/* release B */\n")
    return commit(source, "release B", "b")


def report(label: str, readers: Readers, seconds: float) -> None:
    kinds: dict[str, int] = {}
    for failure in readers.failures:
        kinds[failure] = kinds.get(failure, 0) + 1
    print(f"{label}: {readers.requests} requests in {seconds:.1f} s, {len(readers.failures)} failed, "
          f"slowest {readers.slowest:.2f} s")
    for failure, count in sorted(kinds.items(), key=lambda item: -item[1])[:6]:
        print(f"    {count:>5} x {failure}")


def after() -> None:
    folder = site_folder()
    try:
        source = make_source(folder)
        commit(source, "release A", "a")
        release_b(source)
        root, port = folder / "root", free_port()
        shutil.copytree(source / "content", folder / "content")
        write_settings(root, port, folder / "content")
        base = f"http://127.0.0.1:{port}"
        for command in (("install", str(root), "--from", str(source), "--ref", "a"), ("start", str(root))):
            done = site(*command)
            if done.returncode:
                raise SystemExit(done.stdout + done.stderr)
        paths = ["/", "/category/sleep", "/search?q=sleep", stylesheet_of(fetch(base + "/")[1])]
        started = time.monotonic()
        with Readers(base, paths) as readers:
            time.sleep(SETTLE_SECONDS)
            upgraded = site("upgrade", str(root), "--ref", "b")
            time.sleep(SETTLE_SECONDS)
        print(upgraded.stdout + upgraded.stderr, end="")
        report("deploy/site upgrade (USR2 hand-over)", readers, time.monotonic() - started)
        site("stop", str(root))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def before(commit_a: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="miafeed-upgrade-before-"))
    checkout = folder / "checkout"
    server = None
    try:
        subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(checkout)], check=True)
        subprocess.run(["git", "checkout", "--quiet", "-B", "main", commit_a], cwd=checkout, check=True)
        release_b(checkout)
        subprocess.run(["git", "checkout", "--quiet", "main~1"], cwd=checkout, check=True)
        bin_dir = Path(sys.executable).parent
        env = dict(os.environ, MIAFEED_INSTANCE_PATH=str(folder / "instance"), PORT=str(free_port()),
                   WEB_CONCURRENCY="2", GUNICORN_THREADS="4", MIAFEED_MAIL_BACKGROUND_DELIVERY="false",
                   PYTHONPATH=str(checkout))
        flask = [str(bin_dir / "python"), "-m", "flask", "--app", "wsgi"]
        build_static = [str(bin_dir / "python"), "-m", "miafeed.http.assets", "static"]
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=checkout, check=True)
        (checkout / "static/vendor").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(checkout / "node_modules/htmx.org/dist/htmx.min.js", checkout / "static/vendor/htmx.min.js")
        for command in (build_static, [*flask, "db", "upgrade", "heads"], [*flask, "content", "import"],
                        [*flask, "search", "ensure"]):
            subprocess.run(command, cwd=checkout, env=env, check=True, capture_output=True)
        base = f"http://127.0.0.1:{env['PORT']}"
        log = open(folder / "gunicorn.log", "w")
        server = subprocess.Popen([str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=checkout,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: answers(base + "/healthz"), 60, "gunicorn", process=server)
        paths = ["/", "/category/sleep", "/search?q=sleep", stylesheet_of(fetch(base + "/")[1])]
        started = time.monotonic()
        with Readers(base, paths) as readers:
            time.sleep(SETTLE_SECONDS)
            # The old documented upgrade: pull in place, rebuild, HUP.
            subprocess.run([*GIT, "checkout", "--quiet", "main"], cwd=checkout, check=True)
            subprocess.run(build_static, cwd=checkout, env=env, check=True, capture_output=True)
            subprocess.run([*flask, "db", "upgrade", "heads"], cwd=checkout, env=env, check=True, capture_output=True)
            server.send_signal(signal.SIGHUP)
            time.sleep(SETTLE_SECONDS * 2)
        report(f"in place at {commit_a[:12]}: git checkout + make assets + kill -HUP", readers,
               time.monotonic() - started)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="COMMIT", help="measure the in-place upgrade of this commit instead")
    args = parser.parse_args()
    if args.before:
        before(args.before)
    else:
        if os.geteuid() != 0:
            raise SystemExit("deploy/site runs as root")
        after()


if __name__ == "__main__":
    main()
