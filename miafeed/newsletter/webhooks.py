"""Provider webhooks: a mail provider's bounces and complaints, as they happen.

A site that sends through Mailgun or Postmark learns of a bounce or a
"Report spam" press from the provider, by an HTTP POST:

- POST /newsletter/webhooks/mailgun: the body's `signature` holds a
  timestamp, a random token and the HMAC-SHA256 of timestamp + token under
  MAIL_WEBHOOK_MAILGUN_KEY (the domain's webhook signing key). A wrong
  signature, a timestamp more than MAIL_WEBHOOK_MAX_AGE_SECONDS away, or a
  token already used (a replay) is refused with 403.
- POST /newsletter/webhooks/postmark: HTTP basic credentials
  (MAIL_WEBHOOK_POSTMARK_USER / _PASSWORD, written into the webhook URL at
  Postmark); wrong or missing ones get 401. A record (its type and ID)
  already applied is refused with 403, which also tells Postmark to stop
  retrying it.

A permanent failure is a hard bounce (bounces.record_later_bounce), a
complaint unsubscribes the reader (complaints.record_complaint); anything
else is acknowledged and changes nothing. Each call is applied in one
write transaction together with the note that it was seen, so a call is
applied once or not at all. An endpoint whose setting is empty answers 404.

These calls come from the providers' servers, which send neither Origin
nor Sec-Fetch-Site, so the browser cross-origin guard (http/security.py)
lets them through unchanged: no exemption is needed, and a forged call
from a web page is still refused by the guard. Their authentication is
the signature or the credentials. Nothing logged names a reader or a token.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from datetime import timedelta

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import delete, func, select

from ..database import database_now, insert_ignoring_conflicts, write_transaction
from ..extensions import db
from . import bounces, complaints
from .models import Subscriber, WebhookCallSeen

log = logging.getLogger(__name__)

bp = Blueprint("newsletter_webhooks", __name__, url_prefix="/newsletter/webhooks")

# A provider's event with the original message's headers runs to a few KiB;
# the site's form limit (MAX_CONTENT_LENGTH) is for readers' forms.
WEBHOOK_MAX_BYTES = 256 * 1024
_ENHANCED = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")

HARD_BOUNCE, COMPLAINT = "hard_bounce", "complaint"


class _Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def _payload() -> dict:
    request.max_content_length = WEBHOOK_MAX_BYTES
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, "expected a JSON object")
    return payload


def _reader_id(address: str) -> int | None:
    return db.session.scalar(select(Subscriber.id).where(func.lower(Subscriber.email) == address.strip().lower()))


def _apply_once(call_key: str, event: str | None, address: str | None, status: str | None) -> str:
    """Apply one event, unless this call was applied before (then _Refused 403)."""
    digest = hashlib.sha256(call_key.encode("utf-8")).hexdigest()
    keep = timedelta(seconds=max(float(current_app.config["MAIL_WEBHOOK_MAX_AGE_SECONDS"]), 86400.0))
    with write_transaction():
        now = database_now()
        db.session.execute(delete(WebhookCallSeen).where(WebhookCallSeen.seen_at < now - keep))
        first = insert_ignoring_conflicts(WebhookCallSeen.__table__, {"token_digest": digest, "seen_at": now},
                                          ["token_digest"]).rowcount
        if not first:
            raise _Refused(403, "replayed call")
        reader = _reader_id(address) if event and address else None
        if reader is None:
            return "ignored"
        if event == COMPLAINT:
            complaints.record_complaint(reader)
        else:
            bounces.record_later_bounce(reader, status)
        return event


def _answer(provider: str, apply):
    try:
        outcome = apply()
    except _Refused as refused:
        log.warning("Refused a %s webhook call: %s", provider, refused.reason)
        response = jsonify(error=refused.reason)
        response.status_code = refused.status
        if refused.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="mail webhooks"'
        return response
    log.info("%s webhook: %s", provider, outcome)
    return jsonify(result=outcome)


@bp.post("/mailgun")
def mailgun():
    """A Mailgun event: `failed` with severity permanent, or `complained`."""
    key = current_app.config.get("MAIL_WEBHOOK_MAILGUN_KEY")
    if not key:
        abort(404)
    payload = _payload()

    def apply():
        signature = payload.get("signature")
        if not isinstance(signature, dict):
            raise _Refused(403, "no signature")
        timestamp, token, given = (str(signature.get(name, "")) for name in ("timestamp", "token", "signature"))
        expected = hmac.new(key.encode("utf-8"), (timestamp + token).encode("utf-8"), hashlib.sha256).hexdigest()
        if not token or not hmac.compare_digest(expected, given.lower()):
            raise _Refused(403, "bad signature")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > float(current_app.config["MAIL_WEBHOOK_MAX_AGE_SECONDS"]):
            raise _Refused(403, "stale timestamp")
        event, address, status = _mailgun_event(payload.get("event-data"))
        return _apply_once(f"mailgun:{token}", event, address, status)

    return _answer("Mailgun", apply)


def _mailgun_event(data) -> tuple[str | None, str | None, str | None]:
    if not isinstance(data, dict):
        return None, None, None
    address = data.get("recipient") if isinstance(data.get("recipient"), str) else None
    if data.get("event") == "complained":
        return COMPLAINT, address, None
    if data.get("event") == "failed" and data.get("severity") == "permanent":
        delivery = data.get("delivery-status") if isinstance(data.get("delivery-status"), dict) else {}
        text = f"{delivery.get('message', '')} {delivery.get('description', '')}"
        found = _ENHANCED.search(text)
        code = delivery.get("code")
        status = found.group(1) if found else (f"{code // 100}.0.0" if isinstance(code, int) and code >= 500 else None)
        return HARD_BOUNCE, address, status
    return None, address, None


@bp.post("/postmark")
def postmark():
    """A Postmark bounce (HardBounce, BadEmailAddress) or spam complaint."""
    user = current_app.config.get("MAIL_WEBHOOK_POSTMARK_USER")
    password = current_app.config.get("MAIL_WEBHOOK_POSTMARK_PASSWORD")
    if not (user and password):
        abort(404)

    def apply():
        auth = request.authorization
        given_user = (auth.username or "") if auth and auth.type == "basic" else ""
        given_password = (auth.password or "") if auth and auth.type == "basic" else ""
        # Both compared, always, so the answer's timing says nothing about which was wrong.
        user_ok = hmac.compare_digest(given_user.encode("utf-8"), user.encode("utf-8"))
        password_ok = hmac.compare_digest(given_password.encode("utf-8"), password.encode("utf-8"))
        if not (user_ok and password_ok):
            raise _Refused(401, "bad credentials")
        payload = _payload()
        record_type, bounce_type = str(payload.get("RecordType", "")), str(payload.get("Type", ""))
        address = payload.get("Email") if isinstance(payload.get("Email"), str) else None
        if record_type == "SpamComplaint" or bounce_type == "SpamComplaint":
            event, status = COMPLAINT, None
        elif record_type == "Bounce" and bounce_type in ("HardBounce", "BadEmailAddress"):
            # Postmark's names for "no such user, mailbox not found" and "not an address".
            event, status = HARD_BOUNCE, "5.1.1"
        else:
            event, status = None, None
        return _apply_once(f"postmark:{record_type}:{payload.get('ID')}", event, address, status)

    return _answer("Postmark", apply)
