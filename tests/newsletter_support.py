"""Fixtures and helpers for the newsletter tests: an app with the rate limit
off unless a test turns it on, a real SMTP server on loopback (aiosmtpd),
and small actions that read like what a reader does."""
from __future__ import annotations

import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from miafeed.extensions import db
from miafeed.newsletter.sending import deliver_due
from miafeed.newsletter.models import OutgoingMail, Subscriber

import apps
from apps import SITE, app, app_config  # noqa: F401  (the suite's one app fixture; newsletter modules import it from here)
from processes import free_port  # noqa: F401  (tests import it from here too)


# What every newsletter test runs with unless it says otherwise: no rate
# limit, no background thread (tests deliver by hand), no minimum answer time.
NEWSLETTER_SETTINGS = {
    "RATELIMIT_ENABLED": False,
    "MAIL_BACKGROUND_DELIVERY": False,
    "SUBSCRIBE_MIN_ANSWER_SECONDS": 0,  # tests assert behaviour, not timing
    "MAIL_DEFAULT_SENDER": "Mia's Feed <newsletter@miafeed.test>",
}


def make_app(tmp_path, **overrides):
    """A fresh app with the newsletter settings; `overrides` win over them."""
    return apps.make_app(tmp_path, **(NEWSLETTER_SETTINGS | overrides))


@pytest.fixture
def app_defaults() -> dict:
    """Import this into a test module to give its `app` the newsletter settings."""
    return dict(NEWSLETTER_SETTINGS)


class Inbox:
    """What an aiosmtpd server on loopback received, as parsed messages."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


@pytest.fixture
def smtp_inbox():
    """A real SMTP server on 127.0.0.1; yields (inbox, port)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_app(tmp_path, smtp_inbox):
    """An app whose mail goes to the aiosmtpd server; yields (app, inbox)."""
    inbox, port = smtp_inbox
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield app, inbox
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def sign_up(client, email: str, frequency: str = "weekly", htmx: bool = True, **extra):
    """Post the sign-up form the way the browser would: from our own page."""
    headers = {"Sec-Fetch-Site": "same-origin", "Origin": SITE}
    if htmx:
        headers["HX-Request"] = "true"
    data = {"email": email, "frequency": frequency, "source": "/articles/a-study", "website": ""}
    data.update(extra)
    return client.post("/newsletter/subscribe", data=data, headers=headers)


def deliver(app):
    """Drain the mail queue now, as `flask mail deliver` would."""
    with app.app_context():
        return deliver_due(app)


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link(message: EmailMessage, kind: str) -> str:
    """The first absolute /newsletter/<kind>/<token> link in the text part.

    The confirmation mail has only its confirm link: it goes to an address
    nobody has confirmed yet, so it offers no preferences or unsubscribe
    link. For that mail, those links are made the way later mail would
    carry them, so the tests of what such links may do to a pending reader
    still run.
    """
    found = re.search(rf"{re.escape(SITE)}/newsletter/{kind}/[A-Za-z0-9_.\-]+", text_part(message))
    if found is None and kind in ("preferences", "unsubscribe") and message["Subject"].startswith("Confirm your subscription"):
        from miafeed.newsletter import tokens

        app = apps.latest_app()
        with app.app_context():
            reader = db.session.scalar(db.select(Subscriber).where(Subscriber.email == message["To"]))
            purpose = tokens.PREFERENCES if kind == "preferences" else tokens.UNSUBSCRIBE
            return f"{SITE}/newsletter/{kind}/{tokens.make_token(purpose, reader)}"
    assert found, f"no {kind} link in:\n{text_part(message)}"
    return found.group(0)


def path_of(url: str) -> str:
    return url[len(SITE):]


def subscriber(app, email: str) -> Subscriber | None:
    with app.app_context():
        found = db.session.scalar(db.select(Subscriber).where(Subscriber.email == email))
        if found is not None:
            db.session.expunge(found)
        return found


def queued_mail(app, email: str | None = None) -> list[OutgoingMail]:
    with app.app_context():
        statement = db.select(OutgoingMail).order_by(OutgoingMail.id)
        if email:
            statement = statement.where(OutgoingMail.to_address == email)
        rows = db.session.scalars(statement).all()
        for row in rows:
            db.session.expunge(row)
        return rows
