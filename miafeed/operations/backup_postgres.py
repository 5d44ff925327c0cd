"""`flask backup` and `flask restore` on PostgreSQL: pg_dump and pg_restore,
run for the operator.

pg_dump reads one consistent snapshot while the site keeps writing. Its
custom format is compressed and restorable table by table. The dump holds
every subscriber's address, so the file is created owner-only by this
process (pg_dump writes into it through its standard output; it never
creates the file) under a temporary name, checked with `pg_restore --list`,
then renamed: a file named like a backup is a whole one.

A restore runs `pg_restore --clean --if-exists --single-transaction`: the
database is replaced in one transaction, or not at all. The password, if
the database URL has one, goes to the tools in PGPASSWORD, never on their
command line (where `ps` shows it to every user).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ..private_files import OWNER_ONLY


class PostgresToolError(RuntimeError):
    pass


def is_postgres(database_uri: str) -> bool:
    """True when the database URL names a PostgreSQL server."""
    return make_url(database_uri).get_backend_name() == "postgresql"


def _libpq_target(database_uri: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq spells it, without the password, and the environment
    that carries the password instead."""
    url = make_url(database_uri)
    plain = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise PostgresToolError(
            f"{name} is not installed: install the PostgreSQL client tools of the server's major version "
            "(Debian: postgresql-client)"
        )
    return found


def _run(arguments: list[str], environment: dict[str, str], **options) -> subprocess.CompletedProcess:
    result = subprocess.run(arguments, env=environment, stderr=subprocess.PIPE, **options)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise PostgresToolError(f"{Path(arguments[0]).name} failed: {message or f'exit status {result.returncode}'}")
    return result


def dump(database_uri: str, partial: Path) -> None:
    """Write a custom-format dump of the database into `partial`, created 0600."""
    target, environment = _libpq_target(database_uri)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
    try:
        _run([_tool("pg_dump"), "--format=custom", "--no-password", f"--dbname={target}"], environment, stdout=fd)
        os.fsync(fd)
    finally:
        os.close(fd)
    check(partial)


def check(path: Path) -> None:
    """Refuse a file pg_restore cannot read as a custom-format dump."""
    _run([_tool("pg_restore"), "--list", str(path)], dict(os.environ), stdout=subprocess.DEVNULL)


def restore(backup: Path, database_uri: str) -> None:
    """Replace the database's contents with `backup`, in one transaction."""
    target, environment = _libpq_target(database_uri)
    _run(
        [_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
         "--no-owner", "--no-privileges", "--no-password", f"--dbname={target}", str(backup)],
        environment, stdout=subprocess.DEVNULL,
    )
