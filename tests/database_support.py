"""Which database the suite runs on, and a fresh one for every test.

By default every test gets its own SQLite file in its temporary instance
folder. With MIAFEED_TEST_DATABASE_URL set to a PostgreSQL server (any
database on it that the user may connect to; the user needs CREATEDB), every
test gets its own database instead: a copy of a template that holds the
schema, made once per session (copying takes about 80 ms, far less than
creating the tables), and dropped when the test ends.
"""
from __future__ import annotations

import gc
import itertools
import os
import tempfile
import warnings

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

SERVER_URL = os.environ.get("MIAFEED_TEST_DATABASE_URL") or None
ON_POSTGRES = SERVER_URL is not None



class PostgresDatabases:
    """Creates and drops the per-test databases on one server."""

    def __init__(self, server_url: str):
        self.server = make_url(server_url)
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.prefix = f"miafeed_test_{os.getpid()}"
        self.counter = itertools.count(1)
        self.template: str | None = None
        self.created: list[str] = []
        self.session_created: list[str] = []
        self.by_instance: dict[str, str] = {}

    def url_for(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql))

    def _build_template(self) -> str:
        from miafeed import create_app
        from miafeed.extensions import db

        name = f"{self.prefix}_template"
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{name}"')
        with tempfile.TemporaryDirectory() as instance:
            app = create_app({"SECRET_KEY": "template", "SQLALCHEMY_DATABASE_URI": self.url_for(name)},
                             instance_path=instance)
            with app.app_context():
                db.create_all()
                db.session.remove()
                db.engine.dispose()
        return name

    def new_database(self, empty: bool = False, for_session: bool = False) -> str:
        """A new database: with the schema, or `empty` (for migrations); kept
        until the test ends, or `for_session` until the session does."""
        if not empty and self.template is None:
            self.template = self._build_template()
        name = f"{self.prefix}_{next(self.counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{"template0" if empty else self.template}"')
        (self.session_created if for_session else self.created).append(name)
        return self.url_for(name)

    def drop_created(self) -> None:
        for name in self.created:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()
        self.by_instance.clear()

    def close(self) -> None:
        self.drop_created()
        self.created, self.session_created = self.session_created, []
        self.drop_created()
        if self.template:
            self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()


_postgres: PostgresDatabases | None = None


def postgres_databases() -> PostgresDatabases:
    global _postgres
    if _postgres is None:
        _postgres = PostgresDatabases(SERVER_URL)
    return _postgres


def database_uri_for(instance, empty: bool = False, for_module: bool = False) -> str:
    """The database URI for a test app whose instance folder is `instance`.

    Apps built on the same instance folder within one test share a database,
    as they would share the SQLite file. `empty` gives a database without
    tables (for migration tests). `for_module` keeps it past the test that
    made it, for a module-scoped fixture (dropped at the end of the session).
    """
    if not ON_POSTGRES:
        return f"sqlite:///{instance}/test.db"
    databases = postgres_databases()
    if for_module:
        return databases.new_database(empty=empty, for_session=True)
    key = f"{instance}|{empty}"
    if key not in databases.by_instance:
        databases.by_instance[key] = databases.new_database(empty=empty)
    return databases.by_instance[key]


def session_database_uri() -> str | None:
    """An empty PostgreSQL database for a whole session (the browser suite's
    server migrates it), or None on SQLite (the server's default file)."""
    return postgres_databases().new_database(empty=True, for_session=True) if ON_POSTGRES else None


def drop_test_databases() -> None:
    """After each test: drop what it created (no-op on SQLite)."""
    if _postgres is not None:
        _collect_abandoned_connections()
        _postgres.drop_created()


def _collect_abandoned_connections() -> None:
    # Apps a test built and let go still hold pooled connections; collect
    # them now, quietly, rather than warn in the middle of a later test (or,
    # for the last tests of a run, at the very end, where the warning would
    # fail the whole run under filterwarnings = error).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def close_test_databases() -> None:
    """At the end of the session: drop the template too."""
    global _postgres
    if _postgres is not None:
        _collect_abandoned_connections()
        _postgres.close()
        _postgres = None
