"""Caching of the pages that are the same for every reader, in one place.

The public face is four names: a view wears `@shared_page(...)`; create_app
calls `init_app(app)` and places `wrap(app, ...)` in its WSGI stack;
metadata.py asks `shared_page_of(view)` whether a view pages.

1. Declaring a shared page, where the view is defined:

    @bp.get("/category/<slug>")
    @shared_page("page")
    def category(slug): ...

   The arguments name the query arguments that change the page's bytes
   (`page`); a keyword names one whose raw text varies more than its meaning,
   with a function that returns what the page depends on (search keys by the
   cleaned query: `q=query_key`). Every other argument (utm_source,
   fbclid...) is left out of the key, so a view must read no argument it
   does not name. Under TESTING, reading one raises UndeclaredQueryArgument,
   so a test of the view fails where it would otherwise serve the wrong kept
   page without a word.

2. What browsers, proxies and CDNs are told (an after_request hook). Reader
   pages carry no session, cookie or per-reader token (forms are guarded by
   origin, security.py), so every successful GET of a page, fragment, feed
   or the sitemap is `Cache-Control: public, max-age=60,
   stale-while-revalidate=300, stale-if-error=86400` (HTTP_* settings) with
   a strong ETag (a hash of the body), and a client that revalidates gets a
   304. A minute fresh: a correction reaches everyone within a minute; five
   minutes in which a cache may answer with the old copy while it fetches
   the new one; a day of the last good copy if the app is down. Newsletter
   link pages show the reader's address: `no-store`. Errors carry no
   validator. In the same hook, in this order: Cache-Control and the ETag of
   the uncompressed body; the coding content_coding.negotiate picks, the body
   in it, `Vary: Accept-Encoding` and the coding appended to a strong ETag
   (`"abc:br"`); then the conditional request, decided against that final
   ETag. Static files are compressed at build time (assets.py).

3. The page cache (a WSGI layer right around the Flask app): a burst of
   readers on one page costs one render per worker per PAGE_CACHE_SECONDS.
   A hit skips Flask altogether (no request context, no hooks): measured
   with bench/http_bench.py, a before_request hook inside Flask served the
   same bytes at about half the rate. The path is matched against Flask's
   own URL map (a few microseconds), and only a view marked @shared_page is
   looked up; every other request passes straight through. What is kept is
   the final answer as sent (status, every header, the body in the
   negotiated coding), and only a 200 this hook made public that sets no
   cookie. Its key holds everything that changes the bytes, each part from
   its one owner: the path and the declared arguments (the view); fragment
   or page (htmx.py); the negotiated coding (content_coding.py); the content
   version (content/version.py); SCRIPT_NAME, the prefix links are built
   under. A hit answers a 304 from the kept ETag (or Last-Modified, for feed
   readers) before anything is rendered.

   Storage is Flask-Caching: SimpleCache (per process, PAGE_CACHE_MAX_ENTRIES
   entries) by default; any of its backends (RedisCache shares one cache
   among workers and hosts) through PAGE_CACHE_TYPE.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs

from flask import Flask, Response, current_app, request
from flask_caching import Cache
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified, unquote_etag
from werkzeug.routing import RequestRedirect

from ..content import version
from .content_coding import IDENTITY, MIN_SIZE, compress, negotiate, negotiate_environ
from .htmx import wants_fragment_environ

cache = Cache()

# --- 1. Declaring a shared page ---------------------------------------------

ATTRIBUTE = "miafeed_shared_page"


@dataclass(frozen=True)
class SharedPage:
    """What a shared view's bytes depend on, besides its path."""

    args: tuple[str, ...] = ()
    normalised: dict[str, Callable[[str], str]] = field(default_factory=dict)

    @property
    def names(self) -> frozenset[str]:
        """Every query argument the view may read."""
        return frozenset(self.args) | frozenset(self.normalised)

    def key_args(self, query_string: str) -> str:
        """The part of the cache key taken from the query string."""
        if not self.args and not self.normalised:
            return ""
        values = parse_qs(query_string, keep_blank_values=True)
        parts = [f"{name}={values.get(name, [''])[0]!r}" for name in self.args]
        parts += [f"{name}~{normalise(values.get(name, [''])[0])!r}" for name, normalise in self.normalised.items()]
        return "&".join(parts)


class UndeclaredQueryArgument(LookupError):
    """A shared view read a query argument its @shared_page does not name."""


class _DeclaredArgs(ImmutableMultiDict):
    """request.args for a shared view under TESTING: reading a name the view
    did not declare, or every argument at once, raises."""

    declared: frozenset[str] = frozenset()

    def _check(self, name) -> None:
        if name not in self.declared:
            raise UndeclaredQueryArgument(
                f"{request.endpoint} read ?{name}= but its @shared_page names only {sorted(self.declared)}: "
                "add it there, or the page cache serves one reader's page to another"
            )

    def __getitem__(self, key):
        self._check(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        self._check(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._check(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        self._check(key)
        return super().__contains__(key)

    def _everything(self, *args, **kwargs):
        raise UndeclaredQueryArgument(f"{request.endpoint} read every query argument; a shared page names the ones it reads")

    items = values = lists = listvalues = to_dict = __iter__ = keys = _everything


def shared_page(*args: str, **normalised: Callable[[str], str]):
    """Mark a view as a shared page whose bytes depend on `args` (and on the
    values `normalised` returns for its keyword arguments)."""
    spec = SharedPage(tuple(args), dict(normalised))

    def mark(view):
        @functools.wraps(view)
        def shared_view(*view_args, **view_kwargs):
            if current_app.testing:
                guarded = _DeclaredArgs(request.args)
                guarded.declared = spec.names
                request.args = guarded
            return view(*view_args, **view_kwargs)

        setattr(shared_view, ATTRIBUTE, spec)
        return shared_view

    return mark


def shared_page_of(view) -> SharedPage | None:
    """The declaration of a view function, or None for a page that is not shared."""
    return getattr(view, ATTRIBUTE, None)


# --- 2. Validators, Cache-Control and compression -----------------------------

CACHEABLE_TYPES = ("text/html", "application/atom+xml", "application/xml", "text/xml", "text/plain")
COMPRESSIBLE_TYPES = frozenset(
    {
        "text/html", "text/css", "text/plain", "text/xml", "application/xml", "application/atom+xml",
        "application/json", "application/javascript", "text/javascript", "image/svg+xml",
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


def _set_cache_control_and_etag(response: Response, cache_control: str) -> None:
    if request.path.startswith(PERSONAL_PATH_PREFIXES):
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


def _compress_as_negotiated(response: Response) -> None:
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


# --- 3. The page cache -----------------------------------------------------------

NOT_IN_304 = frozenset({"Content-Length", "Content-Type", "Content-Encoding"})


class PageCache:
    """WSGI middleware around the Flask app: answers repeated GETs of shared
    pages from the cache before Flask builds a request, and keeps the answer
    of each render of a shared page that may be kept."""

    def __init__(self, app: Flask, wsgi_app, backend):
        self.app = app
        self.wsgi_app = wsgi_app
        self.backend = backend
        # Flask's own URL rules, bound once: the host plays no part in them.
        self.urls = app.url_map.bind("localhost")

    def shared_page_at(self, path: str) -> SharedPage | None:
        """The declaration of the view Flask would route a GET of `path` to."""
        # PATH_INFO is WSGI's latin-1 text of the raw bytes; routes are matched on UTF-8, as Flask does.
        decoded = path.encode("latin-1", "replace").decode("utf-8", "replace")
        try:
            endpoint, _ = self.urls.match(decoded, method="GET")
        except (HTTPException, RequestRedirect):  # not found, a redirect, another method
            return None
        return shared_page_of(self.app.view_functions.get(endpoint))

    def key(self, environ, page: SharedPage) -> str:
        raw = "|".join(
            (
                version.current(self.app),
                "fragment" if wants_fragment_environ(environ) else "page",
                negotiate_environ(environ),
                environ.get("SCRIPT_NAME", ""),
                environ.get("PATH_INFO", ""),
                page.key_args(environ.get("QUERY_STRING", "")),
            )
        )
        return hashlib.blake2b(raw.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not self.app.config["PAGE_CACHE_ENABLED"]:
            return self.wsgi_app(environ, start_response)
        try:
            page = self.shared_page_at(environ.get("PATH_INFO", ""))
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
            # A 304 carries the headers a 200 would (RFC 9110 15.4.5) but no body and no content headers.
            start_response("304 Not Modified", [(name, value) for name, value in headers if name not in NOT_IN_304])
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
    """A 200 that the hook above made public and that sets no cookie."""
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


# --- Wiring ----------------------------------------------------------------------


def wrap(app: Flask, wsgi_app):
    """`wsgi_app` behind the page cache (create_app places it in the stack),
    or `wsgi_app` itself when PAGE_CACHE_SECONDS is 0."""
    if int(app.config["PAGE_CACHE_SECONDS"]) <= 0:
        return wsgi_app
    return PageCache(app, wsgi_app, app.extensions["cache"][cache])


def init_app(app: Flask) -> None:
    """Bind the page cache's storage and add the validators-and-compression hook."""
    config = {
        "CACHE_TYPE": app.config["PAGE_CACHE_TYPE"],
        "CACHE_DEFAULT_TIMEOUT": int(app.config["PAGE_CACHE_SECONDS"]),
        "CACHE_THRESHOLD": int(app.config["PAGE_CACHE_MAX_ENTRIES"]),
        "CACHE_KEY_PREFIX": "miafeed-page:",
    }
    if app.config["PAGE_CACHE_REDIS_URL"]:
        config["CACHE_REDIS_URL"] = app.config["PAGE_CACHE_REDIS_URL"]
    cache.init_app(app, config=config)
    cache_control = shared_cache_control(app.config)

    @app.after_request
    def _validators_compression_and_conditional(response):
        _set_cache_control_and_etag(response, cache_control)
        _compress_as_negotiated(response)
        if response.status_code == 200 and ("ETag" in response.headers or "Last-Modified" in response.headers):
            return response.make_conditional(request)
        return response
