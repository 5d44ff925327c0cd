"""Double opt-in means what it says: only the confirmation link confirms,
and the links in mail reveal nothing about how many readers there are."""
from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from miafeed.extensions import db
from miafeed.newsletter import subscriptions, tokens
from newsletter_support import (  # noqa: F401
    app, app_config, app_defaults, deliver, link, path_of, sign_up, smtp_app, smtp_inbox, subscriber,
)


@pytest.fixture
def pending(smtp_app):
    """A reader who signed up and has not confirmed; (app, client, inbox, confirmation mail)."""
    app, inbox = smtp_app
    client = app.test_client()
    sign_up(client, "pending@example.org", "weekly")
    deliver(app)
    return app, client, inbox, inbox.to("pending@example.org")[-1]


def test_undo_on_the_unsubscribe_link_of_a_confirmation_mail_does_not_confirm(pending):
    app, client, _, mail = pending
    page = client.post(path_of(link(mail, "unsubscribe")), data={"action": "undo"}).get_data(as_text=True)
    assert "never confirmed" in page and "Welcome back" not in page
    assert subscriber(app, "pending@example.org").status != "active"


def test_undo_after_unsubscribing_a_pending_address_does_not_confirm_even_after_the_link_expired(pending):
    app, client, _, mail = pending
    unsubscribed = client.post(path_of(link(mail, "unsubscribe"))).get_data(as_text=True)
    assert "You're unsubscribed" in unsubscribed and "Undo: subscribe me again" not in unsubscribed
    app.config["CONFIRM_TOKEN_MAX_AGE_HOURS"] = -1
    client.post(path_of(link(mail, "unsubscribe")), data={"action": "undo"})
    assert subscriber(app, "pending@example.org").status == "unsubscribed"
    assert client.post(path_of(link(mail, "confirm"))).status_code == 410


def test_subscribe_again_on_the_preferences_link_of_a_confirmation_mail_does_not_confirm(pending):
    app, client, _, mail = pending
    url = path_of(link(mail, "preferences"))
    client.post(url, data={"frequency": "weekly", "action": "unsubscribe"})
    page = client.get(url).get_data(as_text=True)
    assert "Subscribe again" not in page and "Sign up again" in page
    answer = client.post(url, data={"frequency": "weekly", "action": "resubscribe"}).get_data(as_text=True)
    assert "never confirmed" in answer
    assert subscriber(app, "pending@example.org").status == "unsubscribed"


def test_a_reader_who_comes_back_through_the_form_must_confirm_again(pending):
    app, client, inbox, mail = pending
    client.post(path_of(link(mail, "confirm")))
    client.post(path_of(link(mail, "unsubscribe")))
    sign_up(client, "pending@example.org")
    deliver(app)
    second = inbox.to("pending@example.org")[-1]
    client.post(path_of(link(second, "unsubscribe")))
    client.post(path_of(link(second, "unsubscribe")), data={"action": "undo"})
    assert subscriber(app, "pending@example.org").status == "unsubscribed"
    client.post(path_of(link(second, "preferences")), data={"frequency": "weekly", "action": "resubscribe"})
    assert subscriber(app, "pending@example.org").status == "unsubscribed"


def test_the_confirmation_link_still_confirms(pending):
    app, client, _, mail = pending
    client.post(path_of(link(mail, "confirm")))
    assert subscriber(app, "pending@example.org").status == "active"


def _payload(app, url: str, purpose: str):
    token = url.rsplit("/", 1)[1]
    with app.app_context():
        return tokens._serializer(purpose).loads(token)


def test_links_carry_a_random_public_id_not_the_row_id(pending):
    app, client, _, mail = pending
    stored = subscriber(app, "pending@example.org")
    for kind in (tokens.CONFIRM, tokens.PREFERENCES, tokens.UNSUBSCRIBE):
        public_id, nonce = _payload(app, link(mail, kind), kind)
        assert public_id == stored.public_id and nonce == stored.token_nonce
        assert len(public_id) >= 20 and public_id != str(stored.id)


def test_public_ids_differ_between_readers(app, client):
    for number in range(5):
        sign_up(client, f"reader{number}@example.org")
    ids = {subscriber(app, f"reader{number}@example.org").public_id for number in range(5)}
    assert len(ids) == 5


def _signed(app, purpose: str, payload) -> str:
    with app.app_context():
        return tokens._serializer(purpose).dumps(payload)


def test_links_mailed_before_public_ids_still_unsubscribe(pending):
    # Decision: a link already in someone's inbox keeps working.
    app, client, _, _ = pending
    stored = subscriber(app, "pending@example.org")
    legacy = _signed(app, tokens.UNSUBSCRIBE, [stored.id, stored.token_nonce])
    assert "You're unsubscribed" in client.post(f"/newsletter/unsubscribe/{legacy}").get_data(as_text=True)
    assert subscriber(app, "pending@example.org").status == "unsubscribed"


@pytest.mark.parametrize("key", [2**63, 2**63 + 1, 10**30, -1, 0, True, None, 1.5, [1], "", "x" * 500])
@pytest.mark.parametrize("purpose", [tokens.CONFIRM, tokens.PREFERENCES, tokens.UNSUBSCRIBE])
def test_an_id_that_cannot_exist_is_an_invalid_link(app, client, key, purpose):
    token = _signed(app, purpose, [key, "nonce"])
    for method in (client.get, client.post):
        response = method(f"/newsletter/{purpose}/{token}")
        assert response.status_code in (400, 410)
        assert "This link no longer works" in response.get_data(as_text=True) or "looks incomplete" in response.get_data(as_text=True)


def test_a_token_from_another_key_with_a_huge_id_is_refused(client):
    forged = URLSafeTimedSerializer("not-our-key", salt="miafeed.newsletter.unsubscribe").dumps([2**64, "x"])
    assert client.post(f"/newsletter/unsubscribe/{forged}").status_code == 400


def test_the_migration_gives_existing_subscribers_distinct_public_ids(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from miafeed import create_app

    app = create_app({"SECRET_KEY": "x"}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade(revision="0002_newsletter")
        upgrade(revision="0003_related")
        for number in range(3):
            db.session.execute(
                text(
                    "INSERT INTO subscribers (email, frequency, status, created_at, consent_version, consent_source, token_nonce)"
                    " VALUES (:email, 'weekly', 'active', '2026-01-01', 'v', '/', 'n')"
                ),
                {"email": f"old{number}@example.org"},
            )
        db.session.commit()
        upgrade(revision="0004_subscriber_public_id")
        public_ids = db.session.execute(text("SELECT public_id FROM subscribers")).scalars().all()
    assert len(public_ids) == 3 and len(set(public_ids)) == 3 and all(len(value) >= 20 for value in public_ids)
