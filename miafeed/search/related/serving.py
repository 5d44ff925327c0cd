"""The stored related picks a page shows: one indexed query, no scoring."""
from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import Article, RelatedPick, utcnow


def picks_for(article: Article) -> list[RelatedPick]:
    """The stored picks of an article that readers may see now, in order: one
    indexed query (picks by primary key, joined to their articles)."""
    now = utcnow()
    statement = (
        select(RelatedPick)
        .join(RelatedPick.related)
        .where(RelatedPick.article_id == article.id, Article.draft.is_(False), Article.published_at <= now)
        .order_by(RelatedPick.position)
    )
    return db.session.scalars(statement).unique().all()
