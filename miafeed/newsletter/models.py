"""Tables for the newsletter: subscribers and the outgoing mail queue.

A subscriber row holds only what the newsletter needs (see /privacy):
the address, the chosen frequency, the status and its times, the consent
given, and a few bookkeeping fields that make mail safe to send (the token
nonce, when the last notice went out, which digest period was sent last).
No IP address, no user agent, no tracking.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..clock import utcnow
from .frequencies import DEFAULT, MAX_NAME_LENGTH

PENDING, ACTIVE, UNSUBSCRIBED = "pending", "active", "unsubscribed"
# Digests stopped because the reader's mail server refused them for good,
# several times in a row (see bounces.py); a new sign-up starts over.
BOUNCED = "bounced"


def new_nonce() -> str:
    """A fresh random nonce; every emailed link carries the current one."""
    return secrets.token_urlsafe(12)


def new_public_id() -> str:
    """A random identifier for the links in mail: 128 bits, says nothing about
    how many readers there are or when this one signed up."""
    return secrets.token_urlsafe(16)


class Subscriber(db.Model):
    """One address on the list, with its frequency, status and consent."""

    __tablename__ = "subscribers"
    __table_args__ = (
        # `digest send` walks "active subscribers of one frequency" in id order.
        Index("ix_subscribers_digest", "status", "frequency", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What mailed links carry instead of `id` (see tokens.py).
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    # Stored lower-cased after email-validator's normalization, so
    # Mia@Example.org and mia@example.org are one subscriber.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    frequency: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), default=DEFAULT)  # frequencies.py
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The consent given: which wording the reader saw and on which page.
    consent_version: Mapped[str] = mapped_column(String(40), default="")
    consent_source: Mapped[str] = mapped_column(String(300), default="")
    # Changing the nonce revokes every link mailed before (erase, resubscribe).
    token_nonce: Mapped[str] = mapped_column(String(32), default=new_nonce)
    # When the last confirmation or "already subscribed" mail was queued, so the
    # form cannot be used to flood someone's inbox.
    last_notice_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Digest bookkeeping: the period key of the last digest (e.g. "weekly:2026-W48")
    # makes `digest send` exactly-once; the time is where the next one starts.
    last_digest_period: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Permanent refusals (SMTP 5xx) since the last mail that got through;
    # at MAIL_BOUNCE_LIMIT an active reader becomes BOUNCED (see bounces.py).
    bounce_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_bounce_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    bounced_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # When the reader pressed "Report spam" (an ARF report or a provider's
    # webhook, see complaints.py); they were unsubscribed at that moment.
    complained_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} {self.status}>"


class SubscriberTopic(db.Model):
    """A category a reader chose for their digest.

    No rows for a subscriber means every category, including ones added
    later: that is the default, and what a reader who ticks every box gets.
    Rows go with the subscriber (erasure) or the category (ON DELETE CASCADE).
    """

    __tablename__ = "subscriber_topics"

    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True
    )


QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


class OutgoingMail(db.Model):
    """One email, written in the same transaction as the change that causes it."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # confirm, already_subscribed, digest
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)  # the whole RFC 5322 message
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # For a digest: the period it stands for and where its articles started,
    # so a digest that fails for good can be handed back to the next run.
    digest_period: Mapped[str | None] = mapped_column(String(40), nullable=True)
    digest_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<OutgoingMail {self.id} {self.kind} {self.status}>"


class MailRelayPause(db.Model):
    """Delivery paused because the relay refuses every mail with one reply.

    At most one row (id 1): present while paused, deleted when the relay
    takes mail again. Kept in the database so that every worker, host and
    `flask mail deliver` honours the pause and /healthz on any host reports
    it (see mail_health.py).
    """

    __tablename__ = "mail_relay_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The refusal with addresses blanked out (transports.PermanentFailure.reply_key).
    reply: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Delivery tries one mail again at this time; each refusal doubles the wait.
    retry_at: Mapped[datetime] = mapped_column(DateTime)
    refusals: Mapped[int] = mapped_column(Integer, default=1)


class MailRefusalRun(db.Model):
    """The relay's refusals in a row, for the whole site (see mail_health.py).

    At most one row (id 1): the refusal last met (addresses blanked out),
    how many different readers drew it in a row, and a digest of the last
    one's address, so that one mail refused twice counts once. Any other
    answer from the relay deletes it. Kept in the database so that refusals
    met by several workers and hosts add up to one pause.
    """

    __tablename__ = "mail_refusal_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    reply: Mapped[str] = mapped_column(Text)
    readers: Mapped[int] = mapped_column(Integer, default=0)
    last_reader: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class WebhookCallSeen(db.Model):
    """A provider webhook call already applied, by a digest of its signed
    token, so that a replay of the same call is refused (see webhooks.py).
    Rows older than the accepted signature age are deleted."""

    __tablename__ = "mail_webhook_seen"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class MailSendPace(db.Model):
    """The site's sending pace, shared by every deliverer (see mail_pace.py).

    At most one row (id 1): the earliest time the next mail may start under
    MAIL_SEND_RATE, and, after the relay answered "slow down", the time
    until which nobody sends and how many such answers came in a row.
    """

    __tablename__ = "mail_send_pace"

    id: Mapped[int] = mapped_column(primary_key=True)
    next_slot_at: Mapped[datetime] = mapped_column(DateTime)
    throttled_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    throttles: Mapped[int] = mapped_column(Integer, default=0)
