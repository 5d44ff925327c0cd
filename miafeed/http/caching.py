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
* Vary: only `Accept-Encoding` and, where a fragment and a page share a URL,
  `HX-Request`.
* Newsletter link pages (/newsletter/confirm, /preferences, /unsubscribe)
  show the reader's address: `no-store` on every answer, kept by no cache.
* Error responses carry no validator and are not marked public.
* Compression (Brotli, gzip or none) happens here, in the coding
  content_coding.negotiate picks, the same decision the page cache keys by.
  One hook does it all, in this order, so nothing depends on the order of
  other hooks: Cache-Control and the ETag of the uncompressed body; the
  coding, the body in it, `Vary: Accept-Encoding` and the coding appended to
  a strong ETag (`"abc:br"`); then the conditional request, decided against
  that final ETag, the one a 200 to the same request carries. The page cache
  (page_cache.py) keeps the result, so a hit costs neither a render nor a
  compression. Static files are compressed once at build time and served by
  WhiteNoise (see assets.py).
"""
from __future__ import annotations

import hashlib

from flask import Flask, Response, request

from .content_coding import IDENTITY, MIN_SIZE, compress, negotiate

CACHEABLE_TYPES = ("text/html", "application/atom+xml", "application/xml", "text/xml", "text/plain")
COMPRESSIBLE_TYPES = frozenset(
    {
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
    }
)
# Pages reached through personal links, showing one reader's address.
PERSONAL_PATH_PREFIXES = ("/newsletter/confirm/", "/newsletter/preferences/", "/newsletter/unsubscribe/")


def shared_cache_control(config) -> str:
    """The Cache-Control of a page that is the same for everyone."""
    return (
        f"public, max-age={int(config['HTTP_MAX_AGE_SECONDS'])}, "
        f"stale-while-revalidate={int(config['HTTP_STALE_WHILE_REVALIDATE_SECONDS'])}, "
        f"stale-if-error={int(config['HTTP_STALE_IF_ERROR_SECONDS'])}"
    )


def is_personal_path(path: str) -> bool:
    return path.startswith(PERSONAL_PATH_PREFIXES)


def set_cache_control_and_etag(response: Response, cache_control: str) -> None:
    """Public caching and a strong ETag of the uncompressed body, for a 200 GET
    of a page that is the same for everyone; no-store for personal links."""
    if is_personal_path(request.path):
        response.headers["Cache-Control"] = "no-store"
        return
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return
    if response.is_streamed or response.mimetype not in CACHEABLE_TYPES:
        return
    if "Set-Cookie" in response.headers:  # never shared; nothing sets one today
        response.headers["Cache-Control"] = "private, no-cache"
        return
    if "Cache-Control" not in response.headers:  # else a view decided for itself
        response.headers["Cache-Control"] = cache_control
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])


def compress_as_negotiated(response: Response) -> None:
    """The body in the coding negotiate() picks for this request, with Vary
    and a strong ETag that name it."""
    if response.mimetype not in COMPRESSIBLE_TYPES or not 200 <= response.status_code < 300:
        return
    if response.is_streamed or response.direct_passthrough or "Content-Encoding" in response.headers:
        return
    # The bytes depend on Accept-Encoding even when this answer is not compressed.
    response.vary.add("Accept-Encoding")
    coding = negotiate(request.headers.get("Accept-Encoding"))
    body = response.get_data()
    if coding == IDENTITY or len(body) < MIN_SIZE:
        return
    response.set_data(compress(body, coding))
    response.headers["Content-Encoding"] = coding
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(f"{etag}:{coding}")


def init_app(app: Flask) -> None:
    cache_control = shared_cache_control(app.config)

    @app.after_request
    def _validators_compression_and_conditional(response):
        set_cache_control_and_etag(response, cache_control)
        compress_as_negotiated(response)
        if response.status_code == 200 and ("ETag" in response.headers or "Last-Modified" in response.headers):
            return response.make_conditional(request)
        return response
