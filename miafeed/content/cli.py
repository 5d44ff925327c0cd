"""`flask content import [PATH]` (PATH, or the CONTENT_DIR setting) and
`flask content review-due` (review.py).

Production has no default content folder (the repository's demo articles
and team are for development), so `make db` there imports nothing until
the operator names their own folder.
"""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..extensions import db
from ..models import Article
from . import import_report as report, review
from .check_cli import check_command
from .importer import ImportError_, import_content

content_cli = AppGroup("content", help="Import articles from Markdown files.")


@content_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has articles (used by `make db`).")
@click.option("--prune", is_flag=True, help="Also remove articles whose files are gone from PATH (a content tree); their addresses answer 410 Gone.")
@click.option("--dry-run", is_flag=True, help="Print what the import would add, update, remove and refuse; write nothing.")
def import_command(path: Path | None, if_empty: bool, prune: bool, dry_run: bool) -> None:
    """Validate and import the article file or folder at PATH (default: the CONTENT_DIR setting).

    Adds and updates articles. Articles whose files are gone are listed and
    kept unless --prune is given. PATH may be outside CONTENT_DIR (another
    checkout, a release folder, a folder of new stories), because an article
    is known by its slug and its place inside its own content tree; only a
    folder with categories.yml at or above it can remove articles.
    """
    if not db.inspect(db.engine).has_table(Article.__tablename__):
        click.secho("The database has no tables yet: run `make db` (or `flask --app wsgi db upgrade heads`) first.", fg="red", err=True)
        raise SystemExit(1)
    if path is None:
        configured = current_app.config.get("CONTENT_DIR")
        if not configured:
            message = ("No content folder is set: give PATH, or set MIAFEED_CONTENT_DIR to your content folder "
                       "(production has no default; the repository's demo content is for development).")
            if if_empty:
                click.echo(message + " Nothing imported.")
                return
            click.secho(message, fg="red", err=True)
            raise SystemExit(1)
        path = Path(configured)
    if if_empty and db.session.scalar(select(func.count(Article.id))):
        click.echo("Articles already imported; skipping (--if-empty).")
        return
    try:
        result = import_content(path, prune=prune, dry_run=dry_run)
    except ImportError_ as exc:
        verdict = "Dry run: the import would be refused" if dry_run else "Import refused"
        click.secho(f"{verdict}; nothing was changed. {len(exc.problems)} problem(s):", fg="red", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1)
    for warning in result.warnings:
        click.echo(f"  warning: {warning}", err=True)
    if dry_run:
        report.print_plan(path, result)
        return
    click.echo(
        f"Imported {path}: {len(result.added)} added, {len(result.updated)} updated, "
        f"{len(result.removed)} removed, {result.unchanged} unchanged."
    )
    report.print_renames_and_kept(path, result, prune)


content_cli.add_command(review.review_due_command)
content_cli.add_command(check_command)


def init_app(app) -> None:
    app.cli.add_command(content_cli)
    review.init_app(app)
