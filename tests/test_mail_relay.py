"""A slow relay or a broken one, as real SMTP servers of the test's own.

A send that outlives its claim's lease may go out twice, but never the rest
of its batch; a relay that refuses everything pauses delivery without
counting anyone's bounce, and delivery resumes by itself once it accepts
mail again. Only refusals about the reader's address are bounces.
"""
from __future__ import annotations

import asyncio
import threading
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from miafeed.extensions import db
from miafeed.newsletter.sending import deliver_due
from miafeed.newsletter.transports import DATA, MAIL, RCPT, PermanentFailure
from processes import wait_until
from newsletter_support import Inbox, free_port, make_app, queued_mail, sign_up, subscriber

READERS = [f"reader{number}@example.org" for number in range(8)]


def _sign_up_all(app, addresses=READERS) -> None:
    client = app.test_client()
    for address in addresses:
        sign_up(client, address)


def _poll(predicate, seconds: float = 30, every: float = 0.05):
    """Call `predicate` until it returns something true; fail after `seconds`."""
    return wait_until(predicate, seconds, "the relay's state", step=every)


@pytest.fixture
def smtp_server():
    """Start an aiosmtpd server with the given handler on loopback; yields a starter."""
    controllers = []

    def start(handler) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def relay_app(tmp_path):
    """Build the app for a relay on `port`; its connections are closed after the test."""
    built = []

    def build(port, **extra):
        # A bounce limit of one: a single bounce counted wrongly would stop a reader's digests.
        app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_BOUNCE_LIMIT=1,
                       MAIL_RELAY_RETRY_SECONDS=0.2, **extra)
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class SlowFinalReply(Inbox):
    """Takes the first mail's text, then holds back its final 250 (the reply
    to DATA) until the test lets go: a relay slower than the claim's lease."""

    def __init__(self):
        super().__init__()
        self.first_mail_in = threading.Event()
        self.let_go = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if not self.first_mail_in.is_set():
            self.first_mail_in.set()
            # Waits off the event loop, so the server keeps serving other senders.
            await asyncio.get_running_loop().run_in_executor(None, self.let_go.wait, 60)
        return answer


def test_a_send_that_outlives_its_claim_doubles_one_mail_at_most_never_the_batch(relay_app, smtp_server):
    relay = SlowFinalReply()
    port = smtp_server(relay)
    app = relay_app(port, MAIL_CLAIM_LEASE_SECONDS=1, MAIL_TIMEOUT_SECONDS=60)
    _sign_up_all(app)

    first_report = []

    def first_deliverer():
        with app.app_context():
            first_report.append(deliver_due(app))

    first = threading.Thread(target=first_deliverer)
    first.start()
    try:
        assert relay.first_mail_in.wait(30)

        # A second deliverer finds the claim expired, takes the batch back and sends it.
        def second_delivers_something():
            with app.app_context():
                return deliver_due(app).sent

        assert _poll(second_delivers_something) == len(READERS)
    finally:
        relay.let_go.set()
        first.join(60)
    assert not first.is_alive()

    # The first deliverer's reply finally came; it went on with none of its old batch.
    assert first_report[0].sent == 1
    received = Counter(message["To"] for message in relay.messages)
    assert set(received) == set(READERS)
    assert sorted(received.values()) == [1] * (len(READERS) - 1) + [2]
    assert {row.status for row in queued_mail(app)} == {"sent"}


class RefusingRelay(Inbox):
    """A relay that refuses every mail with one reply (at RCPT or after
    DATA) until `refusal` is set to None, then accepts again."""

    def __init__(self, refusal: str | None, at: str = RCPT, refuse_only: str | None = None):
        super().__init__()
        self.refusal, self.at, self.refuse_only = refusal, at, refuse_only

    def _refuses(self, address: str) -> bool:
        return self.refusal is not None and self.refuse_only in (None, address)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.at == RCPT and self._refuses(address):
            return self.refusal.replace("{address}", f"<{address}>")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.at == DATA and self._refuses(envelope.rcpt_tos[0]):
            return self.refusal
        return await super().handle_DATA(server, session, envelope)


def _nobody_bounced(app) -> bool:
    readers = [subscriber(app, address) for address in READERS]
    return all(reader.last_bounce_at is None and reader.bounce_count == 0 and reader.status != "bounced"
               for reader in readers)


@pytest.mark.parametrize("refusal, at", [
    ("554 5.7.1 {address}: Relay access denied", RCPT),
    ("500 Internal error: the relay's mailbox store is broken", DATA),
], ids=["relay-access-denied-at-rcpt", "500-after-data"])
def test_a_relay_that_refuses_everything_pauses_delivery_and_bounces_nobody(relay_app, smtp_server, refusal, at):
    relay = RefusingRelay(refusal, at)
    app = relay_app(smtp_server(relay))
    _sign_up_all(app)

    with app.app_context():
        report = deliver_due(app)
    assert report.sent == 0 and report.failed == 0 and report.relay_refused
    assert _nobody_bounced(app)
    # Nothing failed: every mail still waits in the queue.
    assert {row.status for row in queued_mail(app)} == {"queued"}

    health = app.test_client().get("/healthz").get_json()["checks"]["mail_queue"]
    assert health["status"] == "degraded"
    assert health["relay"]["paused"] is True
    assert refusal.split()[0] in health["relay"]["reply"]
    stats = app.test_cli_runner().invoke(args=["stats"]).output
    assert "Mail delivery: PAUSED" in stats and "@example.org" not in stats

    # The relay is fixed; delivery resumes by itself after its back-off.
    relay.refusal = None

    def everyone_has_mail():
        with app.app_context():
            deliver_due(app)
        return all(relay.to(address) for address in READERS)

    _poll(everyone_has_mail)
    assert sorted(message["To"] for message in relay.messages) == sorted(READERS)
    assert _nobody_bounced(app)
    health = app.test_client().get("/healthz").get_json()["checks"]["mail_queue"]
    assert health["status"] == "ok" and "relay" not in health
    assert "PAUSED" not in app.test_cli_runner().invoke(args=["stats"]).output


def test_a_relay_still_refusing_after_the_back_off_stays_paused_and_sends_nothing(relay_app, smtp_server):
    relay = RefusingRelay("554 5.7.1 {address}: Relay access denied")
    app = relay_app(smtp_server(relay))
    _sign_up_all(app)
    with app.app_context():
        assert deliver_due(app).relay_refused

    def tried_again():
        with app.app_context():
            deliver_due(app)
        return app.test_client().get("/healthz").get_json()["checks"]["mail_queue"]["relay"]["refusals"] >= 2

    _poll(tried_again)
    assert relay.messages == [] and _nobody_bounced(app)
    assert {row.status for row in queued_mail(app)} == {"queued"}


def test_an_unknown_address_is_that_readers_bounce_and_the_others_get_their_mail(relay_app, smtp_server):
    gone = READERS[3]
    relay = RefusingRelay("550 5.1.1 {address}: Recipient address rejected: User unknown", refuse_only=gone)
    app = relay_app(smtp_server(relay))
    _sign_up_all(app)
    with app.app_context():
        report = deliver_due(app)
    assert report.sent == len(READERS) - 1 and report.failed == 1 and not report.relay_refused
    assert subscriber(app, gone).last_bounce_at is not None
    assert all(subscriber(app, address).last_bounce_at is None for address in READERS if address != gone)
    assert app.test_client().get("/healthz").get_json()["checks"]["mail_queue"].get("relay") is None


def test_a_relay_refusing_mail_sent_one_at_a_time_is_caught_too(relay_app, smtp_server):
    # The delivery thread sends each sign-up's confirmation in a batch of its own.
    relay = RefusingRelay("554 5.7.1 {address}: Relay access denied")
    app = relay_app(smtp_server(relay))
    _sign_up_all(app)
    with app.app_context():
        reports = [deliver_due(app, limit=1) for _ in range(3)]
    assert [bool(report.relay_refused) for report in reports] == [False, False, True]
    assert _nobody_bounced(app)
    # The first two failed on their own (a relay refusal, not a bounce); the rest wait.
    statuses = [row.status for row in queued_mail(app)]
    assert statuses.count("failed") == 2 and statuses.count("queued") == len(READERS) - 2
    assert app.test_client().get("/healthz").get_json()["checks"]["mail_queue"]["relay"]["paused"] is True


class DeadAddresses(RefusingRelay):
    def __init__(self, dead: set[str]):
        super().__init__("550 5.1.1 {address}: Recipient address rejected: User unknown")
        self.dead = dead

    def _refuses(self, address: str) -> bool:
        return address in self.dead


def test_dead_addresses_in_a_row_are_their_readers_bounces_not_a_relay_fault(relay_app, smtp_server):
    dead = set(READERS[2:6])
    relay = DeadAddresses(dead)
    app = relay_app(smtp_server(relay))
    _sign_up_all(app)
    with app.app_context():
        report = deliver_due(app)
    assert report.sent == len(READERS) - len(dead) and report.failed == len(dead) and not report.relay_refused
    assert {address for address in READERS if subscriber(app, address).last_bounce_at is not None} == dead
    assert app.test_client().get("/healthz").get_json()["checks"]["mail_queue"].get("relay") is None


def test_a_single_refusal_about_the_relay_fails_that_mail_without_a_bounce(relay_app, smtp_server):
    relay = RefusingRelay("554 5.7.1 Message rejected by the relay's content policy", at=DATA, refuse_only=READERS[0])
    app = relay_app(smtp_server(relay))
    _sign_up_all(app)
    with app.app_context():
        report = deliver_due(app)
    assert report.sent == len(READERS) - 1 and report.failed == 1 and not report.relay_refused
    assert _nobody_bounced(app)


@pytest.mark.parametrize("code, text, step, bounce", [
    (550, "5.1.1 <a@example.org>: Recipient address rejected: User unknown", RCPT, True),
    (550, "Mailbox unavailable", RCPT, True),
    (551, "User not local", RCPT, True),
    (553, "Mailbox name not allowed", RCPT, True),
    (552, "5.2.2 Mailbox full", DATA, True),
    (550, "5.2.1 Mailbox disabled", RCPT, True),
    (554, "5.7.1 <a@example.org>: Relay access denied", RCPT, False),
    (550, "5.7.1 Sending blocked by policy", RCPT, False),
    (554, "Transaction failed", RCPT, False),
    (500, "Internal error", DATA, False),
    (550, "Mailbox unavailable", DATA, False),
    (530, "5.7.0 Authentication required", MAIL, False),
])
def test_only_replies_about_the_address_count_as_a_bounce(code, text, step, bounce):
    assert PermanentFailure(code, text, step).about_recipient is bounce


def test_the_same_refusal_for_two_readers_is_one_reply():
    one = PermanentFailure(554, "5.7.1 <a@example.org>: Relay access denied", RCPT)
    other = PermanentFailure(554, "5.7.1 <b@example.net>: Relay access denied", RCPT)
    assert one.reply_key == other.reply_key and "@" not in one.reply_key
