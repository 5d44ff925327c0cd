"""Small things crawlers and share previews read: the page, its JSON-LD and
the feeds say one language; the sitemap lists the privacy page (issue 31)."""
from __future__ import annotations

import json
import re

from test_feeds_and_metadata import published  # noqa: F401  (the fixture)


def test_json_ld_and_feeds_say_the_language_the_page_says(client, published):  # noqa: F811
    page = client.get("/articles/sleep-stress-what-the-trial-found").get_data(as_text=True)
    language = re.search(r'<html lang="([^"]+)"', page).group(1)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert language == "en-GB" and data["inLanguage"] == language
    assert f'xml:lang="{language}"' in client.get("/feed.xml").get_data(as_text=True)


def test_the_sitemap_lists_the_privacy_page(client, published):  # noqa: F811
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>http://localhost/privacy</loc>" in sitemap
