"""Validators, Cache-Control and compression for pages, fragments and feeds.

The contract (docs/architecture.md, "Caching"):

* Reader pages are the same bytes for everyone: no session, no cookie, no
  per-reader token (forms are guarded by origin, see security.py). So every
  successful GET of a page, fragment, feed or the sitemap is
  `Cache-Control: public, max-age=60, stale-while-revalidate=300,
  stale-if-error=86400` with a strong ETag (a hash of the body), and any
  client that revalidates gets a 304.
  - max-age 60: a browser, proxy or CDN may reuse a page for a minute, so a
    new article or a correction reaches everyone within a minute, and during
    a spike each cache asks the app about once a minute per page.
  - stale-while-revalidate 300: for five more minutes a cache may answer at
    once with the old copy while it fetches the new one in the background,
    so no reader waits on the app when the minute runs out.
  - stale-if-error 86400: if the app is down, a CDN keeps serving the last
    good copy for a day instead of an error page.
* Vary: only `Accept-Encoding` (Flask-Compress) and, where a fragment and a
  page share a URL, `HX-Request`.
* Newsletter link pages (/newsletter/confirm, /preferences, /unsubscribe)
  show the reader's address: `no-store` on every answer, kept by no cache.
* Error responses carry no validator and are not marked public.
* Compression: Flask-Compress (Brotli, then gzip) for everything the app
  renders; it appends the encoding to a strong ETag (`"abc:br"`) and
  evaluates the conditional request again. The page cache (page_cache.py)
  keeps the compressed bytes too, so a hit costs neither a render nor a
  compression. Static files are compressed once at build time and served by
  WhiteNoise (see assets.py).
"""
from __future__ import annotations

import hashlib

from flask import Flask, request
from flask_compress import Compress

from . import page_cache

CACHEABLE_TYPES = ("text/html", "application/atom+xml", "application/xml", "text/xml", "text/plain")
# Pages reached through personal links, showing one reader's address.
PERSONAL_PATH_PREFIXES = ("/newsletter/confirm/", "/newsletter/preferences/", "/newsletter/unsubscribe/")

compress = Compress()


def shared_cache_control(config) -> str:
    """The Cache-Control of a page that is the same for everyone."""
    return (
        f"public, max-age={int(config['HTTP_MAX_AGE_SECONDS'])}, "
        f"stale-while-revalidate={int(config['HTTP_STALE_WHILE_REVALIDATE_SECONDS'])}, "
        f"stale-if-error={int(config['HTTP_STALE_IF_ERROR_SECONDS'])}"
    )


def is_personal_path(path: str) -> bool:
    return path.startswith(PERSONAL_PATH_PREFIXES)


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
    cache_control = shared_cache_control(app.config)

    # Registered before our hook, so Flask-Compress runs after it, on the
    # final body, and the page cache (a WSGI layer around the app) keeps the
    # compressed bytes.
    page_cache.init_app(app)
    compress.init_app(app)

    @app.after_request
    def _validators_and_cache_control(response):
        if is_personal_path(request.path):
            response.headers["Cache-Control"] = "no-store"
            return response
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if response.is_streamed or response.mimetype not in CACHEABLE_TYPES:
            return response
        if "Set-Cookie" in response.headers:  # never shared; nothing sets one today
            response.headers["Cache-Control"] = "private, no-cache"
            return response
        if "Cache-Control" not in response.headers:  # else a view decided for itself
            response.headers["Cache-Control"] = cache_control
            response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
        if response.cache_control.public:
            page_cache.mark_shared(response)
        return response.make_conditional(request)
