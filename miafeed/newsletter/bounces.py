"""Hard bounces: stop mailing an address that its server keeps refusing.

A permanent refusal about the reader's address (an SMTP 5xx answer such
as "550 5.1.1 no such user" or "5.2.1 mailbox disabled"; the rule is
transports.PermanentFailure.about_recipient) is counted on the subscriber
the mail was for. A refusal about the relay or the message ("554 5.7.1
relay access denied", 500 after DATA) never is. After
MAIL_BOUNCE_LIMIT of them in a row, an active subscriber is marked BOUNCED
and gets no more digests, which protects the sender's reputation with the
big mail providers. Any mail to them that the server accepts resets the
count, so a mailbox that was full for a week is not dropped.

Only mail_queue.record_outcome calls record_delivered and record_refused,
once for each mail outcome it records, in the same transaction that records
it. A bounce that comes back later (a DSN in the bounce mailbox, a
provider's webhook) goes through record_later_bounce.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, select, update

from ..database import write_transaction
from ..extensions import db
from ..clock import utcnow
from .models import ACTIVE, BOUNCED, QUEUED, OutgoingMail, Subscriber


def record_delivered(subscriber_id: int | None) -> None:
    """A mail to this subscriber was accepted: their refusals in a row start
    again from zero. Runs inside the caller's write transaction; one UPDATE
    that touches no row in the usual case (a count of zero)."""
    if subscriber_id is None:
        return
    # A Core statement, not the ORM's bulk UPDATE: this runs for every mail
    # sent, and the ORM path cost about three times as much for the same SQL.
    table = Subscriber.__table__
    db.session.execute(table.update().where(table.c.id == subscriber_id, table.c.bounce_count > 0).values(bounce_count=0))


def record_refused(subscriber_id: int | None) -> None:
    """A mail to this subscriber was refused for good (an SMTP 5xx answer, not
    retries running out): count it, and at MAIL_BOUNCE_LIMIT in a row stop
    their digests. Runs inside the caller's write transaction."""
    if subscriber_id is None:
        return
    now = utcnow()
    db.session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .values(bounce_count=Subscriber.bounce_count + 1, last_bounce_at=now)
    )
    limit = int(current_app.config["MAIL_BOUNCE_LIMIT"])
    stopped = db.session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id, Subscriber.status == ACTIVE, Subscriber.bounce_count >= limit)
        .values(status=BOUNCED, bounced_at=now)
    ).rowcount
    if stopped:
        # Digests already queued for them would only bounce again.
        db.session.execute(
            delete(OutgoingMail).where(OutgoingMail.subscriber_id == subscriber_id, OutgoingMail.status == QUEUED)
        )


# A later bounce with one of these RFC 3463 codes says the address is gone
# (no such user, bad domain, mailbox disabled): no point trying twice more.
_ADDRESS_GONE = ("5.1.", "5.2.1")


def record_later_bounce(subscriber_id: int, status: str | None) -> bool:
    """A hard bounce reported after the relay took the mail (a DSN, a
    provider's webhook). `status` 5.1.x or 5.2.1 (the address is gone)
    stops an active reader's digests at once; any other permanent failure
    counts like a refusal at send time (record_refused). Returns True when
    the reader's digests stopped now. Runs inside the caller's write transaction.
    """
    if status is None or not status.startswith(_ADDRESS_GONE):
        before = db.session.scalar(select(Subscriber.status).where(Subscriber.id == subscriber_id))
        record_refused(subscriber_id)
        return before == ACTIVE and db.session.scalar(
            select(Subscriber.status).where(Subscriber.id == subscriber_id)) == BOUNCED
    now = utcnow()
    db.session.execute(
        update(Subscriber).where(Subscriber.id == subscriber_id)
        .values(bounce_count=Subscriber.bounce_count + 1, last_bounce_at=now)
    )
    stopped = db.session.execute(
        update(Subscriber).where(Subscriber.id == subscriber_id, Subscriber.status == ACTIVE)
        .values(status=BOUNCED, bounced_at=now)
    ).rowcount
    if stopped:
        db.session.execute(
            delete(OutgoingMail).where(OutgoingMail.subscriber_id == subscriber_id, OutgoingMail.status == QUEUED)
        )
    return bool(stopped)


def clear(subscriber: Subscriber) -> None:
    """Start counting afresh for a reader who chose to come back after their
    digests were stopped: the next three refusals stop them again, not the next one."""
    if subscriber.bounce_count or subscriber.bounced_at:
        with write_transaction():
            db.session.execute(
                update(Subscriber).where(Subscriber.id == subscriber.id).values(bounce_count=0, bounced_at=None)
            )
        db.session.refresh(subscriber)
