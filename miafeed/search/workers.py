"""Writer processes of a multi-process rebuild that never outlive it.

Whoosh's multi-process writer forks helper processes that wait on a queue
for work. Forked, they also hold copies of the rebuild's open files, among
them instance/search/write.lock. If `search reindex` was killed (SIGKILL,
the OOM killer), its helpers would wait forever and keep that lock, so every
later import would time out. Here each helper asks Linux to kill it when its
parent dies (prctl PR_SET_PDEATHSIG), checks the parent is still there in
case it died first, and closes its copy of the lock file at once.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys

from .engine import MpWriter, SubWriterTask

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """Make the calling process get SIGKILL when its parent exits (Linux);
    exit now if the parent is already gone. Elsewhere, only the check."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: the parent check below still covers the usual case
    if os.getppid() != parent_pid:
        os._exit(1)


class _HelperProcess(SubWriterTask):
    """A Whoosh writer helper that dies with its parent and holds no lock."""

    def __init__(self, *args, parent_pid: int, inherited_fds: tuple[int, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self._parent_pid = parent_pid
        self._inherited_fds = inherited_fds

    def run(self):
        die_with_parent(self._parent_pid)
        for fd in self._inherited_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        super().run()


class ChildSafeMpWriter(MpWriter):
    """Whoosh's multi-process writer, with helpers from _HelperProcess.

    `close_in_children` are file descriptors the helpers must not keep open
    (the write lock).
    """

    def __init__(self, ix, procs: int, close_in_children: tuple[int, ...] = (), **kwargs):
        self._close_in_children = tuple(close_in_children)
        super().__init__(ix, procs=procs, **kwargs)

    def _new_task(self):
        task = _HelperProcess(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment,
            parent_pid=os.getpid(), inherited_fds=self._close_in_children,
        )
        self.tasks.append(task)
        task.start()
        return task
