"""Where the site's settings come from, in one place: the defaults in
config.py, then instance/config.py, then MIAFEED_* variables (or a test's
dict), and the few settings worked out from others.

Its own module, below the app factory, so gunicorn's master hooks
(serving/master_hooks.py) can check the settings without building the site
or importing the package's face.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from . import config as default_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill `app.config`: defaults, then instance/config.py and MIAFEED_*
    (or `test_config` alone on top of the defaults), then derived settings."""
    from .secrets import ensure_secret_key

    app.config.from_object(default_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("MIAFEED")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        from .database import default_sqlite_uri

        app.config["SQLALCHEMY_DATABASE_URI"] = default_sqlite_uri(app.instance_path)
    if not app.config.get("CONTENT_DIR") and app.config.get("ENV") != "production":
        # The demo articles and team: a development default only, so a
        # production database starts empty (see content/cli.py).
        app.config["CONTENT_DIR"] = str(PROJECT_ROOT / "content")
    from .operations.service_user import warn_if_root_against_service_instance

    # Before anything below writes to instance/ (the generated secret key).
    warn_if_root_against_service_instance(app)
    ensure_secret_key(app)
    from .http.site_url import resolve_site_url

    app.config["SITE_URL"], app.config["SITE_URL_SOURCE"] = resolve_site_url(app.config, app.instance_path)


def load_settings(instance_path: str | None = None) -> Flask:
    """A bare app with the layered settings and nothing else: what gunicorn's
    master checks before it binds, without building the site."""
    app = Flask("miafeed", instance_path=instance_path or default_instance_path(), instance_relative_config=True)
    load_config(app, None)
    return app


def default_instance_path() -> str:
    """instance/ in the repository, unless MIAFEED_INSTANCE_PATH moves it."""
    return os.environ.get("MIAFEED_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
