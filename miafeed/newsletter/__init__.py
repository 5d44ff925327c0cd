"""The newsletter: sign-up, double opt-in, mail queue, digests, privacy.

init_app(app) registers the blueprint, the providers' webhooks, the /privacy page, the CLI groups
`mail`, `digest` and `subscribers`, and the rate limiter. The background
delivery thread is started by gunicorn (see gunicorn.conf.py), not here, so
tests and CLI commands never get a thread they did not ask for.
"""
from __future__ import annotations

from markupsafe import Markup, escape

SOURCE_PLACEHOLDER = "/__source_page__"


def init_app(app) -> None:
    """Wire the newsletter into the app."""
    from ..extensions import limiter
    from ..http.web import register_health_check
    from . import cli, frequencies, mail_health, models, signing  # noqa: F401  (models: the tables exist for create_all)
    from .forms import SubscribeForm
    from .views import bp, privacy, sample_digest
    from .webhooks import bp as webhooks_bp

    signing.check_settings(app.config)
    limiter.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(webhooks_bp)
    app.add_url_rule("/privacy", "privacy", privacy)
    # Outside /newsletter/ on purpose: the same page for everyone, cacheable
    # like the article pages (the /newsletter/ links are personal, no-store).
    app.add_url_rule("/sample-digest", "sample_digest", sample_digest)
    cli.init_app(app)

    app.jinja_env.globals["frequencies_in_words"] = frequencies.in_words
    app.jinja_env.globals["blank_subscribe_box"] = _blank_subscribe_box(app, SubscribeForm)
    register_health_check(app, "mail_queue", mail_health.queue_health)
    _answer_category_questions(app)


def _answer_category_questions(app) -> None:
    """Readers' digest topics answer the import when a category leaves
    categories.yml (content/category_removal.py asks; content never imports us)."""
    from ..content.signals import category_readers, category_replaced
    from . import topics

    category_readers.connect(lambda sender, category_id: topics.readers_choosing(category_id), sender=app, weak=False)
    category_replaced.connect(
        lambda sender, from_category_id, to_category_id: topics.move_topics(from_category_id, to_category_id),
        sender=app, weak=False)


def _blank_subscribe_box(app, form_class):
    """blank_subscribe_box(path): the empty sign-up box, with `path` as its
    source page. Rendering the WTForms fields cost about a third of an
    article render; the box is rendered once per process instead (again on
    every call while templates auto-reload, as in development)."""
    from flask import render_template

    rendered: list[str] = []

    def blank_subscribe_box(path: str) -> Markup:
        if not rendered or app.jinja_env.auto_reload:
            html = render_template("newsletter/_subscribe_form.html", subscribe_form=form_class(formdata=None, source=SOURCE_PLACEHOLDER))
            if f'value="{SOURCE_PLACEHOLDER}"' not in html:
                raise RuntimeError("the sign-up box lost its source field")
            rendered[:] = [html]
        return Markup(rendered[0].replace(f'value="{SOURCE_PLACEHOLDER}"', f'value="{escape(path)}"'))

    return blank_subscribe_box
