"""What the import remembers about articles that went away or moved, so
their old addresses keep answering (articles/gone.py): a removed
article's slug answers 410 Gone, a former slug 301 to the current one.

Called inside the import's write transaction, so the memory and the
change it describes are committed together.
"""
from __future__ import annotations

from sqlalchemy import delete, select

from ..clock import utcnow
from ..extensions import db
from ..models import Article, FormerSlug, RemovedArticle


def remember_removed(article: Article) -> None:
    """Before `article` is deleted: its slug, and every slug it had before,
    answer 410 with its title from now on."""
    now = utcnow()
    category_slug = article.category.slug if article.category is not None else None
    former = db.session.scalars(select(FormerSlug.slug).where(FormerSlug.article_id == article.id)).all()
    for slug in [article.slug, *former]:
        db.session.merge(RemovedArticle(slug=slug, title=article.title, category_slug=category_slug, removed_at=now))
    db.session.execute(delete(FormerSlug).where(FormerSlug.article_id == article.id))


def remember_rename(article: Article, old_slug: str) -> None:
    """`article` is leaving `old_slug`: the old address redirects to it."""
    db.session.merge(FormerSlug(slug=old_slug, article_id=article.id, changed_at=utcnow()))


def claim_slug(slug: str) -> None:
    """A live article has `slug` now: it no longer answers 301 or 410."""
    db.session.execute(delete(RemovedArticle).where(RemovedArticle.slug == slug))
    db.session.execute(delete(FormerSlug).where(FormerSlug.slug == slug))
