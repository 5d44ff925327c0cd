"""`flask content check [PATH]`: the editor's check (check.py) over a whole
content folder, without importing anything."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from .categories import find_categories_file
from .check import check_article
from .importer import collect_article_files
from .pages import pages_folder_for
from .parse import FileProblem, parse_article_file


@click.command("check")
@click.argument("path", type=click.Path(path_type=Path), required=False)
def check_command(path: Path | None) -> None:
    """Warn about articles at PATH (default: the CONTENT_DIR setting) that a
    careful reader would catch; exits 1 when there is any warning."""
    if path is None:
        configured = current_app.config.get("CONTENT_DIR")
        if not configured:
            raise click.UsageError("No content folder is set: give PATH, or set MIAFEED_CONTENT_DIR.")
        path = Path(configured)
    if not path.exists():
        raise click.UsageError(f"{path} does not exist.")
    skip = pages_folder_for(find_categories_file(path.resolve()))
    files = collect_article_files(path.resolve(), skip=skip)
    found: list[FileProblem] = []
    for file in files:
        outcome = parse_article_file(file)
        found += outcome.problems
        if outcome.article:
            found += check_article(outcome.article)
    for problem in found:
        click.echo(f"  {problem}")
    click.echo(f"Checked {len(files)} article(s): {len(found)} warning(s).")
    if found:
        raise SystemExit(1)
