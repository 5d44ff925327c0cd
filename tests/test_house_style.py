"""One house style: British English, "2 December 2026" dates, a focus colour
of its own, About and the newsletter in the header, htmx settling no style
attribute (CSP)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from clock import NOW

ROOT = Path(__file__).resolve().parent.parent


def test_dates_read_day_month_year_on_articles_and_cards(client, app, content):
    content.write("sleep-study", title="'Sleep and stress'", slug="sleep-and-stress", published=NOW.date().isoformat())
    with app.app_context():
        content.import_all()
    british = f"{NOW.day} {NOW:%B} {NOW.year}"
    assert f">{british}</time>" in client.get("/articles/sleep-and-stress").get_data(as_text=True)
    assert f">{british}</time>" in client.get("/").get_data(as_text=True)
    assert f"{NOW:%B} {NOW.day}, {NOW.year}" not in client.get("/").get_data(as_text=True)


def test_the_header_reaches_about_and_the_newsletter_and_pages_say_en_gb(client):
    page = client.get("/").get_data(as_text=True)
    header = page[page.index('<header class="site-header">'):page.index("</header>")]
    assert 'href="/about">About</a>' in header and 'href="/newsletter/subscribe">Newsletter</a>' in header
    assert '<html lang="en-GB">' in page and 'content="en_GB"' in page


def test_htmx_settles_no_style_attribute_and_injects_no_indicator_style(client):
    page = client.get("/").get_data(as_text=True)
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page).group(1))
    assert config["includeIndicatorStyles"] is False
    assert "style" not in config["attributesToSettle"]


def test_focus_has_its_own_colour_in_light_and_dark():
    css = (ROOT / "static" / "css" / "site.css").read_text()
    focus = re.findall(r"--focus:\s*(#[0-9a-f]+)", css)
    error = re.findall(r"--error:\s*(#[0-9a-f]+)", css)
    assert len(focus) == len(error) == 2 and not set(focus) & set(error)
    assert "#b3421f" in error
    assert ".field-error { color: var(--error)" in css


def test_healthy_ageing_is_spelt_the_british_way_and_keeps_its_old_address():
    categories = yaml.safe_load((ROOT / "content" / "categories.yml").read_text())
    ageing = next(category for category in categories if category["slug"] == "healthy-ageing")
    assert ageing["name"] == "Healthy Ageing"
    assert ageing["former_slugs"] == ["healthy-aging"]
    for article in (ROOT / "content" / "articles").glob("*.md"):
        assert 'category: "Healthy Aging"' not in article.read_text(), article.name


def test_the_stylesheet_braces_balance():
    # A stray "}" makes the browser drop the rule after it without a word (it
    # once dropped the 24 px target size of the radio buttons).
    css = re.sub(r"/\*.*?\*/", "", (ROOT / "static" / "css" / "site.css").read_text(), flags=re.S)
    depth = 0
    for char in css:
        depth += (char == "{") - (char == "}")
        assert depth >= 0, "a } closes more than was opened"
    assert depth == 0
