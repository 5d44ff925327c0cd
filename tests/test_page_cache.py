"""The page cache: repeated readers cost no render, and changes show at once."""
from __future__ import annotations

import brotli
import gzip

import pytest
from flask import template_rendered

from clock import iso_day


@pytest.fixture
def published(app, content):
    content.write("sleep-study", title="'Sleep and stress'", body="Sleep words. " * 200)
    with app.app_context():
        content.import_all()


@pytest.fixture
def renders(app):
    """The templates rendered (page templates only, not their includes) per request."""
    seen: list[str] = []

    def record(sender, template, context, **extra):
        if template.name != "newsletter/_subscribe_form.html":  # rendered once per process, see newsletter/
            seen.append(template.name)

    template_rendered.connect(record, app)
    yield seen
    template_rendered.disconnect(record, app)


def test_a_second_reader_costs_no_render(app, published, renders):
    first = app.test_client().get("/articles/sleep-and-stress")
    assert renders == ["articles/article.html"]
    second = app.test_client().get("/articles/sleep-and-stress")
    assert renders == ["articles/article.html"]
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert "Content-Security-Policy" in second.headers  # headers still added to every answer


def test_a_revalidation_is_answered_before_rendering(app, published, renders):
    etag = app.test_client().get("/articles/sleep-and-stress", headers={"Accept-Encoding": "br"}).headers["ETag"]
    renders.clear()
    again = app.test_client().get("/articles/sleep-and-stress", headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304
    assert renders == []


def test_compressed_copies_are_kept_and_each_encoding_is_right(app, published, renders):
    clients = [app.test_client() for _ in range(2)]
    answers = {}
    for client in clients:  # the second reader of each encoding costs no render
        for encoding in ("identity", "br", "gzip"):
            answers[encoding] = client.get("/articles/sleep-and-stress", headers={"Accept-Encoding": encoding})
    assert renders == ["articles/article.html"] * 3
    plain = answers["identity"].data
    assert "Content-Encoding" not in answers["identity"].headers
    assert answers["br"].headers["Content-Encoding"] == "br"
    assert brotli.decompress(answers["br"].data) == plain
    assert answers["gzip"].headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(answers["gzip"].data) == plain
    assert len({answer.headers["ETag"] for answer in answers.values()}) == 3


def test_a_cached_answer_carries_every_header_of_the_rendered_one(app, published):
    rendered = app.test_client().get("/category/sleep", headers={"Accept-Encoding": "br"})
    cached = app.test_client().get("/category/sleep", headers={"Accept-Encoding": "br"})
    assert dict(cached.headers) == dict(rendered.headers)
    assert cached.data == rendered.data
    head = app.test_client().head("/category/sleep", headers={"Accept-Encoding": "br"})
    assert head.data == b"" and head.headers["ETag"] == rendered.headers["ETag"]


def test_an_import_shows_at_once(app, client, content, published):
    assert "Naps and memory" not in client.get("/").get_data(as_text=True)
    content.write("nap-study", title="'Naps and memory'", published=iso_day(-3))
    with app.app_context():
        content.import_all()
    assert "Naps and memory" in client.get("/").get_data(as_text=True)


def test_a_scheduled_article_shows_when_its_time_comes(app, client, content, published, clock):
    content.write("future-study", title="'Tomorrow in sleep'", published=iso_day(2))
    with app.app_context():
        content.import_all()
    assert "Tomorrow in sleep" not in client.get("/").get_data(as_text=True)
    assert "Tomorrow in sleep" not in client.get("/").get_data(as_text=True)  # kept, and still right
    clock.advance(days=3)
    assert "Tomorrow in sleep" in client.get("/").get_data(as_text=True)


def test_a_reindex_shows_at_once(app, client, runner, published, renders):
    client.get("/search?q=sleep")
    client.get("/search?q=sleep")
    assert renders.count("search/search.html") == 1
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    client.get("/search?q=sleep")
    assert renders.count("search/search.html") == 2


def test_tracking_arguments_share_the_page_and_change_no_byte(app, published, renders):
    clean = app.test_client().get("/articles/sleep-and-stress").data
    tagged = app.test_client().get("/articles/sleep-and-stress?utm_source=newsletter&fbclid=abc").data
    assert renders == ["articles/article.html"]
    # The key may ignore them only because the page never reads them:
    app.config["PAGE_CACHE_ENABLED"] = False
    assert app.test_client().get("/articles/sleep-and-stress?utm_source=x&fbclid=y").data == clean == tagged


def test_searches_that_clean_to_the_same_query_share_one_render(app, published, renders):
    first = app.test_client().get("/search?q=sleep")
    second = app.test_client().get("/search?q=%20%20sleep*%20")
    assert renders.count("search/search.html") == 1
    assert first.data == second.data
    # ... which is right only while the page shows the cleaned query, never the raw one:
    app.config["PAGE_CACHE_ENABLED"] = False
    assert app.test_client().get("/search?q=%20%20sleep*%20").data == first.data


def test_every_argument_that_changes_a_search_keeps_its_own_copy(app, content, published):
    content.write("stress-study", title="'Stress at work'", tags=["stress"], body="Stress words. " * 50)
    with app.app_context():
        content.import_all()
    htmx = {"HX-Request": "true"}
    # The header box's live list follows ?q= like the search page does.
    sleep = app.test_client().get("/search/suggest?q=slee", headers=htmx).get_data(as_text=True)
    stress = app.test_client().get("/search/suggest?q=stres", headers=htmx).get_data(as_text=True)
    assert "/articles/sleep-and-stress" in sleep and "/articles/stress-at-work" not in sleep
    assert "/articles/stress-at-work" in stress
    # ?exact=1 (search the typed words, no typo correction) is another page.
    corrected = app.test_client().get("/search?q=sleap").get_data(as_text=True)
    exact = app.test_client().get("/search?q=sleap&exact=1").get_data(as_text=True)
    assert "Showing results for" in corrected and "Showing results for" not in exact


def test_fragment_and_page_are_kept_apart(app, published):
    page = app.test_client().get("/search?q=sleep")
    fragment = app.test_client().get("/search?q=sleep", headers={"HX-Request": "true"})
    boosted = app.test_client().get("/search?q=sleep", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert b"<html" in page.data and b"<html" not in fragment.data
    assert boosted.data == page.data


def test_with_the_cache_off_every_reader_gets_a_render(app, published, renders):
    app.config["PAGE_CACHE_ENABLED"] = False
    app.test_client().get("/")
    app.test_client().get("/")
    assert renders == ["articles/home.html", "articles/home.html"]


def test_errors_and_link_pages_are_never_kept(app, published, renders):
    app.test_client().get("/articles/nope")
    app.test_client().get("/articles/nope")
    app.test_client().get("/newsletter/unsubscribe/not-a-token")
    app.test_client().get("/newsletter/unsubscribe/not-a-token")
    assert renders.count("errors/error.html") == 2
    assert renders.count("newsletter/invalid_link.html") == 2
