"""Where the index lives on disk, and how a rebuilt index replaces the old one.

Layout under `<instance>/search/`:

    CURRENT            name of the live index folder (replaced atomically)
    index-<stamp>/     the live index, and the one before it
    build-<stamp>/     a rebuild in progress (removed if it was killed)
    write.lock         held by whoever writes: the import or a rebuild

Readers open the folder that CURRENT names. A rebuild writes a new folder
and only then points CURRENT at it, so readers never see a half-built index
and a killed rebuild leaves the old one in place.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

from .engine import build_schema, index

POINTER = "CURRENT"


class IndexMissing(Exception):
    """There is no readable search index (never built, or damaged)."""


def search_root(app=None) -> Path:
    """The folder holding every search index of this instance."""
    app = app or current_app
    configured = app.config.get("SEARCH_INDEX_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "search"


def current_index_dir(root: Path) -> Path | None:
    """The live index folder, or None when no index was ever built."""
    try:
        name = (root / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
    path = root / name
    # A pointer must name a folder right here, never a path elsewhere.
    if not name or "/" in name or name.startswith(".") or not path.is_dir():
        return None
    return path


def open_current(root: Path):
    """Open the live index for reading or writing; IndexMissing if there is none."""
    path = current_index_dir(root)
    if path is None:
        raise IndexMissing(f"no search index in {root}")
    try:
        return index.open_dir(str(path))
    except Exception as exc:  # EmptyIndexError, damaged TOC, unreadable files
        raise IndexMissing(f"the search index in {path} cannot be opened ({exc})") from exc


@contextmanager
def write_lock(root: Path, wait_seconds: float = 120.0):
    """Hold the index write lock: one writer at a time across all processes.

    Whoosh allows a single writer per index; this lock also covers the
    swap of CURRENT, so an import never writes into a folder that a rebuild
    is about to retire. Waits up to `wait_seconds` for the other writer.
    """
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "write.lock", "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another process has been writing the search index for {wait_seconds:.0f}s")
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_build_dir(root: Path) -> Path:
    """A fresh, empty folder for a rebuild, with the schema created in it."""
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 1_000_000:06d}"
    path = root / f"build-{stamp}"
    path.mkdir(parents=True)
    index.create_in(str(path), build_schema())
    return path


def publish(root: Path, build_dir: Path) -> Path:
    """Make a finished build the live index, atomically, and tidy old folders.

    The folder before it is kept: a web worker may still hold files of it
    open until its next request notices the change.
    """
    live = root / build_dir.name.replace("build-", "index-", 1)
    os.replace(build_dir, live)
    tmp = root / f".{POINTER}.{os.getpid()}"
    tmp.write_text(live.name + "\n")
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    previous = current_index_dir(root)
    os.replace(tmp, root / POINTER)
    keep = {live.name} | ({previous.name} if previous else set())
    for child in root.iterdir():
        if child.is_dir() and child.name not in keep and child.name.startswith(("index-", "build-")):
            shutil.rmtree(child, ignore_errors=True)
    return live


def pointer_stamp(root: Path) -> tuple[int, int] | None:
    """A cheap fingerprint of CURRENT (inode, mtime) telling readers to reopen."""
    try:
        st = os.stat(root / POINTER)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)
