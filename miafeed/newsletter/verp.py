"""VERP: a per-reader envelope sender, so a bounce names its reader.

With MAIL_BOUNCE_ADDRESS set (say bounces@example.org), each mail to a
reader goes out with the envelope sender bounces+<id>-<tag>@example.org,
where <tag> is an HMAC of the id under SECRET_KEY. A bounce comes back to
that address whatever the remote server wrote in it, so `mail bounces`
finds the reader even when the DSN names an address we never sent to
(a forward, an alias). The tag keeps a stranger from mailing a forged
bounce for reader 1, 2, 3... The MTA delivers bounces+anything to the
bounces mailbox (Postfix: recipient_delimiter = +).
"""
from __future__ import annotations

import hashlib
import hmac
import re

_TAG_LENGTH = 12


def _tag(secret: str, subscriber_id: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"verp:{subscriber_id}".encode("ascii"), hashlib.sha256)
    return digest.hexdigest()[:_TAG_LENGTH]


def envelope_sender(config, subscriber_id: int | None) -> str | None:
    """The VERP envelope sender for a mail to `subscriber_id`, or None when
    MAIL_BOUNCE_ADDRESS is not set (or the mail is to no reader)."""
    bounce_address = config.get("MAIL_BOUNCE_ADDRESS")
    if not bounce_address or subscriber_id is None:
        return None
    local, _, domain = bounce_address.rpartition("@")
    return f"{local}+{subscriber_id}-{_tag(config['SECRET_KEY'], subscriber_id)}@{domain}"


def subscriber_in(config, addresses: list[str]) -> int | None:
    """The reader id of the first genuine VERP address among `addresses`."""
    bounce_address = config.get("MAIL_BOUNCE_ADDRESS")
    if not bounce_address:
        return None
    local, _, domain = bounce_address.lower().rpartition("@")
    pattern = re.compile(rf"{re.escape(local)}\+(\d+)-([0-9a-f]{{{_TAG_LENGTH}}})@{re.escape(domain)}")
    for address in addresses:
        found = pattern.fullmatch(address.lower())
        if found and hmac.compare_digest(found.group(2), _tag(config["SECRET_KEY"], int(found.group(1)))):
            return int(found.group(1))
    return None
