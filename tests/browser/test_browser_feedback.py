"""Feedback at the end of an article, and the polish a newcomer noticed, in a
real browser: the forms in place (htmx) and as plain posts, axe-clean in
light and dark; no CSP error while htmx swaps; the phone header; the lead
image above the byline; card meta that never strands a label; a focus
colour of its own; the preferences error summary; screenshots to look at."""
from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import create_engine, text

from test_browser_flows import assert_accessible, confirm_link, require, wait_for_mail

IMAGE_ARTICLE = "/articles/cbt-for-insomnia-versus-sleeping-pills"


def stored_feedback(site, slug: str) -> list[tuple]:
    engine = create_engine(site.database_uri)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT kind, helpful, text FROM reader_feedback WHERE article_slug = :slug ORDER BY id"), {"slug": slug}
            ).all()
    finally:
        engine.dispose()


def article_path(site, index: int) -> str:
    return site.articles[index % len(site.articles)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_feedback_in_place_with_htmx_is_stored_and_accessible(site, new_page, scheme):
    require(site, "feedback.helpful", "feedback.problem")
    path = article_path(site, 1 if scheme == "light" else 2)
    slug = path.rsplit("/", 1)[1]
    before = len(stored_feedback(site, slug))
    watched = new_page(color_scheme=scheme)
    page = watched.page
    page.goto(site.url(path), wait_until="networkidle")
    page.locator("#feedback-problem summary").click()  # open the report form, so axe sees it
    assert_accessible(page)

    page.locator("#feedback-helpful button[value=no]").click()
    page.locator("#feedback-helpful [role=status]").wait_for()
    assert "Thank you for your answer" in page.locator("#feedback-helpful").inner_text()
    assert page.url == site.url(path)  # swapped in place, no navigation

    # A note over the limit (the textarea's maxlength stops typing; a script can
    # still send more): the error appears beside the field, focus on it.
    page.evaluate("document.querySelector('#feedback-problem-text').removeAttribute('maxlength')")
    page.locator("#feedback-problem-text").fill("x" * 1001)
    page.locator("#feedback-problem button[type=submit]").click()
    page.locator("#feedback-problem-error").wait_for()
    assert "the limit is 1000" in page.locator("#feedback-problem-error").inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'feedback-problem-text'", timeout=5000)
    assert_accessible(page)

    page.locator("#feedback-problem-text").fill("The second link is broken.")
    page.locator("#feedback-problem button[type=submit]").click()
    page.locator("#feedback-problem [role=status]").wait_for()
    assert_accessible(page)
    assert watched.problems() == []
    rows = stored_feedback(site, slug)[before:]
    assert [(row[0], row[2]) for row in rows] == [("helpful", ""), ("problem", "The second link is broken.")]
    assert not rows[0][1]  # "no"
    assert page.context.cookies() == []


def test_feedback_without_javascript_answers_with_a_page_that_leads_back(site, new_page):
    require(site, "feedback.helpful")
    path = article_path(site, 3)
    page = new_page(javascript=False).page
    page.goto(site.url(path))
    page.locator("#feedback-helpful button[value=yes]").click()
    page.wait_for_url(site.url(path + "/helpful"))
    assert "Thank you for your answer" in page.locator("main").inner_text()
    assert_accessible_without_script(page)
    page.get_by_role("link", name="Back to the article").click()
    page.wait_for_url(site.url(path))
    page.locator("#feedback-problem summary").click()
    page.locator("#feedback-problem-text").fill("A typo in the first paragraph.")
    page.locator("#feedback-problem button[type=submit]").click()
    page.wait_for_url(site.url(path + "/problem"))
    assert "reached the editors" in page.locator("main").inner_text()


def assert_accessible_without_script(page):
    # axe is a script; with JavaScript off, check the landmarks a reader needs instead.
    assert page.locator("main h1").count() == 1 and page.get_by_role("link", name="Back to the article").count() == 1


def test_htmx_swaps_of_the_header_list_and_the_sign_up_form_log_no_csp_error(site, new_page):
    require(site, "search.suggest", "newsletter.subscribe")
    watched = new_page()
    page = watched.page
    page.goto(site.url(site.articles[0]), wait_until="networkidle")
    assert "style" not in page.evaluate("htmx.config.attributesToSettle")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    # A browser's autofill highlight (or any script using element.style) leaves
    # a style attribute on a field; htmx's settle step would copy it onto the
    # swapped-in field with setAttribute, which style-src 'self' refuses.
    mark_styled = "id => { const element = document.getElementById(id); if (element) element.style.outlineOffset = '1px'; }"
    page.locator("#header-search-q").press_sequentially("sleep", delay=30)
    page.locator("#header-search-popup [role=option]").first.wait_for()
    option_id = page.locator("#header-search-popup [role=option]").first.get_attribute("id")
    page.evaluate(mark_styled, option_id)
    with page.expect_response(lambda response: "/search/suggest" in response.url):
        page.locator("#header-search-q").press_sequentially("s", delay=30)
    page.locator("#header-search-q").press("Escape")
    page.evaluate(mark_styled, "subscribe-email")
    page.locator("#subscribe-email").fill("not-an-address")
    page.locator(".subscribe-form button[type=submit]").click()
    page.locator("#subscribe-email-error").wait_for()
    page.evaluate(mark_styled, "subscribe-email")
    page.locator("#subscribe-email").fill(f"csp-{time.time_ns()}@example.org")
    page.locator(".subscribe-form button[type=submit]").click()
    page.locator("#newsletter [role=status]").wait_for()
    page.wait_for_timeout(300)  # settle runs after a short delay; a violation event is queued
    assert [m for m in messages if "inline style" in m or "style-src" in m] == []
    assert [problem for problem in watched.problems() if "style" in problem] == []


def test_on_a_phone_the_header_reaches_about_and_the_newsletter_and_the_strip_starts_whole(site, new_page):
    watched = new_page(width=375, height=800)
    page = watched.page
    # An article in a category late in the strip, so the strip has to scroll to it.
    page.goto(site.url(site.categories[-1]), wait_until="networkidle")
    header = page.locator(".site-header").bounding_box()
    for name in ("About", "Newsletter"):
        link = page.locator(".site-header").get_by_role("link", name=name, exact=True)
        box = link.bounding_box()
        assert box and box["y"] + box["height"] <= header["y"] + header["height"] and box["x"] + box["width"] <= 375
    strip = page.locator(".category-nav ul").bounding_box()
    # The first item whose right edge is in view starts in view: no cut-off name at the left.
    lefts = page.evaluate("""() => [...document.querySelectorAll('.category-nav li')].map(li => {
        const box = li.getBoundingClientRect(); return [box.left, box.right]; })""")
    first_visible = next(left for left, right in lefts if right > strip["x"] + 1)
    assert first_visible >= strip["x"] - 1
    # The scroll hint: an arrow at the end that has more.
    nav = page.evaluate("""() => { const nav = document.querySelector('.category-nav'), ul = nav.querySelector('ul');
        return {more: ul.scrollWidth > ul.clientWidth, after: getComputedStyle(nav, '::after').content,
                atEnd: nav.hasAttribute('data-at-end'), scrolled: nav.hasAttribute('data-scrolled'),
                before: getComputedStyle(nav, '::before').content}; }""")
    assert nav["more"]
    assert nav["after"] != "none" or nav["atEnd"]
    assert nav["before"] != "none" or not nav["scrolled"]
    assert watched.problems() == []


def test_on_a_desktop_the_lead_image_comes_before_the_byline_and_starts_high(site, new_page):
    if IMAGE_ARTICLE not in site.articles:
        pytest.skip("needs the demo article with a lead image")
    page = new_page(width=1280, height=900).page
    page.goto(site.url(IMAGE_ARTICLE), wait_until="networkidle")
    image = page.locator(".lead-image img").bounding_box()
    byline = page.locator(".article-meta").bounding_box()
    assert image["y"] < byline["y"]
    assert image["y"] < 600  # it used to start at about y=800, below the first screen


@pytest.mark.parametrize("width", [375, 768, 1280])
def test_card_meta_never_leaves_a_label_alone_on_a_line_and_every_card_has_a_picture(site, new_page, width):
    page = new_page(width=width).page
    page.goto(site.url("/"), wait_until="networkidle")
    # "· 3 min read · Observational" is one piece: it spans one line (its boxes,
    # the label's included, are no taller than about one line together).
    spans = page.evaluate("""() => [...document.querySelectorAll('.card .meta-item')].map(item => {
        const rects = [...item.getClientRects()];
        const height = Math.max(...rects.map(r => r.bottom)) - Math.min(...rects.map(r => r.top));
        return height / parseFloat(getComputedStyle(item.parentElement).lineHeight); })""")
    assert spans and max(spans) < 1.6, spans
    cards = page.locator(".card")
    assert page.locator(".card .card-image img, .card.card-plain").count() == cards.count()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_focus_has_its_own_colour_not_the_error_colour(site, new_page, scheme):
    page = new_page(color_scheme=scheme).page
    page.goto(site.url(site.articles[0]), wait_until="networkidle")
    page.locator("#subscribe-email").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
    colours = page.evaluate("""() => {
        const field = document.activeElement;
        const probe = Object.assign(document.createElement('p'), {className: 'field-error', textContent: 'x'});
        document.body.append(probe);
        const result = {outline: getComputedStyle(field).outlineColor, style: getComputedStyle(field).outlineStyle,
                        error: getComputedStyle(probe).color};
        probe.remove();
        return result;
    }""")
    assert colours["style"] == "solid"
    assert colours["outline"] != colours["error"]
    assert colours["error"] in ("rgb(179, 66, 31)", "rgb(255, 177, 153)")


def test_preferences_on_a_phone_put_the_error_summary_in_view_with_a_link_to_the_field(site, new_page, output_dir):
    require(site, "newsletter.subscribe")
    address = f"summary-{time.time_ns()}@example.org"
    page = new_page(width=375, height=700).page
    page.goto(site.url("/newsletter/subscribe"))
    page.locator("#subscribe-email").fill(address)
    page.locator(".subscribe-form button[type=submit]").click()
    page.locator("#newsletter [role=status]").wait_for()
    page.goto(confirm_link(wait_for_mail(site, address), site))
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    page.locator("main a[href*='/newsletter/preferences/']").click()
    page.wait_for_load_state()
    boxes = page.locator("main input[name=topics]")
    for index in range(boxes.count()):
        boxes.nth(index).uncheck()
    page.locator("main button[value=save]").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'", timeout=5000)
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= 700  # in view without scrolling
    assert "Choose at least one topic" in summary.inner_text()
    page.screenshot(path=str(output_dir / "polish-preferences-error-375-light.png"))
    summary.get_by_role("link").first.click()
    focused = page.evaluate("document.activeElement.name")
    assert focused == "topics"
    assert_accessible(page)


SCREENS = {
    "home": "/",
    "article": IMAGE_ARTICLE,
    "feedback": IMAGE_ARTICLE + "#feedback-heading",
    "subscribe": "/newsletter/subscribe",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots_for_a_person_to_look_at(site, new_page, output_dir, width, scheme):
    """Writes test-output/browser/polish-<page>-<width>-<scheme>.png; the check is a person looking."""
    watched = new_page(width=width, height=900, color_scheme=scheme)
    page = watched.page
    for name, path in SCREENS.items():
        if name in ("article", "feedback") and IMAGE_ARTICLE not in site.articles:
            path = site.articles[0] + ("#feedback-heading" if name == "feedback" else "")
        page.goto(site.url(path), wait_until="networkidle")
        if name == "feedback":
            page.locator("#feedback-problem summary").click()
            page.locator(".feedback").scroll_into_view_if_needed()
            page.locator(".feedback").screenshot(path=str(output_dir / f"polish-{name}-{width}-{scheme}.png"))
            continue
        page.screenshot(path=str(output_dir / f"polish-{name}-{width}-{scheme}.png"), full_page=name != "home")
    assert watched.problems() == []


def test_a_post_the_site_cannot_take_now_says_so_in_place_and_keeps_nothing(site, new_page):
    """Another process holds the database's write lock past the busy
    timeout: the htmx post gets the 503 fragment swapped in where the form
    was (a 503 to a GET, such as the Related panel's, stays an error)."""
    if not site.database_uri.startswith("sqlite:///"):
        pytest.skip("holds SQLite's write lock from another process")
    require(site, "feedback.helpful")
    path = article_path(site, 3)
    slug = path.rsplit("/", 1)[1]
    before = len(stored_feedback(site, slug))
    watched = new_page()
    page = watched.page
    page.goto(site.url(path), wait_until="networkidle")
    holder = sqlite3.connect(site.database_uri.removeprefix("sqlite:///"), timeout=30)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        page.locator("#feedback-helpful button[value=no]").click()
        notice = page.get_by_role("alert").filter(has_text="We could not save that just now")
        notice.wait_for(timeout=60_000)  # after the site's busy timeout
        assert "nothing you sent was saved" in notice.inner_text()
    finally:
        holder.rollback()
        holder.close()
    assert page.url == site.url(path)  # in place, no navigation
    assert len(stored_feedback(site, slug)) == before
    assert watched.problems(allow=("status of 503", "Response Status Error Code 503")) == []

