"""CLI groups: `mail deliver|retry`, `digest send`, `subscribers export|delete`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from . import subscriptions
from .mail_queue import requeue_failed
from .sending import deliver_due
from .digests import send_digests
from .frequencies import FREQUENCIES, period_key

mail_cli = AppGroup("mail", help="The outgoing mail queue.")
digest_cli = AppGroup("digest", help="Newsletter digests (run from cron).")
subscribers_cli = AppGroup("subscribers", help="A subscriber's data: export or erase.")


@mail_cli.command("deliver")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many mails.")
def deliver_command(limit: int | None) -> None:
    """Send every queued mail that is due (SMTP, or instance/outbox/)."""
    report = deliver_due(current_app._get_current_object(), limit=limit)
    click.echo(f"Mail: {report.sent} sent, {report.retrying} to retry later, {report.failed} failed.")
    if report.relay_refused:
        click.secho(f"Delivery is paused: the mail server refuses every mail ({report.relay_refused}). "
                    "Check MAIL_SERVER and its login; delivery resumes by itself once it takes mail.", fg="red", err=True)


@mail_cli.command("bounces")
def bounces_command() -> None:
    """Apply the bounce mailbox's DSNs and complaints (MAIL_BOUNCE_MAILDIR and/or
    MAIL_BOUNCE_IMAP_HOST), then mark them read. For a systemd timer or cron."""
    from .bounce_imap import ImapTrouble, read_imap
    from .bounce_mailbox import BounceRun, read_maildir

    config = current_app.config
    if not (config.get("MAIL_BOUNCE_MAILDIR") or config.get("MAIL_BOUNCE_IMAP_HOST")):
        click.secho("No bounce mailbox set: set MAIL_BOUNCE_MAILDIR or MAIL_BOUNCE_IMAP_HOST (see "
                    "docs/operations.md, Bounces and complaints).", fg="red", err=True)
        raise SystemExit(1)
    run = BounceRun()
    try:
        if config.get("MAIL_BOUNCE_MAILDIR"):
            read_maildir(Path(config["MAIL_BOUNCE_MAILDIR"]), run)
        if config.get("MAIL_BOUNCE_IMAP_HOST"):
            read_imap(run)
    except (OSError, ImapTrouble) as exc:
        click.echo(run.summary())
        click.secho(f"Could not read the bounce mailbox: {exc}", fg="red", err=True)
        raise SystemExit(1)
    click.echo(run.summary())


@mail_cli.command("retry")
def retry_command() -> None:
    """Requeue every failed mail (after a long mail-server outage, say)."""
    report = requeue_failed()
    click.echo(f"Mail: {report.requeued} requeued, {report.skipped} left failed (unsubscribed, or a newer digest replaces it).")
    if report.requeued:
        click.echo("They go out with the next delivery (the workers' thread, or `mail deliver`).")


@digest_cli.command("send")
@click.option("--frequency", type=click.Choice(FREQUENCIES), required=True)
@click.option("--dry-run", is_flag=True, help="Print who would get how many articles; send nothing.")
def digest_send_command(frequency: str, dry_run: bool) -> None:
    """Queue this period's digest for every active FREQUENCY subscriber."""
    # click shows the bar only on a terminal; cron's log gets the summary line alone.
    with click.progressbar(length=_count_due(frequency), label=f"{frequency} digest", file=sys.stderr) as bar:
        summary = send_digests(frequency, dry_run=dry_run, on_progress=bar.update)
    if dry_run:
        for email, count in summary.planned:
            click.echo(f"would send {email}: {count} article(s)")
        click.echo(f"Dry run, {frequency}: {summary.sent} would be sent, {summary.skipped} skipped (nothing new).")
        return
    click.echo(f"Digest {frequency}: {summary.sent} sent, {summary.skipped} skipped, {summary.failed} failed.")
    if summary.failed:
        raise SystemExit(1)


def _count_due(frequency: str) -> int:
    from .digests import _pending_ids
    from ..clock import utcnow

    return len(_pending_ids(frequency, period_key(frequency, utcnow())))


def _find_or_exit(email: str):
    subscriber = subscriptions.find_by_email(email)
    if subscriber is None:
        click.secho(f"No subscriber with the address {email!r}; nothing done.", fg="red", err=True)
        raise SystemExit(1)
    return subscriber


@subscribers_cli.command("export")
@click.argument("email")
def export_command(email: str) -> None:
    """Print everything stored about EMAIL as JSON."""
    click.echo(json.dumps(subscriptions.export(_find_or_exit(email)), indent=2))


@subscribers_cli.command("delete")
@click.argument("email")
def delete_command(email: str) -> None:
    """Erase EMAIL and every mail queued to it."""
    result = subscriptions.erase(_find_or_exit(email))
    click.echo(f"Erased {email}: the subscriber, {result.mails} mail record(s), {result.outbox_files} outbox file(s).")
    if not result.wiped_from_disk:
        click.secho(
            "Deleted, but a web worker was reading an older snapshot, so SQLite's -wal file still holds old "
            "copies of the rows. They go at the next full checkpoint; to force it now, run "
            "`sqlite3 instance/miafeed.db 'PRAGMA wal_checkpoint(TRUNCATE)'` when the site is quiet.",
            fg="yellow", err=True,
        )


def init_app(app) -> None:
    """Register the newsletter's CLI groups."""
    for group in (mail_cli, digest_cli, subscribers_cli):
        app.cli.add_command(group)
