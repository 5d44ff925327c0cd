"""The interactive flows, with and without JavaScript: active search, the
related panel, and the newsletter sign-up through to the confirmation mail.

Each flow runs only when this build has its routes (search, related and the
newsletter arrive from their own branches), and is skipped otherwise.
"""
from __future__ import annotations

import email
import re
import time
from email import policy

import pytest
from axe_playwright_python.sync_playwright import Axe

from processes import wait_until

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}


def require(site, *endpoints):
    missing = [endpoint for endpoint in endpoints if endpoint not in site.endpoints]
    if missing:
        pytest.skip(f"this build has no {', '.join(missing)} yet")


def assert_accessible(page):
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def article_links(locator) -> int:
    return locator.locator("a[href*='/articles/']").count()


# --- active search ------------------------------------------------------------

def test_active_search_updates_results_and_url_and_back_shows_a_full_page(site, new_page):
    require(site, "search.search")
    watched = new_page()
    page = watched.page
    page.goto(site.url("/search"), wait_until="networkidle")
    page.locator("#search-q").press_sequentially("sleep", delay=40)
    page.wait_for_url(re.compile(r"[?&]q=sleep"))
    results = page.locator("#search-results")
    results.locator("a[href*='/articles/']").first.wait_for()
    assert article_links(results) >= 1
    # The results were swapped in, not loaded as a new page: still one header,
    # and the reader's focus stays in the box they are typing in.
    assert page.locator(".site-header").count() == 1
    assert page.evaluate("document.activeElement.id") == "search-q"
    assert watched.problems() == []

    results.locator("a[href*='/articles/']").first.click()
    page.wait_for_url(re.compile(r"/articles/"))
    page.go_back()
    page.wait_for_url(re.compile(r"/search\?.*q=sleep"))
    page.wait_for_load_state("networkidle")
    # A full page (header, title, the search form), never the bare fragment.
    assert page.locator(".site-header").count() == 1
    assert page.locator("h1").first.inner_text() == "Search"
    assert article_links(page.locator("#search-results")) >= 1
    assert watched.problems() == []


def test_search_without_javascript_is_a_plain_form(site, new_page):
    require(site, "search.search")
    page = new_page(javascript=False).page
    page.goto(site.url("/search"))
    page.locator("#search-q").fill("sleep")
    page.locator(".search-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]q=sleep"))
    assert page.locator(".site-header").count() == 1
    assert article_links(page.locator("#search-results")) >= 1


def test_header_search_box_leads_to_results(site, new_page):
    require(site, "search.search")
    page = new_page().page
    page.goto(site.url("/"))
    box = page.locator(".header-search input[type=search]")
    if box.count() == 0:
        pytest.skip("no search box in the header")
    box.fill("sleep")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?.*q=sleep"))
    assert article_links(page.locator("#search-results")) >= 1


# --- related articles -----------------------------------------------------------

def test_related_panel_loads_when_scrolled_into_view(site, new_page):
    require(site, "articles.related")
    watched = new_page(height=700)
    page = watched.page
    page.goto(site.url(site.articles[0]), wait_until="networkidle")
    panel = page.locator("#related-panel")
    with page.expect_response(lambda response: "/related" in response.url) as answer:
        panel.scroll_into_view_if_needed()
    assert answer.value.status == 200
    panel.locator("a[href*='/articles/']").first.wait_for()
    assert article_links(panel) >= 1
    assert panel.locator(".related-placeholder").count() == 0
    assert watched.problems() == []
    assert_accessible(page)


def test_related_link_without_javascript_is_a_full_page(site, new_page):
    require(site, "articles.related")
    page = new_page(javascript=False).page
    page.goto(site.url(site.articles[0]))
    page.locator("#related-panel a").first.click()
    page.wait_for_url(re.compile(r"/related$"))
    assert page.locator(".site-header").count() == 1
    assert article_links(page.locator("main")) >= 1


# --- newsletter sign-up ------------------------------------------------------------

def wait_for_mail(site, address: str, timeout: float = 20.0) -> email.message.EmailMessage:
    """The confirmation mail for `address` from instance/outbox/ (written by the delivery thread)."""
    outbox = site.instance / "outbox"

    def found():
        for path in sorted(outbox.glob("**/*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if address in str(message["To"]):
                return message
        return None

    return wait_until(found, timeout, f"a mail to {address} in {outbox}", step=0.3)


def confirm_link(message, site) -> str:
    body = message.get_body(preferencelist=("plain", "html")).get_content()
    match = re.search(re.escape(site.base_url) + r"/newsletter/confirm/[^\s\"<>]+", body)
    assert match, body
    return match.group(0)


def confirm_by_button(page, site, link):
    """Open the emailed link (a GET changes nothing), check the page, press the button."""
    response = page.goto(link)
    assert response.status == 200
    assert_accessible(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert_accessible(page)
    return page.locator("main").inner_text()


def test_inline_sign_up_swaps_in_its_answer_and_mails_a_confirmation(site, new_page):
    require(site, "newsletter.subscribe")
    address = f"reader-js-{time.time_ns()}@example.org"
    watched = new_page()
    page = watched.page
    page.goto(site.url(site.articles[0]), wait_until="networkidle")
    url_before = page.url
    page.locator("#subscribe-email").fill(address)
    page.locator(".subscribe-form input[value=monthly]").check()
    with page.expect_response(lambda response: "/newsletter/subscribe" in response.url) as answer:
        page.locator(".subscribe-form button[type=submit]").click()
    assert answer.value.status == 200
    page.locator("#newsletter [role=status]").wait_for()
    assert page.url == url_before  # swapped in place, no navigation
    assert page.locator(".subscribe-form").count() == 0
    assert watched.problems() == []
    assert_accessible(page)

    text = confirm_by_button(page, site, confirm_link(wait_for_mail(site, address), site))
    assert "subscribed" in text.lower()

    # From the confirmation page to the preferences: change the frequency, then unsubscribe.
    page.locator("main a[href*='/newsletter/preferences/']").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.locator("main input[value=weekly]").check()
    page.locator("main button[value=save]").click()
    page.wait_for_load_state()
    assert "weekly" in page.locator("main [role=status]").inner_text()
    assert_accessible(page)
    page.locator("main button[value=unsubscribe]").click()
    page.wait_for_load_state()
    assert "unsubscribed" in page.locator("main [role=status]").inner_text().lower()
    assert_accessible(page)
    assert watched.problems() == []


def test_sign_up_without_javascript_posts_and_mails_a_confirmation(site, new_page):
    require(site, "newsletter.subscribe")
    address = f"reader-nojs-{time.time_ns()}@example.org"
    page = new_page(javascript=False).page
    page.goto(site.url("/"))
    page.locator("#subscribe-email").fill(address)
    page.locator(".subscribe-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/newsletter/subscribe"))
    assert page.locator(".site-header").count() == 1
    assert page.locator("#newsletter [role=status]").count() == 1
    message = wait_for_mail(site, address)
    assert "/newsletter/confirm/" in message.get_body(preferencelist=("plain", "html")).get_content()


def test_sign_up_with_a_bad_address_shows_the_error_next_to_the_field(site, new_page):
    require(site, "newsletter.subscribe")
    page = new_page().page
    page.goto(site.url(site.articles[0]), wait_until="networkidle")
    page.locator("#subscribe-email").fill("not-an-address")
    with page.expect_response(lambda response: "/newsletter/subscribe" in response.url):
        page.locator(".subscribe-form button[type=submit]").click()
    error = page.locator("#subscribe-email-error")
    error.wait_for()
    assert page.locator("#subscribe-email").get_attribute("aria-invalid") == "true"
    assert_accessible(page)


def _stored_rows(site, address: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(site.database_uri)
    try:
        with engine.connect() as database:
            subscribers = database.execute(text("SELECT count(*) FROM subscribers WHERE email = :a"), {"a": address}).scalar()
            mail = database.execute(text("SELECT count(*) FROM outgoing_mail WHERE to_address = :a"), {"a": address}).scalar()
    finally:
        engine.dispose()
    return subscribers + mail


def test_a_sign_up_form_on_another_site_is_refused_with_a_readable_page(site, new_page):
    require(site, "newsletter.subscribe")
    address = f"forged-{time.time_ns()}@example.org"
    page = new_page().page
    # A page on another origin that posts our sign-up form, as a forger would.
    forged = (f'<!doctype html><title>Win a prize</title><form method="post" action="{site.url("/newsletter/subscribe")}">'
              f'<input name="email" value="{address}"><input name="frequency" value="daily">'
              '<button type="submit">Claim</button></form>')
    page.route("http://prize.test/**", lambda route: route.fulfill(body=forged, content_type="text/html"))
    page.goto("http://prize.test/")
    with page.expect_response(lambda response: "/newsletter/subscribe" in response.url) as answer:
        page.locator("button").click()
    assert answer.value.status == 403
    page.wait_for_load_state()
    assert "This form came from another website" in page.locator("main").inner_text()
    assert "Nothing was saved or sent" in page.locator("main").inner_text()
    assert _stored_rows(site, address) == 0


def test_an_htmx_sign_up_refused_as_cross_origin_shows_why_in_place(site, new_page):
    require(site, "newsletter.subscribe")
    address = f"refused-htmx-{time.time_ns()}@example.org"
    watched = new_page()
    page = watched.page
    # The POST leaves the browser with the headers a cross-site request
    # carries (Chromium will not let a page forge them, so Playwright sends
    # it on the browser's behalf), and the browser's htmx gets the answer.
    page.route("**/newsletter/subscribe", lambda route: route.fulfill(response=route.fetch(
        headers={**route.request.headers, "origin": "http://prize.test", "sec-fetch-site": "cross-site"})))
    page.goto(site.url(site.articles[0]), wait_until="networkidle")
    page.locator("#subscribe-email").fill(address)
    with page.expect_response(lambda response: "/newsletter/subscribe" in response.url) as answer:
        page.locator(".subscribe-form button[type=submit]").click()
    assert answer.value.status == 403
    page.locator("#form-refused-heading").wait_for()
    assert "Nothing was saved or sent" in page.locator(".form-refused").inner_text()
    assert page.locator(".site-header").count() == 1  # swapped in place, not a new page
    assert _stored_rows(site, address) == 0
    # Chromium logs every 4xx answer to the console itself; anything else
    # (a CSP violation, a script error) would be a fault.
    assert [problem for problem in watched.problems() if "status of 403 (Forbidden)" not in problem] == []
    assert_accessible(page)
