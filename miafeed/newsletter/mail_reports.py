"""What a mail in the bounce mailbox says, read with the standard library.

A provider or the host's own MTA tells the site about its mail later, by
mail to the envelope sender (the Return-Path): RFC 3464 delivery status
notifications (DSNs), RFC 5965 ARF reports when a reader pressed "Report
spam", and the readers' own auto-replies. read_report turns one such
message into a MailReport; nothing here touches the database.

The rule: a DSN recipient with `Action: failed` and a 5.x.x status is a
hard bounce; `delayed`, `delivered` and 4.x.x change nothing permanent. An
ARF report is a complaint. An auto-reply (Auto-Submitted other than "no",
a vacation notice) changes nothing. Anything else is not ours to judge.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses

HARD_BOUNCE, COMPLAINT, DELAY, AUTO_REPLY, OTHER = "hard_bounce", "complaint", "delay", "auto_reply", "other"

_STATUS = re.compile(r"([245])\.\d{1,3}\.\d{1,3}")
_VACATION_SUBJECT = re.compile(r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|vacation)",
                               re.IGNORECASE)


@dataclass
class MailReport:
    """One message from the bounce mailbox, as the site reads it.

    `kind` is one of HARD_BOUNCE, COMPLAINT, DELAY, AUTO_REPLY, OTHER;
    `recipients` the original recipients it names (lower-cased), and
    `envelope` the addresses it was delivered to (where a VERP bounce
    address is found); `status` the RFC 3463 code of a DSN.
    """

    kind: str
    recipients: list[str] = field(default_factory=list)
    envelope: list[str] = field(default_factory=list)
    status: str | None = None


def read_report(raw: bytes) -> MailReport:
    """Classify one raw RFC 5322 message from the bounce mailbox."""
    # compat32 parses message/delivery-status into header blocks and never
    # raises on the malformed headers real bounces are full of.
    message = message_from_bytes(raw, policy=compat32)
    envelope = _addresses(message, "Delivered-To", "X-Original-To", "To", "Envelope-To")
    report_type = (message.get_param("report-type", header="content-type") or "").lower()
    if message.get_content_type() == "multipart/report" and report_type == "feedback-report":
        return MailReport(COMPLAINT, _complaint_recipients(message), envelope + _original_return_path(message))
    if message.get_content_type() == "multipart/report" and report_type == "delivery-status":
        return _delivery_status(message, envelope)
    if _is_auto_reply(message):
        return MailReport(AUTO_REPLY, envelope=envelope)
    return MailReport(OTHER, envelope=envelope)


def _addresses(message: Message, *names: str) -> list[str]:
    values = [str(value) for name in names for value in message.get_all(name, [])]
    return [address.lower() for _, address in getaddresses(values) if "@" in address]


def _typed_address(value: str | None) -> str | None:
    # "rfc822; reader@example.org" (RFC 3464 address-type; address).
    if not value:
        return None
    address = str(value).split(";", 1)[-1].strip().strip("<>").lower()
    return address if "@" in address else None


def _delivery_status(message: Message, envelope: list[str]) -> MailReport:
    hard, delayed, status = [], [], None
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        # The first block is about the message, each further one about one recipient.
        for block in part.get_payload()[1:]:
            action = str(block.get("Action", "")).strip().lower()
            found = _STATUS.search(str(block.get("Status", "")))
            address = _typed_address(block.get("Original-Recipient")) or _typed_address(block.get("Final-Recipient"))
            if address is None:
                continue
            if action == "failed" and found and found.group(1) == "5":
                hard.append(address)
                status = status or found.group(0)
            else:
                delayed.append(address)
    if hard:
        return MailReport(HARD_BOUNCE, hard, envelope, status)
    return MailReport(DELAY, delayed, envelope)


def _complaint_recipients(message: Message) -> list[str]:
    found = []
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            for block in part.get_payload():
                found += [address for address in (_typed_address(value) for value in block.get_all("Original-Rcpt-To", []))
                          if address]
        elif part.get_content_type() in ("message/rfc822", "text/rfc822-headers") and not found:
            original = _original(part)
            if original is not None:
                found += _addresses(original, "To")
    return found


def _original(part: Message) -> Message | None:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        return payload[0] if payload else None
    return message_from_bytes(part.get_payload(decode=True) or b"", policy=compat32)


def _original_return_path(message: Message) -> list[str]:
    # The reported mail's own Return-Path carries the VERP address, when the
    # provider kept it in the copy it attached.
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            original = _original(part)
            if original is not None:
                return _addresses(original, "Return-Path")
    return []


def _is_auto_reply(message: Message) -> bool:
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if str(message.get("Precedence", "")).strip().lower() == "auto_reply":
        return True
    return bool(_VACATION_SUBJECT.match(str(message.get("Subject", ""))))
