"""Every write is kept or refused clearly, on a real gunicorn.

Readers' answers sent while other readers' searches record misses are all
kept; a database held by another process makes posts wait or get 503 with
Retry-After; a full instance folder (a small tmpfs) gives 503, /healthz
503 and one-line command failures, and nothing acknowledged is lost.
"""
from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from clock import iso_day
from content_folder import ContentFolder
from hosts_support import BIN, Host, running
from processes import wait_until

pytestmark = pytest.mark.slow

SLUG = "sleep-and-stress"
FEEDBACK_CLIENTS, POSTS_EACH, SEARCH_CLIENTS = 8, 20, 3


def _site(instance: Path, content_root: Path, **settings) -> Host:
    host = Host(name="site", instance=instance, settings={
        "MAIL_BACKGROUND_DELIVERY": "false", "SUBSCRIBE_MIN_ANSWER_SECONDS": "0",
        "FEEDBACK_RATE_LIMIT": "100000 per minute", "SUBSCRIBE_RATE_LIMIT": "100000 per minute",
        "SEARCH_FOLLOW_IN_WEB": "false", **settings,
    })
    host.flask("db", "upgrade", "heads")
    content = ContentFolder(content_root)
    # Yesterday: new enough for a weekly digest, which the full-disk test sends.
    content.write("sleep-study", title="'Sleep and stress'", slug=SLUG, published=iso_day(-1))
    host.flask("content", "import", str(content_root))
    return host


def post(host: Host, path: str, fields: dict) -> tuple[int, str | None, str]:
    """A form post without JavaScript: (status, Retry-After, body)."""
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(host.base_url + path, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Retry-After"), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After"), error.read().decode()


def stored_problem_texts(host: Host) -> list[str]:
    with sqlite3.connect(host.instance / "miafeed.db") as connection:
        return [text for (text,) in connection.execute("SELECT text FROM reader_feedback WHERE kind = 'problem'")]


def test_feedback_while_searches_record_misses_is_all_kept(tmp_path):
    host = _site(tmp_path / "instance", tmp_path / "content")
    stop_searching = threading.Event()
    searched = Counter()

    def search_for_nothing(client: int) -> None:
        for number in itertools.count():
            if stop_searching.is_set():
                return
            word = "zq" + "".join(chr(ord("a") + int(d)) for d in f"{client}{number}")
            searched[host.status(f"/search?q={word}")] += 1

    def send_feedback(client: int) -> list[tuple[str, int]]:
        answers = []
        for number in range(POSTS_EACH):
            text = f"note {chr(97 + client)} {chr(97 + number % 26)}{number // 26}"
            status, _, _ = post(host, f"/articles/{SLUG}/problem", {"text": text})
            answers.append((text, status))
        return answers

    with running(host, workers=3):
        with ThreadPoolExecutor(FEEDBACK_CLIENTS + SEARCH_CLIENTS) as pool:
            searchers = [pool.submit(search_for_nothing, n) for n in range(SEARCH_CLIENTS)]
            senders = [pool.submit(send_feedback, n) for n in range(FEEDBACK_CLIENTS)]
            answers = [answer for sender in senders for answer in sender.result()]
            stop_searching.set()
            for searcher in searchers:
                searcher.result()
    statuses = Counter(status for _, status in answers)
    print(f"feedback answers: {dict(statuses)}; searches: {dict(searched)}")
    assert statuses == {200: FEEDBACK_CLIENTS * POSTS_EACH}
    assert set(searched) == {200}
    assert sorted(stored_problem_texts(host)) == sorted(text for text, _ in answers)


def test_a_database_held_by_another_process_makes_posts_wait_or_get_503_never_500(tmp_path):
    # The default busy timeout (5 s): each refusal comes after a post waited
    # that long, so holding the lock until 8 refusals holds it 10 s or more.
    host = _site(tmp_path / "instance", tmp_path / "content")
    answers: list[tuple[str, int, str | None]] = []
    stop = threading.Event()
    counter = itertools.count()

    def keep_posting() -> None:
        while not stop.is_set():
            text = f"held note {next(counter)}"
            status, retry_after, _ = post(host, f"/articles/{SLUG}/problem", {"text": text})
            answers.append((text, status, retry_after))

    with running(host, workers=2):
        holder = sqlite3.connect(host.instance / "miafeed.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        with ThreadPoolExecutor(4) as pool:
            posters = [pool.submit(keep_posting) for _ in range(4)]
            try:
                wait_until(lambda: sum(1 for a in answers if a[1] != 200) >= 8, 120, "posts were not refused while the lock was held")
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            held_until = len(answers)
            wait_until(lambda: len(answers) >= held_until + 8, 60, "posts did not resume after the lock was released")
            stop.set()
            for poster in posters:
                poster.result()
        health = host.get("/healthz")
    statuses = Counter(status for _, status, _ in answers)
    print(f"answers with the database held, then free: {dict(statuses)}")
    assert set(statuses) <= {200, 503} and statuses[503] >= 8 and statuses[200] >= 8
    assert all(retry_after and int(retry_after) > 0 for _, status, retry_after in answers if status == 503)
    assert sorted(stored_problem_texts(host)) == sorted(text for text, status, _ in answers if status == 200)
    assert health[0] == 200


@pytest.fixture
def small_instance(tmp_path):
    """An instance folder on its own 24 MB tmpfs, so the test can fill it."""
    folder = tmp_path / "instance"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the disk under `folder` has no room left, down to
    the last byte; its path."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):
            try:
                while True:
                    os.write(descriptor, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(descriptor)
    return filler


def run_flask(host: Host, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=host.root, env=host.env(),
                          capture_output=True, text=True, timeout=300)


def test_a_full_instance_folder_gives_503_and_one_line_errors_and_loses_nothing(tmp_path, small_instance):
    host = _site(small_instance, tmp_path / "content")
    with running(host, workers=2):
        signed_up = post(host, "/newsletter/subscribe", {"email": "before@example.org", "frequency": "weekly"})
        assert signed_up[0] == 200
        with sqlite3.connect(host.instance / "miafeed.db") as connection:
            # Confirmed, so `digest send` has a digest to write for it.
            connection.execute("UPDATE subscribers SET status = 'active', confirmed_at = CURRENT_TIMESTAMP")
        with sqlite3.connect(host.instance / "miafeed.db") as connection:
            # Empty the WAL, so the next write needs room the disk no longer has.
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        filler = fill(small_instance)
        refused = [
            post(host, "/newsletter/subscribe", {"email": f"full{n}@example.org", "frequency": "weekly"}) for n in range(5)
        ] + [post(host, f"/articles/{SLUG}/problem", {"text": f"full note {n}"}) for n in range(5)]
        health = host.get("/healthz")
        imported = run_flask(host, "content", "import", str(tmp_path / "content"))
        digest = run_flask(host, "digest", "send", "--frequency", "weekly")

        print("while full:", Counter(status for status, _, _ in refused), "healthz", health[0])
        assert {status for status, _, _ in refused} == {503}
        assert all(retry_after and int(retry_after) > 0 for _, retry_after, _ in refused)
        assert all("nothing you sent was saved" in body for _, _, body in refused)
        assert health[0] == 503
        for command in (imported, digest):
            print(command.args[3:], command.returncode, repr(command.stderr), repr(command.stdout))
            assert command.returncode != 0
            assert "Traceback" not in command.stderr + command.stdout
            last_line = command.stderr.strip().splitlines()[-1]
            assert last_line.startswith("Error: ") and "could not finish" in last_line
            assert sum(line.startswith("Error") for line in command.stderr.splitlines()) == 1

        filler.unlink()
        wait_until(lambda: host.get("/healthz")[0] == 200, 30, "/healthz did not recover once there was room")
        assert post(host, "/newsletter/subscribe", {"email": "after@example.org", "frequency": "weekly"})[0] == 200
        assert post(host, f"/articles/{SLUG}/problem", {"text": "after the disk was freed"})[0] == 200
    with sqlite3.connect(host.instance / "miafeed.db") as connection:
        emails = sorted(email for (email,) in connection.execute("SELECT email FROM subscribers"))
    assert emails == ["after@example.org", "before@example.org"]
    assert stored_problem_texts(host) == ["after the disk was freed"]
