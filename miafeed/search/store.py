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
    Yields the lock file's descriptor (helper processes close their copy).

    The lock is an flock, so the kernel drops it when its holder dies; the
    holder's pid is written into the file so that a lock outliving its
    holder (kept by leftover processes) is recognised and named as stale.
    """
    root.mkdir(parents=True, exist_ok=True)
    path = root / "write.lock"
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(_busy_message(path, wait_seconds)) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield handle.fileno()
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


def recorded_holder(path: Path) -> int | None:
    """The pid written into a write lock by its last holder, if any."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def processes_holding(path: Path) -> list[int]:
    """Pids of processes with `path` open (Linux /proc; [] elsewhere)."""
    target = os.path.realpath(path)
    holders = []
    for entry in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(entry) == target:
                holders.append(int(entry.parts[2]))
        except OSError:
            continue
    return sorted(set(holders))


def lock_is_stale(path: Path) -> bool:
    """True when the lock's recorded holder is gone although the lock is
    still taken: leftovers of a killed writer hold it."""
    holder = recorded_holder(path)
    return holder is not None and not pid_alive(holder)


def _busy_message(path: Path, wait_seconds: float) -> str:
    if lock_is_stale(path):
        others = [pid for pid in processes_holding(path) if pid != os.getpid()]
        return (
            f"the search index write lock is stale: its writer (pid {recorded_holder(path)}) is gone, but "
            f"process(es) {', '.join(map(str, others)) or 'unknown'} left behind by it still hold {path}; "
            "stop them and try again"
        )
    return f"another process has been writing the search index for {wait_seconds:.0f}s"


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
