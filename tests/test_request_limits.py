"""Big bodies get a readable 413; a bad field is never echoed back longer than its limit;
encoded-words are not email addresses."""
from __future__ import annotations

import pytest

from newsletter_support import app, app_config, app_defaults, queued_mail, sign_up  # noqa: F401


def test_a_huge_form_post_gets_a_readable_413_page(client):
    response = client.post("/newsletter/subscribe", data={"email": "a" * 5_000_000 + "@example.org", "frequency": "weekly"})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "too much text to send" in page and "320 characters" in page
    assert 'action="/newsletter/subscribe"' in page  # the form is there to try again
    assert len(page) < 20_000
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_huge_htmx_post_gets_the_form_back_with_a_notice(client):
    response = client.post(
        "/newsletter/subscribe", data={"email": "a" * 100_000, "frequency": "weekly"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200  # htmx swaps 2xx only
    page = response.get_data(as_text=True)
    assert "too much text to send" in page and "<html" not in page


def test_a_huge_body_on_a_link_page_gets_the_413_page(app, client):
    from miafeed.newsletter import subscriptions, tokens

    with app.app_context():
        subscriptions.subscribe("big@example.org", "weekly", "/")
        token = tokens.make_token(tokens.UNSUBSCRIBE, subscriptions.find_by_email("big@example.org"))
    response = client.post(f"/newsletter/unsubscribe/{token}", data={"action": "x" * 100_000})
    assert response.status_code == 413
    assert "That was too much to send" in response.get_data(as_text=True)


def test_many_multipart_fields_are_refused(client):
    fields = {f"field{number}": "v" for number in range(200)}
    response = client.post("/newsletter/subscribe", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "too much text" in response.get_data(as_text=True)


def test_a_big_multipart_field_is_refused(client):
    response = client.post(
        "/newsletter/subscribe", data={"email": "a" * 8000, "frequency": "weekly"}, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page and "a" * 400 not in page


def test_an_invalid_long_field_is_echoed_back_at_most_its_own_limit(client):
    response = sign_up(client, "b" * 5_000 + "@example.org", htmx=False, website="w" * 3000, source="/" + "s" * 5000)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "b" * 320 in page and "b" * 321 not in page
    assert "s" * 299 in page and "s" * 300 not in page
    assert "w" * 321 not in page
    assert len(page) < 12_000


@pytest.mark.parametrize(
    "address",
    [
        "=?utf-8?b?QmNjOg==?=@example.org",
        "=?UTF-8?Q?mia=40example.org?=@example.org",
        "reader=?iso-8859-1?q?x?=@example.org",
    ],
)
def test_encoded_words_are_not_email_addresses(client, app, address):
    response = sign_up(client, address, htmx=False)
    assert response.status_code == 422
    assert "encoded text like =?utf-8?b?...?= is not part of an email address" in response.get_data(as_text=True)
    assert queued_mail(app) == []


def test_an_address_with_a_plain_equals_sign_is_still_fine(client, app):
    assert sign_up(client, "a=b@example.org", htmx=False).status_code == 200
    assert [row.to_address for row in queued_mail(app)] == ["a=b@example.org"]


def test_a_huge_htmx_post_on_a_link_page_gets_the_notice_fragment(app, client):
    from miafeed.newsletter import subscriptions, tokens

    with app.app_context():
        subscriptions.subscribe("bigfragment@example.org", "weekly", "/")
        token = tokens.make_token(tokens.PREFERENCES, subscriptions.find_by_email("bigfragment@example.org"))
    response = client.post(f"/newsletter/preferences/{token}", data={"frequency": "x" * 100_000}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "That was too much to send." in page and "<html" not in page
    assert "HX-Request" in response.headers["Vary"]
