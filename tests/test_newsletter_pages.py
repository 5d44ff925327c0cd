"""The newsletter pages a reader lands on: answers, reopened links, the way back."""
from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner

from miafeed.newsletter.forms import safe_local_path
from newsletter_support import (  # noqa: F401
    app, app_config, app_defaults, deliver, link, path_of, sign_up, smtp_app, smtp_inbox, subscriber,
)


def confirmation_mail(app, inbox, client, address="reader@example.org"):
    sign_up(client, address)
    deliver(app)
    [message] = inbox.to(address)
    return message


def days_later(monkeypatch, days: int):
    """Open links as if `days` had passed since they were mailed."""
    now = int(time.time()) + days * 86400
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now)


def test_reopened_confirmation_link_says_it_is_already_confirmed(smtp_app):
    app, inbox = smtp_app
    client = app.test_client()
    confirm = path_of(link(confirmation_mail(app, inbox, client), "confirm"))
    assert "You're subscribed" in client.post(confirm).get_data(as_text=True)
    page = client.get(confirm).get_data(as_text=True)
    assert "Already confirmed" in page and "nothing more to do" in page
    assert "Yes, subscribe me" not in page


def test_confirmation_link_reopened_after_it_expired_still_says_already_confirmed(smtp_app, monkeypatch):
    app, inbox = smtp_app
    client = app.test_client()
    confirm = path_of(link(confirmation_mail(app, inbox, client), "confirm"))
    client.post(confirm)
    days_later(monkeypatch, 30)
    answer = client.get(confirm)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Already confirmed" in page
    assert "has expired" not in page and "replaced" not in page


def test_an_expired_link_that_was_never_used_still_says_expired(smtp_app, monkeypatch):
    app, inbox = smtp_app
    client = app.test_client()
    confirm = path_of(link(confirmation_mail(app, inbox, client), "confirm"))
    days_later(monkeypatch, 30)
    answer = client.post(confirm)
    assert answer.status_code == 410
    assert "this one has expired" in answer.get_data(as_text=True)
    assert subscriber(app, "reader@example.org").status == "pending"


def test_reopened_unsubscribe_link_says_already_unsubscribed_and_offers_to_come_back(smtp_app):
    app, inbox = smtp_app
    client = app.test_client()
    message = confirmation_mail(app, inbox, client)
    client.post(path_of(link(message, "confirm")))
    unsubscribe = path_of(link(message, "unsubscribe"))
    client.post(unsubscribe)
    page = client.get(unsubscribe).get_data(as_text=True)
    assert "You're already unsubscribed" in page
    assert "Unsubscribe from Mia" not in page  # no second "unsubscribe?" button
    assert re.search(r'<button type="submit" name="action" value="undo"[^>]*>Subscribe me again</button>', page)
    client.post(unsubscribe, data={"action": "undo"})
    assert subscriber(app, "reader@example.org").status == "active"


def test_reopened_unsubscribe_link_of_a_never_confirmed_reader_offers_only_a_new_sign_up(smtp_app):
    app, inbox = smtp_app
    client = app.test_client()
    unsubscribe = path_of(link(confirmation_mail(app, inbox, client), "unsubscribe"))
    client.post(unsubscribe)
    page = client.get(unsubscribe).get_data(as_text=True)
    assert "You're already unsubscribed" in page
    assert 'value="undo"' not in page
    assert 'href="/newsletter/subscribe">Sign up again</a>' in page


def test_saved_preferences_read_as_success_and_unsubscribe_is_set_apart(smtp_app):
    app, inbox = smtp_app
    client = app.test_client()
    message = confirmation_mail(app, inbox, client)
    client.post(path_of(link(message, "confirm")))
    page = client.post(path_of(link(message, "preferences")), data={"action": "save", "frequency": "daily"}).get_data(as_text=True)
    assert re.search(r'<p class="form-success" role="status">Saved\. You will get the daily digest\.', page)
    save_form, unsubscribe_form = re.findall(r"<form method=\"post\".*?</form>", page, flags=re.S)
    assert "Save preferences" in save_form and "Unsubscribe" not in save_form
    assert 'class="button-danger">Unsubscribe</button>' in unsubscribe_form
    assert page.index('id="stop-heading">Stop the newsletter</h2>') < page.index("button-danger")


def test_an_invalid_address_puts_the_focus_on_the_field_with_its_error(app, client):
    for htmx in (True, False):
        page = sign_up(client, "not-an-address", htmx=htmx).get_data(as_text=True)
        field = re.search(r'<input[^>]*id="subscribe-email"[^>]*>', page).group(0)
        assert "autofocus" in field and 'aria-describedby="subscribe-email-error"' in field
        assert 'id="subscribe-email-error">Enter a valid email address.' in page


def test_the_answer_page_without_javascript_leads_back_to_the_article(app, client):
    page = sign_up(client, "reader@example.org", htmx=False, source="/articles/a-study").get_data(as_text=True)
    assert "Check your inbox" in page
    assert '<a href="/articles/a-study">Back to the article</a>' in page
    error_page = sign_up(client, "nope", htmx=False, source="/articles/a-study").get_data(as_text=True)
    assert '<a href="/articles/a-study">Back to the article</a>' in error_page
    # htmx swaps the box in place: no back link in the fragment.
    assert "Back to the article" not in sign_up(client, "other@example.org", source="/articles/a-study").get_data(as_text=True)


@pytest.mark.parametrize("source", ["//evil.example/x", "/\\evil.example", "https://evil.example/", "/a b", "javascript:alert(1)"])
def test_the_way_back_never_leads_off_the_site(app, client, source):
    page = sign_up(client, "reader@example.org", htmx=False, source=source).get_data(as_text=True)
    assert "evil" not in page.split('class="back-link')[1]
    assert '<a href="/">Go to the latest articles</a>' in page


def test_safe_local_path_keeps_paths_and_queries_and_refuses_other_sites():
    assert safe_local_path("/articles/x?page=2#top") == "/articles/x?page=2#top"
    for unsafe in (None, "", "articles/x", "//evil.example", "/\\evil.example", "/x\\y", "/x\ny", "/x\ty", "/" + "a" * 300):
        assert safe_local_path(unsafe) is None
