"""Security headers on every response, the cross-origin guard for forms,
and a session that can never set a cookie.

The policy is strict because the site needs nothing else: our own scripts
and stylesheet, images from ourselves, forms that post to ourselves, and no
framing. htmx is told not to inject its indicator <style> and not to eval
(see the htmx-config meta tag in base.html), so no 'unsafe-inline' or
'unsafe-eval' is needed.

Forms are protected without tokens or cookies, the way Go 1.25's net/http
CrossOriginProtection does it (see `cross_origin_refusal`), so reader pages
are the same bytes for everyone and any cache may keep them.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, make_response, render_template, request
from flask.sessions import SecureCookieSession, SessionInterface

from .htmx import wants_fragment

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        # htmx's requests; same origin only.
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

# Features the site never uses, switched off so an injected script can't
# either. clipboard-write and web-share stay at their default ('self'): the
# share block's "Copy link" and "Share…" buttons use them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


def static_security_headers() -> dict[str, str]:
    """The headers that matter for files as well as pages (WhiteNoise adds these)."""
    return {
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def security_headers(production: bool, hsts: str) -> dict[str, str]:
    """Every header the app adds to its own responses (pages, fragments, feeds, errors)."""
    headers = static_security_headers()
    headers.update(
        {
            "Content-Security-Policy": CONTENT_SECURITY_POLICY
            + ("; upgrade-insecure-requests" if production else ""),
            # Old browsers ignore frame-ancestors; this covers them.
            "X-Frame-Options": "DENY",
            "Permissions-Policy": PERMISSIONS_POLICY,
            "Cross-Origin-Opener-Policy": "same-origin",
        }
    )
    if production and hsts:
        headers["Strict-Transport-Security"] = hsts
    return headers


def init_app(app: Flask) -> None:
    production = app.config.get("ENV") == "production"
    if production:
        app.config["PREFERRED_URL_SCHEME"] = "https"
    # No reader ever gets a cookie: nothing needs one (forms are guarded by
    # origin, mail links carry their own signed tokens), and a cookie would
    # make every page private to one browser.
    app.session_interface = CookielessSessionInterface()
    _init_cross_origin_guard(app)
    headers = security_headers(production, app.config["HSTS"])

    @app.after_request
    def _add_security_headers(response):
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response


# --- No session, no cookie -------------------------------------------------

class _ReadOnlySession(SecureCookieSession):
    """An always-empty session that refuses writes, so a change that starts
    using `session` fails loudly in tests instead of quietly setting cookies."""

    def __setitem__(self, key, value):
        raise RuntimeError("Reader pages are cookieless: the session cannot store anything.")

    def setdefault(self, key, default=None):
        raise RuntimeError("Reader pages are cookieless: the session cannot store anything.")

    def update(self, *args, **kwargs):
        raise RuntimeError("Reader pages are cookieless: the session cannot store anything.")


class CookielessSessionInterface(SessionInterface):
    """Flask's session machinery with the cookie taken out: nothing is read
    from the request and nothing is ever written to the response."""

    def open_session(self, app, request):
        return _ReadOnlySession()

    def save_session(self, app, session, response):
        return None


# --- The cross-origin guard for unsafe requests -------------------------------

class CrossOriginConfigError(ValueError):
    pass


def _origin_of(value: str) -> str:
    """`scheme://host[:port]`, lower-cased, from a configured origin or URL base."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CrossOriginConfigError(
            f"TRUSTED_ORIGINS entry {value!r} is not an origin: write it as https://host or https://host:port."
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise CrossOriginConfigError(
            f"TRUSTED_ORIGINS entry {value!r} has more than an origin: leave out the path, query and user."
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


def trusted_origins(config) -> frozenset[str]:
    """The site's own public origin (SITE_URL) plus the TRUSTED_ORIGINS setting.

    SITE_URL counts because it is where readers load the pages from, even
    when a proxy in front rewrites the Host header the app sees.
    """
    origins = {_origin_of(value) for value in config.get("TRUSTED_ORIGINS") or ()}
    if config.get("SITE_URL"):
        origins.add(_origin_of(config["SITE_URL"]))
    return frozenset(origins)


def cross_origin_refusal(method: str, headers, host: str, trusted: frozenset[str]) -> str | None:
    """Why an unsafe request must be refused, or None when it may go ahead.

    The algorithm of Go 1.25's net/http CrossOriginProtection:
    1. safe methods (GET, HEAD, OPTIONS) always pass;
    2. a browser that sends `Sec-Fetch-Site` (every current one) says where
       the request comes from: `same-origin` or `none` (typed, bookmarked)
       passes; anything else passes only from a trusted origin;
    3. without it, an `Origin` header whose host is the request's own host,
       or a trusted origin, passes; any other Origin (including `null`) is
       refused;
    4. neither header: not a browser (curl, a mail provider's one-click
       unsubscribe, a monitoring check), so nothing is forged on anyone's
       behalf, and the request passes.
    """
    if method in SAFE_METHODS:
        return None
    origin = (headers.get("Origin") or "").strip().lower()
    fetch_site = (headers.get("Sec-Fetch-Site") or "").strip().lower()
    if fetch_site:
        if fetch_site in ("same-origin", "none") or origin in trusted:
            return None
        return f"the browser reported Sec-Fetch-Site: {fetch_site}"
    if not origin:
        return None
    if urlsplit(origin).netloc == host.lower() or origin in trusted:
        return None
    return f"the Origin {origin} is not this site ({host})"


def _is_one_click_unsubscribe() -> bool:
    # RFC 8058: the mail provider (its servers, or sometimes a web mail page
    # in the reader's browser, which is cross-site) POSTs
    # List-Unsubscribe=One-Click to the link from the List-Unsubscribe
    # header. The signed token in the URL is the authentication, and
    # unsubscribing is what the link's holder is meant to be able to do.
    return request.endpoint == "newsletter.unsubscribe" and request.form.get("List-Unsubscribe") == "One-Click"


def _init_cross_origin_guard(app: Flask) -> None:
    trusted = trusted_origins(app.config)

    @app.before_request
    def _refuse_cross_origin_requests():
        if request.method in SAFE_METHODS:
            return None
        reason = cross_origin_refusal(request.method, request.headers, request.host, trusted)
        if reason is None or _is_one_click_unsubscribe():
            return None
        current_app.logger.info("refused cross-origin %s %s: %s", request.method, request.path, reason)
        return _refusal_response()


def _refusal_response():
    site_url = current_app.config.get("SITE_URL") or "/"
    # A fragment for htmx (base.html's htmx-config tells htmx to swap a 403
    # into the form's place), a whole page for a plain form post.
    template = "partials/_cross_origin_refused.html" if wants_fragment() else "errors/cross_origin.html"
    response = make_response(render_template(template, site_url=site_url), 403)
    response.vary.add("HX-Request")
    response.headers["Cache-Control"] = "no-store"
    return response
