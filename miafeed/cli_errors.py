"""Every `flask ...` command of ours ends with one clear line, not a traceback,
when the machine cannot do what it asked: the database busy past its wait,
away, or on a full or read-only disk, a file that cannot be written.

The operator (or cron's mail) gets "Error: digest send could not finish:
database or disk is full. ..." and exit status 1 (click's own
ClickException). Whatever was written before stays written: every write
is a whole transaction (write_transaction), so the failed one left
nothing behind and the command can simply be run again. A bug (any other
exception) keeps its traceback: it is for a developer, not a full disk.
"""
from __future__ import annotations

import functools

import click

from .database import is_write_unavailable, short_reason


def _one_line_on_failure(name: str, callback):
    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except Exception as error:
            if not (is_write_unavailable(error) or isinstance(error, OSError)):
                raise
            raise click.ClickException(
                f"{name} could not finish: {short_reason(error)}. What it wrote before this was kept; "
                "nothing of the step that failed was. Free the disk or wait for the database, then run it again."
            ) from None
    return run


def _wrap(group: click.Group, prefix: str) -> None:
    for name, command in group.commands.items():
        path = f"{prefix} {name}".strip()
        if isinstance(command, click.Group):
            _wrap(command, path)
        elif command.callback is not None and not getattr(command.callback, "_one_line_errors", False):
            command.callback = _one_line_on_failure(path, command.callback)
            command.callback._one_line_errors = True


def init_app(app) -> None:
    """Wrap every command registered on app.cli (call after they all are)."""
    _wrap(app.cli, "")
