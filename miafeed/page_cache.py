"""The page cache: a burst of readers on one page costs one render per
worker per PAGE_CACHE_SECONDS, not one per reader.

It is a WSGI layer around the Flask app (inside WhiteNoise and ProxyFix's
callers), so a hit skips Flask altogether: no request context, no routing,
no hooks. Measured with bench/http_bench.py, that is what brings a cached
page near a hello-world app; a before_request hook inside Flask served the
same bytes at about half the rate.

What is kept: the final answer of a shared page (caching.py marks it), as
sent: status, every header (validators, Cache-Control, Vary, security
headers) and the body, compressed as the client asked (Brotli, gzip or
none), so a hit costs neither a render nor a compression (Brotli of an
article costs more than the whole hit).

What a hit costs: a key, one cache lookup, and either a 304 (the kept ETag,
or Last-Modified for feed readers, compared before anything is rendered)
or the kept bytes.

The key holds everything that changes the bytes:
* the path, and the query arguments views read (page, q, category, sort;
  search keys by the cleaned query, so `sleep ` and `sleep` share one
  render); other arguments (utm_source, fbclid...) change nothing and are
  ignored, so a shared link with tracking arguments is still a hit;
* fragment or page (htmx's HX-Request, as web.wants_fragment decides);
* the encoding the client accepts (br, gzip, none);
* the content version: `content import` touches a file in instance/ when it
  commits, `search reindex` publishes a new index pointer, and the time the
  next scheduled article becomes visible is part of the key, so each of them
  shows at once on this host. A change made on another host (several hosts
  sharing one database) shows within PAGE_CACHE_SECONDS.

Only the endpoints in SHARED_PAGE_ENDPOINTS are kept, and only a 200 that
caching.py marked public and that sets no cookie. Storage is Flask-Caching:
SimpleCache (per process, PAGE_CACHE_MAX_ENTRIES entries, oldest dropped
first) by default; any of its backends (RedisCache to share one cache among
workers and hosts) by setting PAGE_CACHE_TYPE.
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from urllib.parse import parse_qs

from flask import Flask, Response, request
from flask_caching import Cache
from sqlalchemy import func, select
from werkzeug.http import is_resource_modified, parse_accept_header, unquote_etag

# Endpoints whose answer depends only on the key above. A new page joins by
# being added here (and reading no other input).
SHARED_PAGE_ENDPOINTS = frozenset(
    {
        "articles.home",
        "articles.article",
        "articles.category",
        "articles.tag",
        "articles.related",
        "search.search",
        "search.suggest",
        "feeds.site_feed",
        "feeds.category_feed",
        "feeds.sitemap",
        "feeds.robots",
        "privacy",
        "newsletter.subscribe_page",
        "site.author",
        "site.about",
        "site.editorial_policy",
        "site.corrections",
        "site.page",
        "sample_digest",
    }
)
# `exact`: search the typed words without typo correction (search/views.py).
KEY_ARGS = ("page", "category", "sort", "exact")
# Pages whose bytes follow ?q=: the key holds the cleaned query.
SEARCH_PATHS = ("/search", "/search/suggest")
ENCODINGS = ("br", "gzip")
SHARED_FLAG = "miafeed.page_cache.shared"
NOT_IN_304 = frozenset({"Content-Length", "Content-Type", "Content-Encoding"})
VERSION_FILE = "page-cache-version"

cache = Cache()


def bump_content_version(app: Flask) -> None:
    """Tell every worker on this host that the articles changed: their cached
    pages stop matching at once. Called after `content import` commits."""
    path = Path(app.instance_path) / VERSION_FILE
    path.write_text(f"{datetime.now().isoformat()} {os.getpid()}\n")


class _Stamps:
    """The content version of this host, cheap enough to check per request."""

    def __init__(self, app: Flask):
        self.app = app
        self.version_path = Path(app.instance_path) / VERSION_FILE
        self.pointer_path = None
        self.scheduled_for = None  # the version the schedule below was read for
        self.next_visible = None

    def current(self) -> str:
        if self.pointer_path is None:
            from .search.store import POINTER, search_root

            self.pointer_path = search_root(self.app) / POINTER
        version = f"{_mtime(self.version_path)}.{_mtime(self.pointer_path)}"
        return f"{version}.{self._next_visible(version)}"

    def _next_visible(self, version: str) -> str:
        from .models import utcnow

        now = utcnow()
        if version != self.scheduled_for or (self.next_visible is not None and now >= self.next_visible):
            with self.app.app_context():
                self.next_visible = _next_scheduled_article(now)
            self.scheduled_for = version
        return self.next_visible.isoformat() if self.next_visible else "-"


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return 0


def _next_scheduled_article(now: datetime) -> datetime | None:
    from .extensions import db
    from .models import Article

    try:
        return db.session.scalar(
            select(func.min(Article.published_at)).where(Article.draft.is_(False), Article.published_at > now)
        )
    finally:
        db.session.remove()


def _wants_fragment(environ) -> bool:
    # web.wants_fragment, on the raw WSGI environ (no request object yet).
    return (
        environ.get("HTTP_HX_REQUEST") == "true"
        and environ.get("HTTP_HX_BOOSTED") != "true"
        and environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST") != "true"
    )


def _key_args(path: str, query_string: str) -> str:
    args = parse_qs(query_string, keep_blank_values=True)
    parts = [f"{name}={args.get(name, [''])[0]}" for name in KEY_ARGS]
    if path in SEARCH_PATHS:
        from .search.guard import clean_query

        raw = args.get("q", [""])[0]
        cleaned = clean_query(raw)
        # The page shows the cleaned text, or the raw input when nothing survived cleaning.
        parts.append(f"q={cleaned.text!r}{'~' if cleaned.truncated else ''}" if cleaned else f"raw={raw[:200]!r}")
    return "&".join(parts)


def _encoding(environ) -> str:
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"))
    return accepted.best_match(ENCODINGS) or "identity"


class PageCache:
    """WSGI middleware around the Flask app: answers repeated GETs of shared
    pages from the cache before Flask builds a request, and keeps the answer
    of each render that the app marked as shared (see mark_shared)."""

    def __init__(self, app: Flask, wsgi_app, backend):
        self.app = app
        self.wsgi_app = wsgi_app
        self.backend = backend
        self.stamps = _Stamps(app)

    def key(self, environ) -> str:
        path = environ.get("PATH_INFO", "")
        raw = (
            f"{self.stamps.current()}|{'fragment' if _wants_fragment(environ) else 'page'}|{_encoding(environ)}|"
            f"{path}|{_key_args(path, environ.get('QUERY_STRING', ''))}"
        )
        return hashlib.blake2b(raw.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not self.app.config["PAGE_CACHE_ENABLED"]:
            return self.wsgi_app(environ, start_response)
        try:
            key = self.key(environ)
            entry = self.backend.get(key)
        except Exception:
            # The key reads the database (the next scheduled article) and the
            # backend may be Redis: when either is down the cache steps aside,
            # so /healthz and the error pages still answer as they would.
            self.app.logger.exception("Page cache unavailable; serving without it")
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

        environ[SHARED_FLAG] = False
        result = self.wsgi_app(environ, capture)
        if not environ.get(SHARED_FLAG) or not captured.get("status", "").startswith("200"):
            return result
        headers = captured["headers"]
        names = {name.lower() for name, _ in headers}
        if "set-cookie" in names or environ["REQUEST_METHOD"] != "GET":
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        try:
            self.backend.set(key, (captured["status"], headers, body))
        except Exception:  # a shared backend (Redis) that is down: the page still goes out
            self.app.logger.exception("Could not keep a page in the page cache")
        return [body]


def mark_shared(response: Response) -> None:
    """Called by caching.py for a 200 marked public: the middleware may keep it."""
    if request.endpoint in SHARED_PAGE_ENDPOINTS:
        request.environ[SHARED_FLAG] = True


def init_app(app: Flask) -> None:
    """Bind the cache to the app and wrap the WSGI app with the middleware."""
    seconds = int(app.config["PAGE_CACHE_SECONDS"])
    config = {
        "CACHE_TYPE": app.config["PAGE_CACHE_TYPE"],
        "CACHE_DEFAULT_TIMEOUT": seconds,
        "CACHE_THRESHOLD": int(app.config["PAGE_CACHE_MAX_ENTRIES"]),
        "CACHE_KEY_PREFIX": "miafeed-page:",
    }
    if app.config.get("PAGE_CACHE_REDIS_URL"):
        config["CACHE_REDIS_URL"] = app.config["PAGE_CACHE_REDIS_URL"]
    cache.init_app(app, config=config)

    from .content.signals import content_changed

    content_changed.connect(_on_content_changed)
    if seconds > 0:
        app.wsgi_app = PageCache(app, app.wsgi_app, app.extensions["cache"][cache])


def _on_content_changed(sender, **_changes) -> None:
    bump_content_version(sender)
