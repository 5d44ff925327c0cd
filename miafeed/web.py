"""Cross-cutting HTTP helpers: fragment-or-page, paging, error pages, health."""
from __future__ import annotations

from datetime import datetime

from flask import Response, abort, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text

from .extensions import db


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of the page.

    A boosted navigation or a history restore needs the whole page, so they
    get it even though htmx sent them.
    """
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_page_or_fragment(page_template: str, fragment_template: str, status: int = 200, **context) -> Response:
    """Render the partial alone for htmx, the full page otherwise; always Vary."""
    template = fragment_template if wants_fragment() else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def page_number() -> int:
    """The ?page= value as a positive int; a clear 400 for anything else."""
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 1_000_000:
        abort(400, description="The page number must be a whole number from 1 up, like ?page=2.")
    return int(raw)


def format_date(value: datetime) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def init_app(app) -> None:
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        # Trust X-Forwarded-For/-Proto from exactly this many proxies, so the
        # rate limiter sees the reader's address and not the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.jinja_env.filters["long_date"] = format_date
    app.jinja_env.globals["site_name"] = app.config["SITE_NAME"]

    @app.context_processor
    def _inject_categories():
        from .models import Category

        def nav_categories():
            # The error pages use this too, so a broken database must not
            # turn a 500 page into a second failure.
            try:
                return db.session.scalars(db.select(Category).order_by(Category.position, Category.name)).all()
            except Exception:
                db.session.rollback()
                return []

        return {"nav_categories": nav_categories}

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(405)
    def _client_error(error):
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        # htmx 2 does not swap a 400, so an htmx form would just do nothing:
        # it gets a 200 fragment, swapped where the form was, that asks the
        # reader to reload (the page holds an expired or missing token).
        if wants_fragment():
            response = make_response(render_template("partials/_reload_notice.html"), 200)
        else:
            response = make_response(render_template("errors/error.html", error=error, csrf=True), 400)
        response.vary.add("HX-Request")
        return response

    @app.errorhandler(500)
    def _server_error(error):
        db.session.rollback()
        return render_template("errors/500.html"), 500

    @app.get("/healthz")
    def healthz():
        checks = {"database": _database_ok()}
        checks.update(health_checks(app))
        healthy = all(_check_passed(value) for value in checks.values())
        return jsonify(status="ok" if healthy else "degraded", checks=checks), (200 if healthy else 503)


def _check_passed(value) -> bool:
    # A check answers True, "ok", or a dict of figures with "status": "ok".
    return value in (True, "ok") or (isinstance(value, dict) and value.get("status") == "ok")


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
