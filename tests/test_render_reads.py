"""What a page render reads once and keeps: the paths url_for builds
(miafeed/http/url_memo.py) and the navigation's categories, kept per content
version (miafeed/http/web.py). Kept values must never show a reader a
stale or foreign link."""
from __future__ import annotations

import re

from miafeed.extensions import db
from miafeed.models import Article


def _article_links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]*/articles/[^"/]+)"', html))


def test_links_follow_the_prefix_each_request_is_served_under(app, client, content):
    content.write("sleep", title="'Regular bedtimes help'")
    with app.app_context():
        content.import_all()
    app.config["PAGE_CACHE_ENABLED"] = False

    plain = client.get("/").get_data(as_text=True)
    prefixed = client.get("/", environ_overrides={"SCRIPT_NAME": "/news"}).get_data(as_text=True)
    plain_again = client.get("/").get_data(as_text=True)

    assert _article_links(plain) == {"/articles/regular-bedtimes-help"}
    assert _article_links(prefixed) == {"/news/articles/regular-bedtimes-help"}
    assert _article_links(plain_again) == {"/articles/regular-bedtimes-help"}
    assert 'href="/news/static/' in prefixed and "/news/" not in plain_again


def test_an_absolute_link_is_still_built_from_site_url(app, client, content):
    content.write("sleep", title="'Regular bedtimes help'")
    with app.app_context():
        content.import_all()
    page = client.get("/articles/regular-bedtimes-help").get_data(as_text=True)
    assert '<link rel="canonical" href="http://localhost/articles/regular-bedtimes-help">' in page


def test_a_category_added_by_an_import_shows_in_the_navigation_at_once(app, client, content):
    content.write("sleep")
    with app.app_context():
        content.import_all()
    app.config["PAGE_CACHE_ENABLED"] = False
    assert "Healthy Ageing" not in client.get("/").get_data(as_text=True)

    categories = content.root / "categories.yml"
    categories.write_text(categories.read_text() + "- name: Healthy Ageing\n  slug: healthy-ageing\n  description: Growing older well.\n")
    with app.app_context():
        content.import_all()

    page = client.get("/").get_data(as_text=True)
    assert '<a href="/category/healthy-ageing"' in page and "Healthy Ageing</a>" in page
    with app.app_context():
        assert db.session.query(Article).count() == 1
