"""A `search reindex` killed with SIGKILL leaves nothing behind that blocks
the next writer: its helper processes die with it, and the write lock is
free (or, if something still held it, named as stale)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from miafeed.search import store
from processes import wait_until

ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
CATEGORIES = "- name: Sleep\n  slug: sleep\n  description: How we sleep.\n"


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def write_articles(folder: Path, count: int, start: int = 0) -> None:
    (folder / "articles").mkdir(parents=True, exist_ok=True)
    (folder / "categories.yml").write_text(CATEGORIES)
    body = " ".join(f"Sleep research sentence number {n} about rest and routines." for n in range(40))
    for number in range(start, start + count):
        (folder / "articles" / f"night-{number}.md").write_text(
            f"---\ntitle: Night study {number}\ncategory: Sleep\ntags: [sleep]\nsummary: Study {number}.\n"
            f"source_name: Example\nsource_url: https://research.example.org/{number}\npublished: 2026-01-15\n---\n\n{body}\n"
        )


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_reindex_leaves_no_helpers_and_the_next_import_works(tmp_path):
    instance = tmp_path / "instance"
    env = dict(os.environ, MIAFEED_INSTANCE_PATH=str(instance), PYTHONWARNINGS="ignore")
    content = tmp_path / "content"
    write_articles(content, 250)
    run = lambda *args: subprocess.run([*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run("db", "upgrade", "heads").returncode == 0
    assert run("content", "import", str(content)).returncode == 0

    reindex = subprocess.Popen([*FLASK, "search", "reindex", "--procs", "2"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def both_helpers():
        found = children_of(reindex.pid)
        return found if len(found) >= 2 else None

    helpers = wait_until(both_helpers, 120, "the rebuild's two helpers (if it exited first, give it more articles)",
                         process=reindex, step=0.02)
    os.kill(reindex.pid, signal.SIGKILL)
    reindex.wait()

    # The helpers go with it (bounded wait: the kernel delivers the signal).
    wait_until(lambda: not any(alive(pid) for pid in helpers), 20, "the helpers gone with the rebuild", step=0.05)
    lock = instance / "search" / "write.lock"
    assert store.processes_holding(lock) == []

    # The next writer gets the lock straight away: an import of one more article.
    write_articles(content, 1, start=250)
    imported = run("content", "import", str(content))
    assert imported.returncode == 0, imported.stderr
    searched = subprocess.run(
        [sys.executable, "-c", "from miafeed import create_app\nfrom miafeed.search.querying import run_search\n"
         "app = create_app()\nwith app.app_context(): print(run_search('night study 250').total)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert searched.stdout.strip() == "1", searched.stderr


def test_a_lock_kept_after_its_writer_died_is_named_stale(tmp_path):
    root = tmp_path / "search"
    root.mkdir()
    lock = root / "write.lock"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    # A leftover process holds the lock (as a killed writer's helper would),
    # while the file names a writer that has exited.
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import fcntl, sys, time\nf = open({str(lock)!r}, 'a+')\nfcntl.flock(f, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        lock.write_text(gone + "\n")
        assert store.lock_is_stale(lock)
        with pytest.raises(TimeoutError, match=rf"stale: its writer \(pid {gone}\) is gone, but process\(es\) {holder.pid} "):
            with store.write_lock(root, wait_seconds=0.2):
                pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    # Once the leftover is gone, the lock is simply free.
    with store.write_lock(root, wait_seconds=1):
        assert store.recorded_holder(lock) == os.getpid()
