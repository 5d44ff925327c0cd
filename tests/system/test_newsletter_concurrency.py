"""Several processes (like gunicorn workers) signing up overlapping addresses
against one SQLite file: no "database is locked", no lost or duplicate rows."""
from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from miafeed.newsletter.models import OutgoingMail, Subscriber
from newsletter_support import make_app

PROCESSES = 4
ADDRESSES = [f"reader{number:02d}@example.org" for number in range(30)]


def sign_up_all(instance: str, database_uri: str, offset: int) -> list[tuple[int, bytes]]:
    """Run in a child process: its own app, the addresses in its own order."""
    from miafeed import create_app

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": database_uri,
         "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_BACKGROUND_DELIVERY": False,
         "SUBSCRIBE_MIN_ANSWER_SECONDS": 0},
        instance_path=instance,
    )
    client = app.test_client()
    answers = []
    for email in ADDRESSES[offset:] + ADDRESSES[:offset]:
        response = client.post(
            "/newsletter/subscribe", data={"email": email, "frequency": "weekly"}, headers={"HX-Request": "true"}
        )
        answers.append((response.status_code, response.get_data()))
    return answers


def test_concurrent_sign_ups_from_several_processes_lose_and_duplicate_nothing(tmp_path):
    app = make_app(tmp_path)  # creates the tables once, before the workers start
    instance = app.instance_path
    database_uri = app.config["SQLALCHEMY_DATABASE_URI"]
    # spawn: each worker starts clean, like a gunicorn worker without preload.
    # An executor (not a Pool) fails loudly if a worker dies instead of hanging.
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as executor:
        futures = [executor.submit(sign_up_all, instance, database_uri, offset * 7) for offset in range(PROCESSES)]
        results = [future.result(timeout=120) for future in futures]
    answers = [answer for result in results for answer in result]
    assert len(answers) == PROCESSES * len(ADDRESSES)
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1  # every answer the same "check your inbox"
    assert b"Check your inbox to confirm" in answers[0][1]
    with app.app_context():
        from miafeed.extensions import db

        emails = db.session.scalars(db.select(Subscriber.email)).all()
        mails = Counter(db.session.scalars(db.select(OutgoingMail.to_address)).all())
    assert sorted(emails) == ADDRESSES
    # One confirmation each: the first sign-up sends it, the rest fall inside
    # the resend interval.
    assert mails == {email: 1 for email in ADDRESSES}
