"""Composing newsletter mail and writing it to the queue.

Nothing here talks to a mail server: a mail is composed in full (both
parts, headers, links) and stored as one row of `outgoing_mail` in the
caller's transaction, so the change and its mail commit together.
delivery.py sends what the queue holds.
"""
from __future__ import annotations

import secrets
import threading
from email import quoprimime
from email.header import Header
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template

from ..database import database_now
from ..extensions import db
from ..http.site_url import absolute_url
from ..clock import utcnow
from . import signing, tokens
from .models import OutgoingMail, Subscriber

CRLF = "\r\n"

# Set after a commit that queued mail; the delivery thread of this process
# waits on it, so a confirmation leaves within a second instead of a poll.
mail_queued = threading.Event()


def subscriber_links(subscriber: Subscriber) -> dict[str, str]:
    """The reader's own preferences and unsubscribe URLs, for every mail."""
    return {
        "preferences_url": absolute_url(
            "newsletter.preferences", token=tokens.make_token(tokens.PREFERENCES, subscriber)
        ),
        "unsubscribe_url": absolute_url(
            "newsletter.unsubscribe", token=tokens.make_token(tokens.UNSUBSCRIBE, subscriber)
        ),
        "privacy_url": absolute_url("privacy"),
        "site_url": absolute_url("articles.home"),
    }


def build_message(
    to: str, subject: str, text: str, html: str, list_unsubscribe: str | None = None
) -> str:
    """The whole RFC 5322 text of a multipart/alternative mail.

    Written out directly rather than through the email package: composing
    a digest for ten thousand readers spent most of its time there, folding
    and re-parsing headers (see bench/newsletter_digest.py). That is safe
    because every header value is ours or an address email-validator
    accepted, and any line break in one is refused below.
    """
    headers = [
        ("From", current_app.config["MAIL_DEFAULT_SENDER"]),
        ("To", to),
        ("Subject", subject if subject.isascii() else Header(subject, "utf-8").encode()),
        ("Date", formatdate(usegmt=True)),
        # An explicit domain: without one, make_msgid asks DNS for this host's name.
        ("Message-ID", make_msgid(domain=urlsplit(current_app.config["SITE_URL"]).hostname or "localhost")),
        # RFC 2919: lets mail programs filter and group the newsletter.
        ("List-Id", list_id()),
    ]
    if list_unsubscribe:
        # RFC 2369 and RFC 8058: mail clients show an "Unsubscribe" button
        # that POSTs List-Unsubscribe=One-Click to this URL. Never folded:
        # an encoded or broken URL here is ignored by mail providers.
        headers += [("List-Unsubscribe", f"<{list_unsubscribe}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    boundary = f"==miafeed-{secrets.token_hex(12)}=="
    headers += [("MIME-Version", "1.0"), ("Content-Type", f'multipart/alternative; boundary="{boundary}"')]
    for name, value in headers:
        if "\r" in value or "\n" in value or not value.isascii():
            raise ValueError(f"refusing a line break or non-ASCII text in the {name} header")
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["", "This is a multi-part message in MIME format."]
    for subtype, body in (("plain", text), ("html", html)):
        lines += [f"--{boundary}", *_text_part(body, subtype)]
    lines += [f"--{boundary}--", ""]
    return signing.sign(CRLF.join(lines))


def list_id() -> str:
    """The List-Id header value: the site's name and MAIL_LIST_ID (by default
    newsletter.<SITE_URL's host>), e.g. `"Mia's Feed" <newsletter.example.org>`."""
    config = current_app.config
    identifier = config.get("MAIL_LIST_ID") or f"newsletter.{urlsplit(config['SITE_URL']).hostname or 'localhost'}"
    name = config["SITE_NAME"]
    # The phrase is optional; a name that would need encoding is left out.
    if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name:
        return f'"{name}" <{identifier}>'
    return f"<{identifier}>"


def _text_part(body: str, subtype: str) -> list[str]:
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    # Plain 7bit when it is ASCII with legal line lengths: the links stay
    # whole and clickable in an .eml file read as text. Quoted-printable
    # otherwise (non-ASCII titles), which every mail server accepts.
    if body.isascii() and all(len(line) <= 998 for line in body.split("\n")):
        charset, encoding, payload = "us-ascii", "7bit", body.replace("\n", CRLF)
    else:
        # quoprimime works on one character per byte, hence the latin-1 step.
        charset, encoding = "utf-8", "quoted-printable"
        payload = quoprimime.body_encode(body.encode("utf-8").decode("latin-1"), eol=CRLF)
    return [f'Content-Type: text/{subtype}; charset="{charset}"', f"Content-Transfer-Encoding: {encoding}", "", payload]


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
        "message": message,
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def queue(rows: list[dict]) -> None:
    """Insert composed mails in the caller's transaction, due now by the
    database's clock (deliverers on another host compare with that clock)."""
    if rows:
        now = database_now()
        db.session.execute(db.insert(OutgoingMail), [row | {"next_attempt_at": now, "created_at": now} for row in rows])


def compose_confirmation(subscriber: Subscriber) -> dict:
    """The mail with the confirmation link (expires, see tokens.py)."""
    confirm_url = absolute_url("newsletter.confirm", token=tokens.make_token(tokens.CONFIRM, subscriber))
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
