"""The stored related picks a page shows: one indexed query, no scoring.

Read as rows: the panel shows each pick's reason and its article's slug,
title, summary and category, and building ORM objects for them (each pick
with its joined article, each article's selectin tags) cost more than the
rest of the panel.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from ...extensions import db
from ...clock import utcnow
from ...models import Article, Category, RelatedPick, SlugAndName, visible_to_readers


@dataclass(frozen=True)
class PickedArticle:
    slug: str
    title: str
    summary: str
    category: SlugAndName


@dataclass(frozen=True)
class ShownPick:
    """One entry of the panel: why it is there, and the article it names."""

    position: int
    kind: str
    reason: str
    computed_at: datetime
    related: PickedArticle


_PICKS = (
    select(RelatedPick.position, RelatedPick.kind, RelatedPick.reason, RelatedPick.computed_at,
           Article.slug, Article.title, Article.summary, Category.slug, Category.name)
    .join(Article, Article.id == RelatedPick.related_id)
    .join(Category, Category.id == Article.category_id)
    .where(RelatedPick.article_id == bindparam("article_id"), visible_to_readers(bindparam("now")))
    .order_by(RelatedPick.position)
)


def picks_for(article) -> list[ShownPick]:
    """The stored picks of an article that readers may see now, in order: one
    indexed query (picks by primary key, joined to their articles)."""
    rows = db.session.execute(_PICKS, {"article_id": article.id, "now": utcnow()})
    return [
        ShownPick(position, kind, reason, computed_at, PickedArticle(slug, title, summary, SlugAndName(category_slug, category_name)))
        for position, kind, reason, computed_at, slug, title, summary, category_slug, category_name in rows
    ]
