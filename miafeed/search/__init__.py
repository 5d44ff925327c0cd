"""Full-text search with Whoosh: the only package that imports whoosh.

- engine: schema and analyzers;  store: index folders and the write lock
- indexing: updates from the import, full rebuilds;  searcher: per-thread reader
- guard: the query guard;  querying: ranked, faceted, highlighted results
- arrays: a query's matches and scores over postings held as NumPy arrays
- spelling: British and American spellings meet;  synonyms: the editors' groups
- related: precomputed Related Articles picks
- follow: applies the database's change log to this host's index
- misses: searches that found nothing, counted per query and day
- views: GET /search;  cli: `flask search reindex|ensure|follow|misses`
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register /search, the CLI, the /healthz check and the import hook."""
    from ..content.signals import content_changed
    from ..http.web import register_health_check
    from . import cli, views
    from .follow import lag_health
    from .health import search_health

    app.register_blueprint(views.bp)
    cli.init_app(app)
    register_health_check(app, "search", search_health)
    register_health_check(app, "search_lag", lag_health)
    content_changed.connect(_on_content_changed, sender=app, weak=False)


def _on_content_changed(app, changes) -> None:
    """After an import commits: index what it added, updated or removed, then
    recompute the related picks that could have changed (in that order: the
    picks read the updated index)."""
    from . import follow, related, synonyms

    if getattr(changes, "synonyms_changed", False):
        synonyms.forget(app)  # this host's workers read the list again at once
    changed = list(changes.added) + list(changes.updated)
    try:
        # The import logged its changes (content/changelog.py); applying the
        # log here updates this host's index, and other hosts follow the same log.
        follow.catch_up()
        related.recompute(sorted(related.affected_by(changed)))
    except Exception:
        # The articles are committed; only derived data lags. Say how to
        # repair it, and still fail the command so the operator sees it.
        app.logger.exception("Search index or related picks not updated; run `flask --app wsgi search reindex`.")
        raise
