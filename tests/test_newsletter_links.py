"""Links in mail: confirm, preferences and unsubscribe pages; GET never
changes anything; RFC 8058 one-click; bad, expired and revoked tokens."""
from __future__ import annotations

import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from miafeed.extensions import db
from miafeed.newsletter import subscriptions, tokens
from newsletter_support import (  # noqa: F401
    app, app_config, app_defaults, deliver, link, path_of, queued_mail, sign_up, smtp_app, smtp_inbox, subscriber,
)


@pytest.fixture
def confirmation(smtp_app):
    """A reader who signed up; returns (app, client, inbox, the confirmation mail)."""
    app, inbox = smtp_app
    client = app.test_client()
    sign_up(client, "reader@example.org", "weekly")
    deliver(app)
    return app, client, inbox, inbox.to("reader@example.org")[-1]


def test_confirm_get_shows_a_button_and_changes_nothing(confirmation):
    app, client, _, mail = confirmation
    page = client.get(path_of(link(mail, "confirm")))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Confirm your subscription" in text and "Yes, subscribe me" in text
    assert subscriber(app, "reader@example.org").status == "pending"


def test_confirm_post_activates_the_subscription(confirmation):
    app, client, _, mail = confirmation
    page = client.post(path_of(link(mail, "confirm"))).get_data(as_text=True)
    assert "You're subscribed" in page and "weekly digest" in page
    stored = subscriber(app, "reader@example.org")
    assert stored.status == "active" and stored.confirmed_at is not None


def test_a_mail_scanner_following_every_link_changes_nothing(confirmation):
    app, client, _, mail = confirmation
    scanner = app.test_client()
    for kind in ("confirm", "preferences", "unsubscribe"):
        assert scanner.get(path_of(link(mail, kind))).status_code == 200
        assert scanner.head(path_of(link(mail, kind))).status_code == 200
    assert subscriber(app, "reader@example.org").status == "pending"


def test_expired_confirmation_link_gets_a_friendly_page_with_the_form(confirmation, monkeypatch):
    app, client, _, mail = confirmation
    app.config["CONFIRM_TOKEN_MAX_AGE_HOURS"] = -1
    response = client.post(path_of(link(mail, "confirm")))
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This link no longer works" in page and "has expired" in page
    assert 'action="/newsletter/subscribe"' in page
    assert subscriber(app, "reader@example.org").status == "pending"


@pytest.mark.parametrize("kind", ["confirm", "preferences", "unsubscribe"])
def test_tampered_tokens_get_a_friendly_400(confirmation, kind):
    app, client, _, mail = confirmation
    url = path_of(link(mail, kind))
    response = client.post(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"))
    assert response.status_code == 400
    assert "The link looks incomplete" in response.get_data(as_text=True)


def test_a_token_for_one_purpose_does_not_work_for_another(confirmation):
    app, client, _, mail = confirmation
    token = path_of(link(mail, "unsubscribe")).rsplit("/", 1)[1]
    assert client.post(f"/newsletter/confirm/{token}").status_code == 400
    assert subscriber(app, "reader@example.org").status == "pending"


def test_a_token_signed_with_another_key_is_refused(confirmation):
    app, client, _, _ = confirmation
    forged = URLSafeTimedSerializer("not-our-key", salt="miafeed.newsletter.unsubscribe").dumps([1, "x"])
    assert client.post(f"/newsletter/unsubscribe/{forged}").status_code == 400


def _confirmed(confirmation):
    app, client, inbox, mail = confirmation
    client.post(path_of(link(mail, "confirm")))
    return app, client, inbox, mail


def test_unsubscribe_get_does_not_unsubscribe(confirmation):
    app, client, _, mail = _confirmed(confirmation)
    page = client.get(path_of(link(mail, "unsubscribe"))).get_data(as_text=True)
    assert "Unsubscribe from Mia&#39;s Feed?" in page
    assert subscriber(app, "reader@example.org").status == "active"


def test_unsubscribe_button_unsubscribes_and_offers_undo(confirmation):
    app, client, _, mail = _confirmed(confirmation)
    page = client.post(path_of(link(mail, "unsubscribe"))).get_data(as_text=True)
    assert "You're unsubscribed" in page and "Undo: subscribe me again" in page
    stored = subscriber(app, "reader@example.org")
    assert stored.status == "unsubscribed" and stored.unsubscribed_at is not None
    undone = client.post(path_of(link(mail, "unsubscribe")), data={"action": "undo"}).get_data(as_text=True)
    assert "Welcome back" in undone
    assert subscriber(app, "reader@example.org").status == "active"


def test_one_click_unsubscribe_without_cookies_or_csrf(tmp_path, app):
    with app.app_context():
        subscriptions.subscribe("oneclick@example.org", "weekly", "/")
        found = subscriptions.find_by_email("oneclick@example.org")
        found.status = "active"
        db.session.commit()
        token = tokens.make_token(tokens.UNSUBSCRIBE, found)
    mail_client = app.test_client(use_cookies=False)
    response = mail_client.post(
        f"/newsletter/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "You're unsubscribed" in response.get_data(as_text=True)
    assert subscriber(app, "oneclick@example.org").status == "unsubscribed"


def test_unsubscribe_button_posted_from_another_site_is_refused(app):
    client = app.test_client()
    with app.app_context():
        subscriptions.subscribe("button@example.org", "weekly", "/")
        token = tokens.make_token(tokens.UNSUBSCRIBE, subscriptions.find_by_email("button@example.org"))
    response = client.post(f"/newsletter/unsubscribe/{token}",
                           headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "This form came from another website" in response.get_data(as_text=True)
    assert subscriber(app, "button@example.org").status == "pending"


def test_unsubscribing_drops_mail_still_waiting_in_the_queue(app, client):
    sign_up(client, "drop@example.org")
    with app.app_context():
        token = tokens.make_token(tokens.UNSUBSCRIBE, subscriptions.find_by_email("drop@example.org"))
    client.post(f"/newsletter/unsubscribe/{token}")
    assert queued_mail(app, "drop@example.org") == []


def test_preferences_change_the_frequency(confirmation):
    app, client, _, mail = _confirmed(confirmation)
    url = path_of(link(mail, "preferences"))
    page = client.get(url).get_data(as_text=True)
    assert "You get the weekly digest" in page
    assert re.search(r'<input checked[^>]*value="weekly"', page)
    saved = client.post(url, data={"frequency": "monthly", "action": "save"}).get_data(as_text=True)
    assert "Saved. You will get the monthly digest." in saved
    assert subscriber(app, "reader@example.org").frequency == "monthly"


def test_preferences_refuse_an_unknown_frequency(confirmation):
    app, client, _, mail = _confirmed(confirmation)
    client.post(path_of(link(mail, "preferences")), data={"frequency": "hourly", "action": "save"})
    assert subscriber(app, "reader@example.org").frequency == "weekly"


def test_preferences_can_unsubscribe_and_come_back(confirmation):
    app, client, _, mail = _confirmed(confirmation)
    url = path_of(link(mail, "preferences"))
    page = client.post(url, data={"frequency": "weekly", "action": "unsubscribe"}).get_data(as_text=True)
    assert "You are unsubscribed" in page and "Subscribe again" in page
    assert subscriber(app, "reader@example.org").status == "unsubscribed"
    client.post(url, data={"frequency": "weekly", "action": "resubscribe"})
    assert subscriber(app, "reader@example.org").status == "active"


def test_resubscribing_through_the_form_revokes_old_links(confirmation):
    app, client, _, mail = _confirmed(confirmation)
    old_preferences = path_of(link(mail, "preferences"))
    client.post(path_of(link(mail, "unsubscribe")))
    sign_up(client, "reader@example.org")
    response = client.get(old_preferences)
    assert response.status_code == 410
    assert "replaced by a newer one" in response.get_data(as_text=True)


def test_active_reader_signing_up_again_gets_a_mail_with_preferences_link(confirmation):
    app, client, inbox, mail = _confirmed(confirmation)
    with app.app_context():
        found = subscriptions.find_by_email("reader@example.org")
        found.last_notice_at = None
        db.session.commit()
    sign_up(client, "reader@example.org", "daily")
    deliver(app)
    notice = inbox.to("reader@example.org")[-1]
    assert notice["Subject"] == "You are already subscribed to Mia's Feed"
    assert "already subscribed" in notice.get_body(("plain",)).get_content()
    assert client.get(path_of(link(notice, "preferences"))).status_code == 200
