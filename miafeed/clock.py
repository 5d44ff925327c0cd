"""The application's one reading of "now".

Every stored time is a naive UTC datetime, so every module that stamps or
compares one asks here. It imports nothing from the application, so the
models, the newsletter tables and the page cache can all use it without
importing each other.
"""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time as a naive UTC datetime, the form every column stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
