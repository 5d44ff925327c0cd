"""Files in instance/ that hold personal data are created owner-only (0600).

Made that way at creation, by passing the mode to open(2), never chmod'ed
afterwards: a chmod leaves a moment in which the file is world-readable,
and a crash in that moment leaves it so for good. Not the process umask
either: it is shared by every thread of a gunicorn worker, so changing it
around one creation would change it for files other threads create meanwhile.

SQLite makes its -wal and -shm files with the database file's own mode, so
creating the database file 0600 before SQLite first opens it covers all three.
"""
from __future__ import annotations

import os
from pathlib import Path

OWNER_ONLY = 0o600
OWNER_ONLY_FOLDER = 0o700


def create_private(path: Path | str) -> None:
    """Create `path` as an empty owner-only file if it does not exist yet.

    An existing file is left as it is (its mode is the operator's choice).
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
    except FileExistsError:
        pass


def write_private_bytes(path: Path | str, data: bytes) -> None:
    """Write `data` to `path`, creating it owner-only (an existing file keeps its mode)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
