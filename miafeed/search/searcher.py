"""The per-process, per-thread searcher that web requests read with.

Opening an index costs milliseconds; checking whether it changed costs
microseconds (a stat of CURRENT and a listing of the index folder), so each
thread keeps its searcher and opens a new one only when the import or a rebuild
wrote something new.
"""
from __future__ import annotations

import threading

from flask import current_app

from . import store

_local = threading.local()


class _Handle:
    def __init__(self, root, stamp, ix, searcher):
        self.root, self.stamp, self.ix, self.searcher = root, stamp, ix, searcher

    def close(self):
        try:
            self.searcher.close()
        finally:
            self.ix.close()


def current_searcher():
    """A Whoosh searcher on the live index, fresh as of this call.

    Raises store.IndexMissing when there is no readable index. The searcher
    belongs to the calling thread; do not close it.
    """
    root = store.search_root(current_app)
    stamp = store.pointer_stamp(root)
    handles = getattr(_local, "handles", None)
    if handles is None:
        handles = _local.handles = {}
    handle = handles.get(root)
    if handle is not None and handle.stamp == stamp and stamp is not None:
        try:
            if not handle.searcher.up_to_date():
                # Same folder, new commit from an import: open a new searcher.
                # Not Whoosh's refresh(): it reuses each segment reader by
                # segment id, so it never saw deletions made since (an updated
                # article matched in both versions, a removed one still
                # counted) and kept segments a merge had replaced.
                stale, handle.searcher = handle.searcher, handle.ix.searcher()
                stale.close()
            return handle.searcher
        except Exception:
            pass  # files gone under us (folder retired): reopen below
    if handle is not None:
        handles.pop(root, None)
        try:
            handle.close()
        except Exception:
            pass
    ix = store.open_current(root)
    handle = _Handle(root, stamp, ix, ix.searcher())
    handles[root] = handle
    return handle.searcher


def close_thread_searchers() -> None:
    """Close this thread's searchers (tests, and before a worker exits)."""
    handles = getattr(_local, "handles", None) or {}
    for handle in handles.values():
        try:
            handle.close()
        except Exception:
            pass
    handles.clear()
