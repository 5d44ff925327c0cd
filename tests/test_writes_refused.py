"""A write the site cannot take now is refused clearly: 503 with
Retry-After and words that say to try again, never a bare 500; a form in
another charset is read in that charset or refused with 400, never thanked
and dropped.

The database is held by a second connection (BEGIN EXCLUSIVE), as another
process holding the write lock would; the busy timeout is made short so
the test does not wait the default five seconds.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest

from database_support import ON_POSTGRES
from miafeed.extensions import db
from miafeed.feedback.models import ReaderFeedback
from miafeed.newsletter.models import Subscriber
from newsletter_support import app, app_config, app_defaults  # noqa: F401

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
HTMX = dict(SAME_ORIGIN, **{"HX-Request": "true"})
URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def app_config():
    return {"SQLITE_BUSY_TIMEOUT_MS": 200, "WRITE_RETRY_AFTER_SECONDS": 17}


@pytest.fixture
def article(app, content):
    content.write("sleep-study", title="'Sleep and stress'", slug="sleep-and-stress")
    with app.app_context():
        content.import_all()
    return "sleep-and-stress"


@contextmanager
def database_held_by_another_process(app):
    with app.app_context():
        path = db.engine.url.database
        db.session.remove()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def stored_feedback(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(row.kind, row.text) for row in db.session.scalars(db.select(ReaderFeedback).order_by(ReaderFeedback.id))]


needs_sqlite = pytest.mark.skipif(ON_POSTGRES, reason="holds SQLite's write lock from a second connection")


@needs_sqlite
def test_feedback_and_sign_up_on_a_held_database_get_503_with_retry_after_then_work(app, article):
    client = app.test_client()
    with database_held_by_another_process(app):
        page = client.post(f"/articles/{article}/problem", data={"text": "The dose is wrong"}, headers=SAME_ORIGIN)
        fragment = client.post(f"/articles/{article}/helpful", data={"answer": "yes"}, headers=HTMX)
        sign_up = client.post("/newsletter/subscribe", data={"email": "reader@example.org", "frequency": "weekly"},
                              headers=SAME_ORIGIN)
        health = client.get("/healthz")
    for refused in (page, fragment, sign_up):
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "17"
        assert "nothing you sent was saved" in refused.get_data(as_text=True)
        assert "Thank you" not in refused.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    assert health.status_code == 503 and health.get_json()["checks"]["writes"]["status"] == "unavailable"
    assert stored_feedback(app) == []
    with app.app_context():
        assert db.session.scalars(db.select(Subscriber)).all() == []

    # The lock is gone: the same posts are taken, and /healthz is well again.
    assert client.post(f"/articles/{article}/problem", data={"text": "The dose is wrong"}, headers=SAME_ORIGIN).status_code == 200
    assert client.get("/healthz").get_json()["checks"]["writes"] == {"status": "ok"}
    assert stored_feedback(app) == [("problem", "The dose is wrong")]


def test_healthz_turns_503_when_the_instance_folder_cannot_take_a_file(app, monkeypatch):
    import os

    real_open = os.open

    def full_disk(path, *args, **kwargs):
        if ".write-probe-" in str(path):
            raise OSError(28, "No space left on device")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", full_disk)
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    assert "no space left on device" in health.get_json()["checks"]["writes"]["reason"]


def test_a_latin1_report_that_says_so_is_stored_as_written(app, article):
    body = "text=".encode() + "Le café est trop chaud".encode("latin-1").replace(b" ", b"+")
    answer = app.test_client().post(f"/articles/{article}/problem", data=body,
                                    content_type=f"{URLENCODED}; charset=ISO-8859-1", headers=SAME_ORIGIN)
    assert answer.status_code == 200
    assert stored_feedback(app) == [("problem", "Le café est trop chaud")]


@pytest.mark.parametrize("body", [
    "text=Le café".encode("latin-1"),  # raw latin-1 bytes, no charset named
    b"text=Le+caf%E9",  # percent-encoded latin-1, no charset named
])
def test_a_report_that_is_not_utf8_is_refused_with_400_and_nothing_stored(app, article, body):
    client = app.test_client()
    page = client.post(f"/articles/{article}/problem", data=body, content_type=URLENCODED, headers=SAME_ORIGIN)
    assert page.status_code == 400
    assert "could not read the text you sent" in page.get_data(as_text=True)
    fragment = client.post(f"/articles/{article}/problem", data=body, content_type=URLENCODED, headers=HTMX)
    assert fragment.status_code == 200 and "nothing was saved" in fragment.get_data(as_text=True)
    assert stored_feedback(app) == []


def test_a_utf8_report_is_stored_as_written(app, article):
    answer = app.test_client().post(f"/articles/{article}/problem", data={"text": "Naïve café — 5 mg"}, headers=SAME_ORIGIN)
    assert answer.status_code == 200
    assert stored_feedback(app) == [("problem", "Naïve café — 5 mg")]


@needs_sqlite
@pytest.mark.parametrize("command", [["content", "import"], ["feedback", "prune"], ["search", "misses"]])
def test_a_command_on_a_held_database_ends_with_one_line_and_exit_1(app, article, content, command):
    args = command + ([str(content.root)] if command[0] == "content" else [])
    content.write("sleep-study", title="'Sleep and stress, corrected'", slug="sleep-and-stress")  # an import must write
    with database_held_by_another_process(app):
        result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback, a clean exit
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: {' '.join(command)} could not finish: database is locked.")
