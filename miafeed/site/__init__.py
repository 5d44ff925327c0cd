"""What lets readers judge an article: author pages, site pages (About,
Editorial policy, Corrections) and the study labels templates show.

init_app(app) registers the blueprint and the template helpers.
"""
from __future__ import annotations

from flask import Flask

from ..content.evidence import gives_figures, names_a_ratio
from ..content.trust import STUDY_TYPES, doi_url


def study_type_info(key: str | None):
    """The StudyType for a stored key, or None (for templates)."""
    return STUDY_TYPES.get(key) if key else None


def sitemap_entries() -> list[tuple[str, object]]:
    """(absolute URL, last change or None) for the site pages and the author
    pages with a visible article, for sitemap.xml."""
    from sqlalchemy import func, or_, select

    from ..extensions import db
    from ..http.site_url import absolute_url
    from ..models import ArticleCorrection, Author, SitePage, visible_articles
    from .views import TOP_LEVEL_PAGES

    entries = []
    # /corrections changes whenever a correction is added, not only when its policy text does.
    newest_correction = db.session.scalar(select(func.max(ArticleCorrection.recorded_at)))
    for slug, changed in db.session.execute(select(SitePage.slug, SitePage.updated_at).order_by(SitePage.slug)):
        endpoint = TOP_LEVEL_PAGES.get(slug)
        if slug == "corrections" and newest_correction:
            changed = max(filter(None, (changed, newest_correction)))
        entries.append((absolute_url(endpoint) if endpoint else absolute_url("site.page", slug=slug), changed))
    visible = visible_articles().subquery()
    people = db.session.execute(
        select(Author.slug, func.max(func.coalesce(visible.c.updated_at, visible.c.published_at)))
        .join(visible, or_(visible.c.author_id == Author.id, visible.c.reviewer_id == Author.id))
        .group_by(Author.id)
        .order_by(Author.slug)
    ).all()
    entries += [(absolute_url("site.author", slug=slug), changed) for slug, changed in people]
    return entries


def init_app(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(study_type_info=study_type_info, doi_url=doi_url, gives_figures=gives_figures, names_a_ratio=names_a_ratio, trust_sitemap_entries=sitemap_entries)
