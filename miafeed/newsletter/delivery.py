"""Draining the mail queue: claim, send, record each mail; retry for days.

Claim: due rows are claimed in one write transaction and tagged with a claim
id unique to that call, so two workers (or a worker and `mail deliver`)
never send the same mail. On PostgreSQL the rows are picked with FOR UPDATE
SKIP LOCKED (database.for_update_skip_locked), so claimers on several
hosts take different rows without waiting for each other.

Lease: a claim lasts MAIL_CLAIM_LEASE_SECONDS and is renewed while its batch
is being sent. A claim that is not renewed belongs to a process that died
(kill -9, OOM, a host gone) and goes back to the queue about a minute later.

Record: each mail's outcome is written the moment the server answers
(record_outcome), not at the end of the batch. So a process that dies
mid-batch leaves at most the one mail in flight to be sent again: the usual
at-least-once trade for never losing one, with the duplicate window kept to
a single mail.

Stop: a worker that is shutting down (gunicorn reload or stop) finishes the
mail in flight and gives back the rest of its claim at once, so another
worker sends them within seconds, not after the lease.

Retry: a mail the server did not take is retried with backoff (30 s, doubling,
at most an hour apart) for MAIL_RETRY_FOR_HOURS, as mail servers do, then
marked failed. A 5xx refusal fails at once. `mail retry` requeues failed
mail; a digest that failed hands its period back to the next `digest send`.
"""
from __future__ import annotations

import logging
import os
import smtplib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..database import for_update_skip_locked, write_transaction
from ..extensions import db
from ..models import utcnow
from . import bounces
from .mail import mail_queued
from .models import FAILED, QUEUED, SENDING, SENT, UNSUBSCRIBED, OutgoingMail, Subscriber

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# A sent mail keeps its subject and times (not its text) this long, for the
# operator's questions ("did the confirmation go out?"); then it is deleted.
SENT_RETENTION = timedelta(days=30)


@dataclass
class DeliveryReport:
    """How many mails one delivery run sent, left for a retry, or gave up on."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __iadd__(self, other: "DeliveryReport") -> "DeliveryReport":
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        return self


class PermanentFailure(Exception):
    """The server refused this mail for good (5xx); retrying will not help."""


class OutboxTransport:
    """Writes each mail as one .eml file into instance/outbox/."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info):
        return False

    def send(self, row: ClaimedMail) -> None:
        """Write one mail as instance/outbox/<time>-<id>-<kind>.eml."""
        name = f"{row.created_at:%Y%m%dT%H%M%S}-{row.id:08d}-{row.kind}.eml"
        temporary = self.folder / f".{name}.tmp"
        # Written aside and renamed, so a reader of the folder never sees half a mail.
        temporary.write_bytes(row.message.encode("utf-8"))
        os.replace(temporary, self.folder / name)


class SmtpTransport:
    """One SMTP connection for a whole batch (STARTTLS or SSL, optional login)."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None
        self.envelope_from = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]

    def __enter__(self):
        config = self.config
        cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        self.connection = cls(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT_SECONDS"])
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            self.connection.starttls()
        if config["MAIL_USERNAME"]:
            self.connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        return self

    def __exit__(self, *exc_info):
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        return False

    def send(self, row: ClaimedMail) -> None:
        """Send one mail; PermanentFailure for a 5xx refusal, other errors to retry."""
        try:
            self.connection.sendmail(self.envelope_from, [row.to_address], row.message.encode("utf-8"))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentFailure(str(exc.recipients)) from exc
            raise
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise


def transport_for(app):
    """SMTP when MAIL_SERVER is set, the outbox folder otherwise."""
    if app.config.get("MAIL_SERVER"):
        return SmtpTransport(app.config)
    return OutboxTransport(Path(app.instance_path) / "outbox")


def _lease(app) -> timedelta:
    return timedelta(seconds=float(app.config["MAIL_CLAIM_LEASE_SECONDS"]))


def _due(now):
    # Both conditions are served by ix_outgoing_mail_due (status, next_attempt_at):
    # an OR with the stale-claim test would scan every queued message instead.
    return (OutgoingMail.status == QUEUED, OutgoingMail.next_attempt_at <= now)


def _stale(now, lease: timedelta):
    return (OutgoingMail.status == SENDING, OutgoingMail.claimed_at < now - lease)


@dataclass(frozen=True)
class ClaimedMail:
    """A claimed row as plain data, so sending needs no database session."""

    id: int
    kind: str
    subscriber_id: int | None
    to_address: str
    message: str
    attempts: int
    created_at: datetime
    claimed_by: str
    digest_period: str | None
    digest_since: datetime | None


def claim_batch(size: int, app=None) -> list[ClaimedMail]:
    """Claim up to `size` due mails for this caller alone and return them.

    Claims whose lease ran out (their process died) are put back first.
    """
    app = app or current_app._get_current_object()
    now = utcnow()
    lease = _lease(app)
    # Cheap reads first: an idle poll must not take SQLite's write lock.
    stale = db.session.scalar(select(OutgoingMail.id).where(*_stale(now, lease)).limit(1)) is not None
    due = db.session.scalar(select(OutgoingMail.id).where(*_due(now)).limit(1)) is not None
    db.session.rollback()
    if not (stale or due):
        return []
    claim_id = uuid.uuid4().hex
    with write_transaction():
        if stale:
            expired = db.session.execute(
                update(OutgoingMail).where(*_stale(now, lease)).values(status=QUEUED, claimed_by=None)
            ).rowcount
            log.warning("Took back %d mail(s) whose claim lease ran out (a process died mid-send)", expired)
        due_ids = list(
            db.session.scalars(
                for_update_skip_locked(
                    select(OutgoingMail.id).where(*_due(now)).order_by(OutgoingMail.id).limit(size)
                )
            )
        )
        if due_ids:
            # The conditions are repeated in the UPDATE so that a row another
            # claimer took first is skipped rather than taken twice.
            db.session.execute(
                update(OutgoingMail)
                .where(OutgoingMail.id.in_(due_ids), *_due(now))
                .values(status=SENDING, claimed_by=claim_id, claimed_at=now)
            )
    if not due_ids:
        return []
    columns = [getattr(OutgoingMail, name) for name in ClaimedMail.__dataclass_fields__]
    rows = db.session.execute(
        select(*columns).where(OutgoingMail.id.in_(due_ids), OutgoingMail.claimed_by == claim_id).order_by(OutgoingMail.id)
    ).all()
    db.session.rollback()
    return [ClaimedMail(*row) for row in rows]


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** min(attempts - 1, 20)), LONGEST_RETRY)


def record_outcome(app, mail: ClaimedMail, status: str, error: str | None = None) -> str:
    """Write what happened to one mail, the moment it is known; returns the
    status stored (SENT, QUEUED for a retry, or FAILED).

    The one place where a mail's fate is recorded: a hook that must see
    every delivered or refused mail (bounces, statistics) belongs here.
    `status` is SENT (the server accepted it), FAILED (refused for good) or
    QUEUED (try again later; FAILED instead once MAIL_RETRY_FOR_HOURS have
    passed since it was queued).
    """
    now = utcnow()
    table = OutgoingMail.__table__
    retry_for = timedelta(hours=float(app.config["MAIL_RETRY_FOR_HOURS"]))
    refused_by_server = status == FAILED  # a 5xx answer, not retries running out
    if status == QUEUED and now - mail.created_at >= retry_for:
        status = FAILED
        error = f"gave up after retrying for {app.config['MAIL_RETRY_FOR_HOURS']} hours; last error: {error}"
    attempts = mail.attempts + 1
    with write_transaction():
        if status == SENT:
            # Recorded even if our lease ran out meanwhile: it was sent. The
            # text is not kept once sent; see SENT_RETENTION.
            db.session.execute(
                table.update().where(table.c.id == mail.id).values(
                    status=SENT, sent_at=now, message="", last_error=None, claimed_by=None, attempts=attempts
                )
            )
            bounces.record_delivered(mail.subscriber_id)
            return SENT
        ours = (table.c.id == mail.id, table.c.claimed_by == mail.claimed_by, table.c.status == SENDING)
        if status == FAILED:
            db.session.execute(
                table.update().where(*ours).values(status=FAILED, last_error=error, claimed_by=None, attempts=attempts)
            )
            if mail.kind == "digest":
                _hand_back_digest_period(mail)
            if refused_by_server:
                bounces.record_refused(mail.subscriber_id)
            log.warning("Mail %s to subscriber %s failed for good: %s", mail.id, mail.subscriber_id, error)
            return FAILED
        db.session.execute(
            table.update().where(*ours).values(
                status=QUEUED, last_error=error, claimed_by=None, attempts=attempts,
                next_attempt_at=now + _retry_delay(attempts),
            )
        )
        return QUEUED


def _hand_back_digest_period(mail: ClaimedMail) -> None:
    # The digest never arrived, so it must not count as this reader's digest
    # for its period: the next `digest send` sends one, starting where this
    # one started. Only if no later digest has been recorded since.
    if mail.subscriber_id is None or mail.digest_period is None:
        return
    db.session.execute(
        update(Subscriber)
        .where(Subscriber.id == mail.subscriber_id, Subscriber.last_digest_period == mail.digest_period)
        .values(last_digest_period=None, last_digest_at=mail.digest_since)
    )


def release_claim(mails: list[ClaimedMail]) -> int:
    """Give back claimed mails that were not attempted, due again at once.

    Used when a worker stops mid-batch, so another worker sends them within
    seconds instead of waiting for the lease to run out.
    """
    if not mails:
        return 0
    table = OutgoingMail.__table__
    with write_transaction():
        released = 0
        for claim_id in {mail.claimed_by for mail in mails}:
            ids = [mail.id for mail in mails if mail.claimed_by == claim_id]
            released += db.session.execute(
                table.update()
                .where(table.c.id.in_(ids), table.c.claimed_by == claim_id, table.c.status == SENDING)
                .values(status=QUEUED, claimed_by=None)
            ).rowcount
    return released


def _renew_lease(mails: list[ClaimedMail]) -> None:
    if not mails:
        return
    table = OutgoingMail.__table__
    with write_transaction():
        db.session.execute(
            table.update()
            .where(table.c.id.in_([mail.id for mail in mails]), table.c.claimed_by == mails[0].claimed_by,
                   table.c.status == SENDING)
            .values(claimed_at=utcnow())
        )


def deliver_batch(app, rows: list[ClaimedMail], should_stop: Callable[[], bool] | None = None) -> DeliveryReport:
    """Send claimed rows over one connection, recording each as it goes.

    When `should_stop` turns true, the mail in flight is finished and the
    rest of the batch is given back to the queue.
    """
    report = DeliveryReport()
    pending = list(rows)
    lease_seconds = _lease(app).total_seconds()
    renewed = time.monotonic()

    def record(mail: ClaimedMail, status: str, error: str | None = None) -> None:
        stored = record_outcome(app, mail, status, error)
        if stored == SENT:
            report.sent += 1
        elif stored == FAILED:
            report.failed += 1
        else:
            report.retrying += 1

    try:
        try:
            with transport_for(app) as transport:
                while pending:
                    if should_stop is not None and should_stop():
                        break
                    mail = pending[0]
                    try:
                        transport.send(mail)
                        outcome = (SENT, None)
                    except PermanentFailure as exc:
                        outcome = (FAILED, str(exc))
                    except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                        # The connection is gone: this mail and the rest wait for a retry.
                        raise _ConnectionLost(repr(exc)) from exc
                    except (smtplib.SMTPException, OSError) as exc:
                        outcome = (QUEUED, repr(exc))
                    pending.pop(0)
                    record(mail, *outcome)
                    if time.monotonic() - renewed > lease_seconds / 3:
                        _renew_lease(pending)
                        renewed = time.monotonic()
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
    finally:
        # Stopping, or an unexpected error (the database, say): whatever was
        # not attempted goes straight back to the queue.
        if pending:
            try:
                release_claim(pending)
            except Exception:
                log.exception("Could not give back %d claimed mail(s); their lease will", len(pending))
    return report


class _ConnectionLost(Exception):
    pass


def deliver_due(app=None, limit: int | None = None, should_stop: Callable[[], bool] | None = None) -> DeliveryReport:
    """Send every mail that is due now (or up to `limit`), batch by batch."""
    app = app or current_app._get_current_object()
    report = DeliveryReport()
    batch_size = int(app.config["MAIL_BATCH_SIZE"])
    while limit is None or report.sent + report.failed + report.retrying < limit:
        if should_stop is not None and should_stop():
            break
        size = batch_size if limit is None else min(batch_size, limit - report.sent - report.failed - report.retrying)
        rows = claim_batch(size, app)
        if not rows:
            break
        report += deliver_batch(app, rows, should_stop)
    purge_sent()
    return report


def purge_sent() -> None:
    """Delete records of mail sent longer ago than SENT_RETENTION."""
    cutoff = utcnow() - SENT_RETENTION
    if db.session.scalar(select(OutgoingMail.id).where(OutgoingMail.status == SENT, OutgoingMail.sent_at < cutoff).limit(1)):
        with write_transaction():
            db.session.execute(delete(OutgoingMail).where(OutgoingMail.status == SENT, OutgoingMail.sent_at < cutoff))
    db.session.rollback()


@dataclass
class RequeueReport:
    """What `mail retry` did."""

    requeued: int = 0
    skipped: int = 0  # unsubscribed readers, or digests a newer digest replaces


def requeue_failed() -> RequeueReport:
    """Put every failed mail back in the queue, due now, with a fresh retry window.

    Mail to a reader who has unsubscribed stays failed. A failed digest is
    requeued only if its period is still handed back and no later digest
    went out; it then counts as that period's digest again, so `digest send`
    does not send a second one.
    """
    report = RequeueReport()
    now = utcnow()
    with write_transaction():
        failed = db.session.scalars(select(OutgoingMail).where(OutgoingMail.status == FAILED).order_by(OutgoingMail.id)).all()
        for mail in failed:
            reader = db.session.get(Subscriber, mail.subscriber_id) if mail.subscriber_id else None
            if reader is not None and reader.status == UNSUBSCRIBED:
                report.skipped += 1
                continue
            if mail.kind == "digest":
                if reader is None or reader.last_digest_period is not None or reader.last_digest_at != mail.digest_since:
                    report.skipped += 1
                    continue
                reader.last_digest_period = mail.digest_period
                reader.last_digest_at = mail.created_at
            # created_at starts the retry window (MAIL_RETRY_FOR_HOURS) anew.
            mail.status, mail.attempts, mail.next_attempt_at, mail.created_at = QUEUED, 0, now, now
            mail.claimed_by = None
            report.requeued += 1
    if report.requeued:
        mail_queued.set()
    return report


def queue_health() -> dict:
    """For /healthz: how many mails wait, how long the oldest has waited,
    how many failed; "degraded" once the oldest waited longer than
    MAIL_BACKLOG_DEGRADED_MINUTES (the mail server is down, or nothing delivers)."""
    try:
        now = utcnow()
        waiting, oldest = db.session.execute(
            select(func.count(OutgoingMail.id), func.min(OutgoingMail.created_at)).where(
                OutgoingMail.status.in_((QUEUED, SENDING))
            )
        ).one()
        failed = db.session.scalar(select(func.count(OutgoingMail.id)).where(OutgoingMail.status == FAILED))
        db.session.rollback()
    except Exception:
        db.session.rollback()
        return {"status": "unavailable"}
    oldest_seconds = int((now - oldest).total_seconds()) if oldest else 0
    threshold = float(current_app.config["MAIL_BACKLOG_DEGRADED_MINUTES"]) * 60
    return {
        "status": "degraded" if oldest_seconds > threshold else "ok",
        "waiting": waiting,
        "oldest_waiting_seconds": oldest_seconds,
        "failed": failed,
    }


class BackgroundDelivery:
    """A daemon thread that drains the queue in one gunicorn worker.

    It wakes when this process queues mail (mail.mail_queued) and otherwise
    every MAIL_POLL_SECONDS, to pick up mail queued by other workers or cron.
    gunicorn.conf.py stops it when the worker exits.
    """

    def __init__(self, app):
        self.app = app
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="miafeed-mail-delivery", daemon=True)

    def start(self) -> "BackgroundDelivery":
        """Start the thread; returns self."""
        self.thread.start()
        return self

    def stop(self, timeout: float = 10) -> bool:
        """Finish the mail in flight, give back the rest of the claim, end.

        Returns True when the thread ended within `timeout`. If it did not
        (a mail server that hangs mid-send), the claim's lease brings the
        mails back about a minute after the process is gone.
        """
        self.stopping.set()
        mail_queued.set()
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def _run(self) -> None:
        poll = float(self.app.config["MAIL_POLL_SECONDS"])
        while not self.stopping.is_set():
            mail_queued.wait(poll)
            mail_queued.clear()
            if self.stopping.is_set():
                break
            try:
                with self.app.app_context():
                    deliver_due(self.app, should_stop=self.stopping.is_set)
            except Exception:  # a bad minute for the database must not end the thread
                log.exception("Background mail delivery failed; will try again")


def start_background_delivery(app) -> BackgroundDelivery | None:
    """Start the delivery thread unless MAIL_BACKGROUND_DELIVERY is off."""
    if not app.config.get("MAIL_BACKGROUND_DELIVERY"):
        return None
    return BackgroundDelivery(app).start()
