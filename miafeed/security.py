"""Security headers on every response, and the cookie settings HTTPS allows.

The policy is strict because the site needs nothing else: our own scripts
and stylesheet, images from ourselves, forms that post to ourselves, and no
framing. htmx is told not to inject its indicator <style> and not to eval
(see the htmx-config meta tag in base.html), so no 'unsafe-inline' or
'unsafe-eval' is needed.
"""
from __future__ import annotations

from flask import Flask

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

HSTS_ONE_YEAR = "max-age=31536000; includeSubDomains"


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
        # Behind HTTPS the session cookie is Secure and __Host- prefixed: the
        # browser then refuses it over plain HTTP and refuses it from any
        # subdomain (the prefix requires Secure, Path=/ and no Domain).
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
        app.config["SESSION_COOKIE_DOMAIN"] = None
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["PREFERRED_URL_SCHEME"] = "https"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    headers = security_headers(production, app.config.get("HSTS", HSTS_ONE_YEAR))

    @app.after_request
    def _add_security_headers(response):
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
