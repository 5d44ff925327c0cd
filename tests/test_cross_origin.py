"""The cross-origin guard: forms posted from another site are refused with a
readable 403; our own forms, non-browser clients and RFC 8058 one-click
unsubscribes go through."""
from __future__ import annotations

import json
import re

import pytest

from miafeed.newsletter import subscriptions, tokens
from miafeed.http.security import CrossOriginConfigError, cross_origin_refusal, trusted_origins
from newsletter_support import app, app_config, app_defaults, deliver, queued_mail, smtp_app, smtp_inbox, subscriber  # noqa: F401

FORM = {"email": "reader@example.org", "frequency": "weekly", "source": "/", "website": ""}


def post_sign_up(client, headers, htmx=False):
    if htmx:
        headers = dict(headers, **{"HX-Request": "true"})
    return client.post("/newsletter/subscribe", data=FORM, headers=headers)


@pytest.mark.parametrize(
    "headers, refused",
    [
        ({}, False),  # curl, a script, a mail provider: not a browser
        ({"Sec-Fetch-Site": "same-origin"}, False),
        ({"Sec-Fetch-Site": "none"}, False),  # typed or bookmarked
        ({"Sec-Fetch-Site": "cross-site"}, True),
        ({"Sec-Fetch-Site": "same-site"}, True),  # a sibling subdomain is another origin
        ({"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}, False),  # Sec-Fetch-Site wins
        ({"Origin": "http://localhost"}, False),  # an older browser, our own page
        ({"Origin": "https://evil.example"}, True),
        ({"Origin": "null"}, True),
        ({"Origin": "http://localhost.evil.example"}, True),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "https://partner.example"}, False),  # trusted
        ({"Origin": "https://partner.example"}, False),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "https://www.miasfeed.example"}, False),  # SITE_URL
    ],
)
def test_the_guard_follows_go_cross_origin_protection(headers, refused):
    trusted = trusted_origins({"TRUSTED_ORIGINS": ["https://partner.example/"], "SITE_URL": "https://www.miasfeed.example"})
    assert (cross_origin_refusal("POST", headers, "localhost", trusted) is not None) is refused


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_methods_always_pass(method):
    assert cross_origin_refusal(method, {"Sec-Fetch-Site": "cross-site"}, "localhost", frozenset()) is None


@pytest.mark.parametrize("htmx", [False, True])
def test_a_cross_site_sign_up_stores_nothing_and_sends_no_mail(smtp_app, htmx):
    app, inbox = smtp_app
    client = app.test_client()
    response = post_sign_up(client, {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, htmx=htmx)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "This form came from another website" in page
    assert "Nothing was saved or sent" in page
    assert ("<html" in page) is not htmx  # a fragment for htmx, a whole page otherwise
    assert "Set-Cookie" not in response.headers
    assert subscriber(app, "reader@example.org") is None
    assert queued_mail(app) == []
    deliver(app)
    assert inbox.messages == []


def test_an_older_browser_posting_from_another_origin_is_refused(app):
    response = post_sign_up(app.test_client(), {"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert subscriber(app, "reader@example.org") is None


@pytest.mark.parametrize("htmx", [False, True])
def test_a_same_origin_sign_up_works(app, htmx):
    response = post_sign_up(app.test_client(), {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}, htmx)
    assert response.status_code == 200
    assert "Check your inbox to confirm" in response.get_data(as_text=True)
    assert subscriber(app, "reader@example.org").status == "pending"


def test_a_client_that_is_not_a_browser_may_post(app):
    response = post_sign_up(app.test_client(), {})
    assert response.status_code == 200
    assert subscriber(app, "reader@example.org").status == "pending"


@pytest.mark.parametrize("app_config", [{"SITE_URL": "https://miasfeed.example"}])
def test_our_public_origin_passes_when_the_proxy_does_not_pass_the_host(app):
    # The proxy forwards to 127.0.0.1:8000 without `proxy_set_header Host`.
    response = app.test_client().post(
        "/newsletter/subscribe", data=FORM, base_url="http://127.0.0.1:8000",
        headers={"Origin": "https://miasfeed.example"},
    )
    assert response.status_code == 200
    assert subscriber(app, "reader@example.org").status == "pending"


@pytest.mark.parametrize("app_config", [{"PROXY_HOPS": 1}])
def test_behind_a_proxy_the_host_the_reader_used_is_compared(app):
    # The proxy passes Host on (docs/deployment.md, and deploy/nginx/): the browser's Origin matches it.
    response = app.test_client().post(
        "/newsletter/subscribe", data=FORM, base_url="http://news.example",
        headers={"Origin": "https://news.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 200
    assert subscriber(app, "reader@example.org").status == "pending"
    refused = app.test_client().post(
        "/newsletter/subscribe", data=dict(FORM, email="other@example.org"), base_url="http://news.example",
        headers={"Origin": "https://evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    assert refused.status_code == 403
    assert subscriber(app, "other@example.org") is None


@pytest.mark.parametrize("app_config", [{"TRUSTED_ORIGINS": ["https://partner.example"]}])
def test_a_trusted_origin_may_post(app):
    response = post_sign_up(app.test_client(), {"Sec-Fetch-Site": "cross-site", "Origin": "https://partner.example"})
    assert response.status_code == 200
    assert subscriber(app, "reader@example.org").status == "pending"


def test_a_trusted_origin_with_a_path_is_a_clear_configuration_error():
    with pytest.raises(CrossOriginConfigError, match="leave out the path"):
        trusted_origins({"TRUSTED_ORIGINS": ["https://partner.example/forms"]})
    with pytest.raises(CrossOriginConfigError, match="not an origin"):
        trusted_origins({"TRUSTED_ORIGINS": ["partner.example"]})


def _active_token(app, email):
    with app.app_context():
        subscriptions.subscribe(email, "weekly", "/")
        found = subscriptions.find_by_email(email)
        found.status = "active"
        from miafeed.extensions import db

        db.session.commit()
        return tokens.make_token(tokens.UNSUBSCRIBE, found)


@pytest.mark.parametrize(
    "headers",
    [
        {},  # the provider's own servers, as RFC 8058 describes
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://mail.example"},  # a web mail page in the browser
        {"Origin": "null"},
    ],
)
@pytest.mark.parametrize("multipart", [False, True])
def test_one_click_unsubscribe_works_from_wherever_the_provider_sends_it(app, headers, multipart):
    token = _active_token(app, "oneclick@example.org")
    client = app.test_client(use_cookies=False)
    if multipart:
        response = client.post(f"/newsletter/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"},
                               headers=headers, content_type="multipart/form-data")
    else:
        response = client.post(f"/newsletter/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                               headers=headers, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert subscriber(app, "oneclick@example.org").status == "unsubscribed"


def test_other_cross_site_posts_to_the_unsubscribe_link_are_refused(app):
    token = _active_token(app, "undo@example.org")
    client = app.test_client()
    client.post(f"/newsletter/unsubscribe/{token}", headers={"Sec-Fetch-Site": "same-origin"})
    undo = client.post(f"/newsletter/unsubscribe/{token}", data={"action": "undo"},
                       headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
    assert undo.status_code == 403
    assert subscriber(app, "undo@example.org").status == "unsubscribed"


def test_htmx_is_told_to_swap_the_403_and_nothing_else_changes(client):
    html = client.get("/").get_data(as_text=True)
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1))
    rules = config["responseHandling"]
    # Swapped like a 2xx (no htmx:responseError, so no console error): the
    # reader just sees the notice where the form was.
    assert {"code": "403", "swap": True} in rules
    # htmx 2's defaults around it, in order: 204 no swap, 2xx/3xx swap, other 4xx/5xx no swap.
    assert rules.index({"code": "403", "swap": True}) < rules.index(
        {"code": "[45]..", "swap": False, "error": True}
    )
    assert rules[0] == {"code": "204", "swap": False}
