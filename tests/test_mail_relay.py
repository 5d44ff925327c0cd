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
from miafeed.newsletter.models import OutgoingMail
from miafeed.newsletter.sending import deliver_due
from miafeed.newsletter.transports import DATA, MAIL, RCPT, RECIPIENT, RELAY, UNSURE, PermanentFailure
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
    to DATA) until the test lets go."""

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


def test_a_claim_taken_back_mid_send_stops_its_batch_after_the_mail_in_flight(relay_app, smtp_server):
    # The heartbeat keeps a live worker's claim; should it be taken back
    # anyway (the database out of reach for a whole lease), the fencing stops
    # the old holder's batch: one mail doubled at most, never the batch.
    relay = SlowFinalReply()
    port = smtp_server(relay)
    app = relay_app(port, MAIL_TIMEOUT_SECONDS=60)
    _sign_up_all(app)

    first_report = []

    def first_deliverer():
        with app.app_context():
            first_report.append(deliver_due(app))

    first = threading.Thread(target=first_deliverer)
    first.start()
    try:
        assert relay.first_mail_in.wait(30)
        with app.app_context():
            # What claim_batch does to a claim whose lease ran out.
            db.session.execute(db.update(OutgoingMail).where(OutgoingMail.status == "sending")
                               .values(status="queued", claimed_by=None))
            db.session.commit()
            assert deliver_due(app).sent == len(READERS)
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


class SlowOnEveryMail(Inbox):
    """A relay slower than the claim's lease on every mail: it waits
    `seconds` before each final 250."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.seconds)
        return answer


def test_a_relay_slower_than_the_lease_on_every_mail_doubles_nothing(relay_app, smtp_server):
    relay = SlowOnEveryMail(seconds=3)
    app = relay_app(smtp_server(relay), MAIL_CLAIM_LEASE_SECONDS=2, MAIL_BATCH_SIZE=3, MAIL_TIMEOUT_SECONDS=60)
    readers = READERS[:9]
    _sign_up_all(app, readers)

    def queue_is_empty() -> bool:
        return all(row.status in ("sent", "failed") for row in queued_mail(app))

    def deliverer():
        # Polls like the workers' threads do, until nothing is left to send.
        def drained() -> bool:
            deliver_due(app)
            return queue_is_empty()

        with app.app_context():
            wait_until(drained, 120, "every reader's mail sent")

    deliverers = [threading.Thread(target=deliverer) for _ in range(3)]
    for thread in deliverers:
        thread.start()
    for thread in deliverers:
        thread.join(150)
    received = Counter(message["To"] for message in relay.messages)
    assert set(received) == set(readers), "missing mail"
    assert [address for address, count in received.items() if count > 1] == [], "doubled mail"
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


@pytest.mark.parametrize("reply", [
    "550 5.1.1 {address}: Recipient address rejected: User unknown",
    "550 Mailbox unavailable",  # no enhanced code: the others' mail going through names the reader
])
def test_a_refusal_of_one_reader_while_the_others_get_their_mail_is_that_readers_bounce(relay_app, smtp_server, reply):
    gone = READERS[3]
    relay = RefusingRelay(reply, refuse_only=gone)
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


def test_a_bare_550_relay_not_permitted_to_every_reader_pauses_and_bounces_nobody(relay_app, smtp_server):
    # Exim's refusal for a host it will not relay for: no enhanced code, at RCPT.
    relay = RefusingRelay("550 relay not permitted")
    app = relay_app(smtp_server(relay))
    _sign_up_all(app)
    with app.app_context():
        first, second = deliver_due(app), deliver_due(app)
    assert first.relay_refused and second.relay_refused
    assert first.failed == second.failed == 0 and first.sent == second.sent == 0
    assert _nobody_bounced(app)
    assert {row.status for row in queued_mail(app)} == {"queued"}
    relay_health = app.test_client().get("/healthz").get_json()["checks"]["mail_queue"]["relay"]
    assert relay_health["paused"] is True and "550 relay not permitted" in relay_health["reply"]



def test_refusals_met_by_several_workers_add_up_to_one_pause_for_the_site(tmp_path, smtp_server):
    # Two workers (two apps, one database), each sending one mail at a time,
    # as their delivery threads do with sign-up confirmations.
    relay = RefusingRelay("554 5.7.1 {address}: Relay access denied")
    port = smtp_server(relay)
    workers = [make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_BOUNCE_LIMIT=1,
                        MAIL_RELAY_RETRY_SECONDS=60) for _ in range(2)]
    try:
        _sign_up_all(workers[0])
        reports = []
        for turn in range(3):
            worker = workers[turn % 2]
            with worker.app_context():
                reports.append(deliver_due(worker, limit=1))
        # The third refusal in a row, whichever worker met it, pauses delivery for both.
        assert [bool(report.relay_refused) for report in reports] == [False, False, True]
        statuses = [row.status for row in queued_mail(workers[0])]
        assert statuses.count("failed") == 2 and statuses.count("queued") == len(READERS) - 2
        with workers[0].app_context():
            assert deliver_due(workers[0]).sent == 0
        assert _nobody_bounced(workers[0])
    finally:
        for worker in workers:
            with worker.app_context():
                db.session.remove()
                db.engine.dispose()


class RefusingSome(RefusingRelay):
    def __init__(self, refusal: str, refused: set[str]):
        super().__init__(refusal)
        self.refused = refused

    def _refuses(self, address: str) -> bool:
        return address in self.refused


def test_a_mail_another_worker_got_through_ends_the_sites_run_of_refusals(tmp_path, smtp_server):
    # Refused, refused, accepted (by the other worker), refused: never three in a row.
    relay = RefusingSome("554 5.7.1 Message refused by the relay's content policy",
                         {READERS[0], READERS[1], READERS[3]})
    port = smtp_server(relay)
    workers = [make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_BOUNCE_LIMIT=1,
                        MAIL_RELAY_RETRY_SECONDS=60) for _ in range(2)]
    try:
        _sign_up_all(workers[0], READERS[:5])
        reports = []
        for turn in range(5):
            worker = workers[turn % 2]
            with worker.app_context():
                reports.append(deliver_due(worker, limit=1))
        assert not any(report.relay_refused for report in reports)
        assert sorted(message["To"] for message in relay.messages) == [READERS[2], READERS[4]]
        assert all(subscriber(workers[0], address).bounce_count == 0 for address in READERS[:5])
    finally:
        for worker in workers:
            with worker.app_context():
                db.session.remove()
                db.engine.dispose()


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


@pytest.mark.parametrize("code, text, step, verdict", [
    (550, "5.1.1 <a@example.org>: Recipient address rejected: User unknown", RCPT, RECIPIENT),
    (550, "<a@example.org>: User unknown in local recipient table", RCPT, RECIPIENT),
    (550, "No such user here", RCPT, RECIPIENT),
    (552, "5.2.2 Mailbox full", DATA, RECIPIENT),
    (550, "5.2.1 Mailbox disabled", RCPT, RECIPIENT),
    # A bare 550/551/553 names no reason: the next answer decides (see sending.py).
    (550, "Mailbox unavailable", RCPT, UNSURE),
    (550, "relay not permitted", RCPT, UNSURE),
    (551, "User not local", RCPT, UNSURE),
    (553, "Mailbox name not allowed", RCPT, UNSURE),
    (554, "5.7.1 <a@example.org>: Relay access denied", RCPT, RELAY),
    (550, "5.7.1 Sending blocked by policy", RCPT, RELAY),
    (554, "Transaction failed", RCPT, RELAY),
    (500, "Internal error", DATA, RELAY),
    (550, "Mailbox unavailable", DATA, RELAY),
    (530, "5.7.0 Authentication required", MAIL, RELAY),
])
def test_only_replies_about_the_address_count_as_a_bounce(code, text, step, verdict):
    failure = PermanentFailure(code, text, step)
    assert failure.verdict == verdict
    assert failure.about_recipient is (verdict == RECIPIENT)


def test_the_same_refusal_for_two_readers_is_one_reply():
    one = PermanentFailure(554, "5.7.1 <a@example.org>: Relay access denied", RCPT)
    other = PermanentFailure(554, "5.7.1 <b@example.net>: Relay access denied", RCPT)
    assert one.reply_key == other.reply_key and "@" not in one.reply_key
