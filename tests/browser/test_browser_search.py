"""Search as a reader types it, in a real Chromium against the real server:
/search letter by letter, the header's live box by keyboard only, and the
address, box and results agreeing after Back and Forward."""
from __future__ import annotations

import re

import pytest

from axe_playwright_python.sync_playwright import Axe
from test_browser_flows import AXE_OPTIONS, assert_accessible, require

INSOMNIA = "Therapy for insomnia may outlast sleeping pills"


@pytest.fixture(autouse=True)
def _needs_search(site):
    require(site, "search.search", "search.suggest")
    if not any("insomnia" in path for path in site.articles):
        pytest.skip("these flows search the demo articles in content/")


def status(page) -> str:
    return page.locator("#search-status").inner_text().strip()


def wait_for_status(page, words: str) -> None:
    page.wait_for_function(
        "words => (document.getElementById('search-status').textContent || '').includes('for \u201c' + words + '\u201d')",
        arg=words,
    )


def test_typing_on_the_search_page_finds_the_article_from_the_third_letter(site, new_page):
    watched = new_page()
    page = watched.page
    page.goto(site.url("/search"), wait_until="networkidle")
    box = page.locator("#search-q")
    box.focus()
    for typed in "insomnia":
        box.press(typed)
        value = box.input_value()
        if len(value) < 3:
            continue
        wait_for_status(page, value)
        titles = page.locator(".search-hit-title").all_inner_texts()
        assert any("insomnia" in title.lower() for title in titles[:3]), (value, titles)
    assert "insomnia" in page.locator(".search-hit-title").first.inner_text().lower()
    assert page.url.endswith("/search?q=insomnia")
    assert watched.problems() == []


def test_header_box_lists_matches_from_the_third_letter(site, new_page):
    watched = new_page()
    page = watched.page
    page.goto(site.url("/"), wait_until="networkidle")
    box = page.locator("#header-search-q")
    box.focus()
    for typed in "insomnia":
        box.press(typed)
        value = box.input_value()
        if len(value) < 3:
            continue
        page.locator("#header-search-options .suggestion-all").filter(has_text=f"“{value}”").wait_for()
        assert "insomnia" in page.locator("#header-search-options").inner_text().lower(), value
        assert box.get_attribute("aria-expanded") == "true"
    assert INSOMNIA in page.locator("#header-search-options").inner_text()
    # Screen readers hear the count from the box's live region.
    assert re.match(r"\d+ articles? for “insomnia”", page.locator("#header-search-status").inner_text())
    assert watched.problems() == []


def test_header_box_works_by_keyboard_alone(site, new_page):
    watched = new_page()
    page = watched.page
    page.goto(site.url("/"), wait_until="networkidle")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "header-search-q"
    page.keyboard.type("fibrom", delay=30)
    box = page.locator("#header-search-q")
    listbox = page.locator("#header-search-options")
    listbox.filter(has_text="“fibrom”").wait_for()
    assert box.get_attribute("aria-expanded") == "true"

    # Escape closes the list and keeps the words.
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and page.locator("#header-search-popup").is_hidden()
    assert box.input_value() == "fibrom"

    # Down opens it again on the first option; Up from there returns to the text.
    page.keyboard.press("ArrowDown")
    first = listbox.locator("[role=option]").first
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") is None
    # The open list (it covers part of the page below, which is checked on its own).
    results = Axe().run(page, context=".site-header", options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()

    # Up from the text reaches the last line; Enter opens it: all results.
    page.keyboard.press("ArrowUp")
    assert "See all results" in listbox.locator("[aria-selected=true]").inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=fibrom$"))

    # Down, Enter on a match opens the article.
    page.goto(site.url("/"), wait_until="networkidle")
    page.keyboard.press("/")
    page.keyboard.type("fibrom", delay=30)
    listbox.filter(has_text="“fibrom”").wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/articles/tai-chi"))
    assert watched.problems() == []


def test_back_and_forward_after_typing_show_box_and_results_that_agree(site, new_page):
    watched = new_page()
    page = watched.page
    page.goto(site.url("/search?q=caffeine"), wait_until="networkidle")
    box = page.locator("#search-q")
    box.fill("")
    # One burst of typing is one history entry, however busy the machine
    # (the pause that starts a new entry is set longer than any stall here).
    page.evaluate("document.querySelector('.search-form').dataset.historyPause = '20000'")
    box.press_sequentially("insomnia", delay=60)
    wait_for_status(page, "insomnia")
    page.wait_for_url(re.compile(r"q=insomnia$"))
    assert_accessible(page)

    # One Back returns to what the reader had before typing, not to "insomni".
    page.go_back()
    page.wait_for_url(re.compile(r"/search\?q=caffeine$"))
    wait_for_status(page, "caffeine")
    assert box.input_value() == "caffeine"
    assert "Caffeine" in page.locator("#search-results").inner_text()

    page.go_forward()
    page.wait_for_url(re.compile(r"q=insomnia$"))
    wait_for_status(page, "insomnia")
    assert box.input_value() == "insomnia"
    assert INSOMNIA in page.locator("#search-results").inner_text()
    assert watched.problems() == []


def test_back_without_javascript_shows_box_and_results_that_agree(site, new_page):
    page = new_page(javascript=False).page
    page.goto(site.url("/search?q=caffeine"))
    page.locator("#search-q").fill("insomnia")
    page.locator(".search-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"q=insomnia"))
    page.go_back()
    page.wait_for_url(re.compile(r"q=caffeine$"))
    assert page.locator("#search-q").input_value() == "caffeine"
    assert "for “caffeine”" in status(page)


def test_a_query_longer_than_gunicorns_default_line_gets_the_sites_own_page(site):
    # gunicorn answers a request line over its limit with a bare page of its
    # own; ours is raised so the app sees the query, cuts it and says so.
    import urllib.parse
    import urllib.request

    query = urllib.parse.quote("meditation " + "sleep " * 1000)  # about 6 KB
    with urllib.request.urlopen(site.url("/search?q=" + query), timeout=10) as response:
        html = response.read().decode()
    assert response.status == 200
    assert "Your search was long, so we used its first words" in html
    assert '<header class="site-header">' in html


LISTEN_TO_STATUS = """() => { window.heard = [];
    for (const id of ['search-status', 'header-search-status']) {
        const node = document.getElementById(id);
        if (node) new MutationObserver(() => window.heard.push(node.textContent.trim()))
            .observe(node, {childList: true, characterData: true, subtree: true});
    } }"""


@pytest.mark.parametrize("word", ["sleep", "therapy"])
def test_typing_a_word_never_says_no_articles_on_the_way(site, new_page, word):
    """ "sle" names lupus in the synonym list and "the" is a stop word: both
    are the start of the word being typed, on the page and in the header."""
    watched = new_page()
    page = watched.page
    page.goto(site.url("/search"), wait_until="networkidle")
    page.evaluate(LISTEN_TO_STATUS)
    box = page.locator("#search-q")
    box.focus()
    for typed in word:
        box.press(typed)
        value = box.input_value()
        if len(value) >= 3:
            wait_for_status(page, value)
            assert page.locator(".search-hit-title").count(), (value, status(page))
            assert "Did you mean" not in page.locator("main").inner_text(), value
    heard = page.evaluate("window.heard")
    page.goto(site.url("/"), wait_until="networkidle")
    page.evaluate(LISTEN_TO_STATUS)
    header = page.locator("#header-search-q")
    header.focus()
    for typed in word:
        header.press(typed)
        value = header.input_value()
        if len(value) >= 3:
            page.locator("#header-search-options .suggestion-all").filter(has_text=f"“{value}”").wait_for()
            assert page.locator("#header-search-options .suggestion-title").count(), value
    heard += page.evaluate("window.heard")
    assert heard and not [said for said in heard if "No articles found" in said], heard
    assert watched.problems() == []
