"""The page cache: a burst of readers on one page costs one render per
worker per PAGE_CACHE_SECONDS, not one per reader.

What is kept: the final bytes of a shared page (see caching.py), once as
rendered and once per encoding a client asked for (Brotli, gzip), with the
headers that describe them. Keeping the compressed bytes too was measured
(bench/http_bench.py): Brotli costs about as much as the rest of a cache hit.

What a hit costs: a key, one cache lookup, and either a 304 (the entry's
ETag is compared before anything is rendered) or the stored bytes.

The key holds everything that changes the bytes:
* the path, and the query arguments views read (page, q, category, sort;
  search keys by the cleaned query, so `Sleep ` and `Sleep` share results);
  other arguments (utm_source, fbclid...) change nothing and are ignored;
* fragment or page (htmx's HX-Request, see web.wants_fragment);
* the encoding, for the compressed copies;
* the content version: `content import` touches a file in instance/ when it
  commits, `search reindex` publishes a new index pointer, and the time the
  next scheduled article becomes visible is part of the key, so each of them
  shows at once on this host. Changes made on another host (several hosts
  sharing one database) show within PAGE_CACHE_SECONDS.

Storage is Flask-Caching: SimpleCache (per process, PAGE_CACHE_MAX_ENTRIES
entries, oldest dropped first) by default; any of its backends (RedisCache
to share one cache among workers and hosts) by setting PAGE_CACHE_TYPE.
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from flask import Flask, Response, current_app, g, request
from flask_caching import Cache
from sqlalchemy import func, select

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
        "feeds.site_feed",
        "feeds.category_feed",
        "feeds.sitemap",
        "feeds.robots",
        "privacy",
        "newsletter.subscribe_page",
    }
)
KEY_ARGS = ("page", "category", "sort")
KEPT_HEADERS = ("Content-Type", "ETag", "Cache-Control", "Vary", "Last-Modified", "Content-Encoding")
ENCODINGS = ("br", "gzip")
VERSION_FILE = "page-cache-version"

cache = Cache()


def bump_content_version(app: Flask) -> None:
    """Tell every worker on this host that the articles changed: their cached
    pages stop matching at once. Called after `content import` commits."""
    path = Path(app.instance_path) / VERSION_FILE
    path.write_text(f"{datetime.now().isoformat()} {os.getpid()}\n")


def served_from_cache() -> bool:
    """True while answering from the page cache (nothing was rendered)."""
    return g.get("page_cache_hit", False)


def remember_rendered(response: Response) -> None:
    """Keep a rendered shared page's bytes, before compression, for the store."""
    if g.get("page_cache_key"):
        g.page_cache_identity = _entry(response)


def _entry(response: Response) -> tuple:
    headers = [(name, value) for name, value in response.headers.items() if name in KEPT_HEADERS]
    return (response.status_code, headers, response.get_data())


class _Stamps:
    """The content version of this host, cheap enough to check per request."""

    def __init__(self, app: Flask):
        self.version_path = Path(app.instance_path) / VERSION_FILE
        self.pointer_path = None
        self.scheduled_for = None  # the version the schedule below was read for
        self.next_visible = None

    def current(self) -> str:
        if self.pointer_path is None:
            from .search.store import POINTER, search_root

            self.pointer_path = search_root(current_app) / POINTER
        version = f"{_mtime(self.version_path)}.{_mtime(self.pointer_path)}"
        return f"{version}.{self._next_visible(version)}"

    def _next_visible(self, version: str) -> str:
        from .models import utcnow

        now = utcnow()
        if version != self.scheduled_for or (self.next_visible is not None and now >= self.next_visible):
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

    return db.session.scalar(
        select(func.min(Article.published_at)).where(Article.draft.is_(False), Article.published_at > now)
    )


def _key_args() -> str:
    args = request.args
    parts = [f"{name}={args.get(name, '')}" for name in KEY_ARGS]
    if request.endpoint == "search.search":
        from .search.guard import clean_query

        raw = args.get("q", "")
        cleaned = clean_query(raw)
        # The page shows the cleaned text, or the raw input when nothing survived cleaning.
        parts.append(f"q={cleaned.text!r}{'~' if cleaned.truncated else ''}" if cleaned else f"raw={raw[:200]!r}")
    return "&".join(parts)


def page_key(stamps: _Stamps) -> str | None:
    """The cache key of this request, or None when it must not be cached."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in SHARED_PAGE_ENDPOINTS:
        return None
    from .web import wants_fragment

    raw = f"{stamps.current()}|{'fragment' if wants_fragment() else 'page'}|{request.path}|{_key_args()}"
    return hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _negotiated_encoding() -> str:
    return request.accept_encodings.best_match(ENCODINGS) or "identity"


def _from_entry(entry: tuple) -> Response:
    status, headers, body = entry
    # Decided before rendering: If-None-Match against the kept ETag (and
    # If-Modified-Since against Last-Modified, for feed readers) gives a 304
    # with the headers a 200 would carry and no body.
    return Response(body, status=status, headers=headers).make_conditional(request)


def init_app(app: Flask) -> None:
    """Bind the cache to the app and add the lookup and store hooks."""
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
    stamps = _Stamps(app)

    @app.before_request
    def _answer_from_cache():
        if not current_app.config["PAGE_CACHE_ENABLED"] or seconds <= 0:
            return None
        key = page_key(stamps)
        if key is None:
            return None
        g.page_cache_key = key
        encoding = _negotiated_encoding()
        entry = cache.get(f"{key}|{encoding}")
        if entry is None and encoding != "identity":
            # Rendered before for another encoding: Flask-Compress
            # compresses the kept bytes, and the store keeps the result.
            entry = cache.get(f"{key}|identity")
            if entry is not None:
                g.page_cache_compress_only = True
        if entry is None:
            return None  # render; _store_in_cache keeps the answer
        g.page_cache_hit = True
        return _from_entry(entry)

    @app.after_request
    def _store_in_cache(response):
        key = g.get("page_cache_key")
        if not key or response.status_code != 200 or response.is_streamed or "Set-Cookie" in response.headers:
            return response
        if g.get("page_cache_hit") and not g.get("page_cache_compress_only"):
            return response
        if not response.cache_control.public:
            return response
        identity = g.get("page_cache_identity")
        if identity is not None:
            cache.set(f"{key}|identity", identity)
        encoding = response.headers.get("Content-Encoding")
        if encoding in ENCODINGS:
            cache.set(f"{key}|{encoding}", _entry(response))
        return response


def _on_content_changed(sender, **_changes) -> None:
    bump_content_version(sender)
