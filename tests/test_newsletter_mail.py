"""The mail queue and its delivery: SMTP through a real aiosmtpd server,
the outbox folder, retries, and never sending one mail twice."""
from __future__ import annotations

from pathlib import Path
from email import message_from_bytes
from email.policy import default as default_policy

from miafeed.newsletter.delivery import BackgroundDelivery
from miafeed.newsletter.mail_queue import claim_batch
from processes import wait_until
from newsletter_support import (  # noqa: F401
    SITE, app, app_config, app_defaults, deliver, free_port, html_part, link, make_app, queued_mail,
    sign_up, smtp_app, smtp_inbox, subscriber, text_part,
)


def test_confirmation_mail_arrives_over_smtp_with_both_parts_and_links(smtp_app):
    app, inbox = smtp_app
    answer = sign_up(app.test_client(), "reader@example.org", "daily")
    assert "The link works for 3 days." in answer.get_data(as_text=True)  # the same words as the mail
    report = deliver(app)
    assert report.sent == 1
    [message] = inbox.to("reader@example.org")
    assert message["Subject"] == "Confirm your subscription to Mia's Feed"
    assert message["From"] == "Mia's Feed <newsletter@miafeed.test>"
    assert message["Message-ID"].endswith("@localhost>")
    assert message.get_content_type() == "multipart/alternative"
    text, html = text_part(message), html_part(message)
    assert "daily Mia's Feed digest" in text
    assert link(message, "confirm").startswith(f"{SITE}/newsletter/confirm/")
    assert 'href="http://localhost/newsletter/confirm/' in html
    # Nobody has confirmed yet: the mail says someone asked, not "you signed
    # up", offers no preferences or unsubscribe link, and gives the link's
    # lifetime in the words the sign-up page uses.
    for part in (text, html):
        assert "Someone asked to subscribe this address" in part
        assert "signed up" not in part and "You get this because" not in part
        assert "/newsletter/preferences/" not in part and "/newsletter/unsubscribe/" not in part
        assert "The link works for 3 days." in part
    # The token carries an id and a nonce, never the address.
    assert "reader" not in link(message, "confirm")
    assert inbox.envelopes[0].mail_from == "newsletter@miafeed.test"
    assert inbox.envelopes[0].rcpt_tos == ["reader@example.org"]


def test_sent_mail_keeps_no_text_and_is_not_sent_again(smtp_app):
    app, inbox = smtp_app
    sign_up(app.test_client(), "once@example.org")
    deliver(app)
    deliver(app)
    assert len(inbox.to("once@example.org")) == 1
    [row] = queued_mail(app, "once@example.org")
    assert row.status == "sent" and row.sent_at and row.message == ""


def test_links_come_from_site_url_not_the_request_host(tmp_path, smtp_inbox):
    inbox, port = smtp_inbox
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, SITE_URL="https://news.example.org")
    app.test_client().post(
        "/newsletter/subscribe", data={"email": "host@example.org", "frequency": "weekly"},
        headers={"Host": "evil.example.com"},
    )
    deliver(app)
    text = text_part(inbox.messages[0])
    assert "https://news.example.org/newsletter/confirm/" in text
    assert "evil.example.com" not in text


def test_without_mail_server_each_mail_is_an_eml_file_in_the_outbox(app, client):
    sign_up(client, "outbox@example.org")
    assert deliver(app).sent == 1
    [path] = (Path(app.instance_path) / "outbox").glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert message["To"] == "outbox@example.org"
    assert message["Subject"] == "Confirm your subscription to Mia's Feed"
    assert b"\r\n" in path.read_bytes()  # RFC 5322 line endings


def test_mail_server_down_loses_nothing_and_retries_later(tmp_path, smtp_inbox):
    inbox, port = smtp_inbox
    down = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    sign_up(down.test_client(), "patient@example.org")
    report = deliver(down)
    assert (report.sent, report.retrying) == (0, 1)
    [row] = queued_mail(down, "patient@example.org")
    assert row.status == "queued" and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > row.created_at  # backed off, not due at once
    assert deliver(down).sent == 0  # not due yet
    # The server is back and the retry time has come.
    with down.app_context():
        from miafeed.extensions import db
        from miafeed.newsletter.models import OutgoingMail

        db.session.execute(db.update(OutgoingMail).values(next_attempt_at=row.created_at))
        db.session.commit()
    down.config["MAIL_PORT"] = port
    assert deliver(down).sent == 1
    assert len(inbox.to("patient@example.org")) == 1


def test_two_claimers_never_get_the_same_mail(app, client):
    for number in range(6):
        sign_up(client, f"c{number}@example.org")
    with app.app_context():
        first = {row.id for row in claim_batch(4)}
        second = {row.id for row in claim_batch(4)}
        third = claim_batch(4)
    assert len(first) == 4 and len(second) == 2 and not first & second and third == []


def test_mail_gives_up_once_the_retry_window_is_over(tmp_path):
    down = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_RETRY_FOR_HOURS=0)
    sign_up(down.test_client(), "never@example.org")
    report = deliver(down)
    assert report.failed == 1
    assert queued_mail(down, "never@example.org")[0].status == "failed"


def test_background_thread_delivers_a_confirmation_within_seconds(smtp_app):
    app, inbox = smtp_app
    app.config["MAIL_POLL_SECONDS"] = 30  # so only the sign-up's wake-up can explain a quick delivery
    worker = BackgroundDelivery(app).start()
    try:
        sign_up(app.test_client(), "quick@example.org")
        wait_until(lambda: inbox.to("quick@example.org"), 10, "the confirmation in the inbox", step=0.05)
    finally:
        worker.stop()
    assert len(inbox.to("quick@example.org")) == 1


def test_smtp_login_with_username_and_password(tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from newsletter_support import Inbox

    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"mia" and auth_data.password == b"s3cret")

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False)
    controller.start()
    try:
        app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USERNAME="mia", MAIL_PASSWORD="s3cret")
        sign_up(app.test_client(), "login@example.org")
        assert deliver(app).sent == 1
    finally:
        controller.stop()
    assert logins == [(b"mia", b"s3cret")]
    assert len(inbox.to("login@example.org")) == 1
