"""Routes: /author/<slug>, /about, /editorial-policy, /corrections, /pages/<slug>."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from sqlalchemy import func, or_, select

from ..articles.listing import paginate
from ..content.pages import TOP_LEVEL_PAGES
from ..extensions import db
from ..models import Article, ArticleCorrection, Author, SitePage, visible_articles
from ..http.caching import shared_page
from ..http.web import page_number

bp = Blueprint("site", __name__)


@bp.get("/author/<slug>")
@shared_page("page")
def author(slug: str):
    """A writer's or reviewer's page: who they are, and the articles they wrote or reviewed."""
    person = db.session.scalar(select(Author).where(Author.slug == slug))
    if person is None:
        abort(404, description=f"There is no author called {slug!r} on {current_app.config['SITE_NAME']}.")
    involved = visible_articles().where(or_(Article.author_id == person.id, Article.reviewer_id == person.id))
    listing = paginate(involved, page_number(), int(current_app.config["ARTICLES_PER_PAGE"]))
    visible = visible_articles().subquery()
    wrote = db.session.scalar(select(func.count()).select_from(visible).where(visible.c.author_id == person.id))
    reviewed = db.session.scalar(select(func.count()).select_from(visible).where(visible.c.reviewer_id == person.id))
    return render_template("site/author.html", person=person, listing=listing, wrote=wrote, reviewed=reviewed)


def _page(slug: str) -> SitePage:
    page = db.session.scalar(select(SitePage).where(SitePage.slug == slug))
    if page is None:
        abort(404, description=f"The page {slug!r} has not been written yet (content/pages/{slug}.md).")
    return page


@bp.get("/about")
@shared_page()
def about():
    return render_template("site/page.html", page=_page("about"))


@bp.get("/editorial-policy")
@shared_page()
def editorial_policy():
    return render_template("site/page.html", page=_page("editorial-policy"))


@bp.get("/corrections")
@shared_page()
def corrections():
    """The corrections policy, then every correction on a published article, newest first."""
    page = db.session.scalar(select(SitePage).where(SitePage.slug == "corrections"))
    visible = visible_articles().subquery()
    listed = db.session.execute(
        select(ArticleCorrection, Article.slug, Article.title)
        .join(Article, Article.id == ArticleCorrection.article_id)
        .where(Article.id.in_(select(visible.c.id)))
        .order_by(ArticleCorrection.dated.desc(), ArticleCorrection.id.desc())
    ).all()
    return render_template("site/corrections.html", page=page, listed=listed)


@bp.get("/pages/<slug>")
@shared_page()
def page(slug: str):
    """Any other page from content/pages/; the top-level ones redirect to their own address."""
    if slug in TOP_LEVEL_PAGES:
        return redirect(url_for(TOP_LEVEL_PAGES[slug]), 301)
    return render_template("site/page.html", page=_page(slug))
