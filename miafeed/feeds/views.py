"""Atom feeds, the sitemap (its entries: sitemap.py) and robots.txt.

All three are written with Jinja templates named *.xml / *.txt: Flask
autoescapes .xml templates, so a title with `&` or `<` comes out as valid
XML. Links are absolute and built from SITE_URL, because a feed or sitemap
is read outside the request that produced it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Response, abort, current_app, redirect, render_template, url_for
from sqlalchemy import select

from ..articles.gone import first_slugs
from ..extensions import db
from ..http.caching import shared_page
from ..http.site_url import absolute_url
from ..models import Article, Category, renamed_category, visible_articles
from .blueprint import bp
from .sitemap import entries as sitemap_entries

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
        first_slugs=first_slugs([entry.id for entry in entries]),
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
    """Every page a crawler should find, from sitemap.py."""
    return _xml("feeds/sitemap.xml", "application/xml", entries=sitemap_entries())


@bp.get("/robots.txt")
@shared_page()
def robots():
    return Response(render_template("feeds/robots.txt"), mimetype="text/plain")
