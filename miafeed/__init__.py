"""Mia's Feed: create_app() wires config, extensions, blueprints, CLI and errors."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from .settings import PROJECT_ROOT, default_instance_path, load_config


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app.

    Tests pass `test_config`, which replaces instance/config.py and the
    environment, and their own `instance_path` (default: instance/ in the
    repository, or MIAFEED_INSTANCE_PATH).
    """
    app = Flask(
        __name__,
        instance_path=instance_path or default_instance_path(),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, test_config)

    from .extensions import db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)

    from . import database, ratelimit_storage
    from .http import assets, caching, illustrations, metadata, security, unavailable, url_memo, web
    from .serving import access_log, worker_services
    from .articles import bp as articles_bp
    from .content import cli as content_cli
    from .feeds import bp as feeds_bp
    from . import feedback, newsletter, search, site

    database.init_app(app)
    ratelimit_storage.init_app(app)
    access_log.init_app(app)
    worker_services.init_app(app)
    web.init_app(app)
    unavailable.init_app(app)
    metadata.init_app(app)
    security.init_app(app)
    caching.init_app(app)
    assets.init_app(app)
    url_memo.install(app)
    illustrations.init_app(app)
    content_cli.init_app(app)
    app.register_blueprint(articles_bp)
    app.register_blueprint(feeds_bp)
    search.init_app(app)
    newsletter.init_app(app)
    site.init_app(app)
    feedback.init_app(app)
    from . import hosts
    from .operations import backup, stats

    backup.init_app(app)
    stats.init_app(app)
    hosts.init_app(app)
    from . import cli_errors

    cli_errors.init_app(app)  # last: it wraps the commands registered above
    _assemble_wsgi_stack(app)
    return app


def _assemble_wsgi_stack(app: Flask) -> None:
    """The layers a request passes through before Flask, built in one place.

    From the outside in:
    1. WhiteNoise (assets.py) answers /static/ from files, before anything else;
    2. the page cache (caching.py) answers a kept shared page before
       Flask does any work, and keeps what Flask renders for shared pages;
    3. ProxyFix (web.py), when PROXY_HOPS is set, turns X-Forwarded-For and
       -Proto into the reader's address and scheme for the rate limiter and
       the views; nothing outside it needs them;
    4. Flask.
    Each module only builds its layer; the order is decided here.
    """
    from .http import assets, caching, web

    stack = app.wsgi_app
    stack = web.trust_proxies(app, stack)
    stack = caching.wrap(app, stack)
    stack = assets.wrap(app, stack)
    app.wsgi_app = stack
