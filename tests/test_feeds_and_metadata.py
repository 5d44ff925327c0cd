"""What crawlers, feed readers and share previews read: feeds, sitemap, robots, head tags."""
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from miafeed.clock import utcnow

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def published(app, content):
    content.write(
        "sleep-study",
        title="'Sleep & stress: <what> the trial found'",
        tags=["sleep", "stress"],
        summary="'Less sleep, more stress & worse mood.'",
        source_name="Journal of Sleep Research",
        source_url="https://research.example.org/sleep-trial",
        published="2026-01-15",
        updated="2026-02-01",
    )
    content.write("pain-review", title="'CBT and pain'", category="Chronic Pain & Conditions", tags=["pain"],
                  published="2026-01-10")
    tomorrow = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%d")
    content.write("future", title="'Not yet published'", published=tomorrow)
    content.write("draft", title="'A draft'", draft="true")
    with app.app_context():
        content.import_all()


class HeadTags(HTMLParser):
    """Collects <meta>, <link>, <title>, <html lang> and JSON-LD from a page."""

    def __init__(self):
        super().__init__()
        self.meta, self.links, self.json_ld, self.title, self.lang = {}, [], [], "", None
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta.setdefault(attrs.get("property") or attrs.get("name"), []).append(attrs.get("content"))
        elif tag == "link":
            self.links.append(attrs)
        elif tag in ("title", "script") and (tag == "title" or attrs.get("type") == "application/ld+json"):
            self._in = tag

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.json_ld.append(json.loads(data))

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None


def head(client, url) -> HeadTags:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = HeadTags()
    parser.feed(response.get_data(as_text=True))
    return parser


def test_article_page_has_open_graph_twitter_and_canonical(client, published):
    tags = head(client, "/articles/sleep-stress-what-the-trial-found?utm_source=x")
    url = "http://localhost/articles/sleep-stress-what-the-trial-found"
    assert tags.lang == "en-GB"
    assert tags.title == "Sleep & stress: <what> the trial found · Mia's Feed"
    assert tags.meta["description"] == ["Less sleep, more stress & worse mood."]
    assert [link["href"] for link in tags.links if link.get("rel") == "canonical"] == [url]
    assert tags.meta["og:type"] == ["article"]
    assert tags.meta["og:title"] == ["Sleep & stress: <what> the trial found"]
    assert tags.meta["og:url"] == [url]
    assert tags.meta["og:site_name"] == ["Mia's Feed"]
    assert tags.meta["og:description"] == ["Less sleep, more stress & worse mood."]
    assert tags.meta["article:published_time"] == ["2026-01-15T00:00:00Z"]
    assert tags.meta["article:modified_time"] == ["2026-02-01T00:00:00Z"]
    assert tags.meta["article:section"] == ["Sleep"]
    assert sorted(tags.meta["article:tag"]) == ["sleep", "stress"]
    assert tags.meta["twitter:card"] == ["summary"]
    assert tags.meta["twitter:title"] == ["Sleep & stress: <what> the trial found"]


def test_article_json_ld_is_a_news_article_based_on_its_source(client, published):
    (data,) = head(client, "/articles/sleep-stress-what-the-trial-found").json_ld
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Sleep & stress: <what> the trial found"
    assert data["description"] == "Less sleep, more stress & worse mood."
    assert data["datePublished"] == "2026-01-15T00:00:00Z"
    assert data["dateModified"] == "2026-02-01T00:00:00Z"
    assert data["author"]["name"] == "Mia's Feed editorial team"
    assert data["publisher"]["name"] == "Mia's Feed"
    assert data["articleSection"] == "Sleep"
    assert sorted(data["keywords"]) == ["sleep", "stress"]
    assert data["isBasedOn"] == {"@type": "CreativeWork", "name": "Journal of Sleep Research",
                                 "url": "https://research.example.org/sleep-trial"}


def test_json_ld_cannot_close_its_script_tag(client, published):
    html = client.get("/articles/sleep-stress-what-the-trial-found").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block  # tojson escapes <, so a title with </script> stays data


def test_every_page_type_has_a_unique_title_description_and_canonical(client, published):
    urls = ["/", "/articles/sleep-stress-what-the-trial-found", "/articles/cbt-and-pain", "/category/sleep",
            "/category/chronic-pain-conditions", "/tag/sleep", "/tag/pain"]
    seen_titles, seen_canonicals = set(), set()
    for url in urls:
        tags = head(client, url)
        assert tags.lang == "en-GB"
        assert tags.meta["description"][0], url
        (canonical,) = [link["href"] for link in tags.links if link.get("rel") == "canonical"]
        assert canonical == "http://localhost" + url
        assert tags.title not in seen_titles, url
        assert canonical not in seen_canonicals
        seen_titles.add(tags.title)
        seen_canonicals.add(canonical)
        assert tags.meta["og:title"] and tags.meta["twitter:card"] == ["summary"]


def test_pages_advertise_the_site_feed_and_category_pages_their_own(client, published):
    feeds = [link["href"] for link in head(client, "/category/sleep").links
             if link.get("rel") == "alternate" and link.get("type") == "application/atom+xml"]
    assert feeds == ["http://localhost/feed.xml", "http://localhost/category/sleep/feed.xml"]


def test_error_pages_are_not_indexed(client, published):
    html = client.get("/articles/nope").get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in html
    assert 'rel="canonical"' not in html


def test_site_feed_is_atom_with_the_visible_articles_newest_first(client, published):
    response = client.get("/feed.xml")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "Mia's Feed"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/feed.xml"
    assert feed.findtext(f"{ATOM}updated") == "2026-02-01T00:00:00Z"
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        "Sleep & stress: <what> the trial found", "CBT and pain"]
    first = entries[0]
    assert first.findtext(f"{ATOM}id") == "http://localhost/articles/sleep-stress-what-the-trial-found"
    assert first.find(f"{ATOM}link[@rel='alternate']").get("href") == first.findtext(f"{ATOM}id")
    assert first.findtext(f"{ATOM}summary") == "Less sleep, more stress & worse mood."
    assert first.findtext(f"{ATOM}published") == "2026-01-15T00:00:00Z"
    assert first.findtext(f"{ATOM}updated") == "2026-02-01T00:00:00Z"
    assert first.findtext(f"{ATOM}author/{ATOM}name") == "Mia's Feed editorial team"
    assert {c.get("term") for c in first.findall(f"{ATOM}category")} == {"sleep", "stress"}


def test_feed_answers_if_modified_since_with_304(client, published):
    response = client.get("/feed.xml")
    assert response.headers["Last-Modified"] == "Sun, 01 Feb 2026 00:00:00 GMT"
    again = client.get("/feed.xml", headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert again.status_code == 304


def test_feed_holds_at_most_twenty_entries(app, client, content):
    for number in range(23):
        content.write(f"a{number}", title=f"'Article number {number}'", published=f"2026-01-{number + 1:02d}")
    with app.app_context():
        content.import_all()
    entries = ET.fromstring(client.get("/feed.xml").data).findall(f"{ATOM}entry")
    assert len(entries) == 20
    assert entries[0].findtext(f"{ATOM}title") == "Article number 22"


def test_category_feed_has_only_that_category(client, published):
    feed = ET.fromstring(client.get("/category/chronic-pain-conditions/feed.xml").data)
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == ["CBT and pain"]
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://localhost/category/chronic-pain-conditions"
    assert client.get("/category/no-such/feed.xml").status_code == 404


def test_sitemap_lists_visible_articles_categories_and_tags_with_lastmod(client, published):
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    urls = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod")
            for u in ET.fromstring(response.data).findall(f"{SITEMAP}url")}
    assert urls == {
        "http://localhost/": "2026-02-01",
        "http://localhost/articles/sleep-stress-what-the-trial-found": "2026-02-01",
        "http://localhost/articles/cbt-and-pain": "2026-01-10",
        "http://localhost/category/sleep": "2026-02-01",
        "http://localhost/category/chronic-pain-conditions": "2026-01-10",
        "http://localhost/tag/sleep": "2026-02-01",
        "http://localhost/tag/stress": "2026-02-01",
        "http://localhost/tag/pain": "2026-01-10",
        "http://localhost/sample-digest": "2026-02-01",
        "http://localhost/privacy": None,
    }


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_search_and_tokens(client):
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    lines = [line.strip() for line in response.get_data(as_text=True).splitlines() if not line.startswith("#")]
    assert "User-agent: *" in lines
    assert "Disallow: /search" in lines
    assert "Disallow: /newsletter/" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines


def test_share_links_and_canonical_come_from_site_url_not_the_request(client, published):
    # One way to build an absolute URL (http/site_url.absolute_url): a forged
    # Host header or prefix must not reach the share links of a kept page.
    page = client.get("/articles/sleep-stress-what-the-trial-found", headers={"Host": "evil.example"},
                      environ_overrides={"SCRIPT_NAME": "/forged"})
    html = page.get_data(as_text=True)
    assert 'data-copy-url="http://localhost/articles/sleep-stress-what-the-trial-found"' in html
    assert '<link rel="canonical" href="http://localhost/articles/sleep-stress-what-the-trial-found"' in html
    assert "evil.example" not in html and "localhost/forged" not in html
