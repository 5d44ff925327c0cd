"""Cross-cutting HTTP helpers: fragment-or-page, paging, error pages, health."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask import Response, abort, jsonify, make_response, render_template, request
from sqlalchemy import text

from ..extensions import db
from .htmx import wants_fragment
from .security import security_headers
from ..version import code_matches_disk, code_version

if TYPE_CHECKING:  # models is imported where used: see nav_categories
    from ..models import SlugAndName


def render_page_or_fragment(page_template: str, fragment_template: str, status: int = 200, **context) -> Response:
    """Render the partial alone for htmx, the full page otherwise; always Vary."""
    template = fragment_template if wants_fragment() else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


MAX_PAGE_NUMBER = 999_999


def parse_page_number(raw: str) -> int | None:
    """A page number written with the ASCII digits 0-9, from 1 up; None otherwise.

    str.isdigit() alone is not enough: it accepts superscripts, circled and
    subscript digits ("²", "①", "₁") that int() then refuses with a
    ValueError. Every reader of ?page= goes through here.
    """
    if not (0 < len(raw) <= 6 and raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if 0 < number <= MAX_PAGE_NUMBER else None


def page_number() -> int:
    """The ?page= value as a positive int; a clear 400 for anything else."""
    number = parse_page_number(request.args.get("page", "1"))
    if number is None:
        abort(400, description="The page number must be a whole number from 1 up, like ?page=2.")
    return number


def trust_proxies(app, wsgi_app):
    """`wsgi_app` behind ProxyFix when PROXY_HOPS is set (create_app places it
    in the stack).

    X-Forwarded-For/-Proto are trusted from exactly this many proxies, so the
    rate limiter sees the reader's address and not the proxy's.
    """
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if not hops:
        return wsgi_app
    from werkzeug.middleware.proxy_fix import ProxyFix

    return ProxyFix(wsgi_app, x_for=hops, x_proto=hops)


def nav_categories(app) -> tuple[SlugAndName, ...]:
    """Every category in the editors' order, as (slug, name).

    They change only with the content, so they are read once per content
    version (content/version.py), not per page: the query and its ORM
    objects were a tenth of a page's CPU. Kept with the page cache on
    (issue 32): every search of the long tail renders the header, and
    without this a long-tail search cost well over 10 % more CPU (median
    3.5 -> 5.2 ms in process, a noisy shared machine). The error pages use this too, so
    a broken database gives an empty list, not a second failure.
    """
    from ..content import version
    from ..models import SlugAndName, categories_in_order

    remembered = app.extensions.setdefault("miafeed_nav_categories", {})
    try:
        current = version.current(app)
        if current not in remembered:
            listed = tuple(SlugAndName(category.slug, category.name) for category in categories_in_order())
            remembered.clear()
            remembered[current] = listed
        return remembered[current]
    except Exception:
        db.session.rollback()
        return ()


def format_date(value: date) -> str:
    """The house style for dates, everywhere a reader sees one: "2 December 2026"."""
    return f"{value.day} {value:%B} {value.year}"


def init_app(app) -> None:
    app.jinja_env.filters["long_date"] = format_date
    app.jinja_env.globals["site_name"] = app.config["SITE_NAME"]

    @app.context_processor
    def _inject_categories():
        return {"nav_categories": lambda: nav_categories(app)}

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(405)
    def _client_error(error):
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(413)
    def _too_large(error):
        return request_too_large_response()

    @app.errorhandler(500)
    def _server_error(error):
        return server_error_response(app)

    @app.get("/healthz")
    def healthz():
        checks = {"database": _database_ok(), "writes": _writes_check(app)}
        # 503 when this worker's code and the files beside it disagree: a
        # checkout changed under it serves templates its code does not know.
        checks["code"] = code_matches_disk()
        checks.update(health_checks(app))
        states = [_check_state(value) for value in checks.values()]
        # 503 only when a part is down. A check that is merely "degraded"
        # (a mail backlog) says so in the body and keeps the 200, so a
        # load balancer does not take a serving site out of rotation.
        version = code_version()
        if all(state == "ok" for state in states):
            return jsonify(status="ok", version=version, checks=checks), 200
        if all(state in ("ok", "degraded") for state in states):
            return jsonify(status="degraded", version=version, checks=checks), 200
        return jsonify(status="unavailable", version=version, checks=checks), 503


TOO_LARGE_DETAIL = "Our forms take an email address and a few choices, far less than what arrived."


def request_too_large_response(detail: str = TOO_LARGE_DETAIL) -> Response:
    """413 for a body over MAX_CONTENT_LENGTH or a form over MAX_FORM_MEMORY_SIZE.

    htmx 2 swaps only 2xx answers, so an htmx request gets the notice as a
    200 fragment in place of the form; everyone else gets a 413 page.
    """
    if wants_fragment():
        response = make_response(render_template("errors/_too_large.html", too_large_detail=detail), 200)
    else:
        response = make_response(render_template("errors/413.html", too_large_detail=detail), 413)
    response.vary.add("HX-Request")
    return response


# The last resort when even the 500 template cannot be rendered: no
# template, no database, no url_for, nothing that can fail.
STATIC_500_BODY = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Something went wrong</title></head>
<body><main><h1>Something went wrong on our side</h1>
<p>The problem has been logged. Please try again in a moment.</p>
<p><a href="/">Go to the latest articles</a></p></main></body></html>
"""


def server_error_response(app) -> Response:
    """The 500 page, which must not fail itself.

    errors/500.html stands alone (no base.html, no database, no categories),
    and if rendering it still raises, a fixed body is sent. The security
    headers are set here as well as by the after_request hook, because Flask
    stops running after_request hooks at the first one that fails.
    """
    try:
        db.session.rollback()
    except Exception:  # a dead connection: the page does not need it
        app.logger.exception("Rollback failed while answering a 500")
    try:
        response = make_response(render_template("errors/500.html"), 500)
    except Exception:
        app.logger.exception("The 500 page could not be rendered; sending the plain one")
        response = make_response(STATIC_500_BODY, 500)
        response.mimetype = "text/html"
    production = app.config.get("ENV") == "production"
    for name, value in security_headers(production, app.config["HSTS"]).items():
        response.headers.setdefault(name, value)
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_state(value) -> str:
    # A check answers True/"ok", a reason string, or a dict with a "status".
    if isinstance(value, dict):
        value = value.get("status")
    if value is True or value == "ok":
        return "ok"
    return "degraded" if value == "degraded" else "unavailable"


def _writes_check(app) -> dict:
    # A host whose database or instance folder cannot take a write (a full
    # disk, the lock held past the busy timeout) leaves the load balancer.
    from .unavailable import site_takes_writes

    return site_takes_writes(app)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not healthy", never a 500
        db.session.rollback()
        return False


def health_checks(app) -> dict:
    """Extra checks registered by other packages (the search index, the mail queue)."""
    return {name: check() for name, check in app.extensions.get("miafeed_health", {}).items()}


def register_health_check(app, name: str, check) -> None:
    app.extensions.setdefault("miafeed_health", {})[name] = check
