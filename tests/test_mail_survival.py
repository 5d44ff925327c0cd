"""Mail survives restarts and outages: each mail is recorded as it is sent,
a stopping worker gives back its claim, a dead one's claim expires in about
a minute, mail is retried for days, and a failed digest is sent again."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from miafeed.extensions import db
from miafeed.clock import utcnow
from miafeed.newsletter.delivery import BackgroundDelivery
from miafeed.newsletter.mail_queue import claim_batch
from miafeed.newsletter.sending import deliver_batch, deliver_due
from miafeed.newsletter.digests import send_digests
from miafeed.newsletter.models import OutgoingMail, Subscriber

from clock import iso_day, moment
from newsletter_support import (  # noqa: F401
    Inbox, app, app_config, app_defaults, deliver, free_port, make_app, queued_mail, sign_up, smtp_app, smtp_inbox,
)


def _statuses(app) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in queued_mail(app):
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def _sign_up_many(app, count: int) -> None:
    client = app.test_client()
    for number in range(count):
        sign_up(client, f"reader{number}@example.org")


class SlowInbox(Inbox):
    """An SMTP server that lets a test stop the sender after some mails."""

    def __init__(self, after_each=None):
        super().__init__()
        self.after_each = after_each

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.after_each:
            self.after_each(len(self.messages))
        return answer


@pytest.fixture
def stoppable_smtp():
    from aiosmtpd.controller import Controller

    stop = threading.Event()
    inbox = SlowInbox(after_each=lambda count: stop.set() if count >= 3 else None)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port, stop
    controller.stop()


def test_each_mail_is_recorded_sent_as_it_goes_and_a_stop_gives_back_the_rest(tmp_path, stoppable_smtp):
    inbox, port, stop = stoppable_smtp
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    _sign_up_many(app, 10)
    with app.app_context():
        report = deliver_due(app, should_stop=stop.is_set)
    # Stopped after the third mail: three sent and recorded as such, the
    # other seven back in the queue and due at once, none left "sending".
    assert report.sent == 3 and len(inbox.messages) == 3
    assert _statuses(app) == {"sent": 3, "queued": 7}
    assert all(row.claimed_by is None and row.attempts == 0 for row in queued_mail(app) if row.status == "queued")
    stop.clear()
    inbox.after_each = None
    assert deliver(app).sent == 7
    assert sorted(message["To"] for message in inbox.messages) == sorted(f"reader{n}@example.org" for n in range(10))


def test_a_background_thread_stopped_mid_batch_sends_no_mail_twice(tmp_path, stoppable_smtp):
    inbox, port, reached_three = stoppable_smtp
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    _sign_up_many(app, 10)
    worker = BackgroundDelivery(app).start()
    reached_three.wait(10)
    assert worker.stop(timeout=10)
    assert _statuses(app).get("sending", 0) == 0
    deliver(app)
    addresses = [message["To"] for message in inbox.messages]
    assert len(addresses) == 10 and len(set(addresses)) == 10


def test_a_dead_workers_claim_comes_back_after_the_lease(app, client):
    sign_up(client, "orphan@example.org")
    with app.app_context():
        [claimed] = claim_batch(10)  # and then the process is killed
        assert claim_batch(10) == []  # still leased
        db.session.execute(
            db.update(OutgoingMail).values(claimed_at=utcnow() - timedelta(seconds=app.config["MAIL_CLAIM_LEASE_SECONDS"] + 1))
        )
        db.session.commit()
        [again] = claim_batch(10)
    assert again.id == claimed.id and again.claimed_by != claimed.claimed_by
    assert app.config["MAIL_CLAIM_LEASE_SECONDS"] <= 90


def test_a_long_batch_renews_its_lease(tmp_path, smtp_inbox):
    inbox, port = smtp_inbox
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_CLAIM_LEASE_SECONDS=0.0001)
    _sign_up_many(app, 3)
    seen = []

    def look_between_mails():
        # Called before each mail: after the first one, the other two must
        # carry a fresher claim time than when they were claimed.
        seen.append({row.id: (row.status, row.claimed_at) for row in queued_mail(app)})
        return False

    with app.app_context():
        rows = claim_batch(10)
        deliver_batch(app, rows, should_stop=look_between_mails)
    first, second = seen[0], seen[1]
    assert first[rows[0].id][0] == "sending" and second[rows[0].id][0] == "sent"
    assert all(second[row.id][1] > first[row.id][1] for row in rows[1:])
    assert len(inbox.messages) == 3


def test_an_outage_of_hours_keeps_mail_queued_and_healthz_reports_the_backlog(tmp_path, smtp_inbox):
    inbox, port = smtp_inbox
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    _sign_up_many(app, 4)
    with app.app_context():
        db.session.execute(db.update(OutgoingMail).values(created_at=utcnow() - timedelta(hours=3), attempts=20))
        db.session.commit()
    report = deliver(app)
    assert (report.retrying, report.failed) == (4, 0)
    health = app.test_client().get("/healthz")
    assert health.status_code == 200  # the site itself is fine
    body = health.get_json()
    assert body["status"] == "degraded"
    mail = body["checks"]["mail_queue"]
    assert mail["status"] == "degraded" and mail["waiting"] == 4 and mail["oldest_waiting_seconds"] >= 3 * 3600
    # The server is back: everything goes, and the queue is healthy again.
    app.config["MAIL_PORT"] = port
    with app.app_context():
        db.session.execute(db.update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
    assert deliver(app).sent == 4
    assert app.test_client().get("/healthz").get_json()["checks"]["mail_queue"]["status"] == "ok"


def test_retries_back_off_to_at_most_an_hour(tmp_path):
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    sign_up(app.test_client(), "patient@example.org")
    with app.app_context():
        db.session.execute(db.update(OutgoingMail).values(attempts=30))
        db.session.commit()
    deliver(app)
    [row] = queued_mail(app)
    assert row.status == "queued"
    assert timedelta(minutes=59) < row.next_attempt_at - utcnow() <= timedelta(hours=1)


def test_mail_retry_requeues_failed_mail(tmp_path, smtp_inbox):
    inbox, port = smtp_inbox
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_RETRY_FOR_HOURS=0)
    sign_up(app.test_client(), "late@example.org")
    assert deliver(app).failed == 1
    assert app.test_client().get("/healthz").get_json()["checks"]["mail_queue"]["failed"] == 1
    app.config.update(MAIL_PORT=port, MAIL_RETRY_FOR_HOURS=120)
    result = app.test_cli_runner().invoke(args=["mail", "retry"])
    assert result.exit_code == 0 and "1 requeued" in result.output
    assert deliver(app).sent == 1
    assert len(inbox.to("late@example.org")) == 1


@pytest.fixture
def digest_reader(tmp_path, content):
    # Published yesterday: inside the first weekly digest's window on any day the suite runs.
    content.write("news", title="New sleep study", slug="new-sleep-study", published=iso_day(-1))

    built = []

    def build(**config):
        app = make_app(tmp_path, **config)
        built.append(app)
        with app.app_context():
            content.import_all()
            db.session.add(Subscriber(email="digest@example.org", frequency="weekly", status="active",
                                      consent_version="v", consent_source="/", confirmed_at=utcnow()))
            db.session.commit()
        return app

    yield build
    for app in built:  # closed here, not left to a garbage collection during a later test
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _reader(app) -> Subscriber:
    with app.app_context():
        found = db.session.scalar(db.select(Subscriber))
        db.session.expunge(found)
        return found


def test_a_digest_that_fails_for_good_is_sent_by_the_next_run(digest_reader, smtp_inbox):
    inbox, port = smtp_inbox
    app = digest_reader(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_RETRY_FOR_HOURS=0)
    now = moment()
    with app.app_context():
        assert send_digests("weekly", now=now).sent == 1
    assert _reader(app).last_digest_period is not None
    assert deliver(app).failed == 1
    reader = _reader(app)
    assert reader.last_digest_period is None  # the failed digest does not count
    app.config["MAIL_PORT"] = port
    with app.app_context():
        assert send_digests("weekly", now=now + timedelta(minutes=5)).sent == 1
    assert deliver(app).sent == 1
    [message] = inbox.to("digest@example.org")
    assert "New sleep study" in message.get_body(("plain",)).get_content()


def test_mail_retry_of_a_failed_digest_counts_it_again_so_no_second_digest(digest_reader, smtp_inbox):
    inbox, port = smtp_inbox
    app = digest_reader(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_RETRY_FOR_HOURS=0)
    now = moment()
    with app.app_context():
        send_digests("weekly", now=now)
    deliver(app)
    app.config.update(MAIL_PORT=port, MAIL_RETRY_FOR_HOURS=120)
    assert "1 requeued" in app.test_cli_runner().invoke(args=["mail", "retry"]).output
    with app.app_context():
        assert send_digests("weekly", now=now + timedelta(minutes=5)).sent == 0
    deliver(app)
    assert len(inbox.to("digest@example.org")) == 1


def test_a_permanent_refusal_fails_at_once_and_the_rest_of_the_batch_goes(tmp_path):
    from aiosmtpd.controller import Controller

    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("refused"):
                return "550 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    inbox, port = Refusing(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        client = app.test_client()
        for address in ("ok1@example.org", "refused@example.org", "ok2@example.org"):
            sign_up(client, address)
        report = deliver(app)
    finally:
        controller.stop()
    assert (report.sent, report.failed) == (2, 1)
    assert {row.to_address: row.status for row in queued_mail(app)}["refused@example.org"] == "failed"
