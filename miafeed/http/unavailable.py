"""A write the site cannot take now: answered 503 with Retry-After, never 500.

The database's write lock held past the busy timeout, a full or read-only
disk, a database that is away: none is the reader's fault, and the same
post will work a little later. write_transaction turns those errors into
WriteUnavailable (database.py); this module answers them, and the driver's
OperationalError raised outside a write (a read on a database that is
away), with 503, a Retry-After of WRITE_RETRY_AFTER_SECONDS and words that
say nothing was saved and to try again. htmx swaps the 503 fragment where
the form was (base.html's responseHandling lets 503 through), everyone else
gets a page that stands alone like the 500 page, so it cannot fail on the
database too.

It also owns the probe /healthz uses for "can this host take a write":
the database (database.database_takes_writes) and a small file written
and removed in the instance folder.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import Response, current_app, make_response, render_template
from sqlalchemy.exc import OperationalError

from ..database import WriteUnavailable, database_takes_writes, short_reason
from ..extensions import db
from .htmx import wants_fragment

# What the instance-folder probe writes: enough to need a fresh block on
# any file system, small enough to cost nothing every few seconds.
PROBE_BYTES = 64 * 1024

FALLBACK_BODY = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Please try again shortly</title></head>
<body><main><h1>We could not save that just now</h1>
<p>Nothing was saved. Please try again in a minute.</p>
<p><a href="/">Go to the latest articles</a></p></main></body></html>
"""


def retry_after_seconds(app=None) -> int:
    """How long a refused writer is asked to wait (the Retry-After header)."""
    return int((app or current_app).config["WRITE_RETRY_AFTER_SECONDS"])


def unavailable_response(error: BaseException) -> Response:
    """503 with Retry-After: a fragment for htmx, a standalone page otherwise."""
    app = current_app._get_current_object()
    app.logger.warning("A write was refused for now (503): %s", short_reason(error))
    try:
        db.session.rollback()
    except Exception:  # a dead connection: the answer does not need it
        app.logger.warning("Rollback failed while answering a 503", exc_info=True)
    template = "errors/_unavailable.html" if wants_fragment() else "errors/503.html"
    try:
        response = make_response(render_template(template), 503)
    except Exception:
        app.logger.exception("The 503 page could not be rendered; sending the plain one")
        response = make_response(FALLBACK_BODY, 503)
        response.mimetype = "text/html"
    response.headers["Retry-After"] = str(retry_after_seconds(app))
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response


def instance_takes_writes(app) -> bool | str:
    """True when a small file can be written, flushed to disk and removed in
    the instance folder (sessions' keys, rate-limit counts, images, the
    SQLite database live there); otherwise the reason."""
    probe = Path(app.instance_path) / f".write-probe-{uuid.uuid4().hex}"
    try:
        descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, b"\0" * PROBE_BYTES)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return True
    except OSError as error:
        return f"the instance folder cannot take a write: {short_reason(error)}"
    finally:
        probe.unlink(missing_ok=True)


def site_takes_writes(app) -> dict:
    """The /healthz "writes" check: "ok", or "unavailable" with the reason."""
    for probe in (instance_takes_writes, lambda _app: database_takes_writes()):
        outcome = probe(app)
        if outcome is not True:
            return {"status": "unavailable", "reason": outcome}
    return {"status": "ok"}


def init_app(app) -> None:
    """Answer WriteUnavailable and the driver's OperationalError with 503."""
    app.register_error_handler(WriteUnavailable, unavailable_response)
    app.register_error_handler(OperationalError, unavailable_response)
