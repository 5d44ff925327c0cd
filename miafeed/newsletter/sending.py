"""Sending claimed mail: one connection per batch, each outcome recorded as
the server answers, no mail sent that this process no longer holds.

Before every send the claim is renewed and checked (mail_queue.hold_claim):
a batch whose lease ran out during a very slow send stops there, and its
remaining mails are left to whoever took them back.

Retry: a mail the server did not take is retried with backoff (30 s,
doubling, at most an hour apart) for MAIL_RETRY_FOR_HOURS, as mail servers
do, then marked failed. A 5xx refusal fails it at once, and counts as the
reader's bounce only when it is about their address (see
transports.PermanentFailure.about_recipient). Other refusals are held back
until the next different answer: MAIL_RELAY_FAULT_AFTER identical ones in a
row (counted across batches too) are the relay's fault, so those mails go
back to the queue as they were, nobody's bounce is counted and delivery
pauses (mail_health.py). A refusal about the address is never taken for
the relay's: three dead addresses in a row with the same wording are
common in an old list, and pausing on them would stop every digest.

Stop: a worker that is shutting down (gunicorn reload or stop) finishes the
mail in flight and gives back the rest of its claim at once, so another
worker sends them within seconds, not after the lease.
"""
from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from ..clock import utcnow
from . import mail_health
from .mail_queue import ClaimedMail, claim_batch, hold_claim, lease, purge_sent, record_outcome, release_claim
from .models import FAILED, QUEUED, SENT
from .transports import PermanentFailure, transport_for

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """How many mails one delivery run sent, left for a retry, or gave up on;
    and the relay's refusal if delivery paused because of it."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    relay_refused: str | None = None

    def __iadd__(self, other: "DeliveryReport") -> "DeliveryReport":
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.relay_refused = other.relay_refused or self.relay_refused
        return self


class _RefusalsInARow:
    """This process's refusals in a row that were not about the reader, across
    batches: the delivery thread often sends one mail per batch (a sign-up's
    confirmation), and a relay that refuses each of them is still at fault."""

    def __init__(self):
        self._lock = threading.Lock()
        self._reply: str | None = None
        self._count = 0

    def carried(self, reply: str) -> int:
        """How many refusals with `reply` came just before this batch's."""
        with self._lock:
            return self._count if self._reply == reply else 0

    def add(self, reply: str) -> None:
        with self._lock:
            self._count = self._count + 1 if self._reply == reply else 1
            self._reply = reply

    def clear(self) -> None:
        with self._lock:
            self._reply, self._count = None, 0


def _refusals_in_a_row(app) -> _RefusalsInARow:
    # One per app (so per worker process), not per module: tests build many apps.
    return app.extensions.setdefault("miafeed_mail_refusals_in_a_row", _RefusalsInARow())


class _ConnectionLost(Exception):
    pass


class _RelayFault(Exception):
    def __init__(self, failure: PermanentFailure):
        super().__init__(failure.reply_key)
        self.failure = failure


def deliver_batch(app, rows: list[ClaimedMail], should_stop: Callable[[], bool] | None = None,
                  known_refusal: str | None = None) -> DeliveryReport:
    """Send claimed rows over one connection, recording each as it goes.

    When `should_stop` turns true, the mail in flight is finished and the
    rest of the batch is given back to the queue. `known_refusal` is the
    reply delivery was paused for: meeting it again pauses at once.
    """
    report = DeliveryReport()
    pending = list(rows)
    _recent_refusals = _refusals_in_a_row(app)
    fault_after = max(1, int(app.config["MAIL_RELAY_FAULT_AFTER"]))
    renew_every = lease(app).total_seconds() / 3
    renewed = time.monotonic()
    # Permanent refusals with one reply, not yet recorded: the next answer
    # decides whether they are the readers' (recorded as failed) or the relay's.
    refused: list[tuple[ClaimedMail, PermanentFailure]] = []
    # The mail whose claim was checked last, with no send since (see _claim_check).
    checked: int | None = None

    def record(mail: ClaimedMail, status: str, error: str | None = None, bounce: bool = False,
               hold_next: ClaimedMail | None = None) -> None:
        nonlocal checked
        stored, next_held = record_outcome(app, mail, status, error, bounce, hold_next)
        if stored == SENT:
            report.sent += 1
        elif stored == FAILED:
            report.failed += 1
        else:
            report.retrying += 1
        if hold_next is not None:
            checked = hold_next.id if next_held else None

    def settle_refusals() -> None:
        # Fewer in a row than a relay fault: each fails on its own, and is
        # remembered in case the next batch goes on with the same refusal.
        while refused:
            mail, failure = refused.pop(0)
            record(mail, FAILED, str(failure))
            _recent_refusals.add(failure.reply_key)

    try:
        try:
            with transport_for(app) as transport:
                while pending:
                    if should_stop is not None and should_stop():
                        break
                    if checked != pending[0].id or time.monotonic() - renewed > renew_every:
                        # A separate check: the first mail, after a refusal
                        # (nothing recorded), or time to renew the whole batch.
                        pending = _still_ours(pending, refused)
                        renewed = time.monotonic()
                        if not pending:
                            break
                    mail = pending[0]
                    checked = None
                    try:
                        transport.send(mail)
                        outcome = (SENT, None, False)
                    except PermanentFailure as exc:
                        if exc.about_recipient:
                            # The reader's address: their bounce, whatever came before.
                            outcome = (FAILED, str(exc), True)
                        else:
                            pending.pop(0)
                            if refused and refused[-1][1].reply_key != exc.reply_key:
                                settle_refusals()
                            refused.append((mail, exc))
                            in_a_row = len(refused) + _recent_refusals.carried(exc.reply_key)
                            if exc.reply_key == known_refusal or in_a_row >= fault_after:
                                raise _RelayFault(exc) from exc
                            continue
                    except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                        # The connection is gone: this mail and the rest wait for a retry.
                        raise _ConnectionLost(repr(exc)) from exc
                    except (smtplib.SMTPException, OSError) as exc:
                        outcome = (QUEUED, repr(exc), False)
                    pending.pop(0)
                    settle_refusals()
                    _recent_refusals.clear()
                    # Recording this mail checks and renews the next one's claim.
                    record(mail, *outcome, hold_next=pending[0] if pending else None)
        except _RelayFault as fault:
            # Not these readers' fault: back in the queue as they were (no
            # attempt counted, due at once), held by the pause instead.
            report.retrying += release_claim([mail for mail, _failure in refused])
            refused.clear()
            report.relay_refused = fault.failure.reply_key
            _recent_refusals.clear()
            mail_health.pause_delivery(app, fault.failure.reply_key)
        except _ConnectionLost as exc:
            log.warning("Mail server connection lost: %s", exc)
            for mail in pending:
                record(mail, QUEUED, f"connection lost: {exc}")
            pending = []
        except (smtplib.SMTPException, OSError) as exc:  # could not connect or log in
            log.warning("Mail server unavailable: %r", exc)
            for mail in pending:
                record(mail, QUEUED, repr(exc))
            pending = []
        settle_refusals()
    finally:
        # Stopping, a relay fault, or an unexpected error (the database,
        # say): whatever was not attempted goes straight back to the queue.
        if pending:
            try:
                release_claim(pending)
            except Exception:
                log.exception("Could not give back %d claimed mail(s); their lease will", len(pending))
    return report


def _still_ours(pending: list[ClaimedMail], refused: list[tuple[ClaimedMail, PermanentFailure]]) -> list[ClaimedMail]:
    """Renew the claim on the whole batch; drop (loudly) what it no longer covers."""
    held = hold_claim(pending + [mail for mail, _ in refused])
    lost = [mail for mail in pending if mail.id not in held]
    if lost:
        _claim_lost(lost)
        refused[:] = [(mail, failure) for mail, failure in refused if mail.id in held]
    return [mail for mail in pending if mail.id in held]


def _claim_lost(lost: list[ClaimedMail]) -> None:
    log.warning(
        "Claim %s no longer holds %d mail(s) (ids %s): its lease ran out during a slow send and "
        "another deliverer took them back, or they were erased. Not sending them from here.",
        lost[0].claimed_by, len(lost), ", ".join(str(mail.id) for mail in lost[:10]),
    )


def deliver_due(app=None, limit: int | None = None, should_stop: Callable[[], bool] | None = None) -> DeliveryReport:
    """Send every mail that is due now (or up to `limit`), batch by batch.

    While delivery is paused for a refusing relay, nothing is sent until the
    pause's retry time; then one mail is tried, and delivery resumes if the
    relay answers anything but the same refusal.
    """
    app = app or current_app._get_current_object()
    report = DeliveryReport()
    batch_size = int(app.config["MAIL_BATCH_SIZE"])
    pause = mail_health.current_pause()
    while limit is None or report.sent + report.failed + report.retrying < limit:
        if should_stop is not None and should_stop():
            break
        if pause is not None and pause.retry_at > utcnow():
            report.relay_refused = pause.reply
            break
        size = batch_size if limit is None else min(batch_size, limit - report.sent - report.failed - report.retrying)
        rows = claim_batch(1 if pause is not None else size, app)
        if not rows:
            break
        batch = deliver_batch(app, rows, should_stop, known_refusal=pause.reply if pause else None)
        report += batch
        if batch.relay_refused:
            break
        if pause is not None and (batch.sent or batch.failed or batch.retrying):
            mail_health.resume_delivery()
            pause = None
    purge_sent()
    return report
