"""The site's sending pace: MAIL_SEND_RATE, and slowing down when told to.

Providers and relays cap how fast a sender may hand them mail (SES starts
accounts at one mail a second; a host's relay may allow a few) and answer
"421 too many connections", "451 4.7.1 rate limited, slow down" beyond it.
Both live in one database row (MailSendPace), so the whole site keeps to
them across workers and hosts, by the database's clock:

- take_send_slot: with MAIL_SEND_RATE set, each mail takes the next free
  slot (slots 1/rate seconds apart) in a short write transaction, and the
  sender waits for its slot. No rate set: nothing is written or waited for.
- note_throttled: the relay said "slow down". Nobody sends until
  MAIL_THROTTLE_SECONDS from now (doubling for each such answer in a row,
  at most LONGEST_THROTTLE); the mail goes back to the queue untouched.
  It is the relay's state, never the reader's: no attempt, no bounce. A
  mail accepted after the hold ends the run of such answers.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import select

from ..database import database_now, insert_ignoring_conflicts, write_transaction
from ..extensions import db
from . import mail_health
from .models import MailSendPace

log = logging.getLogger(__name__)

_ROW = 1
LONGEST_THROTTLE = timedelta(minutes=10)


def _pace_row(now) -> MailSendPace:
    insert_ignoring_conflicts(MailSendPace.__table__, {"id": _ROW, "next_slot_at": now, "throttles": 0}, ["id"])
    pace = db.session.scalar(select(MailSendPace).where(MailSendPace.id == _ROW).with_for_update())
    db.session.refresh(pace)
    return pace


def take_send_slot(app, should_stop=None) -> bool:
    """Wait for this mail's turn under MAIL_SEND_RATE; False if `should_stop`
    turned true while waiting (the mail is then not sent)."""
    rate = float(app.config.get("MAIL_SEND_RATE") or 0)
    if rate <= 0:
        return True
    with write_transaction():
        now = database_now()
        pace = _pace_row(now)
        slot = max(now, pace.next_slot_at, pace.throttled_until or now)
        pace.next_slot_at = slot + timedelta(seconds=1 / rate)
    deadline = time.monotonic() + (slot - now).total_seconds()
    while time.monotonic() < deadline:
        if should_stop is not None and should_stop():
            return False
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    return True


def throttled_until():
    """Until when nobody sends because the relay asked to slow down (None: go ahead)."""
    pace = db.session.get(MailSendPace, _ROW, populate_existing=True)
    until = pace.throttled_until if pace is not None else None
    db.session.rollback()
    return until


def note_throttled(app, reply: str):
    """The relay answered "slow down": hold every deliverer back; returns until when."""
    first = timedelta(seconds=float(app.config["MAIL_THROTTLE_SECONDS"]))
    with write_transaction():
        now = database_now()
        pace = _pace_row(now)
        # A mail accepted since the last "slow down" ended was the relay
        # coping again: this answer starts the back-off afresh.
        if pace.throttled_until is not None and mail_health.accepted_since(pace.throttled_until):
            pace.throttles = 0
        pace.throttles += 1
        wait = min(first * (2 ** min(pace.throttles - 1, 20)), max(LONGEST_THROTTLE, first))
        pace.throttled_until = max(pace.throttled_until or now, now + wait)
        until = pace.throttled_until
    log.warning("The mail server asked to slow down (%s); sending resumes at %s UTC.", reply, f"{until:%H:%M:%S}")
    return until
