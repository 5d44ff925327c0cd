"""Composing newsletter mail and writing it to the queue.

Nothing here talks to a mail server: a mail is composed in full (both
parts, headers, links) and stored as one row of `outgoing_mail` in the
caller's transaction, so the change and its mail commit together.
delivery.py sends what the queue holds.
"""
from __future__ import annotations

import threading
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template

from ..extensions import db
from ..models import utcnow
from . import tokens
from .models import OutgoingMail, Subscriber

# CRLF line endings, and headers up to RFC 5322's 998 characters: with the
# default 78, a long List-Unsubscribe URL would be folded into an RFC 2047
# encoded word that mail providers do not decode.
MAIL_POLICY = SMTP.clone(max_line_length=998)

# Set after a commit that queued mail; the delivery thread of this process
# waits on it, so a confirmation leaves within a second instead of a poll.
mail_queued = threading.Event()


def external_url(endpoint: str, **values) -> str:
    """An absolute URL under SITE_URL.

    Built from SITE_URL alone, never from the request's Host header, so a
    mail composed by a web worker and one composed by cron carry the same
    links, and a forged Host cannot put someone else's domain in a mail.
    """
    site = urlsplit(current_app.config["SITE_URL"].rstrip("/"))
    adapter = current_app.url_map.bind(site.netloc, url_scheme=site.scheme, script_name=site.path or "/")
    return adapter.build(endpoint, values, force_external=True)


def subscriber_links(subscriber: Subscriber) -> dict[str, str]:
    """The reader's own preferences and unsubscribe URLs, for every mail."""
    return {
        "preferences_url": external_url(
            "newsletter.preferences", token=tokens.make_token(tokens.PREFERENCES, subscriber)
        ),
        "unsubscribe_url": external_url(
            "newsletter.unsubscribe", token=tokens.make_token(tokens.UNSUBSCRIBE, subscriber)
        ),
        "privacy_url": external_url("privacy"),
        "site_url": external_url("articles.home"),
    }


def build_message(
    to: str, subject: str, text: str, html: str, list_unsubscribe: str | None = None
) -> EmailMessage:
    """A multipart/alternative message with the headers every mail needs."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    # An explicit domain: without one, make_msgid asks DNS for this host's name.
    message["Message-ID"] = make_msgid(domain=urlsplit(current_app.config["SITE_URL"]).hostname or "localhost")
    if list_unsubscribe:
        # RFC 2369 and RFC 8058: mail clients show an "Unsubscribe" button
        # that POSTs List-Unsubscribe=One-Click to this URL.
        message["List-Unsubscribe"] = f"<{list_unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, cte=_transfer_encoding(text))
    message.add_alternative(html, subtype="html", cte=_transfer_encoding(html))
    return message


def _transfer_encoding(body: str) -> str:
    # Plain 7bit when it is ASCII with legal line lengths: the links stay
    # whole and clickable in an .eml file read as text. Quoted-printable
    # otherwise (non-ASCII titles), which every mail server accepts.
    if body.isascii() and all(len(line) <= 998 for line in body.splitlines()):
        return "7bit"
    return "quoted-printable"


def compose(subscriber: Subscriber, kind: str, subject: str, list_unsubscribe: bool = False, **context) -> dict:
    """Render templates/emails/<kind>.txt and .html for one subscriber.

    Returns the column values of an OutgoingMail row, ready to insert.
    """
    links = subscriber_links(subscriber)
    context.update(links, subscriber=subscriber, site_name=current_app.config["SITE_NAME"], subject=subject)
    text = render_template(f"emails/{kind}.txt", **context)
    html = render_template(f"emails/{kind}.html", **context)
    message = build_message(
        subscriber.email, subject, text, html, links["unsubscribe_url"] if list_unsubscribe else None
    )
    now = utcnow()
    return {
        "subscriber_id": subscriber.id,
        "kind": kind,
        "to_address": subscriber.email,
        "subject": subject,
        "message": message.as_string(),
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def queue(rows: list[dict]) -> None:
    """Insert composed mails in the caller's transaction."""
    if rows:
        db.session.execute(db.insert(OutgoingMail), rows)


def compose_confirmation(subscriber: Subscriber) -> dict:
    """The mail with the confirmation link (expires, see tokens.py)."""
    confirm_url = external_url("newsletter.confirm", token=tokens.make_token(tokens.CONFIRM, subscriber))
    return compose(
        subscriber,
        "confirm",
        f"Confirm your subscription to {current_app.config['SITE_NAME']}",
        confirm_url=confirm_url,
        expires_hours=current_app.config["CONFIRM_TOKEN_MAX_AGE_HOURS"],
    )


def compose_already_subscribed(subscriber: Subscriber) -> dict:
    """The mail an active subscriber gets when someone signs their address up again."""
    return compose(subscriber, "already_subscribed", f"You are already subscribed to {current_app.config['SITE_NAME']}")
