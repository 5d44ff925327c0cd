"""`flask mail bounces` with a real Maildir: DSNs, complaints, auto-replies.

The bounce mailbox holds what comes back after the relay took a mail. A
5.1.1 DSN stops that reader's digests, a complaint unsubscribes its reader
at once and is counted, an out-of-office reply and a 4.4.1 delay change
nothing, and a second run finds nothing new to apply.
"""
from __future__ import annotations

import mailbox

import pytest

from miafeed.database import write_transaction
from miafeed.extensions import db
from miafeed.newsletter import verp
from miafeed.newsletter.models import Subscriber
from miafeed.newsletter.mail_reports import AUTO_REPLY, COMPLAINT, DELAY, HARD_BOUNCE, read_report
from mail_reports_support import arf, dsn, out_of_office
from newsletter_support import deliver, make_app, smtp_inbox, subscriber  # noqa: F401

READERS = ["gone@example.org", "angry@example.org", "away@example.org", "slow@example.org", "happy@example.org"]


def _add_active_readers(app, addresses=READERS) -> None:
    with app.app_context(), write_transaction():
        for address in addresses:
            db.session.add(Subscriber(email=address, status="active", frequency="weekly", consent_version="v",
                                      consent_source="/", confirmed_at=db.func.now()))


@pytest.fixture
def bounce_box(tmp_path):
    """A real Maildir (new/, cur/, tmp/), as Postfix or Dovecot delivers into."""
    return mailbox.Maildir(tmp_path / "bounces", create=True)


def _run(app):
    result = app.test_cli_runner().invoke(args=["mail", "bounces"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_dsn_a_complaint_an_auto_reply_and_a_delay_each_do_what_they_say_once(tmp_path, bounce_box):
    app = make_app(tmp_path, MAIL_BOUNCE_MAILDIR=bounce_box._path)
    _add_active_readers(app)
    bounce_box.add(dsn("gone@example.org", "failed", "5.1.1", diagnostic="550 5.1.1 User unknown"))
    bounce_box.add(arf("angry@example.org"))
    bounce_box.add(out_of_office("away@example.org"))
    bounce_box.add(dsn("slow@example.org", "delayed", "4.4.1", diagnostic="connection timed out"))

    output = _run(app)
    assert "4 read" in output and "@" not in output.replace("example.org", "")
    statuses = {address: subscriber(app, address).status for address in READERS}
    assert statuses == {"gone@example.org": "bounced", "angry@example.org": "unsubscribed",
                        "away@example.org": "active", "slow@example.org": "active", "happy@example.org": "active"}
    assert subscriber(app, "angry@example.org").complained_at is not None
    assert subscriber(app, "away@example.org").bounce_count == subscriber(app, "slow@example.org").bounce_count == 0
    # Read messages are marked so: moved to cur/ and flagged Seen.
    assert [message.get_subdir() for message in bounce_box] == ["cur"] * 4
    assert all("S" in message.get_flags() for message in bounce_box)
    before = {address: (subscriber(app, address).bounce_count, subscriber(app, address).status) for address in READERS}

    second = _run(app)
    assert "0 read" in second
    after = {address: (subscriber(app, address).bounce_count, subscriber(app, address).status) for address in READERS}
    assert after == before

    stats = app.test_cli_runner().invoke(args=["stats"]).output
    assert "List hygiene" in stats and "@example.org" not in stats
    hygiene = app.test_cli_runner().invoke(args=["stats", "--json"]).output
    assert '"bounced": 1' in hygiene and '"complaints": 1' in hygiene


def test_a_bounce_that_came_back_to_the_verp_address_finds_its_reader_under_another_name(tmp_path, bounce_box):
    # The reader forwards their mail; the DSN names the forward target, not them.
    app = make_app(tmp_path, MAIL_BOUNCE_MAILDIR=bounce_box._path, MAIL_BOUNCE_ADDRESS="bounces@miafeed.test")
    _add_active_readers(app, ["forwarder@example.org", "other@example.org"])
    reader_id = subscriber(app, "forwarder@example.org").id
    bounce_to = verp.envelope_sender(app.config, reader_id)
    bounce_box.add(dsn("old-job@elsewhere.example", "failed", "5.1.1", to=bounce_to))
    # A stranger's forgery for another reader: the tag does not match.
    other_id = subscriber(app, "other@example.org").id
    bounce_box.add(dsn("nobody@elsewhere.example", "failed", "5.1.1", to=f"bounces+{other_id}-000000000000@miafeed.test"))

    output = _run(app)
    assert "1 reader(s) stopped" in output and "1 about no reader" in output
    assert subscriber(app, "forwarder@example.org").status == "bounced"
    assert subscriber(app, "other@example.org").status == "active"


def test_mail_to_readers_goes_out_with_their_verp_envelope_sender(tmp_path, smtp_inbox):
    inbox, port = smtp_inbox
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_BOUNCE_ADDRESS="bounces@miafeed.test")
    from newsletter_support import sign_up

    sign_up(app.test_client(), "reader@example.org")
    deliver(app)
    reader_id = subscriber(app, "reader@example.org").id
    assert [envelope.mail_from for envelope in inbox.envelopes] == [verp.envelope_sender(app.config, reader_id)]
    assert verp.subscriber_in(app.config, [inbox.envelopes[0].mail_from]) == reader_id


def test_a_missing_maildir_is_a_clear_error_not_a_traceback(tmp_path):
    app = make_app(tmp_path, MAIL_BOUNCE_MAILDIR=str(tmp_path / "nowhere"))
    result = app.test_cli_runner().invoke(args=["mail", "bounces"])
    assert result.exit_code == 1 and "not a Maildir" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("raw, kind, recipients", [
    (dsn("a@example.org", "failed", "5.1.1"), HARD_BOUNCE, ["a@example.org"]),
    (dsn("a@example.org", "failed", "4.4.7"), DELAY, ["a@example.org"]),
    (dsn("a@example.org", "delayed", "4.4.1"), DELAY, ["a@example.org"]),
    (arf("a@example.org"), COMPLAINT, ["a@example.org"]),
    (out_of_office("a@example.org"), AUTO_REPLY, []),
], ids=["5.1.1-failed", "4.x.x-failed", "delayed", "arf", "vacation"])
def test_each_kind_of_returned_mail_is_read_for_what_it_is(raw, kind, recipients):
    report = read_report(raw)
    assert report.kind == kind and report.recipients == recipients
