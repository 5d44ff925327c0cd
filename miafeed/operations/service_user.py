"""A warning for the operator who runs a command as root against an
instance folder owned by the service user.

Every file a command writes in instance/ (the SQLite database, its WAL,
the search index, the outbox, backups) would then belong to root, and the
`User=miafeed` service could no longer write it: the site breaks at the
next write, long after the command that caused it. The command still runs
(root may mean it, e.g. to repair ownership); it is told first.
"""
from __future__ import annotations

import os
import pwd
import shlex
import sys
from pathlib import Path

import click


def ownership_warning(instance: Path, euid: int | None = None) -> str | None:
    """The warning to print when `euid` (default: this process's) is root and
    `instance` belongs to someone else, else None."""
    euid = os.geteuid() if euid is None else euid
    try:
        owner = instance.stat().st_uid
    except OSError:
        return None
    if euid != 0 or owner == 0:
        return None
    try:
        name = pwd.getpwuid(owner).pw_name
    except KeyError:
        name = str(owner)
    settings = settings_file_for(instance)
    return (f"Warning: running as root, but {instance} belongs to {name}. Files this command writes there "
            f"will be root's and the service (User={name}) cannot write them any more. "
            f"Run it as the service user, with the site's settings ({settings}) loaded: "
            f"sudo -u {name} sh -c {shlex.quote(f'set -a; . {settings}; MIAFEED_INSTANCE_PATH={instance}; set +a; exec {_command_line()}')}")


# Where deploy/site and the systemd units read the settings from.
SYSTEM_SETTINGS = "/etc/miafeed/miafeed.env"


def settings_file_for(instance: Path) -> str:
    """The settings file of the site whose instance folder this is:
    ROOT/shared/miafeed.env beside ROOT/shared/instance (deploy/site's
    layout) when it exists, else /etc/miafeed/miafeed.env. Without it the
    command would run in development mode against a default database."""
    beside = instance.parent / "miafeed.env"
    return str(beside) if beside.is_file() else SYSTEM_SETTINGS


def _command_line() -> str:
    return shlex.join(sys.argv)


def warn_if_root_against_service_instance(app) -> None:
    """Print the warning (stderr) when a CLI command is about to run as root
    against a service user's instance folder. Called from create_app only
    when a click command is running, so gunicorn never pays for it."""
    if click.get_current_context(silent=True) is None:
        return
    warning = ownership_warning(Path(app.instance_path))
    if warning:
        click.secho(warning, fg="yellow", err=True)
