"""`flask search reindex` and `flask search ensure`."""
from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from . import follow, indexing, misses, related, store

search_cli = AppGroup("search", help="Build and check the full-text search index.")


def _with_progress(label: str, work):
    """Run work(progress) with a progress bar when stdout is a terminal."""
    if not sys.stdout.isatty():
        return work(None)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label=label, show_eta=True, show_pos=True)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        return work(progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _rebuild_with_progress(procs: int | None) -> indexing.RebuildReport:
    # Through follow, so the host records which logged changes the new index holds.
    return _with_progress("Indexing articles", lambda progress: follow.rebuild_index(progress=progress, procs=procs).rebuild)


@search_cli.command("reindex")
@click.option("--procs", type=click.IntRange(1, 16), default=None, help="Processes that analyse text (default: SEARCH_WRITER_PROCS).")
def reindex_command(procs: int | None) -> None:
    """Rebuild the index from the database into a new folder, then swap it in.

    Readers keep searching the old index until the new one is complete; a
    killed rebuild leaves the old index in place.
    """
    report = _rebuild_with_progress(procs)
    rate = report.documents / report.seconds if report.seconds else 0
    click.echo(f"Indexed {report.documents} articles in {report.seconds:.1f}s ({rate:.0f}/s, {report.procs} process(es)) into {report.path}.")
    _recompute_related()


def _recompute_related() -> None:
    count = _with_progress("Related articles ", lambda progress: related.recompute(progress=progress))
    click.echo(f"Computed related articles for {count} articles in {related.recompute.last_seconds:.1f}s.")


@search_cli.command("ensure")
def ensure_command() -> None:
    """Build the index only if it is missing or behind the database (fast when fine)."""
    # Current means: built from the database as it is, and following the
    # change log from a recorded position (an index from before the log
    # existed has none, and is rebuilt once).
    if indexing.index_is_current() and follow.read_position(store.search_root()) is not None:
        click.echo("Search index is up to date.")
        return
    click.echo("Search index is missing or out of date; rebuilding.")
    report = _rebuild_with_progress(None)
    click.echo(f"Indexed {report.documents} articles in {report.seconds:.1f}s.")
    _recompute_related()


@search_cli.command("follow")
@click.option("--once", is_flag=True, help="Catch up once and exit, instead of following until stopped.")
def follow_command(once: bool) -> None:
    """Keep this host's index in step with the database's change log.

    For running the follower as its own service (with SEARCH_FOLLOW_IN_WEB
    off); by default the gunicorn workers already do this.
    """
    interval = float(current_app.config["SEARCH_FOLLOW_SECONDS"])
    while True:
        report = follow.catch_up()
        if report.rebuilt:
            click.echo(f"Built the index from the database; following from change {report.position}.")
        elif report.applied or once:
            click.echo(f"Applied {report.applied} change(s); at change {report.position}.")
        if once:
            return
        time.sleep(interval)


@search_cli.command("misses")
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True, help="How many days back to count, today included.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True, help="Show at most this many queries.")
def misses_command(days: int, limit: int) -> None:
    """List searches that found nothing, most frequent first.

    Only the words searched and the day are kept (never who searched), for
    SEARCH_MISS_RETENTION_DAYS days, and only for queries asked by
    SEARCH_MISS_MIN_SEARCHES searches; nothing with a digit, "@" or a web
    address is ever recorded.
    """
    misses.prune()
    rows = misses.top_misses(days, limit)
    if not rows:
        click.echo(f"No searches found nothing in the last {days} day(s) (a query is listed once "
                   f"{current_app.config['SEARCH_MISS_MIN_SEARCHES']} searches asked it).")
        return
    click.echo(f"Searches that found nothing in the last {days} day(s), most frequent first:")
    width = len(str(rows[0][1]))
    for query, count in rows:
        click.echo(f"{count:>{width}}  {query}")


def init_app(app) -> None:
    """Add the `search` command group to `flask`."""
    app.cli.add_command(search_cli)
