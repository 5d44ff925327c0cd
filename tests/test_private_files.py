"""Files in instance/ that hold personal data are owner-only (0600) from the
moment they exist: the SQLite database with its -wal and -shm, the rate-limit
counters (they hold client IP addresses), mailed .eml files, backups and the
generated secret key. Checked under a umask that would make them 0644."""
from __future__ import annotations

import os
import stat

import pytest

from miafeed import create_app
from miafeed.extensions import db
from newsletter_support import SITE, deliver, sign_up


@pytest.fixture
def permissive_umask():
    """The usual umask of a login shell: new files 0644 unless made otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_fresh_instance_folder_keeps_personal_data_owner_only(tmp_path, permissive_umask):
    instance = tmp_path / "instance"
    # As `make run` makes it: the default SQLite database in instance/, a
    # generated secret key, the rate limiter's own file, mail to the outbox.
    app = create_app({"TESTING": True, "SITE_URL": SITE, "SUBSCRIBE_MIN_ANSWER_SECONDS": 0,
                      "MAIL_BACKGROUND_DELIVERY": False}, instance_path=str(instance))
    try:
        with app.app_context():
            db.create_all()
        assert sign_up(app.test_client(), "reader@example.org").status_code == 200
        deliver(app)
        assert app.test_cli_runner().invoke(args=["backup"]).exit_code == 0

        database = instance / "miafeed.db"
        # While the app's connections are open, SQLite keeps its -wal and -shm beside the database.
        private = [database, instance / "miafeed.db-wal", instance / "miafeed.db-shm",
                   instance / "secret_key", instance / "ratelimits.sqlite",
                   *(instance / "outbox").glob("*.eml"), *(instance / "backups").iterdir()]
        assert all(path.exists() for path in private)
        assert len([path for path in private if path.suffix == ".eml"]) == 1
        assert len([path for path in private if path.parent.name == "backups"]) == 1
        assert {path.name: oct(_mode(path)) for path in private} == {path.name: "0o600" for path in private}
        assert _mode(instance / "outbox") == 0o700 and _mode(instance / "backups") == 0o700
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
