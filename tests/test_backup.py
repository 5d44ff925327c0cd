"""`flask backup` and `flask restore`: a consistent copy of the live SQLite
database, the newest N kept, and a restore that really brings it back."""
from __future__ import annotations

import re
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest

from factories import gen_subscriber


@pytest.fixture(autouse=True)
def sqlite_only(app):
    """These tests read and write the SQLite file itself (a PostgreSQL run of the suite skips them)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        pytest.skip("backup and restore of a SQLite file")


def _add_subscriber(app, email: str) -> None:
    with app.app_context():
        gen_subscriber(email)


def _emails(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT email FROM subscribers")}


def _database(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def test_backup_copies_what_is_committed_while_a_writer_is_busy(app, runner):
    _add_subscriber(app, "committed@example.org")
    # Another process is in the middle of a write: the backup must not wait
    # for it, nor contain its half-done transaction.
    writer = sqlite3.connect(_database(app), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO subscribers (email, frequency, status, created_at, consent_version, consent_source, token_nonce, "
                   "public_id) VALUES ('uncommitted@example.org', 'daily', 'pending', '2026-01-01', '', '', 'n', 'p')")
    try:
        result = runner.invoke(args=["backup"])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    backups = list((Path(app.instance_path) / "backups").iterdir())
    assert len(backups) == 1
    copy = backups[0]
    assert re.fullmatch(rf"miafeed-{date.today():%Y%m%d}T\d{{6}}Z\.sqlite3", copy.name)
    assert f"Backed up the database to {copy}" in result.output
    assert _emails(copy) == {"committed@example.org"}
    # One self-contained file that only the site's user can read (it holds addresses).
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_backup_keeps_the_newest_n_and_leaves_other_files_alone(app, runner, tmp_path, clock):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    for old in ("miafeed-20250101T000000Z.sqlite3", "miafeed-20250102T000000Z.sqlite3"):
        (folder / old).write_text("an older backup")
    # The clock is held: three backups within one second of the site's time,
    # however slow the machine.
    for _ in range(3):
        result = runner.invoke(args=["backup", "--to", str(folder), "--keep", "2"])
        assert result.exit_code == 0, result.output
    kept = sorted(path.name for path in folder.iterdir())
    assert "notes.txt" in kept
    backups = [name for name in kept if name.endswith(".sqlite3")]
    # Three backups in the same second get -2 and -3; the two newest stay.
    stamp = f"{clock.now:%Y%m%dT%H%M%S}Z"
    assert backups == [f"miafeed-{stamp}-2.sqlite3", f"miafeed-{stamp}-3.sqlite3"]
    assert "removed" in result.output


def test_a_backup_never_reuses_a_name_even_after_older_ones_were_pruned(app, runner, tmp_path, clock):
    folder = tmp_path / "backups"
    for _ in range(3):
        assert runner.invoke(args=["backup", "--to", str(folder), "--keep", "1"]).exit_code == 0
    stamp = f"{clock.now:%Y%m%dT%H%M%S}Z"
    assert [path.name for path in folder.iterdir()] == [f"miafeed-{stamp}-3.sqlite3"]
    assert runner.invoke(args=["backup", "--to", str(folder), "--keep", "1"]).exit_code == 0
    assert [path.name for path in folder.iterdir()] == [f"miafeed-{stamp}-4.sqlite3"]


def test_restore_brings_back_the_backup_and_the_change_is_gone(app, runner, content):
    content.write("sleep-study", title="A study about sleep")
    with app.app_context():
        content.import_all()
    _add_subscriber(app, "before@example.org")
    assert runner.invoke(args=["backup"]).exit_code == 0
    backup = next((Path(app.instance_path) / "backups").iterdir())

    # After the backup: a new reader and a new article.
    _add_subscriber(app, "after@example.org")
    content.write("nap-study", title="Naps and memory", published="2026-01-16")
    with app.app_context():
        content.import_all()
    client = app.test_client()
    assert client.get("/articles/naps-and-memory").status_code == 200

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Restored {_database(app)} from {backup}." in result.output
    assert _emails(_database(app)) == {"before@example.org"}
    assert client.get("/articles/naps-and-memory").status_code == 404
    assert client.get("/articles/a-study-about-sleep").status_code == 200
    # The search index was brought in line with the restored articles.
    assert "Naps and memory" not in client.get("/search?q=naps").text
    # The database as it was before the restore was kept, in case it was the wrong file.
    safety = [path for path in backup.parent.iterdir() if path != backup]
    assert len(safety) == 1 and _emails(safety[0]) == {"before@example.org", "after@example.org"}


def test_restore_refuses_a_file_that_is_not_a_database(app, runner, tmp_path):
    _add_subscriber(app, "reader@example.org")
    bogus = tmp_path / "not-a-backup.sqlite3"
    bogus.write_text("this is not SQLite")
    result = runner.invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code == 1
    assert "Restore refused; the live database is unchanged." in result.output
    assert "not a readable SQLite database" in result.output
    assert _emails(_database(app)) == {"reader@example.org"}


def test_restore_asks_before_replacing_the_live_database(app, runner):
    assert runner.invoke(args=["backup"]).exit_code == 0
    backup = next((Path(app.instance_path) / "backups").iterdir())
    _add_subscriber(app, "kept@example.org")
    result = runner.invoke(args=["restore", str(backup)], input="n\n")
    assert result.exit_code == 1
    assert "Changes made since that backup are lost" in result.output
    assert _emails(_database(app)) == {"kept@example.org"}
