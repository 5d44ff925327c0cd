"""Configuration layering, the secret key, migrations and SQLite settings."""
import os
import stat

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from database_support import database_uri_for
from miafeed import create_app
from miafeed.extensions import db
from miafeed.secrets import ConfigurationError


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("MIAFEED_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_development_key_is_generated_once_with_owner_only_permissions(tmp_path, clean_env):
    first = create_app(instance_path=str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = create_app(instance_path=str(tmp_path))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) >= 32


def test_production_refuses_to_start_without_a_real_key(tmp_path, clean_env):
    clean_env.setenv("MIAFEED_ENV", "production")
    with pytest.raises(ConfigurationError, match="MIAFEED_SECRET_KEY"):
        create_app(instance_path=str(tmp_path))
    assert not (tmp_path / "secret_key").exists()


def test_production_starts_with_a_key_from_the_environment(tmp_path, clean_env):
    clean_env.setenv("MIAFEED_ENV", "production")
    clean_env.setenv("MIAFEED_SECRET_KEY", "k" * 48)
    clean_env.setenv("MIAFEED_SITE_URL", "https://news.example.org")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "k" * 48
    assert app.config["SITE_URL"] == "https://news.example.org"


def test_instance_config_overrides_defaults_and_environment_overrides_both(tmp_path, clean_env):
    (tmp_path / "config.py").write_text("SITE_NAME = 'From instance'\nARTICLES_PER_PAGE = 5\n")
    clean_env.setenv("MIAFEED_ARTICLES_PER_PAGE", "7")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SITE_NAME"] == "From instance"
    assert app.config["ARTICLES_PER_PAGE"] == 7
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/miafeed.db"


def test_migrations_build_the_schema_the_models_describe(tmp_path, clean_env):
    # An empty database of the kind this run uses (SQLite file or PostgreSQL).
    database = database_uri_for(tmp_path, empty=True)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade(revision="heads")
        tables = set(db.inspect(db.engine).get_table_names())
        assert {"articles", "categories", "tags", "article_tags"} <= tables
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
        assert differences == []


def test_upgrading_a_live_database_keeps_its_subscribers_and_queued_mail(tmp_path, clean_env):
    """A database from before the public ids, topics and bounces: the upgrade
    rebuilds `subscribers` (on SQLite), which must not cascade into the mail
    queue that points at it."""
    database = database_uri_for(tmp_path, empty=True)
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade(revision="0002_newsletter")
        upgrade(revision="0003_related")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO subscribers (id, email, frequency, status, created_at, consent_version, consent_source, "
                "token_nonce) VALUES (1, 'kept@example.org', 'weekly', 'active', '2026-01-01', 'v1', '/', 'n')"
            ))
            connection.execute(text(
                "INSERT INTO outgoing_mail (subscriber_id, kind, to_address, subject, message, status, attempts, "
                "next_attempt_at, created_at) VALUES (1, 'digest', 'kept@example.org', 'Your weekly digest', 'text', "
                "'queued', 0, '2026-01-01', '2026-01-01')"
            ))
        upgrade(revision="heads")
        with db.engine.connect() as connection:
            mail = connection.execute(text("SELECT to_address, status FROM outgoing_mail")).all()
            subscriber = connection.execute(text("SELECT email, public_id FROM subscribers")).one()
        db.engine.dispose()
    assert mail == [("kept@example.org", "queued")]
    assert subscriber.email == "kept@example.org" and len(subscriber.public_id) >= 16


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
