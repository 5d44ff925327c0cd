"""`flask backup` and `flask restore` on PostgreSQL: the commands run pg_dump
and pg_restore against the suite's throwaway cluster, the dump is owner-only
and rotated like the SQLite copies, and a restore brings back what the
backup held."""
from __future__ import annotations

import socket
import stat
import subprocess
from pathlib import Path

import pytest

from miafeed.extensions import db
from miafeed.newsletter.models import Subscriber

pytestmark = pytest.mark.postgres_only


def _add_subscriber(app, email: str) -> None:
    with app.app_context():
        db.session.add(Subscriber(email=email, frequency="weekly", status="active"))
        db.session.commit()


def _emails(app) -> set[str]:
    with app.app_context():
        found = set(db.session.scalars(db.select(Subscriber.email)))
        db.session.rollback()
        return found


def _backups(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.suffix == ".dump")


def test_backup_dumps_the_database_owner_only_and_keeps_the_newest_n(app, runner, tmp_path, clock):
    _add_subscriber(app, "reader@example.org")
    folder = tmp_path / "backups"
    for _ in range(3):
        result = runner.invoke(args=["backup", "--to", str(folder), "--keep", "2"])
        assert result.exit_code == 0, result.output
    backups = _backups(folder)
    stamp = f"{clock.now:%Y%m%dT%H%M%S}Z"
    assert [path.name for path in backups] == [f"miafeed-{stamp}-2.dump", f"miafeed-{stamp}-3.dump"]
    assert f"Backed up the database to {backups[-1]}" in result.output and "removed 1 older" in result.output
    # It holds the subscribers' addresses: only the site's user may read it.
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in backups)
    # A custom-format dump that pg_restore can read, with the reader in it.
    listing = subprocess.run(["pg_restore", "--list", str(backups[-1])], capture_output=True, text=True, check=True)
    assert "TABLE DATA public subscribers" in listing.stdout
    data = subprocess.run(["pg_restore", "--data-only", "--table=subscribers", "--file=-", str(backups[-1])],
                          capture_output=True, text=True, check=True)
    assert "reader@example.org" in data.stdout
    assert not any(path.name.endswith(".partial") for path in folder.iterdir())


def test_restore_brings_back_the_dump_and_keeps_the_database_as_it_was(app, runner, content):
    content.write("sleep-study", title="A study about sleep")
    with app.app_context():
        content.import_all()
    _add_subscriber(app, "before@example.org")
    assert runner.invoke(args=["backup"]).exit_code == 0
    [backup] = _backups(Path(app.instance_path) / "backups")

    _add_subscriber(app, "after@example.org")
    content.write("nap-study", title="Naps and memory", published="2026-01-16")
    with app.app_context():
        content.import_all()
    client = app.test_client()
    assert client.get("/articles/naps-and-memory").status_code == 200

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"from {backup}." in result.output
    assert _emails(app) == {"before@example.org"}
    assert client.get("/articles/naps-and-memory").status_code == 404
    assert client.get("/articles/a-study-about-sleep").status_code == 200
    # The database as it was before the restore was dumped first, in case the file was the wrong one.
    [safety] = [path for path in _backups(backup.parent) if path != backup]
    assert stat.S_IMODE(safety.stat().st_mode) == 0o600
    assert "after@example.org" in subprocess.run(
        ["pg_restore", "--data-only", "--table=subscribers", "--file=-", str(safety)],
        capture_output=True, text=True, check=True).stdout


def test_restore_refuses_a_file_that_is_not_a_dump_and_changes_nothing(app, runner, tmp_path):
    _add_subscriber(app, "reader@example.org")
    bogus = tmp_path / "miafeed-20260101T000000Z.dump"
    bogus.write_text("not a dump")
    result = runner.invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code == 1
    assert "Restore refused; the live database is unchanged." in result.output
    assert _emails(app) == {"reader@example.org"}


def test_backup_of_an_unreachable_server_fails_clearly_without_printing_the_password(app, runner, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config["SQLALCHEMY_DATABASE_URI"] = f"postgresql+psycopg://miafeed:s3cret-pw@127.0.0.1:{port}/miafeed"
    folder = tmp_path / "backups"
    result = runner.invoke(args=["backup", "--to", str(folder)])
    assert result.exit_code == 1
    assert "Backup failed: pg_dump failed" in result.output
    assert "s3cret-pw" not in result.output
    assert list(folder.iterdir()) == []
