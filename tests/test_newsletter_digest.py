"""Digests: who gets what, grouping, exactly once, never empty."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from miafeed.content import import_content
from miafeed.clock import utcnow
from miafeed.newsletter import digests
from miafeed.newsletter.frequencies import period_key
from factories import gen_article, gen_subscriber
from newsletter_support import (  # noqa: F401
    app, app_config, app_defaults, deliver, html_part, link, queued_mail, smtp_app, smtp_inbox, subscriber, text_part,
)


def iso(moment):
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"


def add_subscriber(app, email, frequency="weekly", status="active", **fields):
    with app.app_context():
        gen_subscriber(email, frequency, status, **fields)


@pytest.fixture
def articles(content):
    """Three recent articles in two categories, and some a digest must leave out."""
    now = utcnow()
    content.write("sleep-new", slug="sleep-new", title="Naps help memory", category="Sleep", summary="A nap after learning helps.",
                  published=iso(now - timedelta(hours=2)))
    content.write("pain-mid", slug="pain-mid", title="CBT changes pain networks", category="Chronic Pain & Conditions",
                  summary="Talking therapy reshapes how the brain handles pain.", published=iso(now - timedelta(days=2)))
    content.write("sleep-old", slug="sleep-old", title="Dark rooms and deep sleep", category="Sleep", summary="Darkness deepens sleep.",
                  published=iso(now - timedelta(days=3)))
    content.write("ancient", title="An old story", published=iso(now - timedelta(days=40)))
    content.write("future", title="Not yet", published=iso(now + timedelta(days=2)))
    content.write("draft", title="A draft", draft="true", published=iso(now - timedelta(days=1)))
    return content


def test_weekly_digest_goes_to_active_weekly_readers_grouped_by_category(smtp_app, articles):
    app, inbox = smtp_app
    with app.app_context():
        import_content(articles.root)
    add_subscriber(app, "weekly@example.org")
    add_subscriber(app, "daily@example.org", frequency="daily")
    add_subscriber(app, "pending@example.org", status="pending")
    add_subscriber(app, "gone@example.org", status="unsubscribed")
    result = app.test_cli_runner().invoke(args=["digest", "send", "--frequency", "weekly"])
    assert result.exit_code == 0, result.output
    assert "Digest weekly: 1 sent, 0 skipped, 0 failed." in result.output
    deliver(app)
    assert [m["To"] for m in inbox.messages] == ["weekly@example.org"]
    [mail] = inbox.messages
    assert mail["Subject"] == "Your weekly Mia's Feed digest: 3 new articles"
    unsubscribe_url = link(mail, "unsubscribe")
    assert mail["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = inbox.envelopes[0].content
    assert f"\r\nList-Unsubscribe: <{unsubscribe_url}>\r\n".encode() in raw  # not folded or encoded
    text = text_part(mail)
    # Newest first, grouped by category: Sleep (newest) holds both sleep articles.
    assert text.index("== Sleep ==") < text.index("Naps help memory") < text.index("Dark rooms and deep sleep")
    assert text.index("Dark rooms and deep sleep") < text.index("== Chronic Pain & Conditions ==")
    assert "A nap after learning helps." in text
    assert "Read it: http://localhost/articles/sleep-new" in text
    for left_out in ("An old story", "Not yet", "A draft"):
        assert left_out not in text
    html = html_part(mail)
    assert '<a href="http://localhost/articles/pain-mid">CBT changes pain networks</a>' in html
    assert "Chronic Pain &amp; Conditions" in html
    assert link(mail, "preferences")


def test_running_twice_in_the_same_period_sends_nothing_new(app, runner, articles):
    with app.app_context():
        import_content(articles.root)
    add_subscriber(app, "weekly@example.org")
    runner.invoke(args=["digest", "send", "--frequency", "weekly"])
    second = runner.invoke(args=["digest", "send", "--frequency", "weekly"])
    assert "Digest weekly: 0 sent, 0 skipped, 0 failed." in second.output
    assert [m.kind for m in queued_mail(app, "weekly@example.org")] == ["digest"]


def test_a_run_killed_halfway_sends_the_rest_and_repeats_no_one(app, articles):
    with app.app_context():
        import_content(articles.root)
    for number in range(7):
        add_subscriber(app, f"r{number}@example.org")

    class Killed(Exception):
        pass

    def kill_after_first_batch(done):
        raise Killed

    with app.app_context():
        with pytest.raises(Killed):
            digests.send_digests("weekly", batch_size=3, on_progress=kill_after_first_batch)
        assert len(queued_mail(app)) == 3
        summary = digests.send_digests("weekly", batch_size=3)
    assert summary.sent == 4
    per_reader = [len(queued_mail(app, f"r{number}@example.org")) for number in range(7)]
    assert per_reader == [1] * 7


def test_nobody_gets_an_empty_digest(app, runner, content):
    content.write("old", title="Old news", published=iso(utcnow() - timedelta(days=30)))
    with app.app_context():
        import_content(content.root)
    add_subscriber(app, "weekly@example.org")
    result = runner.invoke(args=["digest", "send", "--frequency", "weekly"])
    assert "Digest weekly: 0 sent, 1 skipped, 0 failed." in result.output
    assert queued_mail(app) == []


def test_next_digest_has_only_what_was_published_since_the_last(app, content, articles):
    with app.app_context():
        import_content(articles.root)
    add_subscriber(app, "weekly@example.org")
    with app.app_context():
        digests.send_digests("weekly")
        later = utcnow() + timedelta(days=7)
        content.write("newer", title="Walking and mood", category="Mental Health & Mindfulness",
                      published=iso(utcnow() + timedelta(days=1)))
        import_content(content.root)
        digests.send_digests("weekly", now=later)
    first, second = queued_mail(app, "weekly@example.org")
    assert "3 new articles" in first.subject
    # Since the first digest: the new article, and the one whose publication
    # date has now come; nothing the first digest already had.
    assert second.subject == "Your weekly Mia's Feed digest: 2 new articles"
    assert "Walking and mood" in second.message and "Not yet" in second.message
    assert "Naps help memory" not in second.message


def test_a_fortnightly_reader_gets_one_digest_per_two_iso_weeks(app):
    # The fortnightly timer fires every Monday; the period key makes the
    # second run of a fortnight send nothing, even with news since the first.
    start = utcnow() + timedelta(days=1)
    if start.isocalendar()[1] % 2 == 0:  # start in the first week of a fortnight
        start += timedelta(days=7)
    with app.app_context():
        gen_article("Sleep and memory", published_at=utcnow() - timedelta(days=1))
        gen_article("Walking and mood", published_at=start + timedelta(days=3))
        gen_article("Tai chi and balance", published_at=start + timedelta(days=10))
        gen_subscriber("fortnightly@example.org", frequency="fortnightly")
        sent = [digests.send_digests("fortnightly", now=start + timedelta(days=days)).sent for days in (0, 7, 14)]
    assert sent == [1, 0, 1]
    first, second = queued_mail(app, "fortnightly@example.org")
    assert first.subject == "Your fortnightly Mia's Feed digest: 1 new article"
    assert "Walking and mood" in second.message and "Tai chi and balance" in second.message
    assert subscriber(app, "fortnightly@example.org").last_digest_period == period_key(
        "fortnightly", start + timedelta(days=14))


def test_a_digest_holds_at_most_ten_articles(app):
    with app.app_context():
        for number in range(12):
            gen_article(f"Study number {number:02d}", published_at=utcnow() - timedelta(hours=number + 1))
        gen_subscriber("daily@example.org", frequency="daily")
        digests.send_digests("daily")
    [mail] = queued_mail(app, "daily@example.org")
    assert "10 new articles" in mail.subject
    titles = re.findall(r"Study number (\d\d)", mail.message.split("text/html")[0])
    assert titles == [f"{number:02d}" for number in range(10)]


def test_dry_run_prints_who_would_get_what_and_queues_nothing(app, runner, articles):
    with app.app_context():
        import_content(articles.root)
    add_subscriber(app, "weekly@example.org")
    result = runner.invoke(args=["digest", "send", "--frequency", "weekly", "--dry-run"])
    assert "would send weekly@example.org: 3 article(s)" in result.output
    assert "Dry run, weekly: 1 would be sent, 0 skipped" in result.output
    assert queued_mail(app) == []
    assert subscriber(app, "weekly@example.org").last_digest_period is None


def test_digest_follows_a_frequency_change(app, runner, articles):
    with app.app_context():
        import_content(articles.root)
    add_subscriber(app, "switch@example.org", frequency="weekly")
    with app.app_context():
        from miafeed.newsletter import subscriptions

        subscriptions.change_frequency(subscriptions.find_by_email("switch@example.org"), "daily")
    assert "0 sent" in runner.invoke(args=["digest", "send", "--frequency", "weekly"]).output
    assert "1 sent" in runner.invoke(args=["digest", "send", "--frequency", "daily"]).output


def test_period_keys_name_the_day_the_iso_week_the_fortnight_and_the_month():
    moment = utcnow().replace(year=2026, month=11, day=25)
    assert period_key("daily", moment) == "daily:2026-11-25"
    assert period_key("weekly", moment) == "weekly:2026-W48"
    assert period_key("monthly", moment) == "monthly:2026-11"
    # A fortnight is two ISO weeks, named by its first: weeks 47 and 48 share a key, 49 starts the next.
    assert period_key("fortnightly", moment) == "fortnightly:2026-W47"
    assert period_key("fortnightly", moment - timedelta(days=7)) == "fortnightly:2026-W47"
    assert period_key("fortnightly", moment + timedelta(days=7)) == "fortnightly:2026-W49"


def test_a_digest_that_cannot_be_composed_is_counted_as_failed_and_the_rest_still_go(app, runner, articles, monkeypatch):
    with app.app_context():
        import_content(articles.root)
    add_subscriber(app, "broken@example.org")
    add_subscriber(app, "fine@example.org")
    real_compose = digests.compose_digest

    def compose_or_break(subscriber, frequency, groups, *rest):
        if subscriber.email == "broken@example.org":
            raise RuntimeError("template exploded")
        return real_compose(subscriber, frequency, groups, *rest)

    monkeypatch.setattr(digests, "compose_digest", compose_or_break)
    result = runner.invoke(args=["digest", "send", "--frequency", "weekly"])
    assert result.exit_code == 1
    assert "Digest weekly: 1 sent, 0 skipped, 1 failed." in result.output
    assert [m.kind for m in queued_mail(app, "fine@example.org")] == ["digest"]
    # Not marked as sent: the next run tries the failed reader again.
    assert subscriber(app, "broken@example.org").last_digest_period is None
