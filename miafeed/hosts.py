"""Which hosts run which code: a heartbeat per host in the shared database,
`flask version`, and the hosts block of `flask stats`.

Each host's search follower (the web workers' thread or `flask search
follow`) records the host's name and code version in `hosts_seen` at most
every HEARTBEAT_SECONDS. The row is written outside the follower's own
work and a failure only logs: a database that has not been migrated yet
(the first minutes of a rolling deploy) must not stop the index following.
"""
from __future__ import annotations

import hashlib
import logging
import socket
import threading
import time
from datetime import datetime, timedelta

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .database import WriteUnavailable, write_transaction
from .extensions import db
from .clock import utcnow
from .models import HostSeen
from .version import code_version

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
# A host not heard from for this long is listed as silent, not as running.
SILENT_AFTER = timedelta(minutes=10)
_last_beat = 0.0
_beat_lock = threading.Lock()


def host_name(app=None) -> str:
    """This host's name in the table: HOST_NAME, else the machine's name and
    a short hash of the instance folder (two instances on one machine are two
    hosts; the path itself is not shown, it may say more than needed)."""
    app = app or current_app
    if app.config.get("HOST_NAME"):
        return str(app.config["HOST_NAME"])[:200]
    folder = hashlib.sha256(app.instance_path.encode()).hexdigest()[:8]
    return f"{socket.gethostname()}:{folder}"[:200]


def heartbeat(force: bool = False) -> None:
    """Record that this host is alive and which version it runs (throttled)."""
    global _last_beat
    with _beat_lock:
        if not force and time.monotonic() - _last_beat < HEARTBEAT_SECONDS:
            return
        _last_beat = time.monotonic()
    try:
        name = host_name()
        with write_transaction() as session:
            row = session.get(HostSeen, name)
            if row is None:
                session.add(HostSeen(name=name, version=code_version(), seen_at=utcnow()))
            else:
                row.version, row.seen_at = code_version(), utcnow()
    except (SQLAlchemyError, WriteUnavailable):
        db.session.rollback()
        log.warning("Could not record this host's heartbeat (is the database migrated?)", exc_info=True)


def hosts_report(now: datetime | None = None) -> dict[str, object]:
    """For `flask stats`: hosts heard from lately with their versions, and
    whether they disagree."""
    now = now or utcnow()
    try:
        rows = db.session.execute(select(HostSeen.name, HostSeen.version, HostSeen.seen_at).order_by(HostSeen.name)).all()
    except SQLAlchemyError:
        db.session.rollback()
        return {"running": [], "stale": [], "versions": [], "this_code": code_version()}
    running = [{"name": n, "version": v, "seen": f"{(now - at).total_seconds():.0f} s ago"} for n, v, at in rows if now - at <= SILENT_AFTER]
    stale = [{"name": n, "version": v, "seen": f"{at:%Y-%m-%d %H:%M} UTC"} for n, v, at in rows if now - at > SILENT_AFTER]
    return {"running": running, "stale": stale, "versions": sorted({h["version"] for h in running}), "this_code": code_version()}


@click.command("version")
def version_command() -> None:
    """Print the code's version (package version + git commit)."""
    click.echo(code_version())


def init_app(app) -> None:
    """Register `flask version`."""
    app.cli.add_command(version_command)
