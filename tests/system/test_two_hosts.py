"""Two app hosts, one PostgreSQL, one Redis: the site as it runs when it outgrows one host.

Two real gunicorn servers on loopback, each with its own instance folder
(its own search index), share the database and the rate-limit counts. An
article imported through host A's CLI is found through host B's /search a
few seconds later; the sign-up limit counts requests to both; /healthz on
both reports the index lag. The measured figures are printed and written to
test-output/two-hosts.json.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from database_support import database_uri_for
from hosts_support import ROOT, Host, running
from processes import wait_until

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
LIMIT = 5
ATTEMPTS = 14


def test_two_hosts_share_database_search_log_and_rate_limit(tmp_path, content, redis_server):
    database = database_uri_for(tmp_path / "shared", empty=True)
    settings = {
        "SQLALCHEMY_DATABASE_URI": database,
        "RATELIMIT_STORAGE_URI": redis_server.url,
        "SUBSCRIBE_RATE_LIMIT": f"{LIMIT} per minute",
        "SUBSCRIBE_MIN_ANSWER_SECONDS": "0",
        "MAIL_BACKGROUND_DELIVERY": "false",
        # Form posts from a script, not a page: no session token to send.
        "WTF_CSRF_ENABLED": "false",
    }
    a = Host("a", tmp_path / "host-a", settings)
    b = Host("b", tmp_path / "host-b", settings)
    a.flask("db", "upgrade", "heads")  # the migrations build the schema on empty PostgreSQL
    content.write("naps", slug="naps", title="Afternoon naps and memory", body="A nap after learning helps recall.")
    a.flask("content", "import", str(content.root))

    logs = OUTPUT / "two-hosts"
    with running(a, log_dir=logs), running(b, log_dir=logs):
        # B started with an empty instance folder: it builds its index from the database.
        wait_until(lambda: b.get("/healthz")[0] == 200, 30, f"host B healthy: {b.get('/healthz')}")
        page = b.get("/search?q=recall")[1]  # a body word: the title is shown unhighlighted
        (logs / "b-search.html").write_text(page)
        assert "Afternoon naps and memory" in page

        content.write("coffee", slug="late-coffee", title="Late coffee and deep sleep",
                      body="Caffeine taken after noon shortened deep sleep in a small trial of zebrafishlike sleepers.")
        started = time.monotonic()
        a.flask("content", "import", str(content.root))
        imported = time.monotonic()
        wait_until(lambda: "Late coffee and deep sleep" in b.get("/search?q=zebrafishlike")[1], 30,
                   "host B finds the article imported on host A")
        hit, hit_wall = time.monotonic(), datetime.now(timezone.utc).replace(tzinfo=None)

        statuses = [(host.name, host.sign_up(f"reader{n}@example.org")) for n, host in
                    enumerate([a, b] * (ATTEMPTS // 2))]
        health = {host.name: host.get("/healthz") for host in (a, b)}

    accepted = Counter(name for name, status in statuses if status == 200)
    refused = Counter(name for name, status in statuses if status == 429)
    assert sum(accepted.values()) == LIMIT and sum(refused.values()) == ATTEMPTS - LIMIT, statuses
    assert set(accepted) == {"a", "b"}
    for name, (status, body) in health.items():
        lag = json.loads(body)["checks"]["search_lag"]
        assert status == 200, (name, body)
        assert lag["status"] == "ok" and lag["changes_behind"] == 0 and lag["position"] >= 2, (name, lag)

    # The change row is written just before the import commits: from there
    # to B's hit is how long a reader on B waits for A's article.
    engine = create_engine(database, poolclass=NullPool)
    with engine.connect() as connection:
        logged_at = connection.execute(text("SELECT max(changed_at) FROM search_changes")).scalar()
    engine.dispose()
    figures = {
        "import_commit_to_host_b_hit_seconds": round((hit_wall - logged_at).total_seconds(), 2),
        "import_command_seconds": round(imported - started, 2),
        "import_done_to_host_b_hit_seconds": round(hit - imported, 2),
        "import_start_to_host_b_hit_seconds": round(hit - started, 2),
        "sign_ups_accepted": dict(accepted),
        "sign_ups_refused_429": dict(refused),
        "limit_per_minute": LIMIT,
        "healthz_search_lag": {name: json.loads(body)["checks"]["search_lag"] for name, (_, body) in health.items()},
    }
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "two-hosts.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("\n" + json.dumps(figures, indent=2))


def previous_release(into: Path) -> Path:
    """The code as it was before the newest migration was added: `git
    archive` of the parent of the commit that added it, with its static
    files built. Skips when this is not a git checkout, or the newest
    migration is not committed yet."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, timeout=60)

    if shutil.which("git") is None or git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout: there is no previous commit to run")
    newest = sorted((ROOT / "miafeed" / "migrations" / "versions").glob("0*.py"))[-1].relative_to(ROOT)
    added = git("log", "--diff-filter=A", "--format=%H", "-1", "--", str(newest)).stdout.decode().strip()
    if not added:
        pytest.skip(f"{newest} is not committed yet")
    archive = git("archive", "--format=tar", f"{added}^")
    if archive.returncode != 0:  # a shallow clone has no parent to archive
        pytest.skip(f"cannot archive the commit before {added[:12]}: {archive.stderr.decode().strip()}")
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True, timeout=60)
    shutil.copytree(ROOT / "static" / "vendor", into / "static" / "vendor")  # htmx, fetched by npm at set-up
    subprocess.run([sys.executable, "-m", "miafeed.http.assets", "static"], cwd=into, check=True, capture_output=True,
                   env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(into)}, timeout=120)
    return into


def _write_picture(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.new("RGB", (1600, 900), (40, 80, 160))
    picture.paste((250, 220, 120), (800, 0, 1600, 450))
    picture.save(path, "PNG")


def _skip_unless_the_environment_runs(host: Host) -> None:
    """The old release runs in this checkout's virtualenv. A release that
    dropped a dependency (this one removed Flask-Compress) leaves the previous
    code unable to start here; that says nothing about the rolling deploy
    (an operator's old hosts keep their own environment), so the test says
    so and stops instead of failing."""
    started = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=host.root, env=host.env(),
                             capture_output=True, text=True, timeout=120)
    missing = re.search(r"ModuleNotFoundError: No module named '([^']+)'", started.stderr)
    if started.returncode != 0 and missing:
        pytest.skip(f"the previous release needs {missing.group(1)!r}, which this release's environment no longer installs")


def test_a_host_on_the_previous_release_keeps_serving_after_this_releases_migration(tmp_path, content):
    """The rolling deploy's first step: the new release's migrations run while
    every host still runs the old code. The old host keeps serving and
    importing; then a new host, started from an empty instance folder,
    serves everything, images included."""
    old_code = previous_release(tmp_path / "previous-release")
    database = database_uri_for(tmp_path / "shared", empty=True)
    settings = {"SQLALCHEMY_DATABASE_URI": database, "MAIL_BACKGROUND_DELIVERY": "false"}
    old = Host("old", tmp_path / "host-old", settings, root=old_code)
    new = Host("new", tmp_path / "host-new", settings)

    _skip_unless_the_environment_runs(old)
    old.flask("db", "upgrade", "heads")
    _write_picture(content.root / "images" / "moon.png")
    content.write("moon", slug="moonlight", title="Moonlight and sleep", image="../images/moon.png",
                  image_alt='"A crescent moon"', body="Moonlit rooms delayed sleep onset.")
    old.flask("content", "import", str(content.root))

    logs = OUTPUT / "rolling-deploy"
    with running(old, log_dir=logs):
        wait_until(lambda: old.get("/healthz")[0] == 200, 30, f"the old host healthy: {old.get('/healthz')}")
        # It really is the old code: a git archive, so no commit in its
        # version (older releases had no version at all), unlike this checkout.
        assert "+g" not in json.loads(old.get("/healthz")[1]).get("version", "")

        new.flask("db", "upgrade", "heads")  # this release's migration, under the running old host

        assert "Moonlight and sleep" in old.get("/")[1]
        assert old.get("/articles/moonlight")[0] == 200
        wait_until(lambda: "Moonlight and sleep" in old.get("/search?q=moonlit")[1], 30, "the old host finds the new article")
        assert old.get("/healthz")[0] == 200
        # The old code still imports into the migrated database.
        content.write("naps", slug="naps", title="Afternoon naps and memory", body="A nap after learning helps recall.")
        old.flask("content", "import", str(content.root))
        wait_until(lambda: "Afternoon naps and memory" in old.get("/search?q=recall")[1], 30, "the old host finds the imported article")

        # The new release's first import, from its own copy of the same tree:
        # nothing changed, and the pictures' originals are now in the database.
        own_copy = tmp_path / "host-new-checkout" / "content"
        shutil.copytree(content.root, own_copy)
        result = new.flask("content", "import", str(own_copy))
        assert "0 added, 0 updated, 0 removed, 2 unchanged" in result.stdout, result.stdout

        with running(new, log_dir=logs):
            wait_until(lambda: new.get("/healthz")[0] == 200, 30, f"the new host healthy: {new.get('/healthz')}")
            version = json.loads(new.get("/healthz")[1])["version"]
            # The new host's follower has said which code it runs; the old code says nothing.
            heard = re.compile(rf"^  \S+\s+{re.escape(version)}\s+\d+ s ago$", re.M)
            wait_until(lambda: heard.search(new.flask("stats").stdout), 30, "flask stats lists the new host", step=1)
            page = new.get("/articles/moonlight")[1]
            names = sorted(set(re.findall(r"/images/([0-9a-f]{20}-[a-z0-9]+\.(?:webp|jpg))", page)))
            assert len(names) == 7
            # The import made them here; a host that did not run it has none.
            shutil.rmtree(new.instance / "images")
            for name in names:
                assert new.status(f"/images/{name}") == 200, name
            assert "Afternoon naps and memory" in new.get("/search?q=recall")[1]
            # ...and the old host still serves beside it.
            assert old.get("/articles/naps")[0] == 200
