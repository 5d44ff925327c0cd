"""The code's version: on /healthz, from `flask version`, and per host in `flask stats`."""
from __future__ import annotations

from datetime import timedelta
from importlib import metadata

from miafeed import hosts
from miafeed.extensions import db
from miafeed.clock import utcnow
from miafeed.models import HostSeen
from miafeed.search import follow
from miafeed.version import code_version, git_commit

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_healthz_carries_the_package_version_and_commit(client):
    body = client.get("/healthz").get_json()
    assert body["version"] == code_version()
    assert body["version"].startswith(metadata.version("miafeed"))


def test_flask_version_prints_the_same_version(runner):
    result = runner.invoke(args=["version"])
    assert result.exit_code == 0
    assert result.output.strip() == code_version()


def test_the_commit_is_read_from_a_checkout_a_worktree_and_packed_refs(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / ".git" / "refs" / "heads").mkdir(parents=True)
    (checkout / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (checkout / ".git" / "refs" / "heads" / "main").write_text(COMMIT + "\n")
    assert git_commit(checkout) == COMMIT

    # A worktree: .git is a file naming its git directory, whose branches
    # live in the common directory, here packed.
    worktree = tmp_path / "worktree"
    worktree.mkdir()
    private = checkout / ".git" / "worktrees" / "wt"
    private.mkdir(parents=True)
    (worktree / ".git").write_text(f"gitdir: {private}\n")
    (private / "HEAD").write_text("ref: refs/heads/topic\n")
    (private / "commondir").write_text("../..\n")
    (checkout / ".git" / "packed-refs").write_text(f"# pack-refs with: peeled\n{COMMIT[::-1]} refs/heads/topic\n")
    assert git_commit(worktree) == COMMIT[::-1]

    # A release made with `git archive` has no .git at all.
    assert git_commit(tmp_path / "release") is None


def test_stats_lists_each_host_and_warns_when_versions_differ(app, runner):
    with app.app_context():
        hosts.heartbeat(force=True)
        db.session.add(HostSeen(name="host-b", version="0.0.9+gdeadbeef0000", seen_at=utcnow()))
        db.session.add(HostSeen(name="old-host", version="0.0.1", seen_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    output = runner.invoke(args=["stats"]).output
    assert hosts.host_name(app) in output and code_version() in output
    assert "host-b" in output and "0.0.9+gdeadbeef0000" in output
    assert "silent since" in output
    assert "Warning: hosts run 2 different versions" in output


def test_the_search_follower_records_this_hosts_version(app):
    with app.app_context():
        hosts._last_beat = 0.0
        follow.catch_up()
        row = db.session.get(HostSeen, hosts.host_name())
        assert row.version == code_version()


def test_healthz_answers_503_when_the_files_on_disk_name_another_version(client, tmp_path, monkeypatch):
    # A release folder says its version in VERSION (deploy/site writes it);
    # a checkout changed in place under running workers says another.
    from miafeed import version

    (tmp_path / "VERSION").write_text("1.0+gaaaaaaaaaaaa\n")
    monkeypatch.setattr(version, "PROJECT_ROOT", tmp_path)
    version.code_version.cache_clear()
    try:
        assert version.code_version() == "1.0+gaaaaaaaaaaaa"
        response = client.get("/healthz")
        assert response.get_json()["checks"]["code"]["status"] == "ok"
        (tmp_path / "VERSION").write_text("1.0+gbbbbbbbbbbbb\n")
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["version"] == "1.0+gaaaaaaaaaaaa"
        assert body["checks"]["code"] == {"status": "stale", "version": "1.0+gaaaaaaaaaaaa",
                                          "on_disk": "1.0+gbbbbbbbbbbbb"}
    finally:
        version.code_version.cache_clear()
