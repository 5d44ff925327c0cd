"""Log lines without the secrets that mail links carry.

Confirmation, preference and unsubscribe links hold a signed token that
works for whoever has it (the preferences page shows the reader's address,
and only the confirmation token expires). An access log is read by more
people and kept longer than a mailbox, so every line names such a path with
the token replaced: in the request line, the path, the query and the
Referer (pages fetched from a link page send the link as their Referer).
"""
from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

TOKEN_PATH = re.compile(r"(/newsletter/(?:confirm|preferences|unsubscribe)/)[^/?#\s\"']+")
REDACTED = "[token]"


def scrub_tokens(text: str) -> str:
    """`text` with the token of every newsletter link path replaced."""
    if "/newsletter/" not in text:
        return text
    return TOKEN_PATH.sub(rf"\g<1>{REDACTED}", text)


class TokenScrubbingLogger(Logger):
    """gunicorn's logger, with newsletter tokens taken out of every access-log field."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: scrub_tokens(value) if isinstance(value, str) else value for key, value in atoms.items()}


class TokenScrubbingFilter(logging.Filter):
    """For the app's own log: Flask names the path of a request that failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub_tokens(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def init_app(app) -> None:
    """Scrub tokens from what the app itself logs."""
    app.logger.addFilter(TokenScrubbingFilter())
