"""What a slug no visible article has answers: 301 to the article's current
slug when it is a former one, 410 Gone with a short page when its article
was removed, else the usual 404.

Readers' bookmarks, links from other sites and search engines hold old
addresses; a 301 carries them (and a search engine's ranking) to the new
one, and a 410 tells a crawler to drop the page for good while telling a
reader what it was and where to read on.
"""
from __future__ import annotations

from flask import make_response, redirect, render_template, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Article, Category, FormerSlug, RemovedArticle, visible_articles

# Articles from the removed one's category offered on the 410 page.
OTHERS_SHOWN = 3


def moved_or_gone(slug: str):
    """A 301 or 410 response for `slug`, or None when it was never known."""
    former = db.session.get(FormerSlug, slug)
    if former is not None:
        current = db.session.scalar(visible_articles().where(Article.id == former.article_id))
        if current is not None:
            return redirect(url_for("articles.article", slug=current.slug), 301)
    removed = db.session.get(RemovedArticle, slug)
    if removed is None:
        return None
    category = None
    others = []
    if removed.category_slug:
        category = db.session.scalar(select(Category).where(Category.slug == removed.category_slug))
    if category is not None:
        others = db.session.scalars(
            visible_articles().where(Article.category_id == category.id).order_by(Article.published_at.desc()).limit(OTHERS_SHOWN)
        ).all()
    response = make_response(render_template("articles/gone.html", removed=removed, category=category, others=others), 410)
    return response


def first_slugs(article_ids: list[int]) -> dict[int, str]:
    """For articles whose slug changed, the slug each had first.

    A feed entry's id must never change (a feed reader would show the
    article again as new), so feeds keep the first address as the id of a
    renamed article while linking to the current one.
    """
    if not article_ids:
        return {}
    rows = db.session.execute(
        select(FormerSlug.article_id, FormerSlug.slug)
        .where(FormerSlug.article_id.in_(article_ids))
        .order_by(FormerSlug.changed_at.desc(), FormerSlug.slug)
    )
    return {article_id: slug for article_id, slug in rows}  # the earliest change wins (last written)
