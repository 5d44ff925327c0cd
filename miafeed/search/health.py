"""The search line of /healthz."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Article
from . import store


def search_health() -> str:
    """"ok" when the index opens (or when there is nothing to index yet),
    otherwise a short reason an operator can act on."""
    root = store.search_root()
    try:
        store.open_current(root).close()
        return "ok"
    except store.IndexMissing as exc:
        if not has_indexable_articles():
            return "ok"  # an empty site needs no index
        if store.current_index_dir(root) is None:
            return "missing: run `flask --app wsgi search reindex`"
        return f"unreadable: {exc}; run `flask --app wsgi search reindex`"


def has_indexable_articles() -> bool:
    """True when the database holds an article the index should have (or
    cannot be asked: then assume so, so a missing index is reported)."""
    try:
        return db.session.scalar(select(Article.id).where(Article.draft.is_(False)).limit(1)) is not None
    except Exception:
        db.session.rollback()
        return True
