"""A new worker renders each kind of page once before it takes readers.

A fresh process compiles every template it renders, prepares every SQL
statement, opens the search index and reads its first segments on its
first requests. In an upgrade (deploy/site: gunicorn's USR2 hand-over)
the old workers stop once the new ones answer /healthz, and every reader
then moves to new workers at the same moment: without a warm-up each of
them paid that cold cost at once (an earlier measurement: every client
stalled 1.3-1.8 s together, on a quiet 2-core machine). gunicorn.conf.py's
post_worker_init (through serving/worker_services.py) calls `warm_up`
before the worker accepts, so the old workers carry the readers meanwhile.

The pages are rendered inside Flask, under the page cache and WhiteNoise:
a kept copy of a page would skip the very work being warmed. Nothing here
writes: the search uses a word of a published title, so it finds something
and no "search that found nothing" is counted.
"""
from __future__ import annotations

import time

from flask import Flask, url_for

from ..extensions import db


def _paths(app: Flask) -> list[tuple[str, dict]]:
    """(path, headers) of one page of each kind the site serves most."""
    from ..models import Article, Category, visible_articles

    paths: list[tuple[str, dict]] = [(url_for("articles.home"), {})]
    newest = db.session.execute(
        visible_articles().with_only_columns(Article.slug, Article.title, Category.slug)
        .join(Category, Category.id == Article.category_id).limit(1)
    ).first()
    if newest is not None:
        slug, title, category = newest
        word = max(title.split(), key=len).strip(".,:;!?'\"()")
        fragment = {"HX-Request": "true"}
        paths += [
            (url_for("articles.article", slug=slug), {}),
            (url_for("articles.related", slug=slug), fragment),
            (url_for("articles.category", slug=category), {}),
            (url_for("search.search", q=word), {}),
            (url_for("search.search", q=word), fragment),
            (url_for("search.suggest", q=word[:4]), fragment),
        ]
    return paths


def warm_up(app: Flask) -> float:
    """Render the site's main pages once in this process; return the seconds it took.

    A failure is logged and otherwise ignored: a worker that could not warm
    up still serves, only its first readers wait a little longer.
    """
    started = time.monotonic()
    try:
        with app.test_request_context("/"):
            paths = _paths(app)
        for path, headers in paths:
            with app.test_request_context(path, headers=headers):
                app.full_dispatch_request()
    except Exception:  # noqa: BLE001 (warming is an optimisation, never a reason not to serve)
        app.logger.exception("Warming up this worker failed; it serves cold")
    return time.monotonic() - started
