"""Which gunicorn workers have started serving: lets a reload hand over without a gap.

On `kill -HUP` gunicorn's master forks a new set of workers and, in the same
breath, sends SIGTERM to the old ones. The old ones stop accepting at once,
but a new worker first imports and builds the app, which takes seconds (4 s
with three workers booting on a busy 2-core host, 15 s and more under
load). Meanwhile nobody accepts: every reader's next request waits in the
listen queue for the whole boot. So an old worker that is asked to stop
while younger workers are still booting keeps serving until they are ready
(serving.HeaderCompleteThreadWorker asks `replacements_ready`).

The record lives in memory shared by the master and every worker it forks:
made in the master before the first fork (the worker object is built
there), never rebuilt on HUP, since gunicorn re-reads its config on HUP but
Python keeps this module. Each worker writes only its own slot, so no lock
is needed.
"""
from __future__ import annotations

import mmap

# Ages (gunicorn numbers each worker it spawns) are remembered modulo this
# many slots: far more than the workers booting at one time.
SLOTS = 256


class BootRecord:
    """The newest worker age spawned, and per age whether it began serving."""

    def __init__(self):
        # An anonymous shared mapping: no file anywhere (systemd's sandbox
        # leaves few writable places), inherited by every fork. Slot 0 holds
        # the newest age spawned, slot 1 + age % SLOTS that age once ready.
        self._memory = mmap.mmap(-1, 8 * (SLOTS + 1))
        self._slots = memoryview(self._memory).cast("q")

    def spawned(self, age: int) -> None:
        """In the master, just before forking the worker of this age."""
        self._slots[0] = max(self._slots[0], age)

    def ready(self, age: int) -> None:
        """In a worker whose app is built, as it starts accepting."""
        self._slots[1 + age % SLOTS] = age

    def replacements_ready(self, age: int) -> bool:
        """Whether every worker spawned after the one of this age is serving.

        A worker that died while booting never becomes ready; the caller
        waits a bounded time for that reason.
        """
        newest = self._slots[0]
        return all(self._slots[1 + other % SLOTS] == other for other in range(max(age + 1, newest - SLOTS + 1), newest + 1))


_record: BootRecord | None = None


def boot_record() -> BootRecord:
    """This master's record (made on first use, which is in the master)."""
    global _record
    if _record is None:
        _record = BootRecord()
    return _record
