"""How one mail leaves the app: over SMTP, or as a file in instance/outbox/.

A transport sends one claimed mail and says how it went: nothing (the
server took it), PermanentFailure (a 5xx answer; retrying will not help),
or any other SMTP/OS error (try again later). A permanent failure carries
the reply and the step that drew it, because only some refusals are about
the reader's address (see PermanentFailure.about_recipient and README,
"Bounces"); the rest are the relay's own trouble.
"""
from __future__ import annotations

import os
import re
import smtplib
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from ..private_files import OWNER_ONLY_FOLDER, write_private_bytes
from . import verp

if TYPE_CHECKING:
    from .mail_queue import ClaimedMail

# RFC 3463 enhanced status codes that are about the recipient's mailbox:
# 5.1.x (bad address: no such user, bad domain, moved) and 5.2.1/5.2.2
# (mailbox disabled, mailbox full). Everything else, such as 5.7.1 "relay
# access denied" or 5.5.x protocol errors, is about the relay or the message.
RECIPIENT_STATUS = re.compile(r"5\.1\.\d{1,3}|5\.2\.[12]")
ENHANCED_STATUS = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b")
# Basic codes a server gives at RCPT when it has no enhanced code: 550
# mailbox unavailable, 551 user not local, 553 name not allowed. Exim says
# "550 relay not permitted" with the same code, so the code alone does not
# say whose fault it is: only wording that names the address as unknown does.
RECIPIENT_CODES_AT_RCPT = (550, 551, 553)
USER_UNKNOWN = re.compile(
    r"user unknown|unknown (user|recipient|mailbox|address)|no such (user|mailbox|recipient|address)"
    r"|(user|mailbox|address|recipient) (does not|doesn't) exist|invalid (recipient|mailbox)|mailbox not found",
    re.IGNORECASE,
)
# What a refusal is about (PermanentFailure.verdict).
RECIPIENT, RELAY, UNSURE = "recipient", "relay", "unsure"
_ADDRESS = re.compile(r"<[^<>\s]*>|[^\s<>]+@[^\s<>]+")

RCPT, MAIL, DATA = "RCPT", "MAIL", "DATA"


class PermanentFailure(Exception):
    """The server refused this mail for good (5xx); retrying it will not help."""

    def __init__(self, code: int, text: str, step: str):
        self.code, self.text, self.step = code, text, step
        super().__init__(f"{code} {text} (at {step})")

    @property
    def enhanced_status(self) -> str | None:
        """The RFC 3463 code at the start of the reply text ("5.1.1"), if any."""
        found = ENHANCED_STATUS.match(self.text)
        return found.group(1) if found else None

    @property
    def verdict(self) -> str:
        """Whose fault the refusal is: RECIPIENT (the reader's address cannot
        take mail, the only refusal that counts as their bounce), RELAY (the
        relay or the message), or UNSURE (a bare 550/551/553 at RCPT that
        names no reason): the next answer decides, see sending.py.

        An enhanced status code decides when there is one (5.1.x, 5.2.1,
        5.2.2); without one, wording such as "user unknown" at RCPT.
        """
        status = self.enhanced_status
        if status is not None:
            return RECIPIENT if RECIPIENT_STATUS.fullmatch(status) else RELAY
        if self.step == RCPT and self.code in RECIPIENT_CODES_AT_RCPT:
            return RECIPIENT if USER_UNKNOWN.search(self.text) else UNSURE
        return RELAY

    @property
    def about_recipient(self) -> bool:
        """True when the reply itself says the reader's address cannot take mail."""
        return self.verdict == RECIPIENT

    @property
    def reply_key(self) -> str:
        """The reply with addresses blanked out, so that the same refusal for
        two readers ("554 5.7.1 <a@x>: Relay access denied") compares equal."""
        return f"{self.code} {_ADDRESS.sub('<address>', self.text).strip()} (at {self.step})"


# "Slow down": 421 (service busy, too many connections), a 4.7.x at 450/451/452
# (policy: rate limited), or any 4xx reply that speaks of a rate or too many.
_SLOW_DOWN_WORDS = re.compile(r"\brate\b|rate.?limit|too many|throttl|slow down", re.IGNORECASE)


class Throttled(Exception):
    """The server asked us to send more slowly; the mail is fine and waits."""

    def __init__(self, code: int, text: str):
        self.code, self.text = code, text
        super().__init__(f"{code} {text}")


def is_throttling(code: int, text: str) -> bool:
    """True when a 4xx reply means "slow down" rather than "try this mail later"."""
    if not 400 <= code < 500:
        return False
    status = ENHANCED_STATUS.match(text)
    return code == 421 or (status is not None and status.group(1).startswith("4.7.")) or bool(_SLOW_DOWN_WORDS.search(text))


def _reply_text(message) -> str:
    if isinstance(message, bytes):
        return message.decode("utf-8", "replace")
    return str(message)


class OutboxTransport:
    """Writes each mail as one .eml file into instance/outbox/ (owner-only:
    each file holds a reader's address and their personal links)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.folder.mkdir(mode=OWNER_ONLY_FOLDER, parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info):
        return False

    def send(self, row: ClaimedMail) -> None:
        """Write one mail as instance/outbox/<time>-<id>-<kind>.eml."""
        name = f"{row.created_at:%Y%m%dT%H%M%S}-{row.id:08d}-{row.kind}.eml"
        temporary = self.folder / f".{name}.tmp"
        # Written aside and renamed, so a reader of the folder never sees half a mail.
        write_private_bytes(temporary, row.message.encode("utf-8"))
        os.replace(temporary, self.folder / name)


class SmtpTransport:
    """One SMTP connection for a whole batch (STARTTLS or SSL, optional login)."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None
        self.envelope_from = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]

    def __enter__(self):
        config = self.config
        cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        self.connection = cls(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT_SECONDS"])
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            self.connection.starttls()
        if config["MAIL_USERNAME"]:
            self.connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        return self

    def __exit__(self, *exc_info):
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        return False

    def send(self, row: ClaimedMail) -> None:
        """Send one mail; PermanentFailure for a 5xx refusal, other errors to retry."""
        try:
            sender = verp.envelope_sender(self.config, row.subscriber_id) or self.envelope_from
            self.connection.sendmail(sender, [row.to_address], row.message.encode("utf-8"))
        except smtplib.SMTPRecipientsRefused as exc:
            replies = list(exc.recipients.values())
            if replies and all(500 <= code < 600 for code, _ in replies):
                code, text = replies[0]
                raise PermanentFailure(code, _reply_text(text), RCPT) from exc
            if replies and is_throttling(replies[0][0], _reply_text(replies[0][1])):
                raise Throttled(replies[0][0], _reply_text(replies[0][1])) from exc
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            step = MAIL if isinstance(exc, smtplib.SMTPSenderRefused) else DATA
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(exc.smtp_code, _reply_text(exc.smtp_error), step) from exc
            if is_throttling(exc.smtp_code, _reply_text(exc.smtp_error)):
                raise Throttled(exc.smtp_code, _reply_text(exc.smtp_error)) from exc
            raise


def transport_for(app):
    """SMTP when MAIL_SERVER is set, the outbox folder otherwise."""
    if app.config.get("MAIL_SERVER"):
        return SmtpTransport(app.config)
    return OutboxTransport(Path(app.instance_path) / "outbox")
