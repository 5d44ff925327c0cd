"""An article with a lead image, printed, on a phone, and with or without JavaScript."""
from __future__ import annotations

from collections import Counter

import pytest
from axe_playwright_python.sync_playwright import Axe

from miafeed.newsletter.frequencies import FREQUENCIES
from test_browser_pages import AXE_OPTIONS, IMAGE_ARTICLE


@pytest.fixture
def image_article(site):
    if IMAGE_ARTICLE not in site.articles:
        pytest.skip("the demo content with lead images is not in this content folder")
    return site.url(IMAGE_ARTICLE)


def test_article_image_loads_eagerly_as_webp_in_the_space_reserved_for_it(new_page, image_article, output_dir):
    watched = new_page(width=375)
    page = watched.page
    page.goto(image_article, wait_until="networkidle")
    image = page.locator(".lead-image img")
    assert image.get_attribute("alt").startswith("Illustration:")
    assert image.get_attribute("fetchpriority") == "high" and image.get_attribute("loading") is None
    loaded = page.evaluate("""() => { const img = document.querySelector('.lead-image img');
        return {complete: img.complete, natural: img.naturalWidth, src: img.currentSrc,
                box: img.getBoundingClientRect().height, width: img.getBoundingClientRect().width}; }""")
    assert loaded["complete"] and loaded["natural"] > 0
    assert loaded["src"].endswith(".webp")  # Chromium takes the WebP source, not the JPEG fallback
    assert abs(loaded["box"] - loaded["width"] * 630 / 1200) < 2  # the 1200x630 box, kept at this width
    assert page.locator("figcaption").inner_text().startswith("Image:")
    # og:image is the 1200x630 crop, and it is really there.
    share = page.locator('meta[property="og:image"]').get_attribute("content")
    assert share.endswith("-share.jpg")
    response = page.request.get(share)
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    assert "immutable" in response.headers["cache-control"]
    assert watched.problems() == []
    page.screenshot(path=str(output_dir / "article-with-image-375.png"))


def test_image_box_is_reserved_before_the_file_arrives(new_page, image_article):
    """No layout shift: with image requests held back, the picture's box already has its height."""
    page = new_page(width=1280).page
    page.route("**/images/*", lambda route: None)  # never answered during this test
    page.goto(image_article, wait_until="domcontentloaded")
    box = page.locator(".lead-image img").bounding_box()
    # On a wide screen the picture is shown as a 21:9 crop above the byline (site.css).
    assert box["height"] > 250 and abs(box["height"] - box["width"] * 9 / 21) < 2


def test_card_thumbnails_after_the_first_are_lazy_and_all_are_decorative(new_page, site):
    page = new_page().page
    page.goto(site.url("/"), wait_until="networkidle")
    thumbnails = page.locator(".card-image img")
    if thumbnails.count() == 0:
        pytest.skip("no article on the home page has a lead image")
    first_card_has_image = page.locator(".card").first.locator(".card-image").count() == 1
    for index in range(thumbnails.count()):
        expected = None if (index == 0 and first_card_has_image) else "lazy"
        assert thumbnails.nth(index).get_attribute("loading") == expected
        assert thumbnails.nth(index).get_attribute("alt") == ""


def test_print_view_leaves_out_site_chrome_and_prints_source_and_study_addresses(new_page, image_article, output_dir):
    page = new_page().page
    page.goto(image_article, wait_until="networkidle")
    page.emulate_media(media="print")
    for selector in (".site-header", ".category-nav", ".share", ".related", ".newsletter", "form", ".skip-link"):
        assert all(not element.is_visible() for element in page.locator(selector).all()), selector
    assert page.locator("article.article h1").is_visible()
    assert page.locator(".lead-image img").is_visible()
    href = page.locator(".article-footer .source a").get_attribute("href")
    after = page.evaluate("getComputedStyle(document.querySelector('.article-footer .source a'), '::after').content")
    assert href in after
    study_link = page.locator(".study-box a")
    if study_link.count():  # the study box comes with the trust work
        study_after = page.evaluate("getComputedStyle(document.querySelector('.study-box a'), '::after').content")
        assert study_link.first.get_attribute("href") in study_after
    page.pdf(path=str(output_dir / "article-print.pdf"))
    page.emulate_media(media="screen")
    assert page.locator(".site-header").is_visible()


def test_without_javascript_the_related_panel_is_a_link_and_copy_link_is_absent(new_page, image_article):
    page = new_page(javascript=False).page
    page.goto(image_article)
    panel = page.locator("#related-panel")
    assert not panel.get_by_text("Finding articles").is_visible()
    assert not panel.get_by_role("button", name="Try again").is_visible()
    assert not page.get_by_role("button", name="Copy link").is_visible()
    panel.get_by_role("link", name="See related articles").click()
    assert page.locator("h1").inner_text() == "Related Articles"
    assert page.locator(".related-item").count() >= 3
    assert "Shares" not in page.locator("main").inner_text()


def test_with_javascript_copy_link_shows_and_the_panel_loads_whole_sentences(new_page, image_article):
    watched = new_page()
    page = watched.page
    page.goto(image_article)
    assert page.get_by_role("button", name="Copy link").is_visible()
    page.locator("#related-panel").scroll_into_view_if_needed()
    page.locator(".related-item").first.wait_for()
    for summary in page.locator(".related-summary").all_inner_texts():
        assert summary.rstrip().endswith((".", "!", "?", '"', "”")) and "…" not in summary
    assert watched.problems() == []


def test_a_failed_related_request_says_so_and_try_again_loads_it(new_page, image_article):
    watched = new_page()
    page = watched.page
    failures = {"left": 1}

    def fail_once(route):
        if failures["left"]:
            failures["left"] -= 1
            route.fulfill(status=503, body="busy")
        else:
            route.continue_()

    page.route("**/related", fail_once)
    page.goto(image_article)
    page.locator("#related-panel").scroll_into_view_if_needed()
    failed = page.locator(".related-failed")
    failed.wait_for(state="visible")
    assert "did not load" in failed.inner_text()
    assert page.get_by_role("link", name="See related articles").is_visible()
    assert not page.get_by_text("Finding articles").is_visible()
    page.get_by_role("button", name="Try again").click()
    page.locator(".related-item").first.wait_for()
    assert page.locator(".related-item").count() >= 3
    assert watched.problems(allow=("status of 503", "Response Status Error Code 503")) == []


def test_phone_header_is_compact_and_categories_scroll_in_one_row(new_page, site, output_dir):
    page = new_page(width=375).page
    page.goto(site.url(site.categories[-1]), wait_until="networkidle")
    assert page.locator(".site-header").bounding_box()["height"] < 160
    row = page.locator(".category-nav ul")
    tops = {round(box["y"]) for box in (link.bounding_box() for link in row.locator("a").all()) if box}
    assert len(tops) == 1  # one row, scrolled sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    current = page.locator(".category-nav [aria-current='page']").bounding_box()
    assert 0 <= current["x"] and current["x"] + current["width"] <= 375  # the current category is in view
    page.screenshot(path=str(output_dir / "category-header-375.png"))


def test_main_content_starts_the_same_distance_below_the_header_on_home_and_article(new_page, site, image_article):
    page = new_page().page
    gaps = []
    for url, first in ((site.url("/"), "main h1"), (image_article, "main .article-category")):
        page.goto(url)
        header_bottom = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().bottom")
        gaps.append(round(page.locator(first).first.bounding_box()["y"] - header_bottom))
    assert gaps[0] == gaps[1]


@pytest.mark.parametrize("url_name", ["/", "article"])
def test_nothing_touches_the_footer(new_page, site, image_article, url_name):
    page = new_page().page
    page.goto(image_article if url_name == "article" else site.url("/"))
    last = page.evaluate("""() => { const main = document.querySelector('main');
        const kids = [...main.children].filter(e => e.getBoundingClientRect().height > 0);
        return kids[kids.length - 1].getBoundingClientRect().bottom + window.scrollY; }""")
    footer_top = page.evaluate("document.querySelector('.site-footer').getBoundingClientRect().top + window.scrollY")
    assert footer_top - last >= 24


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_target_is_at_least_24_px_on_a_phone(new_page, image_article, scheme):
    watched = new_page(width=375, color_scheme=scheme)
    page = watched.page
    page.goto(image_article, wait_until="networkidle")
    page.locator("#related-panel").scroll_into_view_if_needed()
    page.locator(".related-item").first.wait_for()
    # A link inside a sentence is exempt (WCAG 2.5.8: its size is set by the
    # line of text around it); everything else is measured.
    small = page.evaluate("""() => [...document.querySelectorAll('a, button, input, select, summary')]
        .filter(e => !(getComputedStyle(e).display === 'inline' && e.parentElement.textContent.trim().length > e.textContent.trim().length))
        .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && !e.classList.contains('skip-link')
            && getComputedStyle(e).visibility !== 'hidden' && !e.closest('.visually-hidden, .hp-field'); })
        .filter(e => { const r = e.getBoundingClientRect(); return r.height < 24 || r.width < 24; })
        .map(e => e.outerHTML.slice(0, 60) + ' ' + Math.round(e.getBoundingClientRect().width) + 'x' + Math.round(e.getBoundingClientRect().height))""")
    assert small == []
    results = Axe().run(page, options=AXE_OPTIONS)  # target-size included (wcag22aa), at phone width
    assert results.violations_count == 0, results.generate_report()


def test_related_panel_loads_before_the_reader_reaches_it_and_never_says_finding(new_page, image_article):
    watched = new_page(width=1280, height=800)
    page = watched.page
    page.goto(image_article)
    assert not page.get_by_text("Finding articles").is_visible()
    # Bring the panel to within a screen below the viewport, without showing it.
    page.evaluate("""() => { const panel = document.getElementById('related-panel');
        window.scrollTo(0, panel.getBoundingClientRect().top + window.scrollY - 1.5 * window.innerHeight); }""")
    page.locator(".related-item").first.wait_for(state="attached")
    assert page.evaluate("document.getElementById('related-panel').getBoundingClientRect().top") > page.evaluate("innerHeight")
    assert not page.get_by_text("Finding articles").is_visible()
    assert watched.problems() == []


@pytest.mark.parametrize("width", [320, 375, 768, 1280])
def test_no_meta_row_starts_with_a_dot_and_no_frequency_is_left_alone(site, new_page, width):
    page = new_page(width=width).page
    for path in ("/", "/search?q=sleep"):
        page.goto(site.url(path), wait_until="networkidle")
        # Where each row's first dot falls: left of the line's clipping edge, or not.
        dots = page.evaluate("""() => [...document.querySelectorAll('.meta-pieces')].flatMap(list => {
            const edge = list.parentElement.getBoundingClientRect().left;
            const em = parseFloat(getComputedStyle(list).fontSize);
            let right = Infinity;
            return [...list.children].filter(piece => {
                const box = piece.getBoundingClientRect();
                const starts = box.left < right;  // first, or wrapped back to the left
                right = box.right;
                return starts;
            }).map(piece => piece.getBoundingClientRect().left + 0.8 * em - edge); })""")
        assert dots and max(dots) <= 0, (path, dots)
    page.goto(site.url("/"), wait_until="networkidle")
    tops = page.evaluate("[...document.querySelectorAll('.frequency-options label')].map(l => l.getBoundingClientRect().top)")
    assert len(tops) == len(FREQUENCIES), tops
    # One row, one choice per row, or rows of at least two: never one choice left alone.
    per_row = Counter(tops).values()
    assert len(per_row) == len(tops) or min(per_row) >= 2, tops
