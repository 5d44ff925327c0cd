"""The newsletter pages in a real browser: focus after an error, the way back
without JavaScript, topics and the clearer preferences page, reopened links,
and the public sample digest; axe-clean in light and dark."""
from __future__ import annotations

import re
import time

import pytest

from processes import wait_until
from test_browser_flows import assert_accessible, confirm_link, require, wait_for_mail


def link_in(message, site, kind: str) -> str:
    body = message.get_body(preferencelist=("plain", "html")).get_content()
    match = re.search(re.escape(site.base_url) + rf"/newsletter/{kind}/[^\s\"<>]+", body)
    assert match, body
    return match.group(0)


def wait_for_mail_about(site, address: str, subject_words: str, timeout: float = 20.0):
    """The mail to `address` whose subject contains `subject_words`, from instance/outbox/."""
    import email
    from email import policy

    outbox = site.instance / "outbox"

    def found():
        for path in sorted(outbox.glob("**/*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if address in str(message["To"]) and subject_words in str(message["Subject"]):
                return message
        return None

    return wait_until(found, timeout, f"a mail about {subject_words!r} to {address}", step=0.3)


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_an_invalid_address_moves_focus_to_the_field_and_its_error(site, new_page, javascript):
    require(site, "newsletter.subscribe")
    page = new_page(javascript=javascript).page
    page.goto(site.url(site.articles[0]), wait_until="networkidle" if javascript else "load")
    page.locator("#subscribe-email").fill("not-an-address")
    page.locator(".subscribe-form button[type=submit]").click()
    page.locator("#subscribe-email-error").wait_for()
    # htmx moves focus to the autofocus field when it settles, a moment after
    # the swap puts the error in the page: wait for that (it fails if focus never moves).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'subscribe-email'", timeout=5000)
    focused = page.evaluate("[document.activeElement.id, document.activeElement.getAttribute('aria-describedby')]")
    assert focused == ["subscribe-email", "subscribe-email-error"]
    if javascript:  # axe runs as a script in the page
        assert_accessible(page)


def test_without_javascript_the_answer_page_leads_back_to_the_article(site, new_page):
    require(site, "newsletter.subscribe")
    page = new_page(javascript=False).page
    article = site.url(site.articles[0])
    page.goto(article)
    page.locator("#subscribe-email").fill(f"back-{time.time_ns()}@example.org")
    page.locator(".subscribe-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/newsletter/subscribe"))
    page.get_by_role("link", name="Back to the article").click()
    page.wait_for_url(article)
    assert page.locator("h1").count() == 1


def test_topics_saved_reads_as_success_and_reopened_links_say_where_things_stand(site, new_page):
    require(site, "newsletter.subscribe", "sample_digest")
    address = f"topics-{time.time_ns()}@example.org"
    page = new_page().page
    page.goto(site.url("/"))
    page.locator("#subscribe-email").fill(address)
    page.locator(".subscribe-form button[type=submit]").click()
    page.locator("#newsletter [role=status]").wait_for()
    message = wait_for_mail(site, address)
    confirm = confirm_link(message, site)
    assert "/newsletter/preferences/" not in str(message.get_body(preferencelist=("plain",)).get_content())
    page.goto(confirm)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    # The confirmation mail has no preference or unsubscribe link (nobody had
    # confirmed yet); the confirmed page links to the preferences, and a
    # second sign-up brings the "already subscribed" mail with both.
    preferences = page.locator("main a[href*='/newsletter/preferences/']").get_attribute("href")
    page.goto(site.url("/"))
    page.locator("#subscribe-email").fill(address)
    page.locator(".subscribe-form button[type=submit]").click()
    page.locator("#newsletter [role=status]").wait_for()
    message = wait_for_mail_about(site, address, "already subscribed")

    page.goto(preferences if preferences.startswith("http") else site.url(preferences))
    boxes = page.locator("main input[name=topics]")
    assert boxes.count() >= 2 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    boxes.nth(0).uncheck()
    page.locator("main button[value=save]").click()
    page.wait_for_load_state()
    notice = page.locator("main .form-success[role=status]")
    assert notice.inner_text().startswith("Saved.")
    assert not page.locator("main input[name=topics]").nth(0).is_checked()
    # Success in the accent colour of the Save button; Unsubscribe in the other, error colour.
    colours = page.evaluate("""() => {
        const style = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
        return {
            notice: style('main .form-success', 'borderLeftColor'),
            save: style('main button[value=save]', 'backgroundColor'),
            unsubscribe: style('main button[value=unsubscribe]', 'color'),
            unsubscribeBackground: style('main button[value=unsubscribe]', 'backgroundColor'),
        };
    }""")
    assert colours["notice"] == colours["save"]
    assert colours["unsubscribe"] != colours["save"] and colours["unsubscribeBackground"] != colours["save"]
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page)

    unsubscribe = link_in(message, site, "unsubscribe")
    page.goto(unsubscribe)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(unsubscribe)  # the same mail link, opened again
    assert page.locator("h1").inner_text() == "You're already unsubscribed"
    assert page.locator("main button[value=undo]").inner_text() == "Subscribe me again"
    assert_accessible(page)
    page.goto(confirm)
    assert page.locator("h1").inner_text() == "Already confirmed"
    assert_accessible(page)
    page.goto(unsubscribe)
    page.locator("main button[value=undo]").click()
    page.wait_for_load_state()
    assert "subscribed again" in page.locator("main [role=status]").inner_text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_sample_digest_is_linked_from_the_sign_up_box_and_accessible(site, new_page, scheme):
    require(site, "sample_digest")
    page = new_page(color_scheme=scheme, width=375).page
    page.goto(site.url(site.articles[0]))
    page.locator("#newsletter").get_by_role("link", name="See what a digest looks like").click()
    page.wait_for_url(re.compile(r"/sample-digest$"))
    assert page.locator("h1").inner_text() == "What the digest looks like"
    assert page.locator("main h3 a[href*='/articles/']").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page)
