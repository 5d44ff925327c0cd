"""The content version of this host: one value that changes whenever what a
reader may see has changed.

Writers call `bump()` once their change is in place: `content import` after
its transaction commits, `search reindex` after it publishes the new index,
and the change-log follower after it applies changes made on any host.
Readers call `current()`; the page cache puts it in every key, so a kept
page stops matching the moment its content moved on. Nothing derived ever
reaches back up to a reader of the version: they ask here, and it imports
none of them.

The version is the identity of one file in the instance folder (its
modification time, which `bump()` moves forward by at least a nanosecond
even within one tick of the file system's clock, and its inode), plus the time the next scheduled article
becomes visible, so a scheduled article shows on its own when its time
comes. A stat per request is what it costs; the database is read only when
that file changed or the scheduled time passed.

Every worker and command of a host shares the instance folder. A change
made on another host reaches this one through the change-log follower,
which bumps here after applying it.
"""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select

from ..clock import utcnow

VERSION_FILE = "content-version"


def bump(app: Flask | None = None) -> None:
    """Tell every worker on this host that the content changed: their kept
    pages and results stop matching at once."""
    app = app or current_app._get_current_object()
    folder = Path(app.instance_path)
    path = folder / VERSION_FILE
    temporary = folder / f".{VERSION_FILE}.{os.getpid()}.{threading.get_ident()}"
    temporary.write_text(f"{utcnow().isoformat()} {os.getpid()}\n")
    # File times move in clock ticks of a few milliseconds: set one past the
    # last version's, so two bumps in one tick are still two versions.
    try:
        previous = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        previous = 0
    stamp = max(time.time_ns(), previous + 1)
    os.utime(temporary, ns=(stamp, stamp))
    os.replace(temporary, path)


def current(app: Flask) -> str:
    """This host's content version, cheap enough to ask on every request."""
    stamps = app.extensions.get("miafeed_content_version")
    if stamps is None:
        stamps = app.extensions.setdefault("miafeed_content_version", _Stamps(app))
    return stamps.current()


class _Stamps:
    def __init__(self, app: Flask):
        self.app = app
        self.path = Path(app.instance_path) / VERSION_FILE
        self.scheduled_for: str | None = None  # the file version the schedule below was read for
        self.next_visible: datetime | None = None

    def current(self) -> str:
        try:
            stat = os.stat(self.path)
            version = f"{stat.st_mtime_ns}-{stat.st_ino}"
        except FileNotFoundError:
            version = "0"
        return f"{version}.{self._next_visible(version)}"

    def _next_visible(self, version: str) -> str:
        now = utcnow()
        if version != self.scheduled_for or (self.next_visible is not None and now >= self.next_visible):
            with self.app.app_context():
                self.next_visible = _next_scheduled_article(now)
            self.scheduled_for = version
        return self.next_visible.isoformat() if self.next_visible else "-"


def _next_scheduled_article(now: datetime) -> datetime | None:
    from ..extensions import db
    from ..models import Article

    try:
        return db.session.scalar(
            select(func.min(Article.published_at)).where(Article.draft.is_(False), Article.published_at > now)
        )
    finally:
        db.session.remove()
