"""The one way a test gets an app: `make_app(tmp_path, **settings)`, and the
`app` fixture built on it.

A fresh app and database per test. Settings come in two layers: a module's
defaults (the `app_defaults` fixture; tests/newsletter_support.py gives the
newsletter tests theirs) and one test's own (`app_config`, usually through
`@pytest.mark.parametrize("app_config", [{...}])`).

Tests that only read the demo content/ folder share one import per module
(`demo_app`): importing it takes over a second, and a dozen tests read it.
A test that writes (imports more, deletes from the index) takes `app` and
imports for itself.
"""
from __future__ import annotations

import pytest

from miafeed import create_app
from miafeed.content import import_content
from miafeed.extensions import db

from database_support import database_uri_for

SITE = "http://localhost"

# The app the running test made last. newsletter_support.link() mints the
# preference links a confirmation mail no longer carries with it.
_latest: list = []


def latest_app():
    """The app the running test built last (make_app or the `app` fixture)."""
    return _latest[0]


def make_app(tmp_path, **settings):
    """A fresh app and database in tmp_path/instance; `settings` win over the defaults."""
    instance = tmp_path / "instance"
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_uri_for(instance),
        "WTF_CSRF_ENABLED": False,
        "SITE_URL": SITE,
    } | settings
    app = create_app(config, instance_path=str(instance))
    with app.app_context():
        db.create_all()
    _latest[:] = [app]
    return app


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """An app with the demo content/ folder imported once, for every test of a
    module that reads it and writes nothing."""
    instance = tmp_path_factory.mktemp("demo") / "instance"
    app = make_app(instance.parent, SQLALCHEMY_DATABASE_URI=database_uri_for(instance, for_module=True))
    with app.app_context():
        assert import_content(app.config["CONTENT_DIR"]).added
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_defaults() -> dict:
    """Settings for every test of a module (override the fixture in the module)."""
    return {}


@pytest.fixture
def app_config() -> dict:
    """One test's settings (parametrize it)."""
    return {}


@pytest.fixture
def app(tmp_path, app_defaults, app_config):
    app = make_app(tmp_path, **(app_defaults | app_config))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
