"""url_for, remembered: a path built once is not built again.

A home page builds about 140 URLs (each card's link, its category's link,
and six image variants in two srcsets), and Werkzeug's builder costs tens
of microseconds each: about a sixth of the page's CPU (bench/render_pages.py).
The same endpoint with the same values under the same prefix always gives
the same path, so the path is remembered per (prefix, endpoint, values).

Only the plain case is remembered: inside a request, a relative URL, values
that are strings, numbers or None (left out, as Werkzeug does). Anything else (`_external`, `_anchor`, a
list of values, a call outside a request) goes to Flask as before. What
could change a path while the process runs does not: the URL map and the
static manifest (assets.py) are fixed when the app is built.

Kept after issue 32 measured it with the page cache on: shared pages are
then hits and build no URL, but every search of the long tail is a miss
and renders; without the memo a long-tail search cost about a fifth more
CPU (median 3.5 -> 4.3 ms in process, 500 distinct searches, interleaved
runs; the machine was shared, so read it as "more than 10 %").
"""
from __future__ import annotations

from flask import Flask, request
from flask.globals import request_ctx

# Distinct paths kept per process; past this the memo starts again (article
# slugs are many, but a worker meeting 20,000 of them is rare and cheap).
MEMO_ENTRIES = 20_000
_PLAIN = (str, int)


def install(app: Flask) -> None:
    """Route the app's url_for (views, templates, flask.url_for) through the memo."""
    build = app.url_for
    memo: dict[tuple, str] = {}

    def url_for(endpoint: str, /, **values) -> str:
        # flask.url_for passes _anchor, _method, _scheme and _external as
        # None, and Werkzeug leaves out any value that is None.
        plain = [(name, value) for name, value in values.items() if value is not None]
        if not request_ctx or not all(type(value) in _PLAIN and name[0] != "_" for name, value in plain):
            return build(endpoint, **values)
        key = (request.script_root, endpoint, *sorted(plain))
        try:
            return memo[key]
        except KeyError:
            pass
        path = build(endpoint, **values)
        if len(memo) >= MEMO_ENTRIES:
            memo.clear()
        memo[key] = path
        return path

    app.url_for = url_for
    app.jinja_env.globals["url_for"] = url_for
