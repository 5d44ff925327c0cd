"""/privacy, and a reader's data export and erasure from the CLI."""
from __future__ import annotations

import json

import pytest

from miafeed.newsletter import subscriptions, tokens
from newsletter_support import app, app_config, app_defaults, queued_mail, sign_up, subscriber  # noqa: F401


def test_privacy_page_says_what_is_stored_why_how_long_and_how_to_leave(client):
    response = client.get("/privacy")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for heading in ("What we store when you sign up", "Why", "For how long", "Unsubscribing", "Seeing or erasing your data"):
        assert f"<h2>{heading}</h2>" in page
    assert "We do not store your IP address" in page


def test_export_prints_everything_stored_as_json(app, client, runner):
    sign_up(client, "Export@Example.org", "monthly")
    result = runner.invoke(args=["subscribers", "export", "export@example.org"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["email"] == "export@example.org"
    assert data["status"] == "pending" and data["frequency"] == "monthly"
    assert data["created_at"].endswith("Z") and data["confirmed_at"] is None and data["unsubscribed_at"] is None
    assert data["consent"] == {"version": subscriptions.CONSENT_VERSION, "source_page": "/articles/a-study"}
    assert [mail["kind"] for mail in data["mail"]] == ["confirm"]


def test_delete_erases_the_subscriber_and_their_queued_mail_and_revokes_links(app, client, runner):
    sign_up(client, "erase@example.org")
    sign_up(client, "keep@example.org")
    with app.app_context():
        token = tokens.make_token(tokens.UNSUBSCRIBE, subscriptions.find_by_email("erase@example.org"))
    result = runner.invoke(args=["subscribers", "delete", "erase@example.org"])
    assert result.exit_code == 0
    assert "Erased erase@example.org" in result.output
    assert subscriber(app, "erase@example.org") is None
    assert queued_mail(app, "erase@example.org") == []
    assert len(queued_mail(app, "keep@example.org")) == 1
    assert client.get(f"/newsletter/unsubscribe/{token}").status_code == 410


def test_unknown_address_exits_non_zero_with_a_clear_message(runner):
    for command in ("export", "delete"):
        result = runner.invoke(args=["subscribers", command, "nobody@example.org"])
        assert result.exit_code == 1
        assert "No subscriber with the address 'nobody@example.org'" in result.output


def _on_disk(app) -> bytes:
    from pathlib import Path

    database = Path(app.instance_path) / "test.db"
    return b"".join(path.read_bytes() for path in (database, Path(f"{database}-wal")) if path.exists())


def test_delete_removes_their_outbox_files_and_keeps_everyone_elses(app, client, runner):
    from pathlib import Path

    from newsletter_support import deliver

    sign_up(client, "gone@example.org")
    sign_up(client, "stays@example.org")
    deliver(app)
    outbox = Path(app.instance_path) / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 2
    result = runner.invoke(args=["subscribers", "delete", "gone@example.org"])
    assert "1 outbox file(s)" in result.output
    remaining = [path.read_bytes() for path in outbox.glob("*.eml")]
    assert len(remaining) == 1 and b"To: stays@example.org" in remaining[0]
    assert not any(b"gone@example.org" in body for body in remaining)


@pytest.mark.sqlite_only
def test_a_deleted_address_cannot_be_read_back_from_the_database_file_or_its_wal(app, client, runner):
    from newsletter_support import deliver

    sign_up(client, "secret-reader@example.org")
    for number in range(20):
        sign_up(client, f"other{number}@example.org")
    deliver(app)
    assert b"secret-reader@example.org" in _on_disk(app)  # the check can see it while it is there
    result = runner.invoke(args=["subscribers", "delete", "secret-reader@example.org"])
    assert result.exit_code == 0
    stored = _on_disk(app)
    assert b"secret-reader" not in stored
    assert b"other7@example.org" in stored


@pytest.mark.sqlite_only
def test_every_sqlite_connection_overwrites_deleted_rows(app):
    # Debian's SQLite is built with secure_delete on; python.org's and
    # macOS's are not, so the connect hook turns it on everywhere.
    from sqlalchemy import text

    from miafeed.extensions import db

    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            assert connection.cursor().execute("PRAGMA secure_delete").fetchone() == (1,)
        finally:
            connection.close()
        assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1
