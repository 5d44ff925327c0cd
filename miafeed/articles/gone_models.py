"""What an article's old addresses answer after it moved or went away.

A slug an article had before its `slug:` changed answers 301 to the
current one (FormerSlug); a removed article's slug answers 410 Gone with a
short page (RemovedArticle). The importer writes both in the transaction
that renames or removes the article (content/importer.py); the article
view reads them only for a slug no article has (articles/gone.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class FormerSlug(db.Model):
    """A slug the article `article_id` had before; it redirects there."""

    __tablename__ = "former_slugs"

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class RemovedArticle(db.Model):
    """A slug whose article was removed: what the 410 page says about it."""

    __tablename__ = "removed_articles"

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    category_slug: Mapped[str | None] = mapped_column(String(200), nullable=True)
    removed_at: Mapped[datetime] = mapped_column(DateTime)
