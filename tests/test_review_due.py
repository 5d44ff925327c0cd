"""Pages that stay reviewed: a next review date (the policy default or the
article's own), shown beside "Last reviewed", marked overdue once past,
listed by `flask content review-due` and counted by `flask stats`."""
from __future__ import annotations

import re

import pytest

from miafeed.content import ImportError_
from miafeed.http.web import format_date

from clock import day, iso_day


def reviewed(content, name, last_reviewed, next_review=None):
    content.write(name, title=name.replace("-", " ").capitalize(), slug=name, published=iso_day(-900),
                  author="ada-writer", reviewed_by="ben-doctor", last_reviewed=last_reviewed, next_review=next_review)


@pytest.fixture
def reviews(app, content, clock):
    """Articles reviewed at different times; the policy is one review a year here."""
    app.config["REVIEW_INTERVAL_DAYS"] = 365
    content.write_authors()
    reviewed(content, "long-overdue", iso_day(-400))  # due 35 days ago
    reviewed(content, "due-soon", iso_day(-355))  # due in 10 days
    reviewed(content, "own-date-soon", iso_day(-30), next_review=iso_day(3))  # the editor's date wins
    reviewed(content, "fresh", iso_day(-10))  # due in 355 days
    content.write("never-reviewed", title="Never reviewed", slug="never-reviewed")
    with app.app_context():
        content.import_all()
    return content


def review_line(client, slug) -> str:
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    return re.sub(r"\s+", " ", re.search(r'<p class="review-line">(.*?)</p>', page, re.S).group(1))


def test_article_shows_next_review_due_beside_last_reviewed(client, reviews):
    line = review_line(client, "fresh")
    assert f'Last reviewed <time datetime="{iso_day(-10)}">{format_date(day(-10))}</time>' in line
    assert f'Next review due <time datetime="{iso_day(355)}">{format_date(day(355))}</time>' in line
    assert "overdue" not in line
    own = review_line(client, "own-date-soon")
    assert f'Next review due <time datetime="{iso_day(3)}">' in own


def test_a_past_review_date_is_marked_overdue(client, reviews):
    assert "(overdue)" in review_line(client, "long-overdue")
    assert "(overdue)" not in review_line(client, "due-soon")


def test_review_becomes_overdue_as_time_passes(app, client, reviews, clock):
    clock.advance(days=11)
    assert "(overdue)" in review_line(client, "due-soon")


def test_review_due_lists_overdue_and_soon_due_articles_soonest_first(runner, reviews):
    result = runner.invoke(args=["content", "review-due", "--days", "30"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()[1:]]
    assert [line[0] for line in lines] == [iso_day(-35), iso_day(3), iso_day(10)]
    assert [slug for line in lines for slug in line if slug in ("long-overdue", "own-date-soon", "due-soon")] == [
        "long-overdue", "own-date-soon", "due-soon"]
    assert "overdue by 35 day(s)" in result.output and "due in 3 day(s)" in result.output
    assert "fresh" not in result.output and "never-reviewed" not in result.output
    assert "3 article(s) due for review within 30 days or overdue" in result.output


def test_review_due_window_is_chosen_with_days(runner, reviews):
    only_overdue = runner.invoke(args=["content", "review-due", "--days", "0"]).output
    assert "long-overdue" in only_overdue and "due-soon" not in only_overdue
    everything = runner.invoke(args=["content", "review-due", "--days", "400"]).output
    assert "fresh" in everything
    refused = runner.invoke(args=["content", "review-due", "--days", "-1"])
    assert refused.exit_code == 2 and "-1" in refused.output


def test_review_due_says_so_when_nothing_is_due(app, runner, content, clock):
    content.write_authors()
    reviewed(content, "fresh", iso_day(-1))
    with app.app_context():
        content.import_all()
    result = runner.invoke(args=["content", "review-due"])
    assert result.exit_code == 0
    assert "No article is due for review within 30 days." in result.output


def test_stats_counts_overdue_reviews_and_those_due_soon(runner, reviews):
    output = runner.invoke(args=["stats"]).output
    assert re.search(r"^  overdue +1$", output, re.M), output
    assert re.search(r"^  due within 30 days +2$", output, re.M), output


def test_the_policy_default_is_two_years_after_the_last_review(app, client, content, clock):
    content.write_authors()
    reviewed(content, "default-policy", iso_day(-10))
    with app.app_context():
        content.import_all()
    assert f'Next review due <time datetime="{iso_day(720)}">' in review_line(client, "default-policy")


@pytest.mark.parametrize(
    "next_review, message",
    [
        (iso_day(-11), "is before last_reviewed"),
        ("2026-02-30", "'2026-02-30' is not a date"),
    ],
)
def test_bad_next_review_is_refused_naming_file_and_key(app, content, next_review, message):
    content.write_authors()
    reviewed(content, "bad", iso_day(-10), next_review=next_review)
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
    assert f"bad.md: next_review: {message}" in str(caught.value)


def test_next_review_without_a_review_is_refused(app, content):
    content.write("unreviewed", title="Unreviewed", next_review=iso_day(10))
    with app.app_context():
        with pytest.raises(ImportError_, match="next_review: needs last_reviewed"):
            content.import_all()


@pytest.mark.parametrize("days", [0, -5, "730", True])
def test_a_bad_review_interval_stops_the_app_at_start(tmp_path, days):
    from miafeed import create_app

    with pytest.raises(ValueError, match="REVIEW_INTERVAL_DAYS must be a whole number of days"):
        create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "REVIEW_INTERVAL_DAYS": days,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}"}, instance_path=str(tmp_path))
