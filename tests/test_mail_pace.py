"""MAIL_SEND_RATE and a relay that says "slow down", against a real SMTP server.

The rate is the whole site's: two deliverers together keep to it, as the
relay sees it (the times it accepted each mail). A throttling reply holds
everyone back for a while; the mail waits in the queue, is sent later, and
never counts against its reader.
"""
from __future__ import annotations

import threading
import time

import pytest

from miafeed.newsletter.sending import deliver_due
from miafeed.newsletter.transports import is_throttling
from newsletter_support import Inbox, queued_mail, sign_up, subscriber
from test_mail_relay import RefusingRelay, _poll, relay_app, smtp_server  # noqa: F401

READERS = [f"reader{number:02d}@example.org" for number in range(16)]


class TimedInbox(Inbox):
    """Notes when it accepted each mail, by its own clock."""

    def __init__(self):
        super().__init__()
        self.accepted_at: list[float] = []

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        self.accepted_at.append(time.monotonic())
        return answer


def _most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for other in times if start <= other < start + 1) for start in times)


def test_two_deliverers_together_keep_to_the_sites_send_rate(relay_app, smtp_server):
    relay = TimedInbox()
    app = relay_app(smtp_server(relay), MAIL_SEND_RATE=4, MAIL_BATCH_SIZE=4)
    client = app.test_client()
    for address in READERS:
        sign_up(client, address)

    def deliverer():
        with app.app_context():
            deadline = time.monotonic() + 60
            while any(row.status != "sent" for row in queued_mail(app)) and time.monotonic() < deadline:
                deliver_due(app)
                time.sleep(0.05)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert sorted(message["To"] for message in relay.messages) == READERS
    # The +1: a mail whose send took a little longer than the next one's
    # can land in the same second as the four after it.
    busiest = _most_in_one_second(relay.accepted_at)
    assert busiest <= 4 + 1, f"{busiest} mails accepted within one second"


class SlowDownFirst(RefusingRelay):
    """Answers "451 4.7.1 rate limited" to the first `times` mails, then takes them."""

    def __init__(self, reply: str, times: int):
        super().__init__(reply)
        self.left = times

    def _refuses(self, address: str) -> bool:
        if self.left > 0:
            self.left -= 1
            return True
        return False


@pytest.mark.parametrize("reply", ["451 4.7.1 Rate limited, slow down", "421 Too many concurrent SMTP connections",
                                   "450 Sending rate exceeded"])
def test_a_throttling_reply_holds_delivery_back_and_counts_against_nobody(relay_app, smtp_server, reply):
    relay = SlowDownFirst(reply, times=2)
    app = relay_app(smtp_server(relay), MAIL_THROTTLE_SECONDS=0.3)
    for address in READERS[:6]:
        sign_up(app.test_client(), address)
    with app.app_context():
        first = deliver_due(app)
    assert first.throttled and first.sent == 0 and first.failed == 0
    # Back in the queue as they were: no attempt counted.
    rows = queued_mail(app)
    assert {row.status for row in rows} == {"queued"} and {row.attempts for row in rows} == {0}

    def all_sent():
        with app.app_context():
            deliver_due(app)
        return {row.status for row in queued_mail(app)} == {"sent"}

    _poll(all_sent)
    assert sorted(message["To"] for message in relay.messages) == sorted(READERS[:6])
    assert all(subscriber(app, address).bounce_count == 0 for address in READERS[:6])


@pytest.mark.parametrize("code, text, throttling", [
    (421, "Service not available, too busy", True),
    (451, "4.7.1 Please try again later, rate limited", True),
    (450, "4.7.0 Too many messages", True),
    (452, "Sending rate exceeded", True),
    (451, "4.3.0 Temporary local problem", False),
    (450, "4.2.1 Mailbox busy", False),
    (550, "5.7.1 rate policy", False),
])
def test_which_replies_mean_slow_down(code, text, throttling):
    assert is_throttling(code, text) is throttling
