"""deploy/site as an operator uses it (real git, gunicorn as a daemon, the
service user), while six readers read pages, a search and release A's
hashed stylesheet the whole time:

install A, start; upgrade to B (a changed footer and stylesheet); roll back
to A; try C, whose wsgi.py raises at import, and E, which starts but whose
/healthz answers 503 (both refused, the site stays on A); upgrade to D,
whose module layout differs (the worker class and the master hooks
gunicorn.conf.py names have moved).

Runs as root (it creates the service user and builds root-owned releases),
as CI does. The slowest request is printed; bench/upgrade.py measures.
"""
from __future__ import annotations

import json
import os
import shutil

import pytest

from processes import free_port
from site_releases import (Readers, commit, edit, fetch, make_source, site, site_folder, start_from,
                           stylesheet_of, write_settings)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="deploy/site runs as root (it creates the service user)"),
    pytest.mark.skipif(shutil.which("git") is None or shutil.which("npm") is None, reason="needs git and npm"),
]

FOOTER = "templates/partials/_footer.html"
STYLESHEET = "static/css/site.css"


@pytest.fixture
def folder():
    path = site_folder()
    yield path
    root = path / "root"
    if (root / "run" / "gunicorn.pid").exists():
        site("stop", str(root))
    shutil.rmtree(path, ignore_errors=True)


def version_of(base: str) -> str:
    status, body = fetch(base + "/healthz")
    return json.loads(body)["version"] if status == 200 else f"healthz {status}"


def test_install_upgrade_rollback_and_a_broken_release_under_readers(folder):
    source = make_source(folder)
    release_a = commit(source, "A as tagged", "a")
    edit(source / FOOTER, "<footer class=\"site-footer\">", "<footer class=\"site-footer\"><p>Release B</p>")
    edit(source / STYLESHEET, "", "/* release B */\n")
    release_b = commit(source, "release B: footer and stylesheet", "b")
    start_from(source, release_a)
    (source / "wsgi.py").write_text("raise RuntimeError('release C cannot start')\n")
    release_c = commit(source, "release C: cannot start", "c")
    start_from(source, release_a)
    (source / "miafeed" / "serving" / "workers").mkdir()
    shutil.move(source / "miafeed/serving/header_wait.py", source / "miafeed/serving/workers/threaded.py")
    (source / "miafeed/serving/workers/__init__.py").write_text('"""Worker classes."""\n')
    shutil.move(source / "miafeed/serving/master_hooks.py", source / "miafeed/serving/master.py")
    edit(source / "gunicorn.conf.py", "miafeed.serving.header_wait.HeaderCompleteThreadWorker",
         "miafeed.serving.workers.threaded.HeaderCompleteThreadWorker")
    edit(source / "gunicorn.conf.py", '"miafeed.serving.master_hooks"', '"miafeed.serving.master"')
    release_d = commit(source, "release D: modules moved", "d")
    start_from(source, release_a)
    edit(source / "miafeed/version.py", "    if on_disk == loaded:\n", "    if False:  # release E: never healthy\n")
    release_e = commit(source, "release E: starts, but /healthz answers 503", "e")

    root = folder / "root"
    port = free_port()
    content = folder / "content"
    shutil.copytree(source / "content", content)
    content.chmod(0o755)
    write_settings(root, port, content)
    base = f"http://127.0.0.1:{port}"

    installed = site("install", str(root), "--from", str(source), "--ref", release_a)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    started = site("start", str(root))
    assert started.returncode == 0, started.stdout + started.stderr
    assert version_of(base).endswith(release_a[:12])
    status, home = fetch(base + "/")
    assert status == 200 and "Release B" not in home
    stylesheet_a = stylesheet_of(home)

    with Readers(base, ["/", "/search?q=sleep", stylesheet_a, "/category/sleep"]) as readers:
        upgraded = site("upgrade", str(root), "--ref", release_b)
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
        assert version_of(base).endswith(release_b[:12])
        status, home_b = fetch(base + "/")
        assert "Release B" in home_b and stylesheet_of(home_b) != stylesheet_a
        assert fetch(base + stylesheet_a)[0] == 200, "A's stylesheet must outlive the upgrade"

        rolled_back = site("rollback", str(root))
        assert rolled_back.returncode == 0, rolled_back.stdout + rolled_back.stderr
        assert version_of(base).endswith(release_a[:12])
        assert "Release B" not in fetch(base + "/")[1]

        refused = site("upgrade", str(root), "--ref", release_c)
        assert refused.returncode != 0
        assert "rolled back" in refused.stderr, refused.stdout + refused.stderr
        assert version_of(base).endswith(release_a[:12])
        assert (root / "current").resolve().name == release_a

        unhealthy = site("upgrade", str(root), "--ref", release_e, "--wait", "15")
        assert unhealthy.returncode != 0
        assert "/healthz did not answer 200" in unhealthy.stderr and "rolled back" in unhealthy.stderr, \
            unhealthy.stdout + unhealthy.stderr
        assert version_of(base).endswith(release_a[:12])

        # The current release's flask, as the service user with the settings.
        stats = site("flask", str(root), "stats")
        assert stats.returncode == 0 and "Articles" in stats.stdout, stats.stdout + stats.stderr
        moved = site("upgrade", str(root), "--ref", release_d)
        assert moved.returncode == 0, moved.stdout + moved.stderr
        assert version_of(base).endswith(release_d[:12])
    print(f"\n{readers.requests} requests, slowest {readers.slowest:.2f} s ({readers.slowest_path}), "
          f"{len(readers.failures)} failed")
    print(upgraded.stdout, refused.stdout, refused.stderr, sep="\n")
    assert readers.failures == []
    # The bound for the hand-over: no reader waits more than 3 s.
    assert readers.slowest < 3.0
    # The serving master's control socket (gunicornc) survived the upgrades.
    master = (root / "run" / "gunicorn.pid").read_text().strip()
    assert (root / "shared" / "instance" / f"gunicorn.{master}.ctl").is_socket()
    status_line = site("status", str(root))
    assert status_line.returncode == 0 and release_d[:12] in status_line.stdout
    # The site's own INFO lines reach the operator's log, beside gunicorn's.
    log = (root / "log" / "gunicorn.log").read_text()
    assert f"ready: version 0.1.0+g{release_d[:12]}" in log
    assert "release C cannot start" in log
    # Data outside the releases, the service user's alone; releases are root's.
    assert (root / "shared" / "instance").stat().st_mode & 0o777 == 0o700
    assert (root / "shared" / "instance" / "miafeed.db").stat().st_mode & 0o777 == 0o600
    assert (root / "releases" / release_d).stat().st_uid == 0

