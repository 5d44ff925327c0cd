"""Mailgun's and Postmark's webhooks: signed calls applied, forged and
replayed ones refused with nothing changed."""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time

import pytest

from miafeed.database import write_transaction
from miafeed.extensions import db
from miafeed.newsletter.models import Subscriber
from newsletter_support import make_app, subscriber

MAILGUN_KEY = "key-for-the-tests-0123456789abcdef"
POSTMARK = ("postmark-hooks", "a long password for the webhook url")
READERS = ["gone@example.org", "angry@example.org", "fine@example.org"]


@pytest.fixture
def hooks_app(tmp_path):
    app = make_app(tmp_path, MAIL_WEBHOOK_MAILGUN_KEY=MAILGUN_KEY, MAIL_WEBHOOK_POSTMARK_USER=POSTMARK[0],
                   MAIL_WEBHOOK_POSTMARK_PASSWORD=POSTMARK[1])
    with app.app_context(), write_transaction():
        for address in READERS:
            db.session.add(Subscriber(email=address, status="active", frequency="weekly", consent_version="v",
                                      consent_source="/", confirmed_at=db.func.now()))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _statuses(app) -> dict[str, tuple]:
    return {address: (subscriber(app, address).status, subscriber(app, address).bounce_count,
                      subscriber(app, address).complained_at is not None) for address in READERS}


def mailgun_call(event: dict, key: str = MAILGUN_KEY, timestamp: int | None = None, token: str | None = None) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    token = token or hashlib.sha256(repr(event).encode() + timestamp.encode()).hexdigest()[:50]
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": event}


HARD_FAILURE = {"event": "failed", "severity": "permanent", "recipient": "gone@example.org",
                "delivery-status": {"code": 550, "message": "5.1.1 The email account that you tried to reach does not exist"}}
COMPLAINED = {"event": "complained", "recipient": "angry@example.org"}


def test_signed_mailgun_calls_bounce_and_unsubscribe_and_a_replay_changes_nothing(hooks_app, caplog):
    client = hooks_app.test_client()
    caplog.set_level(logging.INFO)
    bounce = mailgun_call(HARD_FAILURE)
    assert client.post("/newsletter/webhooks/mailgun", json=bounce).status_code == 200
    assert client.post("/newsletter/webhooks/mailgun", json=mailgun_call(COMPLAINED)).status_code == 200
    after = _statuses(hooks_app)
    assert after["gone@example.org"][0] == "bounced"
    assert after["angry@example.org"][0] == "unsubscribed" and after["angry@example.org"][2]
    assert after["fine@example.org"] == ("active", 0, False)

    # The same signed call again (a replay): refused, nothing counted twice.
    assert client.post("/newsletter/webhooks/mailgun", json=bounce).status_code == 403
    assert _statuses(hooks_app) == after
    logged = caplog.text
    assert "@example.org" not in logged and bounce["signature"]["token"] not in logged


@pytest.mark.parametrize("forge", ["wrong-key", "edited-token", "stale", "no-signature"])
def test_forged_or_stale_mailgun_calls_are_refused_and_change_nothing(hooks_app, forge):
    before = _statuses(hooks_app)
    if forge == "wrong-key":
        call = mailgun_call(HARD_FAILURE, key="somebody-elses-key")
    elif forge == "edited-token":
        call = mailgun_call(HARD_FAILURE)
        call["signature"]["token"] = call["signature"]["token"][:-1] + "x"
    elif forge == "stale":
        call = mailgun_call(HARD_FAILURE, timestamp=int(time.time()) - 3600)
    else:
        call = {"event-data": HARD_FAILURE}
    response = hooks_app.test_client().post("/newsletter/webhooks/mailgun", json=call)
    assert response.status_code == 403
    assert _statuses(hooks_app) == before


def _basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


POSTMARK_BOUNCE = {"RecordType": "Bounce", "ID": 4323372036854775807, "Type": "HardBounce", "TypeCode": 1,
                   "Email": "gone@example.org", "Details": "smtp;550 5.1.1 user unknown"}
POSTMARK_COMPLAINT = {"RecordType": "SpamComplaint", "ID": 42, "Type": "SpamComplaint", "TypeCode": 512,
                      "Email": "angry@example.org"}


def test_authenticated_postmark_calls_are_applied_once(hooks_app):
    client = hooks_app.test_client()
    assert client.post("/newsletter/webhooks/postmark", json=POSTMARK_BOUNCE, headers=_basic(*POSTMARK)).status_code == 200
    assert client.post("/newsletter/webhooks/postmark", json=POSTMARK_COMPLAINT, headers=_basic(*POSTMARK)).status_code == 200
    after = _statuses(hooks_app)
    assert after["gone@example.org"][0] == "bounced"
    assert after["angry@example.org"][0] == "unsubscribed" and after["angry@example.org"][2]
    assert client.post("/newsletter/webhooks/postmark", json=POSTMARK_BOUNCE, headers=_basic(*POSTMARK)).status_code == 403
    assert _statuses(hooks_app) == after


@pytest.mark.parametrize("headers", [{}, _basic(POSTMARK[0], "guessed"), _basic("admin", POSTMARK[1])],
                         ids=["none", "wrong-password", "wrong-user"])
def test_postmark_calls_without_the_credentials_get_401_and_change_nothing(hooks_app, headers):
    before = _statuses(hooks_app)
    response = hooks_app.test_client().post("/newsletter/webhooks/postmark", json=POSTMARK_COMPLAINT, headers=headers)
    assert response.status_code == 401 and "Basic" in response.headers["WWW-Authenticate"]
    assert _statuses(hooks_app) == before


def test_a_webhook_that_is_not_configured_is_not_there(tmp_path):
    app = make_app(tmp_path)
    client = app.test_client()
    assert client.post("/newsletter/webhooks/mailgun", json=mailgun_call(COMPLAINED)).status_code == 404
    assert client.post("/newsletter/webhooks/postmark", json=POSTMARK_COMPLAINT, headers=_basic(*POSTMARK)).status_code == 404


def test_a_body_that_is_not_json_is_a_400_not_a_500(hooks_app):
    response = hooks_app.test_client().post("/newsletter/webhooks/mailgun", data="signature=x",
                                            content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
