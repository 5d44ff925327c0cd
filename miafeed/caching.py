"""Validators, Cache-Control and compression for pages, fragments and feeds.

The decision, and why:

* Every successful GET of HTML or XML gets a strong ETag (a hash of the
  body) and answers `If-None-Match` with 304, so a revisit costs a few
  hundred bytes.
* A page that never touched the session (category, tag, the fragments,
  feeds, sitemap) is the same for everyone: `public, max-age=60`, so a
  proxy or CDN in front can absorb a spike for a minute at a time.
* A page that touched the session carries a CSRF token bound to that
  reader's session cookie (the subscribe form on the home and article
  pages). A shared cache must never hand it, or its Set-Cookie, to someone
  else: `private, no-cache` (the reader's own browser keeps it and
  revalidates) and Flask's `Vary: Cookie`. Flask-WTF signs the token with
  a timestamp, so the body differs every second; the ETag is therefore
  computed with the signed token left out and the session's raw token put
  in: same page and same session give the same ETag, another session
  never matches it.
* Newsletter pages (/newsletter/...) are reached through personal token
  links and show the reader's address: `no-store`, kept by no cache at all.
* Compression: Flask-Compress (Brotli, then gzip) for everything the app
  renders; it appends the encoding to a strong ETag (`"abc:br"`) and
  re-evaluates the conditional request itself. Static files are compressed
  once at build time and served by WhiteNoise (see assets.py).
"""
from __future__ import annotations

import hashlib

from flask import Flask, g, request
from flask_compress import Compress

PAGE_MAX_AGE = 60
PERSONAL_PATH_PREFIX = "/newsletter/"
CACHEABLE_TYPES = ("text/html", "application/atom+xml", "application/xml", "text/xml", "text/plain")

compress = Compress()


def _etag_source(response) -> bytes:
    body = response.get_data()
    signed = g.get("csrf_token")
    if signed:
        # "payload.timestamp.signature": the payload is the session's own
        # token, the rest changes every second.
        body = body.replace(signed.encode(), b"") + signed.rsplit(".", 2)[0].encode()
    return body


def is_personal(response) -> bool:
    """True when the body or headers belong to one reader's session."""
    return "csrf_token" in g or "Set-Cookie" in response.headers


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        [
            "text/html",
            "text/css",
            "text/plain",
            "text/xml",
            "application/xml",
            "application/atom+xml",
            "application/json",
            "application/javascript",
            "text/javascript",
            "image/svg+xml",
        ],
    )
    # Registered first, so its after_request runs last, on the final body.
    compress.init_app(app)

    @app.after_request
    def _validators_and_cache_control(response):
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if response.is_streamed or response.mimetype not in CACHEABLE_TYPES:
            return response
        if "Cache-Control" in response.headers:  # a view that decided for itself
            return response
        if request.path.startswith(PERSONAL_PATH_PREFIX):
            response.headers["Cache-Control"] = "no-store"
            return response
        if is_personal(response):
            response.headers["Cache-Control"] = "private, no-cache"
            response.vary.add("Cookie")
        else:
            response.headers["Cache-Control"] = f"public, max-age={PAGE_MAX_AGE}"
        response.set_etag(hashlib.sha256(_etag_source(response)).hexdigest()[:32])
        return response.make_conditional(request)
