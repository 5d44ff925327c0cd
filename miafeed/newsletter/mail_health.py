"""Is mail going out? The queue's backlog, and the relay pause.

A relay that refuses every mail with the same permanent reply ("554 5.7.1
Relay access denied", or 500 after DATA because its own disk is full) is
misconfigured or broken; the readers' addresses are fine. Sending on would
fail the whole list's mail and, if those refusals counted as bounces, stop
every reader's digests. So after MAIL_RELAY_FAULT_AFTER such refusals in a
row, delivery pauses (pause_delivery): nothing is sent, nothing fails,
nothing counts as a bounce. Every MAIL_RELAY_RETRY_SECONDS (doubling, at
most an hour) one mail is tried; when the relay takes it, or answers
anything else, delivery resumes by itself (resume_delivery).

The pause lives in the database, so every worker and host honours it, and
/healthz (the mail_queue check) and `flask stats` report it wherever asked.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..database import insert_ignoring_conflicts, write_transaction
from ..extensions import db
from ..clock import utcnow
from .models import FAILED, QUEUED, SENDING, MailRelayPause, OutgoingMail

log = logging.getLogger(__name__)

LONGEST_PAUSE = timedelta(hours=1)
_ROW = 1


def _wait_after(app, refusals: int) -> timedelta:
    first = timedelta(seconds=float(app.config["MAIL_RELAY_RETRY_SECONDS"]))
    return min(first * (2 ** min(refusals - 1, 20)), max(LONGEST_PAUSE, first))


def current_pause() -> MailRelayPause | None:
    """The pause in force, or None when the relay is taking mail. A plain
    read (no write lock), detached from the session."""
    pause = db.session.get(MailRelayPause, _ROW, populate_existing=True)
    if pause is not None:
        db.session.expunge(pause)
    db.session.rollback()
    return pause


def pause_delivery(app, reply: str) -> datetime:
    """Record that the relay refused mail with `reply` once more; returns
    when delivery tries again. Logged as an error: the operator must act."""
    now = utcnow()
    with write_transaction():
        insert_ignoring_conflicts(
            MailRelayPause.__table__,
            {"id": _ROW, "reply": reply, "since": now, "retry_at": now, "refusals": 0},
            ["id"],
        )
        pause = db.session.get(MailRelayPause, _ROW, populate_existing=True)
        # A different refusal starts a new pause: its back-off starts afresh.
        refusals = pause.refusals + 1 if pause.reply == reply else 1
        retry_at = now + _wait_after(app, refusals)
        db.session.execute(
            update(MailRelayPause).where(MailRelayPause.id == _ROW).values(
                reply=reply, refusals=refusals, retry_at=retry_at,
                since=pause.since if pause.reply == reply and pause.refusals else now,
            )
        )
    log.error("Mail delivery paused: the mail server refuses every mail with %r; this is the relay's "
              "fault, not the readers' (no bounces counted). Trying again at %s UTC.", reply, f"{retry_at:%H:%M:%S}")
    return retry_at


def resume_delivery() -> bool:
    """The relay answered something else: lift the pause. True if there was one."""
    if current_pause() is None:
        return False
    with write_transaction():
        lifted = db.session.execute(delete(MailRelayPause).where(MailRelayPause.id == _ROW)).rowcount
    if lifted:
        log.warning("Mail delivery resumed: the mail server answers again")
    return bool(lifted)


def relay_report(pause: MailRelayPause | None) -> dict | None:
    """The pause as plain data for /healthz and `flask stats` (no addresses)."""
    if pause is None:
        return None
    return {
        "paused": True,
        "reply": pause.reply,
        "since": pause.since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "retry_at": pause.retry_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "refusals": pause.refusals,
    }


def queue_health() -> dict:
    """For /healthz: how many mails wait, how long the oldest has waited,
    how many failed; "degraded" once the oldest waited longer than
    MAIL_BACKLOG_DEGRADED_MINUTES (the mail server is down, or nothing
    delivers) or while delivery is paused because the relay refuses everything."""
    try:
        now = utcnow()
        waiting, oldest = db.session.execute(
            select(func.count(OutgoingMail.id), func.min(OutgoingMail.created_at)).where(
                OutgoingMail.status.in_((QUEUED, SENDING))
            )
        ).one()
        failed = db.session.scalar(select(func.count(OutgoingMail.id)).where(OutgoingMail.status == FAILED))
        pause = current_pause()
    except Exception:
        db.session.rollback()
        return {"status": "unavailable"}
    oldest_seconds = int((now - oldest).total_seconds()) if oldest else 0
    threshold = float(current_app.config["MAIL_BACKLOG_DEGRADED_MINUTES"]) * 60
    health = {
        "status": "degraded" if oldest_seconds > threshold or pause is not None else "ok",
        "waiting": waiting,
        "oldest_waiting_seconds": oldest_seconds,
        "failed": failed,
    }
    if pause is not None:
        health["relay"] = relay_report(pause)
    return health
