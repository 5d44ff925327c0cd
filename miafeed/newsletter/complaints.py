"""Spam complaints: a reader who pressed "Report spam" gets no more mail.

A complaint arrives as an RFC 5965 ARF report in the bounce mailbox (the
big mailbox providers' feedback loops) or from a provider's webhook. Mail
providers judge a sender by its complaint rate (Gmail and Yahoo want it
under 0.3 %, SES reviews an account at 0.1 %), and a reader who complains
has said as clearly as they can that they want none: they are unsubscribed
at once, their queued mail is dropped, and the complaint is kept on their
row (complained_at) so `flask stats` can count it.
"""
from __future__ import annotations

from sqlalchemy import delete, update

from ..extensions import db
from ..clock import utcnow
from .models import QUEUED, UNSUBSCRIBED, OutgoingMail, Subscriber


def record_complaint(subscriber_id: int) -> bool:
    """Unsubscribe the reader and note the complaint; True when this is news
    (a second report of the same complaint changes nothing). Runs inside the
    caller's write transaction."""
    now = utcnow()
    db.session.execute(
        update(Subscriber).where(Subscriber.id == subscriber_id, Subscriber.status != UNSUBSCRIBED)
        .values(status=UNSUBSCRIBED, unsubscribed_at=now)
    )
    db.session.execute(
        delete(OutgoingMail).where(OutgoingMail.subscriber_id == subscriber_id, OutgoingMail.status == QUEUED)
    )
    return bool(db.session.execute(
        update(Subscriber).where(Subscriber.id == subscriber_id, Subscriber.complained_at.is_(None))
        .values(complained_at=now)
    ).rowcount)
