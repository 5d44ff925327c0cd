"""Mail that comes back to the bounce address, as real MTAs and feedback
loops write it: an RFC 3464 DSN, an RFC 5965 ARF report, an out-of-office
reply. Built as bytes, the way they land in a Maildir or an IMAP folder."""
from __future__ import annotations

SITE_SENDER = "newsletter@miafeed.test"


def dsn(recipient: str, action: str, status: str, to: str = SITE_SENDER, diagnostic: str = "") -> bytes:
    """A delivery status notification from the remote MTA, about one recipient."""
    return f"""\
Return-Path: <>
Delivered-To: {to}
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org. Your message could not be
delivered (or is delayed) to one or more recipients.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Arrival-Date: Mon, 7 Dec 2026 10:00:00 +0000

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic or status + ' see the status'}

--BOUNDARY
Content-Type: text/rfc822-headers

From: Mia's Feed <{SITE_SENDER}>
To: {recipient}
Subject: Your weekly digest

--BOUNDARY--
""".replace("\n", "\r\n").encode("ascii")


def arf(recipient: str, to: str = "abuse-reports@miafeed.test") -> bytes:
    """A feedback-loop report: the reader pressed "Report spam"."""
    return f"""\
From: feedback-loop@mailbox-provider.example
To: {to}
Subject: Complaint about a message from miafeed.test
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"

--ARF
Content-Type: text/plain; charset=us-ascii

This is an email abuse report for a message received from miafeed.test.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <{SITE_SENDER}>
Original-Rcpt-To: <{recipient}>
Reported-Domain: miafeed.test

--ARF
Content-Type: message/rfc822

From: Mia's Feed <{SITE_SENDER}>
To: {recipient}
Subject: Your weekly digest
Message-ID: <digest-1@miafeed.test>

The digest's text.
--ARF--
""".replace("\n", "\r\n").encode("ascii")


def out_of_office(sender: str, to: str = SITE_SENDER) -> bytes:
    """A reader's vacation auto-reply (RFC 3834)."""
    return f"""\
From: {sender}
To: {to}
Subject: Out of office: Your weekly digest
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

I am away until Monday, with no access to email.
""".replace("\n", "\r\n").encode("ascii")
