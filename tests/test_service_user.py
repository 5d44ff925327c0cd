"""A command run as root against the service user's instance folder is warned
before it writes anything there."""
from __future__ import annotations

import os

import click

from database_support import database_uri_for
from miafeed import create_app
from miafeed.operations.service_user import ownership_warning

NOBODY = 65534


def someone_elses_folder(tmp_path):
    """A folder owned by another user than root (as root: chown it to nobody)."""
    folder = tmp_path / "instance"
    folder.mkdir()
    if os.geteuid() == 0:
        os.chown(folder, NOBODY, -1)
    return folder


def test_root_against_another_users_instance_is_warned_with_the_command_to_run_instead(tmp_path):
    folder = someone_elses_folder(tmp_path)
    warning = ownership_warning(folder, euid=0)
    assert warning.startswith(f"Warning: running as root, but {folder} belongs to ")
    assert "cannot write them any more" in warning and "sudo -u " in warning


def test_the_command_to_run_instead_loads_the_sites_settings(tmp_path):
    # Without them the command would run in development mode against a
    # default database. deploy/site's layout: shared/miafeed.env beside shared/instance/.
    folder = someone_elses_folder(tmp_path)
    warning = ownership_warning(folder, euid=0)
    assert ". /etc/miafeed/miafeed.env;" in warning and f"MIAFEED_INSTANCE_PATH={folder};" in warning
    (tmp_path / "miafeed.env").write_text("MIAFEED_ENV=production\n")
    assert f". {tmp_path / 'miafeed.env'};" in ownership_warning(folder, euid=0)


def test_no_warning_for_the_owner_or_a_root_owned_instance(tmp_path):
    folder = someone_elses_folder(tmp_path)
    assert ownership_warning(folder, euid=folder.stat().st_uid or 1000) is None
    root_owned = tmp_path / "root-owned"
    root_owned.mkdir()
    if os.geteuid() == 0:
        assert ownership_warning(root_owned, euid=0) is None


def test_a_cli_command_prints_the_warning_before_the_app_is_built(tmp_path, capsys, monkeypatch):
    folder = someone_elses_folder(tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    config = {"TESTING": True, "SECRET_KEY": "k", "SITE_URL": "http://localhost",
              "SQLALCHEMY_DATABASE_URI": database_uri_for(folder)}
    create_app(config, instance_path=str(folder))  # gunicorn's way: no command, no warning
    assert "Warning" not in capsys.readouterr().err
    with click.Context(click.Command("stats")):
        create_app(config, instance_path=str(folder))
    assert "Warning: running as root" in capsys.readouterr().err
