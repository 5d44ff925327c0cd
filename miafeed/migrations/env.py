"""Alembic environment for Mia's Feed, run through `flask --app wsgi db ...`.

It takes the engine and the table metadata from the running Flask app, so
migrations always target the database the app is configured for.
"""
import logging

from alembic import context
from flask import current_app

logger = logging.getLogger("alembic.env")


def _metadata():
    return current_app.extensions["migrate"].db.metadata


def run_migrations_offline() -> None:
    """Print SQL instead of running it (`flask db upgrade --sql`)."""
    url = current_app.extensions["migrate"].db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=_metadata(), literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty_autogenerate(_context, _revision, directives):
        # `flask db migrate` with no model changes should not write an empty file.
        if getattr(context.config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    engine = current_app.extensions["migrate"].db.engine
    from miafeed.database import foreign_keys_held_for_migration

    with engine.connect() as connection, foreign_keys_held_for_migration(connection):
        context.configure(connection=connection, target_metadata=_metadata(), **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
