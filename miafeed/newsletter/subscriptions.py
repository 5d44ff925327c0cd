"""What happens to a subscriber: sign-up, confirm, unsubscribe, erase.

Every change runs in one write transaction together with the mail it
causes (see database.write_transaction and mail.queue).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, or_, select

from ..database import forget_deleted_rows, insert_ignoring_conflicts, write_transaction
from ..extensions import db
from ..clock import utcnow
from . import mail, topics
from .models import ACTIVE, BOUNCED, PENDING, UNSUBSCRIBED, OutgoingMail, Subscriber, new_nonce, new_public_id

# Bump when the sign-up wording changes; stored with each consent.
CONSENT_VERSION = "2026-11-signup-v1"


def subscribe(email: str, frequency: str, source: str) -> None:
    """Sign an (already validated and normalized) address up.

    Deliberately returns nothing: the caller answers every address the same
    way. Each branch does the same work (one insert-or-ignore, one select,
    one update, one composed mail that is queued or skipped) so the answer
    takes the same time whatever state the address was in:
    new -> pending + confirmation; pending -> confirmation again (at most once
    per SUBSCRIBE_NOTICE_INTERVAL_MINUTES); active -> "already subscribed"
    mail (same limit); unsubscribed -> pending again + confirmation.
    """
    now = utcnow()
    interval = timedelta(minutes=int(current_app.config["SUBSCRIBE_NOTICE_INTERVAL_MINUTES"]))
    with write_transaction():
        inserted = insert_ignoring_conflicts(
            Subscriber.__table__,
            {
                "email": email,
                "frequency": frequency,
                "status": PENDING,
                "created_at": now,
                "consent_version": CONSENT_VERSION,
                "consent_source": source,
                "token_nonce": new_nonce(),
                "public_id": new_public_id(),
            },
            ["email"],
        ).rowcount
        # FOR UPDATE: on PostgreSQL a concurrent sign-up of the same address
        # waits here and then sees this one's changes (SQLite: BEGIN IMMEDIATE).
        subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == email).with_for_update())
        recently_told = subscriber.last_notice_at is not None and now - subscriber.last_notice_at < interval
        send = True
        if inserted:
            pass
        elif subscriber.status == PENDING:
            subscriber.frequency = frequency
            subscriber.consent_version, subscriber.consent_source = CONSENT_VERSION, source
            send = not recently_told
        elif subscriber.status == ACTIVE:
            # The frequency of a confirmed reader changes only through their
            # own preferences link, never through a form anyone can post.
            send = not recently_told
        else:  # unsubscribed: start over, and revoke the old links
            subscriber.status = PENDING
            # A new consent is asked for; until it is confirmed, the old
            # confirmation must not let "undo" skip the new one.
            subscriber.confirmed_at = None
            subscriber.frequency = frequency
            subscriber.consent_version, subscriber.consent_source = CONSENT_VERSION, source
            subscriber.token_nonce = new_nonce()
        row = mail.compose_already_subscribed(subscriber) if subscriber.status == ACTIVE else mail.compose_confirmation(subscriber)
        if send:
            subscriber.last_notice_at = now
            mail.queue([row])
    if send:
        mail.mail_queued.set()


def confirm(subscriber: Subscriber) -> bool:
    """Make a pending subscriber active. False if they were not pending."""
    with write_transaction():
        db.session.refresh(subscriber, with_for_update=True)
        if subscriber.status != PENDING:
            return False
        subscriber.status = ACTIVE
        subscriber.confirmed_at = utcnow()
    return True


def unsubscribe(subscriber: Subscriber) -> None:
    """Stop all mail to this subscriber at once, including mail already queued."""
    with write_transaction():
        db.session.refresh(subscriber, with_for_update=True)
        if subscriber.status != UNSUBSCRIBED:
            subscriber.status = UNSUBSCRIBED
            subscriber.unsubscribed_at = utcnow()
        _drop_queued_mail(subscriber)


def resubscribe(subscriber: Subscriber) -> bool:
    """Undo an unsubscribe made from one of the reader's own links.

    Only a reader who once confirmed comes back this way. Preference and
    unsubscribe links are in the confirmation mail too, and never expire,
    so letting them activate a pending address would skip the double
    opt-in: only the confirmation link confirms. Returns False (and changes
    nothing) for an address that was never confirmed.
    """
    with write_transaction():
        db.session.refresh(subscriber, with_for_update=True)
        if subscriber.confirmed_at is None:
            return False
        # Unsubscribed, or stopped after hard bounces (bounces.py): both come back.
        if subscriber.status in (UNSUBSCRIBED, BOUNCED):
            subscriber.status = ACTIVE
            subscriber.unsubscribed_at = None
    return True


def change_frequency(subscriber: Subscriber, frequency: str) -> None:
    """Set how often the digest comes; the next digest follows it."""
    with write_transaction():
        db.session.refresh(subscriber, with_for_update=True)
        subscriber.frequency = frequency


def change_topics(subscriber: Subscriber, category_ids: list[int]) -> None:
    """Set which categories the digest covers; every one (or none) means all."""
    with write_transaction():
        topics.set_topics(subscriber, category_ids)


def find_by_email(email: str) -> Subscriber | None:
    """The subscriber with this address (compared lower-cased), or None."""
    return db.session.scalar(select(Subscriber).where(Subscriber.email == email.strip().lower()))


def export(subscriber: Subscriber) -> dict:
    """Everything stored about one subscriber, for a data-access request."""
    queued = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.subscriber_id == subscriber.id).order_by(OutgoingMail.id)
    ).all()

    def when(value):
        return value.isoformat() + "Z" if value else None

    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "frequency": subscriber.frequency,
        "created_at": when(subscriber.created_at),
        "confirmed_at": when(subscriber.confirmed_at),
        "unsubscribed_at": when(subscriber.unsubscribed_at),
        "consent": {"version": subscriber.consent_version, "source_page": subscriber.consent_source},
        "last_notice_at": when(subscriber.last_notice_at),
        "last_digest_at": when(subscriber.last_digest_at),
        "last_digest_period": subscriber.last_digest_period,
        # "all" when the reader never narrowed the choice (new categories included).
        "topics": "all" if not topics.chosen_category_ids([subscriber.id]) else [
            category.name for category in topics.chosen_categories(subscriber)
        ],
        "bounces": {
            "in_a_row": subscriber.bounce_count,
            "last_bounce_at": when(subscriber.last_bounce_at),
            "digests_stopped_at": when(subscriber.bounced_at),
        },
        # When their mail provider reported them pressing "Report spam" (complaints.py).
        "spam_complaint_at": when(subscriber.complained_at),
        "mail": [
            {"kind": row.kind, "subject": row.subject, "status": row.status,
             "created_at": when(row.created_at), "sent_at": when(row.sent_at)}
            for row in queued
        ],
    }


@dataclass
class Erasure:
    """What erasing one subscriber removed."""

    mails: int = 0
    outbox_files: int = 0
    wiped_from_disk: bool = True  # False: the WAL could not be emptied yet


def erase(subscriber: Subscriber) -> Erasure:
    """Delete the subscriber, every mail to them (queued or kept), and the
    copies of those mails in instance/outbox/; then make the deleted rows
    unreadable in the database file (database.forget_deleted_rows)."""
    email = subscriber.email
    result = Erasure()
    with write_transaction():
        mine = or_(OutgoingMail.subscriber_id == subscriber.id, OutgoingMail.to_address == email)
        mail_ids = set(db.session.scalars(select(OutgoingMail.id).where(mine)))
        result.mails = db.session.execute(delete(OutgoingMail).where(mine)).rowcount
        db.session.execute(delete(Subscriber).where(Subscriber.id == subscriber.id))
    db.session.expunge_all()
    result.outbox_files = _erase_outbox_files(Path(current_app.instance_path) / "outbox", email, mail_ids)
    result.wiped_from_disk = forget_deleted_rows()
    return result


def _erase_outbox_files(folder: Path, email: str, mail_ids: set[int]) -> int:
    # Files are named <time>-<mail id>-<kind>.eml, but rows of sent mail are
    # purged after 30 days while the files stay; so the To header decides.
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        if not (path.name.endswith(".eml") or path.name.endswith(".eml.tmp")):
            continue
        if _outbox_mail_id(path.name) in mail_ids or _addressed_to(path, email):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _outbox_mail_id(name: str) -> int | None:
    parts = name.lstrip(".").split("-")
    return int(parts[1]) if len(parts) >= 3 and parts[1].isascii() and parts[1].isdigit() else None


def _addressed_to(path: Path, email: str) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(16_384).split(b"\r\n\r\n", 1)[0]
    except OSError:
        return False
    headers = BytesParser(policy=default_policy).parsebytes(head + b"\r\n\r\n", headersonly=True)
    return any(address.lower() == email for _, address in getaddresses(headers.get_all("To", [])))


def _drop_queued_mail(subscriber: Subscriber) -> None:
    db.session.execute(
        delete(OutgoingMail).where(OutgoingMail.subscriber_id == subscriber.id, OutgoingMail.status == "queued")
    )
