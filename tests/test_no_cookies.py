"""No response to a reader sets a cookie: every route, every method it takes."""
from __future__ import annotations

import pytest
from flask import session

from miafeed.extensions import db
from miafeed.newsletter import subscriptions, tokens
from newsletter_support import app, app_config, app_defaults  # noqa: F401

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}


@pytest.fixture
def site(app, content):
    content.write("sleep-study", title="'Sleep and stress'", body="Sleep words. " * 50)
    content.write("pain-study", title="'Pain and mood'", category="Chronic Pain & Conditions", tags=["pain"])
    with app.app_context():
        content.import_all()
        subscriptions.subscribe("walker@example.org", "weekly", "/")
        found = subscriptions.find_by_email("walker@example.org")
        found.status = "active"
        db.session.commit()
        return {kind: tokens.make_token(kind, found) for kind in (tokens.CONFIRM, tokens.PREFERENCES, tokens.UNSUBSCRIBE)}


def requests_for_every_route(links):
    """(method, url, data, headers) for each route; endpoint -> requests."""
    confirm, preferences, unsubscribe = (links[kind] for kind in (tokens.CONFIRM, tokens.PREFERENCES, tokens.UNSUBSCRIBE))
    htmx = {"HX-Request": "true"}
    form = {"email": "new@example.org", "frequency": "daily", "source": "/", "website": ""}
    return {
        "articles.home": [("GET", "/", None, {}), ("GET", "/?page=2", None, {}), ("GET", "/?page=x", None, {})],
        "articles.article": [("GET", "/articles/sleep-and-stress", None, {}), ("GET", "/articles/nope", None, {})],
        "articles.related": [("GET", "/articles/sleep-and-stress/related", None, {}),
                             ("GET", "/articles/sleep-and-stress/related", None, htmx)],
        "articles.category": [("GET", "/category/sleep", None, {}), ("GET", "/category/nope", None, {})],
        "articles.tag": [("GET", "/tag/sleep", None, {})],
        "search.search": [("GET", "/search?q=sleep", None, {}), ("GET", "/search?q=sleep", None, htmx),
                          ("GET", "/search", None, {})],
        "feeds.site_feed": [("GET", "/feed.xml", None, {})],
        "feeds.category_feed": [("GET", "/category/sleep/feed.xml", None, {})],
        "feeds.sitemap": [("GET", "/sitemap.xml", None, {})],
        "feeds.robots": [("GET", "/robots.txt", None, {})],
        "privacy": [("GET", "/privacy", None, {})],
        "healthz": [("GET", "/healthz", None, {})],
        "newsletter.subscribe_page": [("GET", "/newsletter/subscribe", None, {})],
        "newsletter.subscribe": [
            ("POST", "/newsletter/subscribe", form, SAME_ORIGIN),
            ("POST", "/newsletter/subscribe", form, dict(SAME_ORIGIN, **htmx)),
            ("POST", "/newsletter/subscribe", dict(form, email="bad@"), SAME_ORIGIN),
            ("POST", "/newsletter/subscribe", form, {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}),
        ],
        "newsletter.confirm": [("GET", f"/newsletter/confirm/{confirm}", None, {}),
                               ("POST", f"/newsletter/confirm/{confirm}", {}, SAME_ORIGIN),
                               ("GET", "/newsletter/confirm/broken", None, {})],
        "newsletter.preferences": [("GET", f"/newsletter/preferences/{preferences}", None, {}),
                                   ("POST", f"/newsletter/preferences/{preferences}", {"frequency": "monthly"}, SAME_ORIGIN)],
        "newsletter.unsubscribe": [("GET", f"/newsletter/unsubscribe/{unsubscribe}", None, {}),
                                   ("POST", f"/newsletter/unsubscribe/{unsubscribe}", {}, SAME_ORIGIN),
                                   ("POST", f"/newsletter/unsubscribe/{unsubscribe}", {"List-Unsubscribe": "One-Click"}, {})],
        "articles.article_with_slash": [("GET", "/articles/sleep-and-stress/", None, {}),
                                        ("GET", "/articles/Sleep-And-Stress", None, {})],
        "articles.lead_image": [("GET", "/images/not-there.webp", None, {})],
        "site.author": [("GET", "/author/nobody", None, {})],
        "site.about": [("GET", "/about", None, {})],
        "site.editorial_policy": [("GET", "/editorial-policy", None, {})],
        "site.corrections": [("GET", "/corrections", None, {})],
        "site.page": [("GET", "/pages/nope", None, {})],
        "sample_digest": [("GET", "/sample-digest", None, {})],
        "search.suggest": [("GET", "/search/suggest?q=sle", None, {"HX-Request": "true"}),
                           ("GET", "/search/suggest?q=sle", None, {})],
        "feedback.helpful": [("POST", "/articles/sleep-and-stress/helpful", {"answer": "yes"}, SAME_ORIGIN),
                             ("POST", "/articles/sleep-and-stress/helpful", {"answer": "no"}, dict(SAME_ORIGIN, **htmx)),
                             ("POST", "/articles/sleep-and-stress/helpful", {"answer": "maybe"}, SAME_ORIGIN),
                             ("POST", "/articles/nope/helpful", {"answer": "yes"}, SAME_ORIGIN)],
        "feedback.problem": [("POST", "/articles/sleep-and-stress/problem", {"text": "A typo"}, SAME_ORIGIN),
                             ("POST", "/articles/sleep-and-stress/problem", {"text": "x" * 2000}, dict(SAME_ORIGIN, **htmx)),
                             ("POST", "/articles/sleep-and-stress/problem", {"text": "spam"},
                              {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})],
        # A provider's server calls these (no cookie to send or get); refused here, as unconfigured.
        "newsletter_webhooks.mailgun": [("POST", "/newsletter/webhooks/mailgun", {"signature": "forged"}, {})],
        "newsletter_webhooks.postmark": [("POST", "/newsletter/webhooks/postmark", {}, {})],
        "static": [],  # served by WhiteNoise or Flask's static route, no app code
    }


def test_no_route_sets_a_cookie_or_varies_on_one(app, site):
    walk = requests_for_every_route(site)
    routed = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert routed <= set(walk), f"add the new routes to this walk: {sorted(routed - set(walk))}"
    client = app.test_client()
    for endpoint, requests in walk.items():
        for method, url, data, headers in requests:
            response = client.open(url, method=method, data=data, headers=headers)
            assert response.status_code < 500, (method, url)
            assert "Set-Cookie" not in response.headers, (method, url)
            assert "Cookie" not in response.headers.get("Vary", ""), (method, url)
    assert client.get_cookie("session") is None


def test_a_change_that_writes_to_the_session_fails_loudly(app):
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError, match="cookieless"):
            session["reader"] = "someone"
        assert dict(session) == {}
