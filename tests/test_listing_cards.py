"""Listing cards: a reader never sees a card older than the content, nor one
built for another address prefix or another listing (a memo of rendered
cards, articles/card_memo.py until issue 32, had to keep all three apart)."""
from __future__ import annotations

import re


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="card[^"]*">.*?</article>', html, re.S)


def test_a_card_follows_an_edit_the_prefix_and_its_listing(app, client, content):
    content.write("walk", title="'Walking after meals steadies blood sugar'", category="Sleep")
    content.write("calm", title="'Breathing exercises calm exam nerves'", category="Mental Health & Mindfulness")
    with app.app_context():
        content.import_all()

    home = client.get("/").get_data(as_text=True)
    assert "Walking after meals steadies blood sugar" in home
    walk = next(card for card in _cards(home) if "Walking" in card)
    assert 'href="/articles/walking-after-meals' in walk
    assert 'href="/category/sleep"' in walk  # the home page names each card's category

    # Under a prefix, the same card links under the prefix.
    prefixed = client.get("/", environ_overrides={"SCRIPT_NAME": "/news"}).get_data(as_text=True)
    walk = next(card for card in _cards(prefixed) if "Walking" in card)
    assert 'href="/news/articles/walking-after-meals' in walk
    assert 'href="/articles/walking-after-meals' not in walk

    # Its own category's page leaves the category's name out of the card.
    sleep_page = client.get("/category/sleep").get_data(as_text=True)
    walk = next(card for card in _cards(sleep_page) if "Walking" in card)
    assert 'class="category-link"' not in walk

    # An edit that keeps the article (and its address): the card shows it.
    content.write("walk", title="'Walking after meals steadies blood sugar'", category="Sleep",
                  summary="Ten minutes on foot after dinner flattened the glucose peak.")
    with app.app_context():
        content.import_all()
    for prefix in ("", "/news"):
        home = client.get("/", environ_overrides={"SCRIPT_NAME": prefix} if prefix else {}).get_data(as_text=True)
        walk = next(card for card in _cards(home) if "Walking" in card)
        assert "Ten minutes on foot after dinner flattened the glucose peak." in walk
        assert "A short summary." not in walk
