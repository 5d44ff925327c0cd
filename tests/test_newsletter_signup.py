"""Sign-up: the inline form, validation, the same answer for every address,
and the rate limit. Cross-site posts: tests/test_cross_origin.py."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from miafeed.extensions import db
from miafeed.clock import utcnow
from miafeed.newsletter.frequencies import FREQUENCIES, in_words
from miafeed.newsletter.models import Subscriber
from newsletter_support import app, app_config, app_defaults, queued_mail, sign_up, subscriber  # noqa: F401


def test_home_page_has_the_inline_form_with_frequency_and_privacy_link(client):
    page = client.get("/").get_data(as_text=True)
    assert 'type="email"' in page and 'autocomplete="email"' in page
    assert "How often would you like updates?" in page
    assert re.search(r'<input checked[^>]*value="weekly"', page)
    for value in FREQUENCIES:
        assert f'value="{value}"' in page
    assert re.search(r'value="fortnightly"[^>]*> Fortnightly</label>', page)
    assert 'href="/privacy"' in page
    assert 'name="website"' in page  # the honeypot
    assert 'hx-post="/newsletter/subscribe"' in page


def test_subscribe_with_htmx_answers_check_your_inbox_in_place(client, app):
    response = sign_up(client, "Mia@Example.ORG", "daily")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check your inbox to confirm" in page
    assert "<html" not in page  # a fragment, swapped where the form was
    assert "HX-Request" in response.headers["Vary"]
    stored = subscriber(app, "mia@example.org")
    assert stored.status == "pending" and stored.frequency == "daily"
    assert stored.consent_source == "/articles/a-study" and stored.consent_version
    [mail] = queued_mail(app, "mia@example.org")
    assert mail.kind == "confirm"


def test_every_frequency_offered_is_stored_as_chosen(client, app):
    # "fortnightly" is 11 characters: it needs the wider column (migration 0014) on PostgreSQL.
    for frequency in FREQUENCIES:
        assert sign_up(client, f"{frequency}@example.org", frequency).status_code == 200
        assert subscriber(app, f"{frequency}@example.org").frequency == frequency


def test_subscribe_without_javascript_answers_with_a_full_page(client):
    response = sign_up(client, "reader@example.org", htmx=False)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<html" in page and "Check your inbox to confirm" in page


def test_invalid_email_shows_the_form_again_with_the_error_beside_the_field(client, app):
    response = sign_up(client, "not-an-address@")
    assert response.status_code == 200  # htmx swaps only 2xx
    page = response.get_data(as_text=True)
    assert 'class="field-error" id="subscribe-email-error"' in page
    assert "Enter a valid email address" in page
    assert 'value="not-an-address@"' in page
    assert queued_mail(app) == []


def test_invalid_input_without_javascript_gets_422_and_the_full_page(client):
    response = sign_up(client, "", htmx=False)
    assert response.status_code == 422
    assert "Enter your email address." in response.get_data(as_text=True)


def test_unknown_frequency_is_refused(client, app):
    page = sign_up(client, "reader@example.org", "hourly").get_data(as_text=True)
    assert f"Choose {in_words()}." in page
    assert "Choose daily, weekly, fortnightly or monthly." in page
    assert subscriber(app, "reader@example.org") is None


@pytest.mark.parametrize(
    "address", ["reader@example.org\r\nBcc: victim@example.org", "reader@example.org\nSubject: hi", "a@b"]
)
def test_header_injection_and_bad_addresses_are_refused(client, app, address):
    page = sign_up(client, address).get_data(as_text=True)
    assert "field-error" in page
    assert queued_mail(app) == []


def test_filled_honeypot_gets_the_same_answer_and_no_mail(client, app):
    honest = sign_up(client, "person@example.org").get_data()
    bot = sign_up(client, "bot@example.org", website="http://spam.example").get_data()
    assert bot == honest
    assert subscriber(app, "bot@example.org") is None


def _set_state(app, email, status, notice_minutes_ago=60):
    with app.app_context():
        row = db.session.scalar(db.select(Subscriber).where(Subscriber.email == email))
        row.status = status
        row.last_notice_at = utcnow() - timedelta(minutes=notice_minutes_ago)
        db.session.commit()


def test_answer_bytes_are_identical_for_new_pending_active_and_unsubscribed(client, app):
    answers = {}
    for status in ("pending", "active", "unsubscribed"):
        sign_up(client, f"{status}@example.org")
        _set_state(app, f"{status}@example.org", status)
    for email in ("new@example.org", "pending@example.org", "active@example.org", "unsubscribed@example.org"):
        for htmx in (True, False):
            response = sign_up(client, email, htmx=htmx)
            answers[(email, htmx)] = (response.status_code, response.get_data())
    assert len({answer for (email, htmx), answer in answers.items() if htmx}) == 1
    assert len({answer for (email, htmx), answer in answers.items() if not htmx}) == 1


def test_each_state_gets_the_right_mail_behind_the_same_answer(client, app):
    for status in ("pending", "active", "unsubscribed"):
        sign_up(client, f"{status}@example.org", "monthly")
        _set_state(app, f"{status}@example.org", status)
    for email in ("new@example.org", "pending@example.org", "active@example.org", "unsubscribed@example.org"):
        sign_up(client, email, "daily")
    kinds = {email: [m.kind for m in queued_mail(app, email)] for email in
             ("new@example.org", "pending@example.org", "active@example.org", "unsubscribed@example.org")}
    assert kinds["new@example.org"] == ["confirm"]
    assert kinds["pending@example.org"] == ["confirm", "confirm"]  # sent again
    assert kinds["active@example.org"] == ["confirm", "already_subscribed"]
    assert kinds["unsubscribed@example.org"] == ["confirm", "confirm"]
    assert subscriber(app, "unsubscribed@example.org").status == "pending"
    # Nobody can change a confirmed reader's frequency through the public form.
    assert subscriber(app, "active@example.org").frequency == "monthly"
    assert subscriber(app, "pending@example.org").frequency == "daily"


def test_pending_address_gets_the_confirmation_again_at_most_once_per_few_minutes(client, app):
    for _ in range(4):
        sign_up(client, "eager@example.org")
    assert [m.kind for m in queued_mail(app, "eager@example.org")] == ["confirm"]


def test_resubscribing_after_unsubscribe_revokes_the_old_links(client, app):
    sign_up(client, "back@example.org")
    before = subscriber(app, "back@example.org").token_nonce
    _set_state(app, "back@example.org", "unsubscribed")
    sign_up(client, "back@example.org")
    assert subscriber(app, "back@example.org").token_nonce != before


def test_nothing_about_the_client_is_stored(client, app):
    sign_up(client, "private@example.org")
    columns = set(Subscriber.__table__.columns.keys())
    assert not {"ip", "ip_address", "remote_addr", "user_agent"} & columns


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "SUBSCRIBE_RATE_LIMIT": "2 per minute"}])
def test_rate_limit_answers_in_words(client, app):
    for number in range(2):
        assert "Check your inbox" in sign_up(client, f"r{number}@example.org").get_data(as_text=True)
    limited = sign_up(client, "r3@example.org")
    assert limited.status_code == 200  # htmx must swap it
    assert "Too many sign-up attempts" in limited.get_data(as_text=True)
    page = sign_up(client, "r4@example.org", htmx=False)
    assert page.status_code == 429
    assert "Too many sign-up attempts" in page.get_data(as_text=True)
    assert "Retry-After" in page.headers
    assert subscriber(app, "r3@example.org") is None


def test_default_rate_limit_is_five_per_minute_and_fifty_per_day(app):
    assert app.config["SUBSCRIBE_RATE_LIMIT"] == "5 per minute; 50 per day"


def test_consent_source_is_a_local_page_and_never_a_link_token(client, app):
    sign_up(client, "offsite@example.org", source="https://evil.example/page")
    sign_up(client, "token@example.org", source="/newsletter/confirm/WzEsIm5vbmNlIl0.abc.def")
    assert subscriber(app, "offsite@example.org").consent_source == "/"
    assert subscriber(app, "token@example.org").consent_source == "/newsletter"


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "SUBSCRIBE_RATE_LIMIT": "1 per minute", "PROXY_HOPS": 1}]
)
def test_behind_a_proxy_the_limit_counts_each_reader_separately(client):
    def from_reader(address, email):
        return client.post(
            "/newsletter/subscribe", data={"email": email, "frequency": "weekly"},
            headers={"HX-Request": "true", "X-Forwarded-For": address},
        ).get_data(as_text=True)

    assert "Check your inbox" in from_reader("203.0.113.1", "a@example.org")
    assert "Check your inbox" in from_reader("203.0.113.2", "b@example.org")
    assert "Too many sign-up attempts" in from_reader("203.0.113.1", "c@example.org")


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "SUBSCRIBE_RATE_LIMIT": "1 per minute"}])
def test_without_proxy_hops_a_forwarded_header_cannot_dodge_the_limit(client):
    for number, address in enumerate(("203.0.113.1", "203.0.113.2")):
        page = client.post(
            "/newsletter/subscribe", data={"email": f"x{number}@example.org", "frequency": "weekly"},
            headers={"HX-Request": "true", "X-Forwarded-For": address},
        ).get_data(as_text=True)
    assert "Too many sign-up attempts" in page


def test_health_check_reports_the_mail_queue(client):
    body = client.get("/healthz").get_json()
    assert body["checks"]["mail_queue"] == {"status": "ok", "waiting": 0, "oldest_waiting_seconds": 0, "failed": 0}


def test_the_blank_box_on_each_page_records_that_page_as_the_source(app, client, content):
    content.write("sleep-study", title="'Sleep and stress'")
    with app.app_context():
        content.import_all()
    for path, source in (("/", "/"), ("/articles/sleep-and-stress?utm_source=x", "/articles/sleep-and-stress")):
        page = client.get(path).get_data(as_text=True)
        assert f'<input id="subscribe-source" name="source" type="hidden" value="{source}">' in page
        assert "__source_page__" not in page
        assert 'name="email"' in page and "How often would you like updates?" in page
