"""A reader still typing: no "no results" for a word too short to search,
and the first letters of a word find what the word is about."""
from __future__ import annotations

import re

import pytest

from test_search import result_titles, search, status_text

HX = {"HX-Request": "true"}


@pytest.fixture
def typing_site(app, content):
    """An insomnia article, and one whose body has many words starting "ins"
    (institute, instead, instructions) without being about insomnia."""
    content.write("cbt-insomnia", title="'CBT for insomnia beats sleeping pills'", category="Sleep",
                  body="People with insomnia slept better after therapy for insomnia than after pills.",
                  summary="Therapy for insomnia worked.", tags=["insomnia"])
    content.write("school-start", title="'Later school start gave teens more sleep'", category="Sleep",
                  body="The institute said schools could start later instead. Institute staff gave instructions; "
                       "the institute's inspectors installed clocks instead of bells, inside every school.",
                  summary="Teens slept longer when school started later.", tags=["teens"])
    with app.app_context():
        content.import_all()
    return content


def suggestion_titles(fragment: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r'class="suggestion-title">(.*?)</span>', fragment, re.S)]


@pytest.mark.parametrize("typed", ["i", "in", "I"])
def test_a_word_too_short_to_search_is_not_told_no_results(client, typing_site, typed):
    page = search(client, q=typed)
    assert "No articles found" not in page and "Try fewer or different words" not in page
    assert status_text(page) == "Keep typing…"
    fragment = client.get("/search/suggest", query_string={"q": typed}, headers=HX).get_data(as_text=True)
    assert "No articles found" not in fragment and 'role="option"' not in fragment


def test_the_first_three_letters_suggest_the_article_about_the_word(client, typing_site):
    fragment = client.get("/search/suggest?q=ins", headers=HX).get_data(as_text=True)
    assert suggestion_titles(fragment)[0] == "CBT for insomnia beats sleeping pills"
    assert result_titles(search(client, q="ins"))[0] == "CBT for insomnia beats sleeping pills"


def test_a_finished_short_word_that_matches_is_still_searched(client, content, app):
    content.write("ai-news", title="'AI reads heart scans'", body="An AI tool read heart scans.", category="Sleep")
    with app.app_context():
        content.import_all()
    assert result_titles(search(client, q="AI")) == ["AI reads heart scans"]
