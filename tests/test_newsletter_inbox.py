"""The reader's inbox: topics, hard bounces, List-Id, DKIM and the sample digest."""
from __future__ import annotations

import base64
import json
import os
import re
from datetime import timedelta

import dkim
import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from miafeed.content import import_content
from miafeed.database import write_transaction
from miafeed.extensions import db
from miafeed.clock import utcnow
from miafeed.models import Category
from miafeed.newsletter import digests, mail, subscriptions
from miafeed.newsletter.models import Subscriber
from miafeed.newsletter.signing import DkimSettingsError
from newsletter_support import (  # noqa: F401
    Inbox, app, app_config, app_defaults, deliver, free_port, html_part, link, make_app, path_of, queued_mail, sign_up,
    smtp_app, smtp_inbox, subscriber, text_part,
)


def iso(moment):
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"


@pytest.fixture
def three_topics(content):
    """One recent article in each of the three test categories."""
    now = utcnow()
    content.write("sleep-1", slug="sleep-1", title="Naps help memory", category="Sleep",
                  published=iso(now - timedelta(hours=3)))
    content.write("mind-1", slug="mind-1", title="Mindfulness eases worry", category="Mental Health & Mindfulness",
                  published=iso(now - timedelta(hours=2)))
    content.write("pain-1", slug="pain-1", title="CBT changes pain networks", category="Chronic Pain & Conditions",
                  published=iso(now - timedelta(hours=1)))
    return content


def confirmed_reader(app, inbox, address="reader@example.org"):
    """Sign up and confirm through the pages, as a reader does; the confirmation mail."""
    client = app.test_client()
    sign_up(client, address)
    deliver(app)
    [message] = inbox.to(address)
    client.post(path_of(link(message, "confirm")))
    assert subscriber(app, address).status == "active"
    return client, message


def category_ids(app) -> dict[str, int]:
    with app.app_context():
        return {category.name: category.id for category in db.session.scalars(db.select(Category))}


# --- topics --------------------------------------------------------------------------

def test_a_reader_who_picks_two_topics_gets_digests_with_only_those(smtp_app, three_topics):
    app, inbox = smtp_app
    with app.app_context():
        import_content(three_topics.root)
    client, confirmation = confirmed_reader(app, inbox)
    # Sign-up stays one step: the inline form asks for no topics.
    assert "topics" not in client.get("/").get_data(as_text=True)
    preferences = path_of(link(confirmation, "preferences"))
    page = client.get(preferences).get_data(as_text=True)
    assert "Topics in your digest" in page
    assert len(re.findall(r'<input type="checkbox" name="topics" value="\d+" id="topic-\d+" checked>', page)) == 3  # all by default

    ids = category_ids(app)
    saved = client.post(preferences, data={
        "action": "save", "frequency": "weekly", "topics_offered": "1",
        "topics": [ids["Sleep"], ids["Mental Health & Mindfulness"]],
    }).get_data(as_text=True)
    assert "Saved. You will get the weekly digest. Topics: Mental Health &amp; Mindfulness, Sleep." in saved
    unticked = ids["Chronic Pain & Conditions"]
    assert f'value="{unticked}" id="topic-{unticked}">' in saved  # shown, now unticked

    result = app.test_cli_runner().invoke(args=["digest", "send", "--frequency", "weekly"])
    assert "1 sent" in result.output, result.output
    deliver(app)
    digest = [m for m in inbox.to("reader@example.org") if "digest" in m["Subject"]][0]
    assert digest["Subject"] == "Your weekly Mia's Feed digest: 2 new articles"
    text = text_part(digest)
    assert "Naps help memory" in text and "Mindfulness eases worry" in text
    assert "CBT changes pain networks" not in text and "Chronic Pain" not in text

    export = app.test_cli_runner().invoke(args=["subscribers", "export", "reader@example.org"])
    assert json.loads(export.output)["topics"] == ["Mental Health & Mindfulness", "Sleep"]


def test_a_reader_with_only_other_topics_gets_no_empty_digest(smtp_app, content):
    app, inbox = smtp_app
    content.write("sleep-1", slug="sleep-1", title="Naps help memory", category="Sleep",
                  published=iso(utcnow() - timedelta(hours=3)))
    with app.app_context():
        import_content(content.root)
    client, confirmation = confirmed_reader(app, inbox)
    client.post(path_of(link(confirmation, "preferences")), data={
        "action": "save", "frequency": "weekly", "topics_offered": "1",
        "topics": [category_ids(app)["Chronic Pain & Conditions"]],
    })
    result = app.test_cli_runner().invoke(args=["digest", "send", "--frequency", "weekly"])
    assert "0 sent, 1 skipped" in result.output


def test_unticking_every_topic_is_refused_and_nothing_changes(smtp_app, three_topics):
    app, inbox = smtp_app
    with app.app_context():
        import_content(three_topics.root)
    client, confirmation = confirmed_reader(app, inbox)
    answer = client.post(path_of(link(confirmation, "preferences")),
                         data={"action": "save", "frequency": "daily", "topics_offered": "1"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Choose at least one topic. To get no mail at all, unsubscribe below." in page
    assert "Nothing was saved" in page
    # The reason is in the summary at the top (focus moves there), linked to the field far below.
    summary = re.search(r'<div class="error-summary" id="error-summary"[^>]*autofocus>(.*?)</div>', page, re.S).group(1)
    first_topic = re.search(r'<input type="checkbox" name="topics" value="(\d+)" id="topic-\1"', page).group(1)
    assert f'<a href="#topic-{first_topic}">Choose at least one topic.' in summary
    assert subscriber(app, "reader@example.org").frequency == "weekly"


def test_ticking_every_topic_again_means_all_topics_including_new_ones(smtp_app, three_topics):
    app, inbox = smtp_app
    with app.app_context():
        import_content(three_topics.root)
    client, confirmation = confirmed_reader(app, inbox)
    preferences = path_of(link(confirmation, "preferences"))
    ids = category_ids(app)
    client.post(preferences, data={"action": "save", "frequency": "weekly", "topics_offered": "1", "topics": [ids["Sleep"]]})
    saved = client.post(preferences, data={
        "action": "save", "frequency": "weekly", "topics_offered": "1", "topics": list(ids.values()),
    }).get_data(as_text=True)
    assert "Topics: all of them." in saved
    export = app.test_cli_runner().invoke(args=["subscribers", "export", "reader@example.org"])
    assert json.loads(export.output)["topics"] == "all"


def test_a_topic_that_does_not_exist_is_refused(smtp_app, three_topics):
    app, inbox = smtp_app
    with app.app_context():
        import_content(three_topics.root)
    client, confirmation = confirmed_reader(app, inbox)
    answer = client.post(path_of(link(confirmation, "preferences")),
                         data={"action": "save", "frequency": "weekly", "topics_offered": "1", "topics": ["999", "x"]})
    assert answer.status_code == 422
    assert "One of the topics no longer exists" in answer.get_data(as_text=True)


# --- bounces ---------------------------------------------------------------------------

class RefusingInbox(Inbox):
    """A mail server that answers RCPT for some addresses with a given code."""

    def __init__(self):
        super().__init__()
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_app(tmp_path):
    inbox = RefusingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield app, inbox
    finally:
        controller.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def add_active(app, email):
    with app.app_context():
        db.session.add(Subscriber(email=email, status="active", frequency="weekly", consent_version="v",
                                  consent_source="/", confirmed_at=utcnow()))
        db.session.commit()


def queue_digest(app, email):
    """One digest mail to `email` in the queue, as `digest send` writes it."""
    with app.app_context():
        reader = subscriptions.find_by_email(email)
        article = digests.DigestArticle("Naps help memory", "A nap helps.", "http://localhost/articles/naps",
                                        "Sleep", utcnow())
        with write_transaction():
            mail.queue([digests.compose_digest(reader, "weekly", [("Sleep", [article])])])


def test_three_hard_bounces_in_a_row_stop_the_digests(refusing_app, content):
    app, inbox = refusing_app
    inbox.refuse["gone@example.org"] = "550 5.1.1 No such user"
    add_active(app, "gone@example.org")
    add_active(app, "fine@example.org")
    for attempt in (1, 2, 3):
        queue_digest(app, "gone@example.org")
        report = deliver(app)
        assert report.failed == 1
        assert subscriber(app, "gone@example.org").bounce_count == attempt
    gone = subscriber(app, "gone@example.org")
    assert gone.status == "bounced" and gone.bounced_at is not None

    # The next digest run leaves them out; the reader beside them still gets it.
    content.write("sleep-1", slug="sleep-1", title="Naps help memory", category="Sleep",
                  published=iso(utcnow() - timedelta(hours=1)))
    with app.app_context():
        import_content(content.root)
    result = app.test_cli_runner().invoke(args=["digest", "send", "--frequency", "weekly"])
    assert "Digest weekly: 1 sent" in result.output
    assert [row.to_address for row in queued_mail(app) if row.status == "queued"] == ["fine@example.org"]

    export = json.loads(app.test_cli_runner().invoke(args=["subscribers", "export", "gone@example.org"]).output)
    assert export["status"] == "bounced"
    assert export["bounces"]["in_a_row"] == 3 and export["bounces"]["digests_stopped_at"]


def test_a_delivered_mail_resets_the_bounce_count(refusing_app):
    app, inbox = refusing_app
    add_active(app, "flaky@example.org")
    inbox.refuse["flaky@example.org"] = "550 5.2.1 Mailbox disabled"
    for _ in range(2):
        queue_digest(app, "flaky@example.org")
        deliver(app)
    assert subscriber(app, "flaky@example.org").bounce_count == 2
    del inbox.refuse["flaky@example.org"]
    queue_digest(app, "flaky@example.org")
    assert deliver(app).sent == 1
    assert subscriber(app, "flaky@example.org").bounce_count == 0
    # Two more refusals are two in a row again, not four: still subscribed.
    inbox.refuse["flaky@example.org"] = "550 5.2.1 Mailbox disabled"
    for _ in range(2):
        queue_digest(app, "flaky@example.org")
        deliver(app)
    found = subscriber(app, "flaky@example.org")
    assert (found.status, found.bounce_count) == ("active", 2)


def test_a_temporary_refusal_is_not_a_bounce(refusing_app):
    app, inbox = refusing_app
    add_active(app, "busy@example.org")
    inbox.refuse["busy@example.org"] = "450 4.2.1 Mailbox busy, try later"
    queue_digest(app, "busy@example.org")
    assert deliver(app).retrying == 1
    assert subscriber(app, "busy@example.org").bounce_count == 0


@pytest.mark.parametrize("app_config", [{"MAIL_BOUNCE_LIMIT": 1}])
def test_the_bounce_limit_is_a_setting(tmp_path, app_config):
    inbox = RefusingInbox()
    inbox.refuse["once@example.org"] = "550 5.1.1 No such user"
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, **app_config)
        add_active(app, "once@example.org")
        queue_digest(app, "once@example.org")
        deliver(app)
        assert subscriber(app, "once@example.org").status == "bounced"
    finally:
        controller.stop()


def test_a_bounced_reader_sees_why_on_the_preferences_page_and_can_come_back(refusing_app):
    app, inbox = refusing_app
    inbox.refuse["gone@example.org"] = "550 5.1.1 No such user"
    add_active(app, "gone@example.org")
    for _ in range(3):
        queue_digest(app, "gone@example.org")
        deliver(app)
    with app.app_context():
        from miafeed.newsletter import tokens
        url = "/newsletter/preferences/" + tokens.make_token(tokens.PREFERENCES, subscriptions.find_by_email("gone@example.org"))
    client = app.test_client()
    page = client.get(url).get_data(as_text=True)
    assert "your mail server refused them several times in a row" in page
    client.post(url, data={"action": "resubscribe"})
    back = subscriber(app, "gone@example.org")
    assert (back.status, back.bounce_count, back.bounced_at) == ("active", 0, None)
    # Counting starts afresh: one more refusal does not stop the digest at once.
    queue_digest(app, "gone@example.org")
    deliver(app)
    assert subscriber(app, "gone@example.org").status == "active"


# --- List-Id and DKIM ----------------------------------------------------------------

def test_every_newsletter_mail_carries_list_id(smtp_app):
    app, inbox = smtp_app
    sign_up(app.test_client(), "reader@example.org")
    add_active(app, "weekly@example.org")
    queue_digest(app, "weekly@example.org")
    deliver(app)
    [confirmation], [digest] = inbox.to("reader@example.org"), inbox.to("weekly@example.org")
    for message in (confirmation, digest):
        assert message["List-Id"] == '"Mia\'s Feed" <newsletter.localhost>'


def test_list_id_can_be_set(tmp_path, smtp_inbox):
    inbox, port = smtp_inbox
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_LIST_ID="digest.news.example.org")
    add_active(app, "reader@example.org")
    queue_digest(app, "reader@example.org")
    deliver(app)
    assert inbox.messages[0]["List-Id"] == '"Mia\'s Feed" <digest.news.example.org>'


@pytest.fixture
def dkim_key(tmp_path):
    """A fresh RSA key: (private key file, the DNS TXT record that publishes it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.pem"
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ))
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def test_a_dkim_signed_digest_verifies_and_covers_the_unsubscribe_headers(tmp_path, smtp_inbox, dkim_key):
    inbox, port = smtp_inbox
    key_file, record = dkim_key
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                   DKIM_SELECTOR="mail2026", DKIM_DOMAIN="miafeed.test", DKIM_PRIVATE_KEY_FILE=str(key_file))
    add_active(app, "reader@example.org")
    queue_digest(app, "reader@example.org")
    deliver(app)
    raw = inbox.envelopes[0].content
    asked = []

    def dns(name, timeout=5):
        asked.append(name)
        return record

    assert dkim.verify(raw, dnsfunc=dns)
    assert asked == [b"mail2026._domainkey.miafeed.test."]
    signature = inbox.messages[0]["DKIM-Signature"]
    signed = re.search(r"h=([^;]+)", signature.replace("\r\n", "").replace(" ", "")).group(1).split(":")
    for header in ("from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe",
                   "list-unsubscribe-post"):
        assert header in signed
    assert "d=miafeed.test" in signature and "s=mail2026" in signature

    # Changing a signed header breaks the signature: a receiver would notice.
    tampered = raw.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: no")
    assert tampered != raw and not dkim.verify(tampered, dnsfunc=dns)
    # So does a different key published under the same name.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert not dkim.verify(raw, dnsfunc=lambda name, timeout=5: b"v=DKIM1; k=rsa; p=" + base64.b64encode(other))


def test_mail_is_not_signed_unless_dkim_is_configured(smtp_app):
    app, inbox = smtp_app
    sign_up(app.test_client(), "reader@example.org")
    deliver(app)
    assert inbox.messages[0]["DKIM-Signature"] is None


def test_half_a_dkim_configuration_refuses_to_start(tmp_path):
    with pytest.raises(DkimSettingsError, match="missing: DKIM_PRIVATE_KEY_FILE"):
        make_app(tmp_path, DKIM_SELECTOR="s", DKIM_DOMAIN="miafeed.test")


def test_an_unusable_dkim_key_refuses_to_start(tmp_path):
    bad = tmp_path / "not-a-key.pem"
    bad.write_text("hello")
    with pytest.raises(DkimSettingsError, match="not a usable RSA private key"):
        make_app(tmp_path, DKIM_SELECTOR="s", DKIM_DOMAIN="miafeed.test", DKIM_PRIVATE_KEY_FILE=str(bad))
    with pytest.raises(DkimSettingsError, match="cannot be read"):
        make_app(tmp_path, DKIM_SELECTOR="s", DKIM_DOMAIN="miafeed.test", DKIM_PRIVATE_KEY_FILE=str(tmp_path / "nope"))


# --- the public sample digest --------------------------------------------------------

def test_the_sample_digest_shows_this_weeks_articles_by_topic_and_is_cacheable(app, client, three_topics, content):
    content.write("old", slug="old-one", title="An older story", published=iso(utcnow() - timedelta(days=20)))
    with app.app_context():
        import_content(three_topics.root)
    answer = client.get("/sample-digest")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "What the digest looks like" in page
    assert "Your weekly Mia&#39;s Feed digest: 3 new articles" in page
    assert page.index("Chronic Pain &amp; Conditions") < page.index("CBT changes pain networks")
    assert '<a href="/articles/sleep-1">Naps help memory</a>' in page
    assert "An older story" not in page
    assert "no-store" not in answer.headers["Cache-Control"]
    # Linked from every sign-up box.
    assert 'href="/sample-digest"' in client.get("/").get_data(as_text=True)


def test_in_a_quiet_week_the_sample_shows_the_latest_articles(app, client, content):
    content.write("old", slug="old-one", title="An older story", published=iso(utcnow() - timedelta(days=20)))
    with app.app_context():
        import_content(content.root)
    page = client.get("/sample-digest").get_data(as_text=True)
    assert "An older story" in page and "a quiet week" in page


def test_with_no_articles_the_sample_says_so(client):
    page = client.get("/sample-digest").get_data(as_text=True)
    assert "No articles have been published yet" in page


def test_a_dkim_key_that_disappears_after_start_does_not_break_sign_up(tmp_path, smtp_inbox, dkim_key, caplog):
    inbox, port = smtp_inbox
    key_file, _ = dkim_key
    app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                   DKIM_SELECTOR="s", DKIM_DOMAIN="miafeed.test", DKIM_PRIVATE_KEY_FILE=str(key_file))
    key_file.unlink()
    answer = sign_up(app.test_client(), "reader@example.org")
    assert answer.status_code == 200 and "Check your inbox" in answer.get_data(as_text=True)
    deliver(app)
    assert inbox.messages[0]["DKIM-Signature"] is None
    assert "DKIM signing failed, sending unsigned" in caplog.text


# --- the migration --------------------------------------------------------------------

def test_the_topics_and_bounces_migration_keeps_the_mail_queue_both_ways(tmp_path, monkeypatch):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    for name in [name for name in os.environ if name.startswith("MIAFEED_")]:
        monkeypatch.delenv(name)
    app = create_app_for_migrations(tmp_path)
    with app.app_context():
        upgrade(revision="heads")
        downgrade(revision="0002_newsletter")
        db.session.execute(text(
            "INSERT INTO subscribers (email, frequency, status, created_at, consent_version, consent_source, token_nonce)"
            " VALUES ('kept@example.org', 'weekly', 'active', '2026-01-01', 'v', '/', 'n')"))
        db.session.execute(text(
            "INSERT INTO outgoing_mail (subscriber_id, kind, to_address, subject, message, status, attempts,"
            " next_attempt_at, created_at) VALUES (1, 'digest', 'kept@example.org', 's', 'm', 'queued', 0,"
            " '2026-01-01', '2026-01-01')"))
        db.session.commit()
        upgrade(revision="heads")
        assert db.session.execute(text("SELECT bounce_count FROM subscribers")).scalar() == 0
        db.session.rollback()  # end the read, so the next one sees what the migration did
        downgrade(revision="0002_newsletter")
        assert db.session.execute(text("SELECT count(*) FROM outgoing_mail")).scalar() == 1
        db.session.rollback()
        upgrade(revision="heads")
        assert db.session.execute(text("SELECT count(*) FROM outgoing_mail")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def create_app_for_migrations(tmp_path):
    from miafeed import create_app

    return create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path / "migrations"))
