"""Atom feeds, the sitemap and robots.txt.

All three are written with Jinja templates named *.xml / *.txt: Flask
autoescapes .xml templates, so a title with `&` or `<` comes out as valid
XML. Links are absolute and built from SITE_URL, because a feed or sitemap
is read outside the request that produced it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Response, abort, current_app, redirect, render_template, url_for
from sqlalchemy import func, select

from ..extensions import db
from ..http.shared_page import shared_page
from ..http.site_url import absolute_url
from ..models import Article, Category, Tag, article_tags, category_order, renamed_category, visible_articles
from .blueprint import bp

FEED_SIZE = 20


def _xml(template: str, mimetype: str, **context) -> Response:
    return Response(render_template(template, **context), mimetype=mimetype)


def _atom(title: str, feed_url: str, page_url: str, statement, feed_id: str) -> Response:
    entries = db.session.scalars(statement.limit(FEED_SIZE)).unique().all()
    # An empty feed still needs an <updated>; the epoch says "nothing yet".
    updated = max((entry.last_modified for entry in entries), default=datetime(1970, 1, 1))
    response = _xml(
        "feeds/atom.xml",
        "application/atom+xml",
        title=title,
        feed_url=feed_url,
        page_url=page_url,
        feed_id=feed_id,
        updated=updated,
        entries=entries,
    )
    # Many feed readers poll with If-Modified-Since rather than an ETag.
    response.last_modified = updated.replace(tzinfo=timezone.utc)
    return response


@bp.get("/feed.xml")
@shared_page()
def site_feed():
    return _atom(
        title=current_app.config["SITE_NAME"],
        feed_url=absolute_url("feeds.site_feed"),
        page_url=absolute_url("articles.home"),
        statement=visible_articles(),
        feed_id=absolute_url("feeds.site_feed"),
    )


@bp.get("/category/<slug>/feed.xml")
@shared_page()
def category_feed(slug: str):
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        renamed = renamed_category(slug)
        if renamed is not None:
            return redirect(url_for("feeds.category_feed", slug=renamed.slug), 301)
        abort(404, description=f"There is no category called {slug!r}.")
    return _atom(
        title=f"{category.name} · {current_app.config['SITE_NAME']}",
        feed_url=absolute_url("feeds.category_feed", slug=slug),
        page_url=absolute_url("articles.category", slug=slug),
        statement=visible_articles().where(Article.category_id == category.id),
        feed_id=absolute_url("feeds.category_feed", slug=slug),
    )


@bp.get("/sitemap.xml")
@shared_page()
def sitemap():
    articles = db.session.scalars(visible_articles()).unique().all()
    visible = visible_articles().subquery()
    # Categories and tags are listed only when they have a visible article
    # (an empty listing page is not worth a crawler's visit), with the date
    # of their newest change.
    categories = db.session.execute(
        select(Category.slug, func.max(func.coalesce(visible.c.updated_at, visible.c.published_at)))
        .join(visible, visible.c.category_id == Category.id)
        .group_by(Category.id)
        .order_by(*category_order())
    ).all()
    tags = db.session.execute(
        select(Tag.slug, func.max(func.coalesce(visible.c.updated_at, visible.c.published_at)))
        .join(article_tags, article_tags.c.tag_id == Tag.id)
        .join(visible, visible.c.id == article_tags.c.article_id)
        .group_by(Tag.id)
        .order_by(Tag.slug)
    ).all()
    home_lastmod = max((article.last_modified for article in articles), default=None)
    return _xml(
        "feeds/sitemap.xml",
        "application/xml",
        articles=articles,
        categories=categories,
        tags=tags,
        home_lastmod=home_lastmod,
    )


@bp.get("/robots.txt")
@shared_page()
def robots():
    return Response(render_template("feeds/robots.txt"), mimetype="text/plain")
