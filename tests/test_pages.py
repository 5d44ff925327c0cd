"""What each page shows a reader, and how odd addresses are answered."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from miafeed.extensions import db
from miafeed.clock import utcnow


@pytest.fixture
def site(app, content):
    """Fifteen sleep articles and one about CBT, one day apart, newest last written."""
    for number in range(1, 16):
        content.write(
            f"sleep-{number:02d}",
            title=f"Sleep study number {number}",
            slug=f"sleep-study-{number}",
            summary=f"Summary of sleep study {number}.",
            published=f"2026-01-{number:02d}",
        )
    content.write(
        "cbt",
        title="CBT changes pain networks",
        slug="cbt-pain",
        category="'Chronic Pain & Conditions'",
        tags=["CBT", "chronic pain"],
        summary="Therapy changes the brain.",
        source_name="Medical Xpress",
        source_url="https://medicalxpress.com/news/2025-05-psychological-treatment-linked-physical-brain.html",
        published="2026-02-01T09:30:00",
        updated="2026-02-03",
        body="## What they found\n\nTherapy **helps**. " + "word " * 460,
    )
    with app.app_context():
        content.import_all()
    return content


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_home_lists_latest_articles_newest_first_twelve_a_page(client, site):
    page = text_of(client.get("/"))
    titles = re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', page)
    assert len(titles) == 12
    assert titles[0] == "CBT changes pain networks"
    assert titles[1] == "Sleep study number 15"
    assert "Page 1 of 2" in page and 'rel="next" href="/?page=2"' in page
    assert "3 min read" in page  # the CBT article: ~470 words
    assert "Chronic Pain &amp; Conditions" in page
    second = text_of(client.get("/?page=2"))
    assert re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', second) == [
        "Sleep study number 4", "Sleep study number 3", "Sleep study number 2", "Sleep study number 1"
    ]


def test_article_page_shows_everything_the_reader_needs(client, site):
    response = client.get("/articles/cbt-pain")
    page = text_of(response)
    assert response.status_code == 200
    assert "<h1>CBT changes pain networks</h1>" in page
    assert '<a href="/category/chronic-pain-conditions">Chronic Pain &amp; Conditions</a>' in page
    assert '<p class="lede">Therapy changes the brain.</p>' in page
    assert "3 min read" in page
    assert '<time datetime="2026-02-01T09:30:00Z">1 February 2026</time>' in page
    assert "Updated <time" in page
    assert "<h2>What they found</h2>" in page and "<strong>helps</strong>" in page
    assert 'Source: <a href="https://medicalxpress.com/news/2025-05-psychological-treatment-linked-physical-brain.html"' in page
    assert '<a href="/tag/cbt">CBT</a>' in page and '<a href="/tag/chronic-pain">chronic pain</a>' in page
    # share block: no third-party script, plain links and a copy button
    assert "Copy link" in page and "mailto:?subject=" in page and "linkedin.com/sharing" in page
    assert not re.search(r'<script[^>]+src="https?://', page)
    # the inline newsletter form
    assert 'action="/newsletter/subscribe"' in page
    assert "How often would you like updates?" in page
    weekly = re.search(r'<input[^>]*value="weekly"[^>]*>', page).group(0)
    assert "checked" in weekly
    assert "Related Articles" in page


def test_category_page_lists_only_its_articles(client, site):
    page = text_of(client.get("/category/chronic-pain-conditions"))
    assert "<h1 class=\"page-title\">Chronic Pain &amp; Conditions</h1>" in page
    assert "CBT changes pain networks" in page
    assert "Sleep study" not in page
    assert 'aria-current="page"' in page


def test_tag_page_lists_tagged_articles_and_paginates(client, site):
    page = text_of(client.get("/tag/sleep"))
    assert "Tagged “sleep”" in page
    assert page.count('class="card"') == 12
    assert page.count('class="card"') + text_of(client.get("/tag/sleep?page=2")).count('class="card"') == 15


@pytest.mark.parametrize("url", ["/category/astrology", "/tag/no-such-tag", "/articles/no-such-article", "/nowhere"])
def test_unknown_addresses_get_a_404_page_in_the_site_layout(client, site, url):
    response = client.get(url)
    assert response.status_code == 404
    page = text_of(response)
    assert "Skip to content" in page and "Go to the latest articles" in page


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "99999999999", "", "%00", "２"])
def test_odd_page_values_get_a_clear_400(client, site, value):
    response = client.get(f"/?page={value}")
    assert response.status_code == 400
    assert "whole number" in text_of(response)


def test_a_page_past_the_end_is_404_saying_how_many_pages_exist(client, site):
    response = client.get("/?page=3")
    assert response.status_code == 404
    assert "this list has 2 pages" in text_of(response)


def test_empty_site_home_says_so(client):
    page = text_of(client.get("/"))
    assert "No articles here yet." in page


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] is True


def test_server_error_page_uses_the_site_layout(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in text_of(response)


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)
        self.engine = engine

    def _count(self, *args):
        self.count += 1

    def stop(self):
        event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.mark.parametrize("url", ["/", "/category/sleep", "/tag/sleep"])
def test_listing_pages_use_a_fixed_number_of_queries_whatever_the_page_size(app, client, site, url):
    app.config["PAGE_CACHE_ENABLED"] = False  # count the queries of a render, not of a cache hit
    # A first page reads what is kept per content version (the navigation's
    # categories); the count is of the pages after it.
    assert client.get(url).status_code == 200
    counts = []
    for per_page in (2, 12):
        app.config["ARTICLES_PER_PAGE"] = per_page
        with app.app_context():
            counter = QueryCounter(db.engine)
            assert client.get(url).status_code == 200
            counter.stop()
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert counts[1] <= 6
