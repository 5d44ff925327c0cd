"""DKIM signing of newsletter mail in the app (optional, off by default).

On when DKIM_SELECTOR, DKIM_DOMAIN and DKIM_PRIVATE_KEY_FILE are all set.
A mail is signed when it is composed, so the queue holds it exactly as it
will go out and `mail deliver` needs no key. The signature covers the
headers a receiver needs to trust the mail and its unsubscribe button:
RFC 8058 requires List-Unsubscribe and List-Unsubscribe-Post to be signed,
and dkimpy's default list leaves List-Unsubscribe-Post out, hence our own.
"""
from __future__ import annotations

import logging
import os
from functools import lru_cache

import dkim
from flask import current_app

# In the order they appear in our mail; a name is signed only when the mail
# has that header (a confirmation mail has no List-Unsubscribe).
SIGNED_HEADERS = (
    "From", "To", "Subject", "Date", "Message-ID", "List-Id",
    "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version", "Content-Type",
)
SETTINGS = ("DKIM_SELECTOR", "DKIM_DOMAIN", "DKIM_PRIVATE_KEY_FILE")

log = logging.getLogger(__name__)


class DkimSettingsError(RuntimeError):
    """The DKIM settings are incomplete or the key cannot be used."""


def is_enabled(config) -> bool:
    """True when all three DKIM settings are given."""
    return all(config.get(name) for name in SETTINGS)


def check_settings(config) -> None:
    """Refuse half a DKIM configuration, or a key that cannot sign, at start-up.

    Better than composing every mail and failing each one: the operator sees
    one clear message when the app starts.
    """
    given = [name for name in SETTINGS if config.get(name)]
    if not given:
        return
    if len(given) != len(SETTINGS):
        missing = ", ".join(name for name in SETTINGS if name not in given)
        raise DkimSettingsError(f"DKIM signing needs all of {', '.join(SETTINGS)}; missing: {missing}.")
    path = config["DKIM_PRIVATE_KEY_FILE"]
    try:
        key = _read_key(path, os.stat(path).st_mtime_ns)
    except OSError as exc:
        raise DkimSettingsError(f"DKIM_PRIVATE_KEY_FILE cannot be read: {exc}") from None
    try:
        dkim.sign(b"From: check@example.org\r\n\r\nkey check\r\n", b"check", b"example.org", key)
    except Exception as exc:  # dkimpy raises several kinds for a bad key
        raise DkimSettingsError(f"DKIM_PRIVATE_KEY_FILE {path} is not a usable RSA private key (PEM): {exc}") from None


def sign(message: str) -> str:
    """The message with a DKIM-Signature header in front, or unchanged when
    signing is off."""
    config = current_app.config
    if not is_enabled(config):
        return message
    path = config["DKIM_PRIVATE_KEY_FILE"]
    header_block = message.split("\r\n\r\n", 1)[0]
    present = {line.split(":", 1)[0].lower() for line in header_block.split("\r\n") if line and line[0] not in " \t"}
    include = [name.lower().encode() for name in SIGNED_HEADERS if name.lower() in present]
    try:
        signature = dkim.sign(
            message.encode("ascii"),
            config["DKIM_SELECTOR"].encode(),
            config["DKIM_DOMAIN"].encode(),
            _read_key(path, os.stat(path).st_mtime_ns),
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=include,
        )
    except (OSError, dkim.DKIMException) as exc:
        # The key was checked at start-up; if it has since gone or broken, a
        # reader's sign-up must not fail with it. The mail goes out unsigned
        # and the operator sees why in the log.
        log.error("DKIM signing failed, sending unsigned: %s", exc)
        return message
    return signature.decode("ascii") + message


@lru_cache(maxsize=4)
def _read_key(path: str, mtime_ns: int) -> bytes:
    # Keyed on the modification time, so a rotated key is used without a restart.
    with open(path, "rb") as handle:
        return handle.read()
