"""`flask mail bounces` against a real IMAP server: Debian's Dovecot, started
as a non-root process in a temporary folder (tests/services.py).

The same four returns as the Maildir test (a 5.1.1 DSN, a complaint, an
out-of-office reply, a 4.4.1 delay), put in the folder over IMAP: one reader
stopped, one unsubscribed, two unchanged, each message flagged \\Seen, and
a second run applies nothing twice.
"""
from __future__ import annotations

import imaplib
import os

import pytest

from miafeed.database import write_transaction
from miafeed.extensions import db
from miafeed.newsletter.models import Subscriber
from mail_reports_support import arf, dsn, out_of_office
from newsletter_support import free_port, make_app, subscriber

READERS = ["gone@example.org", "angry@example.org", "away@example.org", "slow@example.org"]


@pytest.fixture
def imap_server():
    import services

    try:
        server = services.start_dovecot(free_port())
    except services.ServiceMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    yield server
    server.stop()


def _imap(server):
    import services

    connection = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    connection.login(services.IMAP_USER, services.IMAP_PASSWORD)
    return connection


def test_the_imap_bounce_folder_is_applied_once_and_each_message_flagged_seen(tmp_path, imap_server):
    import services

    with _imap(imap_server) as imap:
        imap.create("Bounces")
        for raw in (dsn("gone@example.org", "failed", "5.1.1"), arf("angry@example.org"),
                    out_of_office("away@example.org"), dsn("slow@example.org", "delayed", "4.4.1")):
            assert imap.append("Bounces", None, None, raw)[0] == "OK"
    app = make_app(tmp_path, MAIL_BOUNCE_IMAP_HOST="127.0.0.1", MAIL_BOUNCE_IMAP_PORT=imap_server.port,
                   MAIL_BOUNCE_IMAP_USER=services.IMAP_USER, MAIL_BOUNCE_IMAP_PASSWORD=services.IMAP_PASSWORD,
                   MAIL_BOUNCE_IMAP_FOLDER="Bounces", MAIL_BOUNCE_IMAP_TLS="none")
    with app.app_context(), write_transaction():
        for address in READERS:
            db.session.add(Subscriber(email=address, status="active", frequency="weekly", consent_version="v",
                                      consent_source="/", confirmed_at=db.func.now()))

    first = app.test_cli_runner().invoke(args=["mail", "bounces"])
    assert first.exit_code == 0, first.output
    assert "4 read" in first.output
    assert [subscriber(app, address).status for address in READERS] == ["bounced", "unsubscribed", "active", "active"]
    with _imap(imap_server) as imap:
        imap.select("Bounces")
        assert imap.uid("SEARCH", None, "UNSEEN")[1] == [b""]
        assert len(imap.uid("SEARCH", None, "SEEN")[1][0].split()) == 4
    counts = [subscriber(app, address).bounce_count for address in READERS]

    second = app.test_cli_runner().invoke(args=["mail", "bounces"])
    assert second.exit_code == 0 and "0 read" in second.output
    assert [subscriber(app, address).bounce_count for address in READERS] == counts


def test_a_refused_imap_login_is_a_clear_error_that_does_not_show_the_password(tmp_path, imap_server):
    import services

    app = make_app(tmp_path, MAIL_BOUNCE_IMAP_HOST="127.0.0.1", MAIL_BOUNCE_IMAP_PORT=imap_server.port,
                   MAIL_BOUNCE_IMAP_USER=services.IMAP_USER, MAIL_BOUNCE_IMAP_PASSWORD="not-the-password",
                   MAIL_BOUNCE_IMAP_TLS="none")
    result = app.test_cli_runner().invoke(args=["mail", "bounces"])
    assert result.exit_code == 1
    assert "refused the login" in result.output and "not-the-password" not in result.output
    assert "Traceback" not in result.output
