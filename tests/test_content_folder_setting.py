"""The content folder: the demo in development, nothing in production
unless the operator names their own (MIAFEED_CONTENT_DIR)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from database_support import database_uri_for
from miafeed import create_app
from miafeed.settings import PROJECT_ROOT
from miafeed.extensions import db
from miafeed.models import Article, Author


@pytest.fixture
def production(tmp_path, monkeypatch):
    """A production app from the environment, the way the service builds it."""
    for name in list(os.environ):
        if name.startswith("MIAFEED_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MIAFEED_ENV", "production")
    monkeypatch.setenv("MIAFEED_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("MIAFEED_SITE_URL", "https://news.example.org")
    monkeypatch.setenv("MIAFEED_SQLALCHEMY_DATABASE_URI", database_uri_for(tmp_path / "instance"))

    def build() -> "Flask":  # noqa: F821
        app = create_app(instance_path=str(tmp_path / "instance"))
        with app.app_context():
            db.create_all()
        return app

    return build


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(Article.id))), db.session.scalar(select(func.count(Author.id))))


def test_development_defaults_to_the_demo_content(app):
    assert Path(app.config["CONTENT_DIR"]) == PROJECT_ROOT / "content"


def test_production_imports_nothing_without_a_content_folder(production):
    app = production()
    assert app.config["CONTENT_DIR"] is None
    result = app.test_cli_runner().invoke(args=["content", "import", "--if-empty"])
    assert result.exit_code == 0
    assert "No content folder is set" in result.output and "Nothing imported." in result.output
    assert counts(app) == (0, 0)  # neither the demo articles nor the demo team


def test_production_without_if_empty_says_what_to_set(production):
    app = production()
    result = app.test_cli_runner().invoke(args=["content", "import"])
    assert result.exit_code == 1
    assert "set MIAFEED_CONTENT_DIR" in result.output


def test_production_imports_the_operators_folder_when_it_is_set(production, content, monkeypatch):
    content.write("ours", title="Our own article")
    monkeypatch.setenv("MIAFEED_CONTENT_DIR", str(content.root))
    app = production()
    result = app.test_cli_runner().invoke(args=["content", "import", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output
    assert counts(app)[0] == 1
