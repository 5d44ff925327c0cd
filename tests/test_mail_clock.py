"""Deliverers whose clocks disagree with the database's.

Leases and due times are read from the database server's clock
(database.database_now), so a host an hour ahead takes back no live
worker's claim and one an hour behind still finds its mail due. SQLite's
clock is the one host's own, so these run on PostgreSQL (`make test-postgres`),
with the deliverer's own clock moved by time-machine and the server's not.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from miafeed.newsletter.mail_queue import claim_batch, hold_claim
from miafeed.newsletter.sending import deliver_due
from newsletter_support import queued_mail, sign_up, smtp_app, smtp_inbox  # noqa: F401

pytestmark = pytest.mark.postgres_only

READERS = [f"reader{number}@example.org" for number in range(6)]


def _sign_up_all(app) -> None:
    client = app.test_client()
    for address in READERS:
        sign_up(client, address)


def _this_host_off_by(hours: float):
    """This process's clock moved; the database server's stays true."""
    return time_machine.travel(datetime.now(timezone.utc) + timedelta(hours=hours), tick=True)


def test_a_deliverer_an_hour_ahead_takes_back_no_claim_a_live_worker_holds(smtp_app):
    app, inbox = smtp_app
    _sign_up_all(app)
    with app.app_context():
        live = claim_batch(2, app)  # another worker, busy with these two
    with _this_host_off_by(+1), app.app_context():
        report = deliver_due(app)
    assert report.sent == len(READERS) - len(live)
    assert sorted(message["To"] for message in inbox.messages) == sorted(READERS[len(live):])
    with app.app_context():
        assert hold_claim(live) == {mail.id for mail in live}


def test_a_deliverer_an_hour_behind_sends_what_is_due(smtp_app):
    app, inbox = smtp_app
    _sign_up_all(app)
    with _this_host_off_by(-1), app.app_context():
        report = deliver_due(app)
    assert report.sent == len(READERS)
    assert {row.status for row in queued_mail(app)} == {"sent"}


def test_mail_queued_by_a_web_host_an_hour_ahead_is_due_at_once(smtp_app):
    app, inbox = smtp_app
    with _this_host_off_by(+1):
        _sign_up_all(app)
    with app.app_context():
        assert deliver_due(app).sent == len(READERS)
