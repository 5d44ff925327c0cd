"""Reader feedback at the end of every article: "Was this page helpful?" and
"Report a problem", stored without anything personal (see models.py), listed
and handled with `flask feedback`, kept for FEEDBACK_KEEP_DAYS.

init_app(app) registers the blueprint and the CLI group. The rate limiter
itself is set up by the newsletter, which shares it.
"""
from __future__ import annotations


def init_app(app) -> None:
    """Wire feedback into the app."""
    from . import cli, models  # noqa: F401  (models: the table exists for create_all)
    from .store import MAX_TEXT_LENGTH
    from .views import bp

    app.register_blueprint(bp)
    cli.init_app(app)
    app.jinja_env.globals["max_problem_length"] = MAX_TEXT_LENGTH
