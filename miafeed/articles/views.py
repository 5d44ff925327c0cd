"""Routes for the article pages."""
from flask import abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Article, Category, Tag, article_tags, renamed_category, visible_articles
from ..http.caching import shared_page
from ..http.web import page_number
from .blueprint import bp
from .article_rows import visible_article
from .gone import moved_or_gone
from .listing import paginate


def _per_page() -> int:
    return int(current_app.config["ARTICLES_PER_PAGE"])


@bp.get("/")
@shared_page("page")
def home():
    listing = paginate(visible_articles(), page_number(), _per_page())
    return render_template("articles/home.html", listing=listing)


@bp.get("/articles/<slug>")
@shared_page()
def article(slug: str):
    found = visible_article(slug)
    if found is None:
        answer = moved_or_gone(slug)
        if answer is not None:
            return answer
        abort(404, description="We could not find that article. It may have moved, or the address may be mistyped.")
    return render_template("articles/article.html", article=found)


@bp.get("/category/<slug>")
@shared_page("page")
def category(slug: str):
    found = db.session.scalar(select(Category).where(Category.slug == slug))
    if found is None:
        renamed = renamed_category(slug)
        if renamed is not None:
            # Only the argument this shared page declares: the redirect is kept per page.
            return redirect(url_for("articles.category", slug=renamed.slug, page=request.args.get("page")), 301)
        abort(404, description=f"There is no category called {slug!r}.")
    listing = paginate(visible_articles().where(Article.category_id == found.id), page_number(), _per_page())
    return render_template("articles/category.html", category=found, listing=listing)


@bp.get("/tag/<slug>")
@shared_page("page")
def tag(slug: str):
    found = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if found is None:
        abort(404, description=f"No article is tagged {slug!r}.")
    statement = visible_articles().join(article_tags, article_tags.c.article_id == Article.id).where(
        article_tags.c.tag_id == found.id
    )
    listing = paginate(statement, page_number(), _per_page())
    return render_template("articles/tag.html", tag=found, listing=listing)
