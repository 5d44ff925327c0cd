"""The page cache: a burst of readers on one page costs one render per
worker per PAGE_CACHE_SECONDS, not one per reader.

It is a WSGI layer right around the Flask app (create_app assembles the
stack), so a hit skips Flask altogether: no request context, no hooks.
Measured with bench/http_bench.py, that is what brings a cached page near a
hello-world app; a before_request hook inside Flask served the same bytes at
about half the rate.

Which pages: the views marked `@shared_page` (shared_page.py), found by
routing the path (memoised per path). Only their 200 answers that caching.py
made public and that set no cookie are kept; every other request passes
straight through, without even computing a key.

What is kept: the final answer as sent: status, every header (validators,
Cache-Control, Vary, security headers) and the body, compressed in the
coding the request negotiated, so a hit costs neither a render nor a
compression (Brotli of an article costs more than the whole hit).

The key holds everything that changes the bytes, each part decided by its
one owner:
* the path, and the query arguments the view declared (shared_page.py);
* fragment or page (htmx.py, the rule views use);
* the negotiated coding (content_coding.py, the function that also picks the
  coding the body is compressed in, its ETag and Vary);
* the content version (content/version.py);
* SCRIPT_NAME, the prefix links are built under. gunicorn.conf.py no longer
  takes it from a request header, and if anything else sets it, it still
  keeps its own copies.

What a hit costs: routing (memoised), a key, one cache lookup, and either a
304 (the kept ETag, or Last-Modified for feed readers, compared before
anything is rendered; the kept copy is the one a 200 to this request would
send, so the validator is always the right coding's) or the kept bytes.

Storage is Flask-Caching: SimpleCache (per process, PAGE_CACHE_MAX_ENTRIES
entries, oldest dropped first) by default; any of its backends (RedisCache
to share one cache among workers and hosts) by setting PAGE_CACHE_TYPE.
"""
from __future__ import annotations

import hashlib

from flask import Flask
from flask_caching import Cache
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified, unquote_etag
from werkzeug.routing import RequestRedirect

from ..content import version
from .content_coding import negotiate_environ
from .htmx import wants_fragment_environ
from .shared_page import SharedPage, shared_page_of

NOT_IN_304 = frozenset({"Content-Length", "Content-Type", "Content-Encoding"})
# Paths remembered by the router below; past this it starts again (a crawler
# of random paths must not grow a worker without bound).
ROUTES_REMEMBERED = 10_000

cache = Cache()


class SharedRoutes:
    """Path -> the SharedPage declared by the view that answers it, or None."""

    def __init__(self, app: Flask):
        self.app = app
        self.known: dict[str, SharedPage | None] = {}

    def lookup(self, path: str) -> SharedPage | None:
        try:
            return self.known[path]
        except KeyError:
            pass
        found = self._route(path)
        if len(self.known) >= ROUTES_REMEMBERED:
            self.known = {}
        self.known[path] = found
        return found

    def _route(self, path: str) -> SharedPage | None:
        adapter = self.app.url_map.bind("localhost")
        # PATH_INFO is WSGI's latin-1 text of the raw bytes; routes are matched on UTF-8, as Flask does.
        decoded = path.encode("latin-1", "replace").decode("utf-8", "replace")
        try:
            endpoint, _ = adapter.match(decoded, method="GET")
        except (HTTPException, RequestRedirect):  # not found, a redirect, another method
            return None
        return shared_page_of(self.app.view_functions.get(endpoint))


class PageCache:
    """WSGI middleware around the Flask app: answers repeated GETs of shared
    pages from the cache before Flask builds a request, and keeps the answer
    of each render of a shared page that may be kept."""

    def __init__(self, app: Flask, wsgi_app, backend):
        self.app = app
        self.wsgi_app = wsgi_app
        self.backend = backend
        self.routes = SharedRoutes(app)

    def key(self, environ, page: SharedPage) -> str:
        path = environ.get("PATH_INFO", "")
        raw = "|".join(
            (
                version.current(self.app),
                "fragment" if wants_fragment_environ(environ) else "page",
                negotiate_environ(environ),
                environ.get("SCRIPT_NAME", ""),
                path,
                page.key_args(environ.get("QUERY_STRING", "")),
            )
        )
        return hashlib.blake2b(raw.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not self.app.config["PAGE_CACHE_ENABLED"]:
            return self.wsgi_app(environ, start_response)
        try:
            page = self.routes.lookup(environ.get("PATH_INFO", ""))
            key = self.key(environ, page) if page is not None else None
            entry = self.backend.get(key) if key is not None else None
        except Exception:
            # The key reads the database (the next scheduled article) and the
            # backend may be Redis: when either is down the cache steps aside,
            # so the pages and error pages still answer as they would.
            self.app.logger.exception("Page cache unavailable; serving without it")
            return self.wsgi_app(environ, start_response)
        if key is None:  # not a shared page
            return self.wsgi_app(environ, start_response)
        if entry is not None:
            return self._answer(entry, environ, start_response)
        return self._render_and_keep(key, environ, start_response)

    def _answer(self, entry, environ, start_response):
        status, headers, body = entry
        etag = next((value for name, value in headers if name == "ETag"), None)
        last_modified = next((value for name, value in headers if name == "Last-Modified"), None)
        if ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ) and not is_resource_modified(
            environ, etag=unquote_etag(etag)[0] if etag else None, last_modified=last_modified
        ):
            # Decided before rendering. A 304 carries the headers a 200 would
            # (RFC 9110 15.4.5) but no body and no content headers.
            kept = [(name, value) for name, value in headers if name not in NOT_IN_304]
            start_response("304 Not Modified", kept)
            return []
        start_response(status, headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _render_and_keep(self, key, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.wsgi_app(environ, capture)
        if environ["REQUEST_METHOD"] != "GET" or not _may_keep(captured.get("status", ""), captured.get("headers", ())):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        try:
            self.backend.set(key, (captured["status"], captured["headers"], body))
        except Exception:  # a shared backend (Redis) that is down: the page still goes out
            self.app.logger.exception("Could not keep a page in the page cache")
        return [body]


def _may_keep(status: str, headers) -> bool:
    """A 200 that caching.py made public and that sets no cookie."""
    if not status.startswith("200"):
        return False
    public = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie":
            return False
        if lowered == "cache-control":
            public = "public" in (part.strip().lower() for part in value.split(","))
    return public


def wrap(app: Flask, wsgi_app):
    """`wsgi_app` behind the page cache (create_app places it in the stack),
    or `wsgi_app` itself when PAGE_CACHE_SECONDS is 0."""
    if int(app.config["PAGE_CACHE_SECONDS"]) <= 0:
        return wsgi_app
    return PageCache(app, wsgi_app, app.extensions["cache"][cache])


def init_app(app: Flask) -> None:
    """Bind the cache storage to the app."""
    config = {
        "CACHE_TYPE": app.config["PAGE_CACHE_TYPE"],
        "CACHE_DEFAULT_TIMEOUT": int(app.config["PAGE_CACHE_SECONDS"]),
        "CACHE_THRESHOLD": int(app.config["PAGE_CACHE_MAX_ENTRIES"]),
        "CACHE_KEY_PREFIX": "miafeed-page:",
    }
    if app.config.get("PAGE_CACHE_REDIS_URL"):
        config["CACHE_REDIS_URL"] = app.config["PAGE_CACHE_REDIS_URL"]
    cache.init_app(app, config=config)
