"""`flask feedback list|handled|prune`: what readers told us, per article."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..http.web import format_date
from . import store
from .models import HELPFUL

feedback_cli = AppGroup("feedback", help="Reader feedback: helpful answers and problem reports.")


@feedback_cli.command("list")
@click.option("--article", "article_slug", metavar="SLUG", help="Only this article's feedback.")
def list_command(article_slug: str | None) -> None:
    """Every kept answer, per article, newest first."""
    groups = store.feedback_by_article(article_slug)
    if not groups:
        where = f" for {article_slug}" if article_slug else ""
        click.echo(f"No feedback{where} (answers are kept {store.keep_days()} days).")
        return
    for number, group in enumerate(groups):
        if number:
            click.echo("")
        click.echo(
            f"{group.slug}: {group.yes} helpful, {group.no} not helpful, "
            f"{len(group.problems)} problem report(s), {group.open_problems} open"
        )
        for entry in group.entries:
            click.echo(f"  {_describe(entry)}")


def _describe(entry) -> str:
    day = format_date(entry.received_on)
    if entry.kind == HELPFUL:
        return f"#{entry.id}  {day}  helpful: {'yes' if entry.helpful else 'no'}"
    state = f"handled {format_date(entry.handled_at)}" if entry.handled_at else "open"
    text = entry.text.replace("\n", " / ") if entry.text else "(no text)"
    return f"#{entry.id}  {day}  problem, {state}: {text}"


@feedback_cli.command("handled")
@click.argument("feedback_id", metavar="ID", type=click.IntRange(min=1))
def handled_command(feedback_id: int) -> None:
    """Mark problem report ID (from `feedback list`) handled."""
    try:
        entry, was_open = store.mark_handled(feedback_id)
    except store.NotAProblemReport as exc:
        raise click.ClickException(str(exc)) from None
    if was_open:
        click.echo(f"Problem report #{entry.id} on {entry.article_slug} is marked handled.")
    else:
        click.echo(f"Problem report #{entry.id} was already handled on {format_date(entry.handled_at)}.")


@feedback_cli.command("prune")
def prune_command() -> None:
    """Delete answers older than FEEDBACK_KEEP_DAYS (every new answer does this too)."""
    removed = store.prune()
    click.echo(f"Feedback: {removed} answer(s) older than {store.keep_days()} days deleted.")


def init_app(app) -> None:
    app.cli.add_command(feedback_cli)
