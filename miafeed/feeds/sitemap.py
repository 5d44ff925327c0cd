"""What /sitemap.xml lists: the one owner of the sitemap's entries.

Every page a crawler should find is here, as (absolute URL, last change or
None), and templates/feeds/sitemap.xml only writes them out. A new kind of
page adds its entries in this module:

* a page at a fixed address: its endpoint in DATED_BY_ARTICLES (a page
  whose content follows the articles, like /sample-digest) or UNDATED;
* pages read from the database: a function below, added to `entries()`.

Only what a reader can see is listed (models.visible_to_readers); a
category, tag or author only when one of its articles is visible (an empty
listing is not worth a crawler's visit), dated by its newest change.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from ..content.pages import TOP_LEVEL_PAGES
from ..extensions import db
from ..http.site_url import absolute_url
from ..models import Article, ArticleCorrection, Author, Category, SitePage, Tag, article_tags, category_order, visible_articles

# (absolute URL, last change or None)
Entry = tuple[str, "datetime | None"]

# Pages that change with the articles: listed with the newest article's date.
DATED_BY_ARTICLES = ("sample_digest",)
# Pages of their own with no date a crawler could use: listed without one.
UNDATED: tuple[str, ...] = ("privacy",)


def entries() -> list[Entry]:
    """Every URL of the sitemap, in the order it lists them."""
    articles = db.session.execute(
        visible_articles().with_only_columns(Article.slug, func.coalesce(Article.updated_at, Article.published_at))
    ).all()
    newest = max((changed for _, changed in articles), default=None)
    return [
        (absolute_url("articles.home"), newest),
        *((absolute_url("articles.article", slug=slug), changed) for slug, changed in articles),
        *_listings(),
        *((absolute_url(endpoint), newest) for endpoint in DATED_BY_ARTICLES),
        *((absolute_url(endpoint), None) for endpoint in UNDATED),
        *_site_pages(),
        *_authors(),
    ]


def _newest_change(visible):
    return func.max(func.coalesce(visible.c.updated_at, visible.c.published_at))


def _listings() -> list[Entry]:
    visible = visible_articles().subquery()
    categories = db.session.execute(
        select(Category.slug, _newest_change(visible))
        .join(visible, visible.c.category_id == Category.id)
        .group_by(Category.id)
        .order_by(*category_order())
    ).all()
    tags = db.session.execute(
        select(Tag.slug, _newest_change(visible))
        .join(article_tags, article_tags.c.tag_id == Tag.id)
        .join(visible, visible.c.id == article_tags.c.article_id)
        .group_by(Tag.id)
        .order_by(Tag.slug)
    ).all()
    return [(absolute_url("articles.category", slug=slug), changed) for slug, changed in categories] + [
        (absolute_url("articles.tag", slug=slug), changed) for slug, changed in tags
    ]


def _site_pages() -> list[Entry]:
    listed = []
    # /corrections changes whenever a correction is added, not only when its policy text does.
    newest_correction = db.session.scalar(select(func.max(ArticleCorrection.recorded_at)))
    for slug, changed in db.session.execute(select(SitePage.slug, SitePage.updated_at).order_by(SitePage.slug)):
        endpoint = TOP_LEVEL_PAGES.get(slug)
        if slug == "corrections" and newest_correction:
            changed = max(filter(None, (changed, newest_correction)))
        listed.append((absolute_url(endpoint) if endpoint else absolute_url("site.page", slug=slug), changed))
    return listed


def _authors() -> list[Entry]:
    visible = visible_articles().subquery()
    people = db.session.execute(
        select(Author.slug, _newest_change(visible))
        .join(visible, or_(visible.c.author_id == Author.id, visible.c.reviewer_id == Author.id))
        .group_by(Author.id)
        .order_by(Author.slug)
    ).all()
    return [(absolute_url("site.author", slug=slug), changed) for slug, changed in people]
