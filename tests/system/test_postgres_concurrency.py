"""Several processes on one PostgreSQL database: the mail queue and digests.

PostgreSQL runs these processes' transactions side by side (SQLite makes
writers take turns), so these tests check the row locks that keep work from
being done twice: four deliverers draining one queue through a real SMTP
server, and two `digest send` runs started at the same moment.
"""
from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from miafeed.extensions import db
from miafeed.clock import utcnow
from miafeed.newsletter.models import SENT, OutgoingMail, Subscriber
from newsletter_support import make_app, smtp_inbox  # noqa: F401

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

MAILS = 2000
DELIVERERS = 4
READERS = 450  # more than one digest batch (200), so the runs interleave batch by batch


def _spawn(workers: int) -> ProcessPoolExecutor:
    # spawn: each process starts clean, like a gunicorn worker or a cron job.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _child_app(instance: str, database_uri: str, **settings):
    from miafeed import create_app

    config = {"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": database_uri,
              "RATELIMIT_ENABLED": False, "MAIL_BACKGROUND_DELIVERY": False, "SITE_URL": "http://localhost"}
    config.update(settings)
    return create_app(config, instance_path=instance)


def deliver_in_child(instance: str, database_uri: str, smtp_port: int, barrier) -> int:
    """One deliverer: drains the queue until nothing is left; returns mails sent.
    It starts when every deliverer is up and connected (the barrier), not at a
    guessed moment, so a slow machine still runs them side by side."""
    from miafeed.newsletter.sending import deliver_due

    app = _child_app(instance, database_uri, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port, MAIL_BATCH_SIZE=25)
    barrier.wait(timeout=120)
    with app.app_context():
        report = deliver_due(app)
        db.engine.dispose()
    return report.sent


def _message(number: int) -> str:
    return (
        f"From: newsletter@miafeed.test\r\nTo: reader{number:04d}@example.org\r\n"
        f"Subject: Mail {number:04d}\r\nMessage-ID: <mail-{number:04d}@miafeed.test>\r\n\r\nHello {number}.\r\n"
    )


def test_four_processes_drain_one_queue_and_every_mail_arrives_exactly_once(tmp_path, smtp_inbox):  # noqa: F811
    inbox, port = smtp_inbox
    app = make_app(tmp_path)
    with app.app_context():
        db.session.execute(insert(OutgoingMail), [
            {"kind": "confirm", "to_address": f"reader{n:04d}@example.org", "subject": f"Mail {n:04d}",
             "message": _message(n), "next_attempt_at": utcnow() - timedelta(seconds=1)}
            for n in range(MAILS)
        ])
        db.session.commit()
    with multiprocessing.get_context("spawn").Manager() as manager:
        barrier = manager.Barrier(DELIVERERS)
        with _spawn(DELIVERERS) as executor:
            futures = [executor.submit(deliver_in_child, app.instance_path, app.config["SQLALCHEMY_DATABASE_URI"],
                                       port, barrier) for _ in range(DELIVERERS)]
            sent_by_process = [future.result(timeout=300) for future in futures]

    received = Counter(message["Subject"] for message in inbox.messages)
    assert len(received) == MAILS
    assert set(received.values()) == {1}, [subject for subject, count in received.items() if count > 1][:5]
    assert sum(sent_by_process) == MAILS
    with app.app_context():
        statuses = dict(db.session.execute(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)).all())
    assert statuses == {SENT: MAILS}
    print(f"\nmails sent by each of {DELIVERERS} processes: {sent_by_process}")


def digest_in_child(instance: str, database_uri: str, barrier) -> str:
    """One `flask digest send --frequency weekly`, started when the other is."""
    app = _child_app(instance, database_uri)
    runner = app.test_cli_runner()
    barrier.wait(timeout=60)
    result = runner.invoke(args=["digest", "send", "--frequency", "weekly"])
    with app.app_context():
        db.engine.dispose()
    return result.output


def test_two_digest_runs_started_together_send_each_reader_one_digest(tmp_path, content):
    app = make_app(tmp_path)
    now = utcnow()
    content.write("fresh", title="Morning light and sleep timing", published=f"{now - timedelta(hours=3):%Y-%m-%dT%H:%M:%S}Z")
    with app.app_context():
        content.import_all()
        db.session.add_all(
            Subscriber(email=f"reader{n:03d}@example.org", frequency="weekly", status="active",
                       consent_version="v", consent_source="/")
            for n in range(READERS)
        )
        db.session.commit()

    with multiprocessing.get_context("spawn").Manager() as manager:
        barrier = manager.Barrier(2)
        with _spawn(2) as executor:
            futures = [executor.submit(digest_in_child, app.instance_path, app.config["SQLALCHEMY_DATABASE_URI"],
                                       barrier) for _ in range(2)]
            outputs = [future.result(timeout=300) for future in futures]

    with app.app_context():
        digests = Counter(db.session.scalars(select(OutgoingMail.to_address).where(OutgoingMail.kind == "digest")))
    assert len(digests) == READERS
    assert set(digests.values()) == {1}
    assert all("Digest weekly:" in output for output in outputs), outputs
    print("\n" + "".join(outputs))
