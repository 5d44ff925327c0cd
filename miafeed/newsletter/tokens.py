"""Signed tokens for the links in newsletter mail.

Each purpose has its own salt, so an unsubscribe token cannot be replayed as
a confirmation. A token carries the subscriber's random public id and their
current nonce, never the address and never the sequential row id: a
forwarded mail reveals nothing (not even how many readers there are), and
resetting the nonce (erase, resubscribe) revokes every link mailed before.

Links mailed before public ids existed carry `[row id, nonce]`. They are
still accepted, because an unsubscribe link already in someone's inbox must
keep working; they are signed and nonce-checked like the new ones, and no
new link is made that way. An id that no row can have (negative, a bool,
2**63 or more) is simply a bad link.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from .models import Subscriber

CONFIRM, PREFERENCES, UNSUBSCRIBE = "confirm", "preferences", "unsubscribe"
_PURPOSES = (CONFIRM, PREFERENCES, UNSUBSCRIBE)


class InvalidToken(Exception):
    """The link is malformed, tampered with, expired or revoked.

    `reason` is "bad", "expired" or "revoked"; the page chosen for each
    says what the reader can do next.
    """

    def __init__(self, reason: str, subscriber: Subscriber | None = None):
        super().__init__(reason)
        self.reason = reason
        # For an expired link whose signature is good: whom it was for, so a
        # reopened confirmation link can say "already confirmed".
        self.subscriber = subscriber


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in _PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"miafeed.newsletter.{purpose}")


# The largest id a database integer column can hold (SQLite and PostgreSQL
# bigint); anything larger overflows the driver instead of finding no row.
_LARGEST_ROW_ID = 2**63 - 1


def make_token(purpose: str, subscriber: Subscriber) -> str:
    """A URL-safe signed token for one purpose and one subscriber."""
    return _serializer(purpose).dumps([subscriber.public_id, subscriber.token_nonce])


def _find(key) -> Subscriber | None:
    if isinstance(key, str):
        if not 0 < len(key) <= 32:
            return None
        return db.session.scalar(db.select(Subscriber).where(Subscriber.public_id == key))
    if type(key) is int and 0 < key <= _LARGEST_ROW_ID:  # a legacy link; bool is not an id
        return db.session.get(Subscriber, key)
    return None


def load_subscriber(purpose: str, token: str) -> Subscriber:
    """The subscriber a token points to, or InvalidToken.

    Confirmation tokens expire after CONFIRM_TOKEN_MAX_AGE_HOURS; the others
    live until the nonce changes.
    """
    max_age = None
    if purpose == CONFIRM:
        max_age = int(current_app.config["CONFIRM_TOKEN_MAX_AGE_HOURS"]) * 3600
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as expired:
        raise InvalidToken("expired", _expired_subscriber(purpose, expired)) from None
    except BadSignature:
        raise InvalidToken("bad") from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[1], str)):
        raise InvalidToken("bad")
    if not (isinstance(payload[0], str) or (type(payload[0]) is int and 0 < payload[0] <= _LARGEST_ROW_ID)):
        raise InvalidToken("bad")
    subscriber = _find(payload[0])
    if subscriber is None or subscriber.token_nonce != payload[1]:
        raise InvalidToken("revoked")
    return subscriber


def _expired_subscriber(purpose: str, expired: SignatureExpired) -> Subscriber | None:
    # The signature was checked before the age, so the payload is ours.
    try:
        payload = _serializer(purpose).load_payload(expired.payload)
    except BadData:
        return None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[1], str)):
        return None
    if not (isinstance(payload[0], str) or (type(payload[0]) is int and 0 < payload[0] <= _LARGEST_ROW_ID)):
        return None
    subscriber = _find(payload[0])
    if subscriber is None or subscriber.token_nonce != payload[1]:
        return None
    return subscriber
