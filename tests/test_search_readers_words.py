"""Search in a reader's words, on the demo articles: letters typed so far
always find what the word finds, a query no article fully holds shows the
closest articles, and lay words lead to the articles about them (issue 31)."""
from __future__ import annotations

import re

import pytest

from miafeed.content import import_content
from test_search import result_titles, search, status_text
from test_search_typing import suggestion_titles

HX = {"HX-Request": "true"}
TYPED_WORDS = ("sleep", "therapy", "exercise", "dementia", "insomnia")
KNEE_ARTICLE = "Physiotherapy beat steroid injections for knee osteoarthritis at one year"


@pytest.fixture
def demo(app):
    with app.app_context():
        import_content(app.config["CONTENT_DIR"])
    return app


def header_list(client, typed: str) -> str:
    return client.get("/search/suggest", query_string={"q": typed}, headers=HX).get_data(as_text=True)


def header_status(fragment: str) -> str:
    found = re.search(r'id="header-search-status"[^>]*>(.*?)</span>', fragment, re.S)
    return re.sub(r"\s+", " ", found.group(1)).strip() if found else ""


@pytest.mark.parametrize("word", TYPED_WORDS)
def test_every_prefix_of_three_letters_or_more_finds_articles_on_the_page_and_in_the_header(client, demo, word):
    for end in range(3, len(word) + 1):
        typed = word[:end]
        page = search(client, q=typed)
        assert result_titles(page), (typed, status_text(page))
        assert "No articles found" not in page and "Did you mean" not in page, typed
        fragment = header_list(client, typed)
        assert suggestion_titles(fragment), (typed, header_status(fragment))
        assert "No articles found" not in fragment, typed


def test_letters_that_name_a_synonym_still_start_the_word_being_typed(client, demo):
    # "sle" is the abbreviation of lupus in the synonym list, and the start of "sleep".
    assert result_titles(search(client, q="sle"))[:3] == result_titles(search(client, q="sleep"))[:3]
    # "the" is a stop word, and the start of "therapy".
    assert result_titles(search(client, q="ther"))
    assert any("Therapy" in title for title in result_titles(search(client, q="the")))


@pytest.mark.parametrize("typed", ["tum", "tumm"])
def test_an_unfinished_last_word_is_not_corrected(client, demo, typed):
    page = search(client, q=typed)
    assert "Did you mean" not in page and "Showing results for" not in page


def test_a_query_no_article_fully_holds_lists_the_closest_and_says_so(client, demo):
    page = search(client, q="knee arthritis")
    titles = result_titles(page)
    # The knee article has both words, "arthritis" inside "osteoarthritis".
    assert titles[0] == KNEE_ARTICLE
    assert status_text(page).startswith("No article has every word of “knee arthritis”;")
    fragment = header_list(client, "knee arthritis")
    assert suggestion_titles(fragment)[0] == KNEE_ARTICLE
    assert header_status(fragment).startswith("No article has every word;")


def test_a_query_whose_words_match_nothing_at_all_still_says_no_articles(client, demo):
    page = search(client, q="xylophone zeppelin")
    assert result_titles(page) == []
    assert status_text(page) == "No articles found for “xylophone zeppelin”."


def test_feeling_anxious_finds_the_anxiety_articles(client, demo):
    titles = result_titles(search(client, q="feeling anxious"))
    assert titles and "anxiety" in titles[0].lower()


def test_trouble_sleeping_puts_a_sleep_article_first(client, demo):
    first = result_titles(search(client, q="trouble sleeping"))[0]
    assert re.search(r"sleep|insomnia", first, re.I), first
    assert re.search(r"sleep|insomnia", suggestion_titles(header_list(client, "trouble sleeping"))[0], re.I)


@pytest.mark.parametrize("typed", ["he", "co", "in", "sl"])
def test_two_letters_that_no_title_summary_or_tag_uses_are_still_being_typed(client, demo, typed):
    # "he" was found as the surname "Jiang He" in one body, "co" in four.
    page = search(client, q=typed)
    assert result_titles(page) == [] and status_text(page) == "Keep typing…"
    fragment = header_list(client, typed)
    assert suggestion_titles(fragment) == [] and header_status(fragment) == ""
