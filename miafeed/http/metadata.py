"""What a page says about itself to crawlers and share previews.

Canonical URLs, Open Graph and JSON-LD are absolute and built from
SITE_URL, not from the Host header of the request: a page fetched through
an IP address, a proxy or a preview host still names its one public address.
"""
from __future__ import annotations

from flask import Flask, current_app, request

from ..content.trust import PUBLICATION_TYPES, STUDY_TYPES, doi_url
from ..models import Article
from .caching import shared_page_of
from .site_url import absolute_url
from .web import parse_page_number

# The pages' language (templates/base.html says it in <html lang>); JSON-LD
# and feeds must say the same.
LANGUAGE = "en-GB"


def canonical_url() -> str | None:
    """This page's public address: its route and path values, plus ?page=N past
    the first page of a view that pages (declares `page` with @shared_page).

    Other query arguments (tracking tags, stray parameters, ?page= on a page
    that has no pages) are dropped, so every variant of a page points at one
    URL, and the page's bytes depend only on the arguments it declares (the
    page cache keys by nothing else). None for error pages, and for the
    answer to a form post (a thank-you page has no address of its own).
    """
    if request.endpoint is None or request.url_rule is None or request.method not in ("GET", "HEAD"):
        return None
    values = dict(request.view_args or {})
    declared = shared_page_of(current_app.view_functions.get(request.endpoint))
    page = parse_page_number(request.args.get("page", "")) if declared and "page" in declared.args else None
    if page is not None and page > 1:
        values["page"] = page
    return absolute_url(request.endpoint, **values)


def _iso(value) -> str:
    return value.isoformat(timespec="seconds") + "Z"


def article_json_ld(article: Article) -> dict:
    """schema.org NewsArticle for an article; the research it reports is `isBasedOn`
    (the news report) and `citation` (the study), and the page it lives on is a
    MedicalWebPage with `reviewedBy` and `lastReviewed`."""
    site = current_app.config["SITE_NAME"]
    url = absolute_url("articles.article", slug=article.slug)
    # Unsigned articles are by the editorial team, an organisation.
    author_type = "Organization" if article.author == current_app.config["DEFAULT_AUTHOR"] else "Person"
    author = {"@type": author_type, "name": article.author}
    if article.author_profile:
        author = person_json_ld(article.author_profile)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": medical_web_page_json_ld(article, url),
        "url": url,
        "headline": article.title,
        "description": article.summary,
        "datePublished": _iso(article.published_at),
        "dateModified": _iso(article.last_modified),
        "author": author,
        "publisher": {
            "@type": "Organization",
            "name": site,
            "url": absolute_url("articles.home"),
            "logo": {"@type": "ImageObject", "url": absolute_url("static", filename="favicon.svg")},
        },
        "articleSection": article.category.name,
        "keywords": [tag.name for tag in article.tags],
        "wordCount": article.word_count,
        "inLanguage": LANGUAGE,
        "isBasedOn": {"@type": "CreativeWork", "name": article.source_name, "url": article.source_url},
    }
    if article.study_type:
        data["citation"] = study_json_ld(article)
    return data


def person_json_ld(person) -> dict:
    """A Person with their credentials and their page on this site."""
    data = {"@type": "Person", "name": person.name, "url": absolute_url("site.author", slug=person.slug)}
    if person.credentials:
        data["honorificSuffix"] = person.credentials
    if person.role:
        data["jobTitle"] = person.role
    return data


def author_page_json_ld(person) -> dict:
    """schema.org ProfilePage for /author/<slug>: who the person is and what they do here."""
    return {
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "url": absolute_url("site.author", slug=person.slug),
        "mainEntity": person_json_ld(person) | {"description": person.bio},
    }


def medical_web_page_json_ld(article: Article, url: str) -> dict:
    """The page itself: who reviewed it medically, and when."""
    page = {"@type": "MedicalWebPage", "@id": url}
    if article.reviewer:
        page["reviewedBy"] = person_json_ld(article.reviewer)
    if article.last_reviewed:
        page["lastReviewed"] = article.last_reviewed.isoformat()
    return page


def study_json_ld(article: Article) -> dict:
    """The study an article reports, as a MedicalScholarlyArticle with its
    publication type, and its DOI when it has one."""
    study = {
        "@type": "MedicalScholarlyArticle",
        "name": article.study_title or STUDY_TYPES[article.study_type].plain_name,
        "genre": STUDY_TYPES[article.study_type].plain_name,
        "publicationType": PUBLICATION_TYPES.get(article.study_type, "Journal Article"),
        "isPartOf": {"@type": "Periodical", "name": article.study_journal},
        "datePublished": str(article.study_year),
    }
    if article.study_doi:
        study["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": article.study_doi}
    if article.study_doi or article.study_url:
        study["url"] = doi_url(article.study_doi) if article.study_doi else article.study_url
    return study


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        absolute_url=absolute_url,
        canonical_url=canonical_url,
        article_json_ld=article_json_ld,
        author_page_json_ld=author_page_json_ld,
        iso_datetime=_iso,
    )
