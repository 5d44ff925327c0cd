"""Hard bounces: stop mailing an address that its server keeps refusing.

A permanent refusal (an SMTP 5xx answer: "no such user", "mailbox
disabled") is counted on the subscriber the mail was for. After
MAIL_BOUNCE_LIMIT of them in a row, an active subscriber is marked BOUNCED
and gets no more digests, which protects the sender's reputation with the
big mail providers. Any mail to them that the server accepts resets the
count, so a mailbox that was full for a week is not dropped.

Only delivery.py calls this, once for each mail outcome it records, in the
same transaction that records it.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import delete, select, update

from ..database import write_transaction
from ..extensions import db
from ..models import utcnow
from .models import ACTIVE, BOUNCED, QUEUED, OutgoingMail, Subscriber


def record_outcomes(delivered_mail_ids: Iterable[int] = (), refused_mail_ids: Iterable[int] = ()) -> None:
    """Count permanent refusals and reset the count on accepted mail.

    `refused_mail_ids` are mails the server refused for good (5xx), not
    mails that ran out of retries after temporary errors. Must run inside
    the caller's write transaction.
    """
    delivered = _subscriber_ids(delivered_mail_ids)
    refused = _subscriber_ids(refused_mail_ids) - delivered
    if delivered:
        db.session.execute(
            update(Subscriber)
            .where(Subscriber.id.in_(delivered), Subscriber.bounce_count > 0)
            .values(bounce_count=0)
        )
    if not refused:
        return
    now = utcnow()
    db.session.execute(
        update(Subscriber)
        .where(Subscriber.id.in_(refused))
        .values(bounce_count=Subscriber.bounce_count + 1, last_bounce_at=now)
    )
    limit = int(current_app.config["MAIL_BOUNCE_LIMIT"])
    stopped = list(
        db.session.scalars(
            select(Subscriber.id).where(
                Subscriber.id.in_(refused), Subscriber.status == ACTIVE, Subscriber.bounce_count >= limit
            )
        )
    )
    if stopped:
        db.session.execute(
            update(Subscriber).where(Subscriber.id.in_(stopped)).values(status=BOUNCED, bounced_at=now)
        )
        # Digests already queued for them would only bounce again.
        db.session.execute(
            delete(OutgoingMail).where(OutgoingMail.subscriber_id.in_(stopped), OutgoingMail.status == QUEUED)
        )


def _subscriber_ids(mail_ids: Iterable[int]) -> set[int]:
    mail_ids = list(mail_ids)
    if not mail_ids:
        return set()
    found = db.session.scalars(
        select(OutgoingMail.subscriber_id).where(
            OutgoingMail.id.in_(mail_ids), OutgoingMail.subscriber_id.is_not(None)
        )
    )
    return set(found)


def clear(subscriber: Subscriber) -> None:
    """Start counting afresh for a reader who chose to come back after their
    digests were stopped: the next three refusals stop them again, not the next one."""
    if subscriber.bounce_count or subscriber.bounced_at:
        with write_transaction():
            db.session.execute(
                update(Subscriber).where(Subscriber.id == subscriber.id).values(bounce_count=0, bounced_at=None)
            )
        db.session.refresh(subscriber)
