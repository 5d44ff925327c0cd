"""Digests tell readers about corrections to articles they may have read in an earlier digest."""
from __future__ import annotations

from datetime import timedelta

import pytest

from miafeed.content import import_content
from miafeed.extensions import db
from miafeed.clock import utcnow
from miafeed.newsletter import digests
from miafeed.newsletter.models import Subscriber
from newsletter_support import (  # noqa: F401
    app, app_config, app_defaults, deliver, html_part, smtp_app, smtp_inbox, text_part,
)

NOTE = "We wrote that 262 people took part; the trial had 226."


def iso(moment):
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"


def add_subscriber(app, email, frequency="weekly", **fields):
    with app.app_context():
        db.session.add(Subscriber(email=email, frequency=frequency, status="active", consent_version="v",
                                  consent_source="/", last_digest_period="old-period", **fields))
        db.session.commit()


@pytest.fixture
def corrected(smtp_app, content):
    """An article out for three days that just got a correction, and a new article for this digest."""
    app, inbox = smtp_app
    now = utcnow()
    content.write("old", slug="tai-chi", title="Tai chi eases fibromyalgia", published=iso(now - timedelta(days=3)))
    content.write("new", slug="naps", title="Naps help memory", published=iso(now - timedelta(hours=2)))
    with app.app_context():
        import_content(content.root)
    add_subscriber(app, "had-it@example.org", confirmed_at=now - timedelta(days=30), last_digest_at=now - timedelta(days=2))
    # Joined yesterday; a daily digest looks back one day, so the old article never reached them.
    add_subscriber(app, "too-new@example.org", frequency="daily", confirmed_at=now - timedelta(days=1),
                   last_digest_at=now - timedelta(hours=12))
    # Never had a digest at all.
    add_subscriber(app, "first@example.org", confirmed_at=now - timedelta(hours=5))
    content.write("old", slug="tai-chi", title="Tai chi eases fibromyalgia", published=iso(now - timedelta(days=3)),
                  corrections=[{"date": f"{now:%Y-%m-%d}", "note": NOTE}])
    with app.app_context():
        import_content(content.root)
    return app, inbox


def send(app, frequency):
    result = app.test_cli_runner().invoke(args=["digest", "send", "--frequency", frequency])
    assert result.exit_code == 0, result.output
    deliver(app)


def test_next_digest_carries_corrections_since_the_last_one(corrected):
    app, inbox = corrected
    send(app, "weekly")
    [mail] = inbox.to("had-it@example.org")
    text = text_part(mail)
    assert "== Corrections since your last digest ==" in text
    corrections = text[text.index("== Corrections since your last digest =="):]
    assert "Tai chi eases fibromyalgia" in corrections
    assert NOTE in corrections
    assert "Read it: http://localhost/articles/tai-chi" in corrections
    assert "Naps help memory" in text[:text.index("== Corrections")]
    html = html_part(mail)
    assert "<h2>Corrections since your last digest</h2>" in html
    assert '<a href="http://localhost/articles/tai-chi">Tai chi eases fibromyalgia</a>' in html


def test_readers_who_cannot_have_seen_the_article_get_no_corrections(corrected):
    app, inbox = corrected
    send(app, "weekly")
    send(app, "daily")
    [first] = inbox.to("first@example.org")
    [too_new] = inbox.to("too-new@example.org")
    for mail in (first, too_new):
        assert "Corrections since" not in text_part(mail)
        assert "Corrections since" not in html_part(mail)


def test_a_correction_is_told_once(corrected, content):
    app, inbox = corrected
    send(app, "weekly")
    next_week = utcnow() + timedelta(days=7)
    content.write("later", slug="later", title="A later article", published=iso(next_week - timedelta(days=1)))
    with app.app_context():
        import_content(content.root)
        digests.send_digests("weekly", now=next_week)
    deliver(app)
    second = inbox.to("had-it@example.org")[-1]
    assert len(inbox.to("had-it@example.org")) == 2
    assert "A later article" in text_part(second)
    assert "Corrections since" not in text_part(second)
