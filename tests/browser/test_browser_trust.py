"""Trust in a real browser: an article with its reviewer, key points, a
correction and the study box; the author page; the footer's site pages; axe
in light and dark on each."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}


def corrected_article(site, page) -> str:
    """The path of an article that carries a correction, found the way a reader would: from /corrections."""
    page.goto(site.url("/corrections"), wait_until="networkidle")
    links = page.locator(".corrections-list a[href^='/articles/']")
    if links.count() == 0:
        pytest.skip("the content under test has no corrected article")
    return links.first.get_attribute("href")


def test_article_shows_reviewer_key_points_correction_and_the_study(site, new_page):
    watched = new_page(width=1280, height=900)
    page = watched.page
    path = corrected_article(site, page)
    page.goto(site.url(path), wait_until="networkidle")
    review = page.locator(".review-line")
    assert re.search(r"Medically reviewed by .+, (MD|PhD)", review.inner_text())
    assert "Last reviewed" in review.inner_text()
    # The correction is where a reader sees it: in the first screenful, above the text.
    correction = page.locator(".corrections-notice")
    assert correction.is_visible()
    assert correction.bounding_box()["y"] < 900
    body_top = page.locator(".article-body").bounding_box()["y"]
    if page.locator(".key-points").count():
        assert page.locator(".key-points li").count() >= 2
        assert page.locator(".key-points").bounding_box()["y"] < body_top
    study = page.locator(".study-box")
    assert study.is_visible()
    assert "Published in" in study.inner_text()
    link = study.locator("a").first
    assert re.match(r"https://(doi\.org/10\.|)", link.get_attribute("href"))
    assert watched.problems() == []


def test_author_link_leads_to_a_paginated_page_of_their_articles(site, new_page):
    watched = new_page()
    page = watched.page
    page.goto(site.url(corrected_article(site, page)), wait_until="networkidle")
    page.locator("a[rel=author]").click()
    page.wait_for_load_state("networkidle")
    assert re.match(r".*/author/[a-z0-9-]+$", page.url)
    assert page.locator("h1").inner_text()
    assert page.locator(".author-counts").inner_text().startswith(("Wrote", "Medically reviewed"))
    assert page.locator(".card").count() >= 1
    older = page.locator("a[rel=next]")
    if older.count():
        older.click()
        page.wait_for_load_state("networkidle")
        assert "page=2" in page.url and page.locator(".card").count() >= 1
    assert watched.problems() == []


@pytest.mark.parametrize("words, heading", [("About", "About"), ("Editorial policy", "Editorial policy"),
                                             ("Corrections", "Corrections")])
def test_footer_links_open_the_site_pages(site, new_page, words, heading):
    watched = new_page(width=375)
    page = watched.page
    page.goto(site.url("/"), wait_until="networkidle")
    page.locator(".site-footer").get_by_role("link", name=words, exact=True).click()
    page.wait_for_load_state("networkidle")
    assert heading in page.locator("h1").inner_text()
    assert page.locator(".site-page .article-body p").count() >= 1
    # Still fits a phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert watched.problems() == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_trust_pages(site, new_page, scheme):
    watched = new_page(color_scheme=scheme)
    page = watched.page
    article = corrected_article(site, page)
    page.goto(site.url(article), wait_until="networkidle")
    author = page.locator("a[rel=author]").get_attribute("href")
    for path in (article, author, "/about", "/editorial-policy", "/corrections"):
        page.goto(site.url(path), wait_until="networkidle")
        results = Axe().run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, (path, results.generate_report())
