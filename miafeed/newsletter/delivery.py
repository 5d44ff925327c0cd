"""Draining the mail queue: claim, send, record; retries with backoff.

Rows are claimed with one UPDATE inside a write transaction, tagged with a
claim id unique to this call, so two workers (or a worker and `mail
deliver`) never send the same mail. A claim older than STALE_CLAIM is taken
back, in case a process died mid-send; that mail may then go out twice,
which is the usual at-least-once trade for never losing one.
"""
from __future__ import annotations

import logging
import os
import smtplib
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select, update

from ..database import write_transaction
from ..extensions import db
from ..models import utcnow
from . import bounces
from .mail import mail_queued
from .models import FAILED, QUEUED, SENDING, SENT, OutgoingMail

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=15)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
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


def _due(now):
    # Both conditions are served by ix_outgoing_mail_due (status, next_attempt_at):
    # an OR with the stale-claim test would scan every queued message instead.
    return (OutgoingMail.status == QUEUED, OutgoingMail.next_attempt_at <= now)


def _stale(now):
    return (OutgoingMail.status == SENDING, OutgoingMail.claimed_at < now - STALE_CLAIM)


@dataclass(frozen=True)
class ClaimedMail:
    """A claimed row as plain data, so sending needs no database session."""

    id: int
    kind: str
    to_address: str
    message: str
    attempts: int
    created_at: datetime


def claim_batch(size: int) -> list[ClaimedMail]:
    """Claim up to `size` due mails for this caller alone and return them."""
    now = utcnow()
    # Cheap reads first: an idle poll must not take SQLite's write lock.
    stale = db.session.scalar(select(OutgoingMail.id).where(*_stale(now)).limit(1)) is not None
    due = db.session.scalar(select(OutgoingMail.id).where(*_due(now)).limit(1)) is not None
    db.session.rollback()
    if not (stale or due):
        return []
    claim_id = uuid.uuid4().hex
    with write_transaction():
        if stale:  # a process died mid-send: put its mail back in the queue
            db.session.execute(update(OutgoingMail).where(*_stale(now)).values(status=QUEUED, claimed_by=None))
        due_ids = list(
            db.session.scalars(select(OutgoingMail.id).where(*_due(now)).order_by(OutgoingMail.id).limit(size))
        )
        # The conditions are repeated in the UPDATE so that, on a database
        # without SQLite's single writer, a row another claimer took first
        # is skipped rather than taken twice.
        db.session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id.in_(due_ids), *_due(now))
            .values(status=SENDING, claimed_by=claim_id, claimed_at=now)
        )
    columns = [getattr(OutgoingMail, name) for name in ClaimedMail.__dataclass_fields__]
    rows = db.session.execute(
        select(*columns).where(OutgoingMail.id.in_(due_ids), OutgoingMail.claimed_by == claim_id).order_by(OutgoingMail.id)
    ).all()
    db.session.rollback()
    return [ClaimedMail(*row) for row in rows]


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** (attempts - 1)), LONGEST_RETRY)


def deliver_batch(app, rows: list[ClaimedMail]) -> DeliveryReport:
    """Send claimed rows over one connection and record each outcome."""
    report = DeliveryReport()
    outcomes: dict[int, tuple[str, str | None]] = {}
    try:
        with transport_for(app) as transport:
            for row in rows:
                try:
                    transport.send(row)
                    outcomes[row.id] = (SENT, None)
                except PermanentFailure as exc:
                    outcomes[row.id] = (FAILED, str(exc))
                except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                    # The connection is gone: the rest of the batch waits for a retry.
                    outcomes[row.id] = (QUEUED, repr(exc))
                    break
                except (smtplib.SMTPException, OSError) as exc:
                    outcomes[row.id] = (QUEUED, repr(exc))
    except (smtplib.SMTPException, OSError) as exc:  # could not connect or log in
        log.warning("Mail server unavailable: %r", exc)
        error = repr(exc)
    else:
        error = "not attempted: connection lost earlier in the batch"
    now = utcnow()
    max_attempts = int(app.config["MAIL_MAX_ATTEMPTS"])
    sent, failed, retry = [], [], {}
    for row in rows:
        status, message = outcomes.get(row.id, (QUEUED, error))
        if status == SENT:
            sent.append(row.id)
        elif status == FAILED or row.attempts + 1 >= max_attempts:
            failed.append((row.id, message))
        else:
            retry.setdefault(row.attempts + 1, []).append((row.id, message))
    table = OutgoingMail.__table__
    with write_transaction():
        bounces.record_outcomes(sent, [mail_id for mail_id, _ in failed if outcomes.get(mail_id, (None,))[0] == FAILED])
        if sent:
            # The text is not kept once sent; see SENT_RETENTION.
            db.session.execute(
                table.update().where(table.c.id.in_(sent)).values(
                    status=SENT, sent_at=now, message="", last_error=None, claimed_by=None,
                    attempts=table.c.attempts + 1,
                )
            )
        for mail_id, message in failed:
            db.session.execute(
                table.update().where(table.c.id == mail_id).values(
                    status=FAILED, last_error=message, claimed_by=None, attempts=table.c.attempts + 1
                )
            )
        for attempts, items in retry.items():
            for mail_id, message in items:
                db.session.execute(
                    table.update().where(table.c.id == mail_id).values(
                        status=QUEUED, last_error=message, claimed_by=None, attempts=attempts,
                        next_attempt_at=now + _retry_delay(attempts),
                    )
                )
    report.sent, report.failed = len(sent), len(failed)
    report.retrying = sum(len(items) for items in retry.values())
    return report


def deliver_due(app=None, limit: int | None = None) -> DeliveryReport:
    """Send every mail that is due now (or up to `limit`), batch by batch."""
    app = app or current_app._get_current_object()
    report = DeliveryReport()
    batch_size = int(app.config["MAIL_BATCH_SIZE"])
    while limit is None or report.sent + report.failed + report.retrying < limit:
        size = batch_size if limit is None else min(batch_size, limit - report.sent - report.failed - report.retrying)
        rows = claim_batch(size)
        if not rows:
            break
        report += deliver_batch(app, rows)
    purge_sent()
    return report


def purge_sent() -> None:
    """Delete records of mail sent longer ago than SENT_RETENTION."""
    cutoff = utcnow() - SENT_RETENTION
    if db.session.scalar(select(OutgoingMail.id).where(OutgoingMail.status == SENT, OutgoingMail.sent_at < cutoff).limit(1)):
        with write_transaction():
            db.session.execute(delete(OutgoingMail).where(OutgoingMail.status == SENT, OutgoingMail.sent_at < cutoff))
    db.session.rollback()


def queue_health() -> str:
    """For /healthz: "ok" when the queue table answers."""
    try:
        db.session.execute(select(OutgoingMail.id).limit(1))
        return "ok"
    except Exception:
        db.session.rollback()
        return "unavailable"


class BackgroundDelivery:
    """A daemon thread that drains the queue in one gunicorn worker.

    It wakes when this process queues mail (mail.mail_queued) and otherwise
    every MAIL_POLL_SECONDS, to pick up mail queued by other workers or cron.
    """

    def __init__(self, app):
        self.app = app
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="miafeed-mail-delivery", daemon=True)

    def start(self) -> "BackgroundDelivery":
        """Start the thread; returns self."""
        self.thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        """Ask the thread to finish its current batch and end."""
        self.stopping.set()
        mail_queued.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        poll = float(self.app.config["MAIL_POLL_SECONDS"])
        while not self.stopping.is_set():
            mail_queued.wait(poll)
            mail_queued.clear()
            if self.stopping.is_set():
                break
            try:
                with self.app.app_context():
                    deliver_due(self.app)
            except Exception:  # a bad minute for the database must not end the thread
                log.exception("Background mail delivery failed; will try again")


def start_background_delivery(app) -> BackgroundDelivery | None:
    """Start the delivery thread unless MAIL_BACKGROUND_DELIVERY is off."""
    if not app.config.get("MAIL_BACKGROUND_DELIVERY"):
        return None
    return BackgroundDelivery(app).start()
