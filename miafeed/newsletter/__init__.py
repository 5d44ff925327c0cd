"""The newsletter: sign-up, double opt-in, mail queue, digests, privacy.

init_app(app) registers the blueprint, the /privacy page, the CLI groups
`mail`, `digest` and `subscribers`, and the rate limiter. The background
delivery thread is started by gunicorn (see gunicorn.conf.py), not here, so
tests and CLI commands never get a thread they did not ask for.
"""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the newsletter into the app."""
    from ..extensions import limiter
    from ..web import register_health_check
    from . import cli, delivery, signing
    from .forms import SubscribeForm
    from .views import bp, privacy, sample_digest

    signing.check_settings(app.config)
    limiter.init_app(app)
    app.register_blueprint(bp)
    app.add_url_rule("/privacy", "privacy", privacy)
    # Outside /newsletter/ on purpose: the same page for everyone, cacheable
    # like the article pages (the /newsletter/ links are personal, no-store).
    app.add_url_rule("/sample-digest", "sample_digest", sample_digest)
    cli.init_app(app)

    def new_subscribe_form():
        """A blank sign-up form for the partial on pages whose views know nothing about it."""
        return SubscribeForm(formdata=None)

    app.jinja_env.globals["new_subscribe_form"] = new_subscribe_form
    register_health_check(app, "mail_queue", delivery.queue_health)
