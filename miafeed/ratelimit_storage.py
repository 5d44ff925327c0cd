"""Rate-limit counts shared by every worker of a host, with no extra service.

Flask-Limiter's `memory://` storage counts per process, so with five
gunicorn workers a limit of 5 per minute let 25 through. The default here
keeps the counts in a small SQLite file in the instance folder
(`instance/ratelimits.sqlite`), which every worker of the host opens; each
count is one atomic UPSERT, so two workers never both take the last slot.

Why a file of its own and not a table in the app's database: the counts are
throwaway (a restart may forget them), they change on every limited request,
and on the default SQLite database each of those writes would queue behind
the one writer that sign-ups and imports need. Several hosts need one count
for all of them, and `RATELIMIT_STORAGE_URI=redis://...` gives that: Redis
counts with INCR and expires keys by itself, where a PostgreSQL table would
add a write per request to the shared database and rows to purge. See the
docs/deployment.md, "Several hosts".
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path

from limits.storage import Storage

from .database import WriteUnavailable
from .private_files import create_private

SCHEME = "miafeed-host"
FILE_NAME = "ratelimits.sqlite"

_SCHEMA = "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL)"
# One statement: a new key, an expired window (start again) or a live one (add).
_INCREMENT = """
INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN counters.expires_at <= :now THEN excluded.count ELSE counters.count + excluded.count END,
    expires_at = CASE WHEN counters.expires_at <= :now THEN excluded.expires_at ELSE counters.expires_at END
RETURNING count
"""
# Expired windows are deleted now and then, so the file stays small.
PURGE_EVERY = 500


class HostFileStorage(Storage):
    """Fixed-window counters in one SQLite file, for all processes of a host.

    URI: `miafeed-host:///absolute/path/ratelimits.sqlite`.
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(urllib.parse.unquote(urllib.parse.urlparse(uri).path))
        self._local = threading.local()
        self._calls = 0

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and process (sqlite3 connections must not
        # cross threads, and never a fork).
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The counters' keys hold client IP addresses: owner-only from
            # the start (its -wal and -shm follow the file's mode).
            create_private(self.path)
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute(_SCHEMA)
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the key's window (a new window of `expiry` seconds if
        there is none) and return the count."""
        now = time.time()
        try:
            connection = self._connection()
            count = connection.execute(_INCREMENT, {"key": key, "amount": amount, "expires_at": now + expiry, "now": now}).fetchone()[0]
        except (sqlite3.OperationalError, OSError) as error:
            # A full disk or a file held too long: the request that is
            # counted is a write the host cannot take now, answered 503
            # (http/unavailable.py) rather than let through uncounted.
            raise WriteUnavailable(f"rate-limit counts: {error}") from error
        self._calls += 1
        if self._calls % PURGE_EVERY == 0:
            connection.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return count

    def get(self, key: str) -> int:
        """The key's count in its live window (0 when there is none)."""
        row = self._connection().execute(
            "SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
        ).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (now, when there is none)."""
        now = time.time()
        row = self._connection().execute(
            "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now)
        ).fetchone()
        return row[0] if row else now

    def check(self) -> bool:
        """True when the file can be read."""
        try:
            self._connection().execute("SELECT 1 FROM counters LIMIT 1").fetchall()
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        """Forget every count; returns how many keys there were."""
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        """Forget one key's count."""
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))


def init_app(app) -> None:
    """Point Flask-Limiter at the host file unless RATELIMIT_STORAGE_URI is set."""
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = f"{SCHEME}://{Path(app.instance_path).resolve() / FILE_NAME}"
