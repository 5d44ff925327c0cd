"""What `flask content import` prints about a plan (--dry-run), about
renamed articles, and about articles kept because --prune was not given."""
from __future__ import annotations

from pathlib import Path

import click

from .importer import ImportResult


def print_plan(path: Path, result: ImportResult) -> None:
    """The whole plan of a dry run: every slug by what would happen to it."""
    click.echo(f"Dry run of {path}: nothing was written.")
    moved = {new: old for old, new in result.renamed}
    for kind in ("added", "updated", "removed", "unchanged"):
        slugs = result.slugs[kind]
        click.echo(f"Would be {kind} ({len(slugs)}):" if kind != "unchanged" else f"Unchanged ({len(slugs)}):")
        for slug in slugs:
            note = f"  (was {moved[slug]}; the old address would redirect)" if slug in moved else ""
            click.echo(f"  {slug}{note}")
    if result.kept:
        click.echo(f"Kept, files gone, removed only with --prune ({len(result.kept)}):")
        for slug, stored in result.kept:
            click.echo(f"  {slug}  ({stored})")
    for change in result.category_changes:
        click.echo(f"Would be done: {change}")
    _say_when_not_a_tree(path, result)
    click.echo("Problems (0): none; the import would be accepted.")


def print_renames_and_kept(path: Path, result: ImportResult, prune: bool) -> None:
    """After a real import: slugs that moved, and what --prune would remove."""
    for old, new in result.renamed:
        click.echo(f"Renamed {old} -> {new}: /articles/{old} now redirects to /articles/{new}.")
    for change in result.category_changes:
        click.echo(change[0].upper() + change[1:] + ".")
    if result.removed:
        click.echo("Removed articles' addresses answer 410 Gone with a short page.")
    if result.kept:
        click.echo(f"{len(result.kept)} article(s) whose files are gone from {path} were kept:")
        for slug, stored in result.kept:
            click.echo(f"  {slug}  ({stored})")
        click.echo(f"To remove them, run `flask content import {path} --prune` "
                   "(add --dry-run first to see the whole plan); their addresses will answer 410 Gone.")
    _say_when_not_a_tree(path, result)


def _say_when_not_a_tree(path: Path, result: ImportResult) -> None:
    if not result.is_tree and Path(path).is_dir():
        click.echo(f"{path} has no categories.yml at or above it, so it is not a content tree: "
                   "it can add and update articles, never remove any (even with --prune).")
