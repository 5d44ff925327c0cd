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


def init_app(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(study_type_info=study_type_info, doi_url=doi_url, gives_figures=gives_figures, names_a_ratio=names_a_ratio)
