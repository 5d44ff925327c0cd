"""`flask stats`: the figures an operator checks, and never an address."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from miafeed.clock import utcnow
from miafeed.newsletter.frequencies import period_key

from clock import iso_day, moment
from factories import gen_mail, gen_subscriber

EMAILS = []


def _subscriber(email, status, frequency, created_days_ago, confirmed_days_ago=None, digest=None):
    now = utcnow()
    EMAILS.append(email)
    return gen_subscriber(
        email, frequency, status, created_at=now - timedelta(days=created_days_ago),
        confirmed_at=None if confirmed_days_ago is None else now - timedelta(days=confirmed_days_ago),
        last_digest_period=digest[0] if digest else None,
        last_digest_at=now - timedelta(hours=digest[1]) if digest else None,
    )


def _mail(status, attempts=0, sent_hours_ago=None, claimed_hours_ago=None):
    now = utcnow()
    return gen_mail(
        status, attempts=attempts, sent_at=None if sent_hours_ago is None else now - timedelta(hours=sent_hours_ago),
        claimed_at=None if claimed_hours_ago is None else now - timedelta(hours=claimed_hours_ago),
    )


@pytest.fixture
def site(app, content):
    content.write("slept-well", title="Slept well", category="Sleep")
    content.write("slept-badly", title="Slept badly", category="Sleep", published=iso_day(-20))
    content.write("sleep-next-year", title="Sleep next year", category="Sleep", published=iso_day(+30))
    content.write("pain-draft", title="Pain draft", category="Chronic Pain & Conditions", draft="true")
    content.write("calm-mind", title="Calm mind", category="Mental Health & Mindfulness")
    with app.app_context():
        content.import_all()
        _subscriber("pending.new@example.org", "pending", "daily", created_days_ago=1)
        _subscriber("active.recent@example.org", "active", "weekly", 3, confirmed_days_ago=2,
                    digest=(period_key("weekly", moment(hours=-30)), 30))
        _subscriber("active.older@example.org", "active", "weekly", 20, confirmed_days_ago=19,
                    digest=(period_key("weekly", moment(hours=-200)), 200))
        _subscriber("active.monthly@example.org", "active", "monthly", 90, confirmed_days_ago=89)
        _subscriber("gone@example.org", "unsubscribed", "daily", 60, confirmed_days_ago=59,
                    digest=(period_key("daily", moment(days=-50)), 24 * 50))
        _mail("queued")
        _mail("queued")
        _mail("queued", attempts=2)
        _mail("sending", attempts=0, claimed_hours_ago=0)
        _mail("sent", sent_hours_ago=1)
        _mail("sent", sent_hours_ago=5)
        _mail("sent", sent_hours_ago=30)
        _mail("failed", attempts=8, claimed_hours_ago=2)
        _mail("failed", attempts=8, claimed_hours_ago=48)
    return app


def _row(output: str, label: str) -> list[str]:
    """The values on the line that starts with `label` (indented), split on runs of spaces."""
    match = re.search(rf"^  {re.escape(label)}  +(.*)$", output, re.MULTILINE)
    assert match, f"no row {label!r} in:\n{output}"
    return re.split(r"\s{2,}", match.group(1).strip())


def test_stats_table_counts_articles_subscribers_signups_mail_and_digests(site, runner):
    result = runner.invoke(args=["stats"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(r"^Articles +published +scheduled +draft$", out, re.MULTILINE)
    assert _row(out, "Sleep") == ["2", "1", "0"]
    assert _row(out, "Chronic Pain & Conditions") == ["0", "0", "1"]
    assert _row(out, "Mental Health & Mindfulness") == ["1", "0", "0"]
    assert _row(out, "all") == ["3", "1", "1"]

    assert re.search(r"^Subscribers +daily +weekly +fortnightly +monthly +all$", out, re.MULTILINE)
    assert _row(out, "pending") == ["1", "0", "0", "0", "1"]
    assert _row(out, "active") == ["0", "2", "0", "1", "3"]
    assert _row(out, "unsubscribed") == ["1", "0", "0", "0", "1"]

    assert _row(out, "sign-ups") == ["2", "3"]  # last 7 days, last 30 days
    assert _row(out, "confirmations") == ["1", "2"]

    assert _row(out, "queued") == ["2"]
    assert _row(out, "retrying") == ["1"]
    assert _row(out, "sending") == ["1"]
    assert _row(out, "sent (24 h)") == ["2"]
    assert _row(out, "failed (24 h)") == ["1"]

    assert _row(out, "weekly")[0].startswith(period_key("weekly", moment(hours=-30)).split(":")[1] + ", at ")
    assert _row(out, "daily")[0].startswith(period_key("daily", moment(days=-50)).split(":")[1] + ", at ")
    assert _row(out, "monthly") == ["never"]
    assert "Search index: ok, 4 articles indexed" in out  # drafts are never indexed


def test_stats_never_prints_an_email_address(site, runner):
    for args in (["stats"], ["stats", "--json"]):
        output = runner.invoke(args=args).output
        assert "@" not in output
        for email in EMAILS:
            assert email.split("@")[0] not in output


def test_stats_json_has_the_same_figures(site, runner):
    figures = json.loads(runner.invoke(args=["stats", "--json"]).output)
    assert figures["articles"]["Sleep"] == {"published": 2, "scheduled": 1, "draft": 0}
    assert figures["subscribers"]["active"] == {"daily": 0, "weekly": 2, "fortnightly": 0, "monthly": 1}
    assert figures["signups"] == {"sign-ups": {"7d": 2, "30d": 3}, "confirmations": {"7d": 1, "30d": 2}}
    assert figures["mail"]["sent (24 h)"] == 2
    assert figures["search"]["state"] == "ok"


def test_a_status_the_table_does_not_know_yet_is_still_counted(site, runner):
    with site.app_context():
        _subscriber("bouncy@example.org", "bouncing", "weekly", 2)
    assert _row(runner.invoke(args=["stats"]).output, "bouncing") == ["0", "1", "0", "0", "1"]


def test_stats_on_an_empty_site(app, runner):
    result = runner.invoke(args=["stats"])
    assert result.exit_code == 0, result.output
    assert _row(result.output, "all") == ["0", "0", "0"]
    assert _row(result.output, "weekly") == ["never"]
    assert "Search index: ok" in result.output
