"""`flask backup` and `flask restore`: copies of the database, taken live.

SQLite's online backup API copies a consistent snapshot while gunicorn
workers and cron keep reading and writing (a plain `cp` of a WAL database
can catch it halfway through a transaction). Each copy is written under a
temporary name, checked with `PRAGMA integrity_check`, then renamed, so a
file named like a backup is always a whole one. The newest N are kept.

Only the database is copied: it is the truth. The search index and the
related-article picks are derived from it (`flask search reindex`), and the
outbox and secret key are not the site's data (keep SECRET_KEY in your
configuration management, or emailed links stop working after a rebuild).

On PostgreSQL the same commands run pg_dump and pg_restore for the
operator (backup_postgres.py); the dumps are named, kept and pruned like
the SQLite copies.
"""
from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from . import backup_postgres
from .backup_postgres import PostgresToolError

BACKUP_NAME = re.compile(r"^miafeed-\d{8}T\d{6}Z(-\d+)?\.(sqlite3|dump)$")


class BackupError(RuntimeError):
    pass


def backup_dir() -> Path:
    """BACKUP_DIR, or instance/backups/."""
    configured = current_app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def sqlite_path() -> Path | None:
    """The live SQLite file, or None when the database is not a SQLite file."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def backup_sqlite(source: Path, folder: Path, now: datetime | None = None) -> Path:
    """Copy the live database at `source` into `folder` as miafeed-<UTC time>.sqlite3."""
    # The app creates the file empty (owner-only) before SQLite first writes
    # to it, so an empty file is a database that was never set up.
    if not source.exists() or source.stat().st_size == 0:
        raise BackupError(f"there is no database at {source} to back up (run `make db` first)")
    target = _new_backup_path(folder, "sqlite3", now)
    partial = folder / f".{target.name}.partial"
    # Subscribers' addresses are in it: readable by the site's user only.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        _copy(source, partial)
        # A backup is one self-contained file: no -wal or -shm beside it.
        with _connect(partial) as copy:
            copy.execute("PRAGMA journal_mode = DELETE")
        _check(partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def backup_postgres_database(database_uri: str, folder: Path, now: datetime | None = None) -> Path:
    """Dump the PostgreSQL database into `folder` as miafeed-<UTC time>.dump."""
    target = _new_backup_path(folder, "dump", now)
    partial = folder / f".{target.name}.partial"
    try:
        backup_postgres.dump(database_uri, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _new_backup_path(folder: Path, extension: str, now: datetime | None) -> Path:
    """miafeed-<UTC time>.<extension> in `folder`, or -2, -3... after it when
    that name is taken (several backups in one second), so the name sorts by
    age and is never reused, however fast the machine."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    taken = {_sort_key(path)[1] for path in folder.glob(f"miafeed-{stamp}*") if BACKUP_NAME.match(path.name)}
    number = max(taken, default=0) + 1
    suffix = "" if number == 1 else f"-{number}"
    return folder / f"miafeed-{stamp}{suffix}.{extension}"


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `folder`; return what was deleted."""
    backups = sorted((path for path in folder.iterdir() if BACKUP_NAME.match(path.name)), key=_sort_key)
    doomed = backups[:-keep] if keep > 0 else backups
    for path in doomed:
        path.unlink()
    return doomed


def restore_sqlite(backup: Path, target: Path) -> None:
    """Replace the contents of the live database at `target` with `backup`.

    Through the same backup API, in one locked step: running workers see
    the restored data at their next query, and no stale -wal file can be
    replayed over it (as it could after copying the file into place).
    """
    _check(backup)
    _copy(backup, target)


def _copy(source: Path, target: Path) -> None:
    busy_ms = int(current_app.config["SQLITE_BUSY_TIMEOUT_MS"])
    with _connect(source, busy_ms) as src, _connect(target, busy_ms) as dst:
        src.backup(dst)


def _check(path: Path) -> None:
    try:
        with _connect(path) as connection:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database ({exc})") from exc
    if result != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")


class _connect:
    """sqlite3.connect that closes on exit (sqlite3's own context manager only commits)."""

    def __init__(self, path: Path, busy_ms: int = 5000):
        self.connection = sqlite3.connect(path, timeout=busy_ms / 1000)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()


def _sort_key(path: Path) -> tuple[str, int]:
    match = re.search(r"(\d{8}T\d{6}Z)(?:-(\d+))?", path.name)
    return match.group(1), int(match.group(2) or 1)


@click.command("backup")
@with_appcontext
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="How many backups to keep, newest first (default: BACKUP_KEEP, 14).")
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the backups (default: BACKUP_DIR, or instance/backups/).")
def backup_command(keep: int | None, folder: Path | None) -> None:
    """Write a consistent copy of the live database and keep the newest N."""
    folder = folder or backup_dir()
    keep = keep or int(current_app.config["BACKUP_KEEP"])
    database_uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    source = sqlite_path()
    try:
        if source is not None:
            target = backup_sqlite(source, folder)
        elif backup_postgres.is_postgres(database_uri):
            target = backup_postgres_database(database_uri, folder)
        else:
            raise BackupError(f"backups of a {make_url(database_uri).get_backend_name()} database are not supported")
    except (BackupError, PostgresToolError, sqlite3.Error, OSError) as exc:
        click.secho(f"Backup failed: {exc}", fg="red", err=True)
        raise SystemExit(1)
    removed = prune(folder, keep)
    size_kb = target.stat().st_size / 1024
    click.echo(f"Backed up the database to {target} ({size_kb:,.0f} KB); keeping the newest {keep}"
               + (f", removed {len(removed)} older." if removed else "."))


@click.command("restore")
@with_appcontext
@click.argument("backup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the live database.")
@click.pass_context
def restore_command(ctx: click.Context, backup: Path, yes: bool) -> None:
    """Replace the live database with BACKUP, then bring the search index in line."""
    database_uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    target = sqlite_path()
    on_postgres = target is None and backup_postgres.is_postgres(database_uri)
    if target is None and not on_postgres:
        click.secho("Restore refused: only SQLite and PostgreSQL databases are supported.", fg="red", err=True)
        raise SystemExit(1)
    live = target if target is not None else make_url(database_uri).render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"Replace everything in {live} with {backup}? Changes made since that backup are lost", abort=True)
    try:
        if on_postgres:
            safety = _restore_postgres(backup, database_uri)
        else:
            _check(backup)
            # The database as it is now, so a restore of the wrong file can be undone.
            safety = backup_sqlite(target, backup_dir()) if target.exists() and target.stat().st_size else None
            restore_sqlite(backup, target)
    except (BackupError, PostgresToolError, sqlite3.Error, OSError) as exc:
        click.secho(f"Restore refused; the live database is unchanged. {exc}", fg="red", err=True)
        raise SystemExit(1)
    click.echo(f"Restored {live} from {backup}." + (f" The database as it was is in {safety}." if safety else ""))
    # The index is derived from the database: rebuild it if it no longer matches.
    search_ensure = current_app.cli.get_command(ctx, "search")
    if search_ensure is not None:
        ctx.invoke(search_ensure.get_command(ctx, "ensure"))
    click.echo("If the backup is older than the code, run `flask --app wsgi db upgrade heads` next.")


def _restore_postgres(backup: Path, database_uri: str) -> Path:
    """Check the dump, keep the database as it is now, then restore in one
    transaction (pg_restore --single-transaction: all of it or none)."""
    from ..extensions import db

    if backup.suffix == ".sqlite3":
        raise BackupError(f"{backup} is a SQLite backup; this site's database is PostgreSQL")
    backup_postgres.check(backup)
    safety = backup_postgres_database(database_uri, backup_dir())
    # This process's own pooled connections must not hold a lock the restore waits for.
    db.session.remove()
    db.engine.dispose()
    backup_postgres.restore(backup, database_uri)
    return safety


def init_app(app) -> None:
    """Register `flask backup` and `flask restore`."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
