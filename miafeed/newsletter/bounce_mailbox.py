"""`flask mail bounces`: apply what the bounce mailbox says, then mark it read.

Bounces and complaints that come back after the relay took a mail land in
the mailbox of the envelope sender: a local Maildir the host's MTA
delivers to (MAIL_BOUNCE_MAILDIR), or a remote IMAP folder
(MAIL_BOUNCE_IMAP_*, see bounce_imap.py). Each unread message is read
(mail_reports.read_report), matched to a reader (the VERP address it came
back to, else the original recipient it names) and applied: a hard bounce
through bounces.record_later_bounce, a complaint through
complaints.record_complaint, each in its own write transaction. Then the
message is marked read: moved from new/ to cur/ with the Seen flag (the
Maildir convention every mail reader follows), or flagged \\Seen on IMAP,
so the next run (a systemd timer or cron) does nothing twice. A message is
marked only after its change is committed: a run that dies in between
reads that one message again, and applying it again changes nothing more.

The log and the summary give counts only, never an address.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from ..database import write_transaction
from ..extensions import db
from . import bounces, complaints, verp
from .mail_reports import COMPLAINT, HARD_BOUNCE, MailReport, read_report
from .models import Subscriber

log = logging.getLogger(__name__)


@dataclass
class BounceRun:
    """What one `mail bounces` run found and did."""

    read: int = 0
    bounced: int = 0  # readers whose digests stopped now
    bounces_counted: int = 0  # permanent failures counted towards MAIL_BOUNCE_LIMIT
    complaints: int = 0  # readers unsubscribed for a complaint
    unchanged: int = 0  # delays, auto-replies, repeats, anything else
    unmatched: int = 0  # a bounce or complaint about no reader of ours

    def summary(self) -> str:
        """One line for the operator (and cron's mail)."""
        return (f"Bounce mailbox: {self.read} read; {self.bounced} reader(s) stopped for hard bounces, "
                f"{self.bounces_counted} bounce(s) counted, {self.complaints} unsubscribed for complaints, "
                f"{self.unchanged} changed nothing, {self.unmatched} about no reader of ours.")


def reader_for(report: MailReport, config) -> int | None:
    """The reader a report is about: its genuine VERP address first, else
    the first original recipient that is one of our readers."""
    found = verp.subscriber_in(config, report.envelope)
    if found is not None:
        return found
    for address in report.recipients:
        found = db.session.scalar(select(Subscriber.id).where(func.lower(Subscriber.email) == address.lower()))
        if found is not None:
            return found
    return None


def apply_report(report: MailReport, run: BounceRun, config) -> None:
    """Apply one report to its reader (in one write transaction) and count it in `run`."""
    run.read += 1
    if report.kind not in (HARD_BOUNCE, COMPLAINT):
        run.unchanged += 1
        return
    with write_transaction():
        reader = reader_for(report, config)
        if reader is None:
            run.unmatched += 1
        elif report.kind == COMPLAINT:
            if complaints.record_complaint(reader):
                run.complaints += 1
            else:
                run.unchanged += 1
        elif bounces.record_later_bounce(reader, report.status):
            run.bounced += 1
        else:
            run.bounces_counted += 1


def read_maildir(folder: Path, run: BounceRun | None = None) -> BounceRun:
    """Apply every unread message of the Maildir at `folder` (its new/), then
    move each to cur/ marked Seen."""
    run = run or BounceRun()
    new, cur = folder / "new", folder / "cur"
    if not new.is_dir() or not cur.is_dir():
        raise FileNotFoundError(f"{folder} is not a Maildir (it needs new/ and cur/ folders)")
    config = current_app.config
    for entry in sorted(os.scandir(new), key=lambda entry: entry.name):
        if entry.name.startswith(".") or not entry.is_file():
            continue
        with open(entry.path, "rb") as handle:
            raw = handle.read()
        apply_report(read_report(raw), run, config)
        # Maildir's own way to say "read": new/NAME -> cur/NAME:2,S (atomic, same folder tree).
        os.rename(entry.path, cur / f"{entry.name.split(':', 1)[0]}:2,S")
    if run.read:
        log.info("%s", run.summary())
    return run
