"""The bounce mailbox on a remote IMAP server (MAIL_BOUNCE_IMAP_*).

For a site whose bounce address is a mailbox at a mail host rather than a
Maildir on this machine. Each unseen message of MAIL_BOUNCE_IMAP_FOLDER is
fetched without marking it (BODY.PEEK), applied (bounce_mailbox.
apply_report), and only then flagged \\Seen, so the next run skips it and
a run that dies in between reads it again. TLS: "ssl" (IMAPS, port 993),
"starttls" (port 143, upgraded), or "none" (a server on this host only).
"""
from __future__ import annotations

import imaplib
import ssl

from flask import current_app

from .bounce_mailbox import BounceRun, apply_report
from .mail_reports import read_report

TLS_CHOICES = ("ssl", "starttls", "none")


class ImapTrouble(Exception):
    """The IMAP server refused the login or the folder; says which, never the password."""


def _connect(config) -> imaplib.IMAP4:
    host, port = config["MAIL_BOUNCE_IMAP_HOST"], int(config["MAIL_BOUNCE_IMAP_PORT"])
    tls = str(config["MAIL_BOUNCE_IMAP_TLS"]).lower()
    if tls not in TLS_CHOICES:
        raise ImapTrouble(f"MAIL_BOUNCE_IMAP_TLS must be one of {', '.join(TLS_CHOICES)}, not {tls!r}")
    timeout = float(config["MAIL_TIMEOUT_SECONDS"])
    if tls == "ssl":
        return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=timeout)
    connection = imaplib.IMAP4(host, port, timeout=timeout)
    if tls == "starttls":
        connection.starttls(ssl.create_default_context())
    return connection


def read_imap(run: BounceRun | None = None) -> BounceRun:
    """Apply every unseen message of the IMAP bounce folder, flagging each \\Seen."""
    run = run or BounceRun()
    config = current_app.config
    try:
        with _connect(config) as imap:
            try:
                imap.login(config["MAIL_BOUNCE_IMAP_USER"], config["MAIL_BOUNCE_IMAP_PASSWORD"] or "")
            except imaplib.IMAP4.error as exc:
                raise ImapTrouble(f"the IMAP server refused the login for {config['MAIL_BOUNCE_IMAP_USER']!r}") from exc
            status, _ = imap.select(_quoted(config["MAIL_BOUNCE_IMAP_FOLDER"]))
            if status != "OK":
                raise ImapTrouble(f"no folder {config['MAIL_BOUNCE_IMAP_FOLDER']!r} on the IMAP server")
            _status, found = imap.uid("SEARCH", None, "UNSEEN")
            for uid in (found[0] or b"").split():
                _status, fetched = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((part[1] for part in fetched if isinstance(part, tuple)), None)
                if raw is not None:
                    apply_report(read_report(raw), run, config)
                imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            imap.close()
    except imaplib.IMAP4.error as exc:
        raise ImapTrouble(f"the IMAP server answered: {exc}") from exc
    return run


def _quoted(folder: str) -> str:
    # A folder name with a space ("Bounce reports") must go quoted.
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
