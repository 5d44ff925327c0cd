"""Addresses that mean an article but are not its canonical URL: 301 to it.

`/articles/<slug>/` (a trailing slash, as old links and hand-typed
addresses have it) and upper-case letters in a slug (slugs are always
lowercase) redirect permanently, so readers land on the article and search
engines merge the two addresses, instead of a generic 404.
"""
from flask import redirect, request, url_for

from .blueprint import bp


@bp.get("/articles/<slug>/")
def article_with_slash(slug: str):
    """A trailing slash: 301 to the canonical address (lowercased too, in one hop)."""
    return redirect(url_for("articles.article", slug=slug.lower()), 301)


@bp.before_request
def _lowercase_article_slug():
    if request.endpoint == "articles.article":
        slug = (request.view_args or {}).get("slug", "")
        if slug != slug.lower():
            return redirect(url_for("articles.article", slug=slug.lower()), 301)
    return None
