"""What a page says about itself to crawlers and share previews.

Canonical URLs, Open Graph and JSON-LD are absolute and built from
SITE_URL, not from the Host header of the request: a page fetched through
an IP address, a proxy or a preview host still names its one public address.
"""
from __future__ import annotations

from flask import Flask, current_app, request, url_for

from .models import Article
from .web import parse_page_number


def absolute_url(endpoint: str, **values) -> str:
    """SITE_URL + the path of `endpoint`."""
    return current_app.config["SITE_URL"].rstrip("/") + url_for(endpoint, **values)


def canonical_url() -> str | None:
    """This page's public address: its route and path values, plus ?page=N past the first page.

    Other query arguments (tracking tags, stray parameters) are dropped, so
    every variant of a page points at one URL. None for error pages.
    """
    if request.endpoint is None or request.url_rule is None:
        return None
    values = dict(request.view_args or {})
    page = parse_page_number(request.args.get("page", ""))
    if page is not None and page > 1:
        values["page"] = page
    return absolute_url(request.endpoint, **values)


def _iso(value) -> str:
    return value.isoformat(timespec="seconds") + "Z"


def article_json_ld(article: Article) -> dict:
    """schema.org NewsArticle for an article; the research it reports is `isBasedOn`."""
    site = current_app.config["SITE_NAME"]
    url = absolute_url("articles.article", slug=article.slug)
    # Unsigned articles are by the editorial team, an organisation.
    author_type = "Organization" if article.author == current_app.config["DEFAULT_AUTHOR"] else "Person"
    return {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": article.title,
        "description": article.summary,
        "datePublished": _iso(article.published_at),
        "dateModified": _iso(article.last_modified),
        "author": {"@type": author_type, "name": article.author},
        "publisher": {
            "@type": "Organization",
            "name": site,
            "url": absolute_url("articles.home"),
            "logo": {"@type": "ImageObject", "url": absolute_url("static", filename="favicon.svg")},
        },
        "articleSection": article.category.name,
        "keywords": [tag.name for tag in article.tags],
        "wordCount": article.word_count,
        "inLanguage": "en",
        "isBasedOn": {"@type": "CreativeWork", "name": article.source_name, "url": article.source_url},
    }


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        absolute_url=absolute_url,
        canonical_url=canonical_url,
        article_json_ld=article_json_ld,
        iso_datetime=_iso,
    )
