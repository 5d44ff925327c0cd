"""The mail queue's bookkeeping: claims, their fencing, and each mail's fate.

Claim: due rows are claimed in one write transaction and tagged with a claim
id unique to that call (`claimed_by`), so two workers (or a worker and
`mail deliver`) never send the same mail. On PostgreSQL the rows are picked
with FOR UPDATE SKIP LOCKED (database.for_update_skip_locked), so claimers
on several hosts take different rows without waiting for each other.

Lease: a claim lasts MAIL_CLAIM_LEASE_SECONDS. A claim that is not renewed
belongs to a process that died (kill -9, OOM, a host gone) or is stuck in a
very slow send, and another claimer takes its mail back.

Fencing: the claim id is the fencing value. Taking mail back clears it, and
the next claim writes a new one, so a holder whose lease ran out can tell:
before every send it renews its claim on that mail with an UPDATE
conditioned on its own id and sends only if the UPDATE still found the row
(in the transaction that records the previous mail, so it costs no extra
write; hold_claim renews a whole batch every third of a lease). A mail
whose send outlived the lease may go out twice (the one allowed duplicate);
the rest of that batch now belongs to the taker and is never sent by the
old holder.

Record: each mail's outcome is written the moment the server answers
(record_outcome), so a process that dies mid-batch leaves at most the one
mail in flight to be sent again.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from ..database import for_update_skip_locked, write_transaction
from ..extensions import db
from ..clock import utcnow
from . import bounces
from .mail import mail_queued
from .models import FAILED, QUEUED, SENDING, SENT, UNSUBSCRIBED, OutgoingMail, Subscriber

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# A sent mail keeps its subject and times (not its text) this long, for the
# operator's questions ("did the confirmation go out?"); then it is deleted.
SENT_RETENTION = timedelta(days=30)


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


def lease(app) -> timedelta:
    """How long a claim holds without being renewed."""
    return timedelta(seconds=float(app.config["MAIL_CLAIM_LEASE_SECONDS"]))


def _due(now):
    # Both conditions are served by ix_outgoing_mail_due (status, next_attempt_at):
    # an OR with the stale-claim test would scan every queued message instead.
    return (OutgoingMail.status == QUEUED, OutgoingMail.next_attempt_at <= now)


def _stale(now, lease_time: timedelta):
    return (OutgoingMail.status == SENDING, OutgoingMail.claimed_at < now - lease_time)


def claim_batch(size: int, app=None) -> list[ClaimedMail]:
    """Claim up to `size` due mails for this caller alone and return them.

    Claims whose lease ran out are taken back first; clearing their claim id
    is what tells their old holder (hold_claim) to send none of them.
    """
    app = app or current_app._get_current_object()
    now = utcnow()
    lease_time = lease(app)
    # Cheap reads first: an idle poll must not take SQLite's write lock.
    stale = db.session.scalar(select(OutgoingMail.id).where(*_stale(now, lease_time)).limit(1)) is not None
    due = db.session.scalar(select(OutgoingMail.id).where(*_due(now)).limit(1)) is not None
    db.session.rollback()
    if not (stale or due):
        return []
    claim_id = uuid.uuid4().hex
    with write_transaction():
        if stale:
            expired = db.session.execute(
                update(OutgoingMail).where(*_stale(now, lease_time)).values(status=QUEUED, claimed_by=None)
            ).rowcount
            log.warning("Took back %d mail(s) whose claim lease ran out (a process died or is stuck mid-send)", expired)
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


def hold_claim(mails: list[ClaimedMail]) -> set[int]:
    """Renew the claim on `mails` and return the ids still held by it.

    The UPDATE is conditioned on the claim id (the fencing value) and the
    same transaction reads what it covered: a mail missing from the answer
    was taken back by another claimer or deleted, and must not be sent by
    this one.
    """
    if not mails:
        return set()
    with write_transaction():
        return _renew(mails, utcnow())


def _renew_one(mail: ClaimedMail, now: datetime) -> bool:
    table = OutgoingMail.__table__
    return db.session.execute(
        table.update()
        .where(table.c.id == mail.id, table.c.claimed_by == mail.claimed_by, table.c.status == SENDING)
        .values(claimed_at=now)
    ).rowcount == 1


def _renew(mails: list[ClaimedMail], now: datetime) -> set[int]:
    table = OutgoingMail.__table__
    ours = (table.c.id.in_([mail.id for mail in mails]), table.c.claimed_by == mails[0].claimed_by,
            table.c.status == SENDING)
    db.session.execute(table.update().where(*ours).values(claimed_at=now))
    return set(db.session.scalars(select(table.c.id).where(*ours)))


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** min(attempts - 1, 20)), LONGEST_RETRY)


def record_outcome(app, mail: ClaimedMail, status: str, error: str | None = None, bounce: bool = False,
                   hold_next: ClaimedMail | None = None) -> tuple[str, bool]:
    """Write what happened to one mail, the moment it is known; returns the
    status stored (SENT, QUEUED for a retry, or FAILED) and whether
    `hold_next`, the mail about to be sent after it, is still held.

    The one place where a mail's fate is recorded: a hook that must see
    every delivered or refused mail (bounces, statistics) belongs here.
    `status` is SENT (the server accepted it), FAILED (refused for good) or
    QUEUED (try again later; FAILED instead once MAIL_RETRY_FOR_HOURS have
    passed since it was queued). `bounce` says the refusal was about the
    reader's address (see transports.PermanentFailure.about_recipient) and
    counts towards MAIL_BOUNCE_LIMIT. The next mail's claim is checked and
    renewed in the same transaction (see hold_claim), so fencing every send
    costs no extra write.
    """
    now = utcnow()
    retry_for = timedelta(hours=float(app.config["MAIL_RETRY_FOR_HOURS"]))
    if status == QUEUED and now - mail.created_at >= retry_for:
        status = FAILED
        error = f"gave up after retrying for {app.config['MAIL_RETRY_FOR_HOURS']} hours; last error: {error}"
        bounce = False
    with write_transaction():
        stored = _write_outcome(mail, status, error, bounce, now)
        held = hold_next is None or _renew_one(hold_next, now)
    if stored == FAILED:
        log.warning("Mail %s to subscriber %s failed for good: %s", mail.id, mail.subscriber_id, error)
    return stored, held


def _write_outcome(mail: ClaimedMail, status: str, error: str | None, bounce: bool, now: datetime) -> str:
    table = OutgoingMail.__table__
    attempts = mail.attempts + 1
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
        if bounce:
            bounces.record_refused(mail.subscriber_id)
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
    seconds instead of waiting for the lease to run out. Mails another
    claimer has taken meanwhile are left to it (the claim id no longer matches).
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
