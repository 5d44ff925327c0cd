"""Reader feedback at the end of an article: "Was this page helpful?" and
"Report a problem", stored with nothing personal, listed and handled with
`flask feedback`, and refused when it comes from another site."""
from __future__ import annotations

import pytest

from miafeed.extensions import db
from miafeed.feedback.models import ReaderFeedback
from newsletter_support import app, app_config, app_defaults  # noqa: F401

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
HTMX = dict(SAME_ORIGIN, **{"HX-Request": "true"})
CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}


@pytest.fixture
def article(app, content):
    content.write("sleep-study", title="'Sleep and stress'", slug="sleep-and-stress")
    content.write("pain-study", title="'Pain and mood'", slug="pain-and-mood", category="Chronic Pain & Conditions")
    with app.app_context():
        content.import_all()
    return "sleep-and-stress"


@pytest.fixture
def client(app):
    return app.test_client()


def stored(app):
    with app.app_context():
        return [
            {column: getattr(row, column) for column in ("article_slug", "kind", "helpful", "text", "received_on", "handled_at")}
            for row in db.session.scalars(db.select(ReaderFeedback).order_by(ReaderFeedback.id))
        ]


def answer(client, slug, value, headers=SAME_ORIGIN):
    return client.post(f"/articles/{slug}/helpful", data={"answer": value}, headers=headers)


def report(client, slug, text, headers=SAME_ORIGIN):
    return client.post(f"/articles/{slug}/problem", data={"text": text}, headers=headers)


def test_every_article_ends_with_both_questions_the_same_for_every_reader(client, article):
    page = client.get(f"/articles/{article}")
    html = page.get_data(as_text=True)
    assert "Was this page helpful?" in html and "Report a problem" in html
    assert f'action="/articles/{article}/helpful"' in html and f'action="/articles/{article}/problem"' in html
    assert "Set-Cookie" not in page.headers
    assert page.headers["Cache-Control"].startswith("public")
    assert client.get(f"/articles/{article}").get_data() == page.get_data()  # no per-reader token


def test_yes_and_no_are_stored_with_the_day_and_nothing_personal(client, app, article, clock):
    thanks = answer(client, article, "yes")
    assert thanks.status_code == 200
    assert "Thank you for your answer" in thanks.get_data(as_text=True)
    assert "Back to the article" in thanks.get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in thanks.get_data(as_text=True)  # not a page to index
    assert answer(client, article, "no").status_code == 200
    rows = stored(app)
    assert [(row["kind"], row["helpful"]) for row in rows] == [("helpful", True), ("helpful", False)]
    assert all(row["article_slug"] == article for row in rows)
    assert {row["received_on"] for row in rows} == {clock.now.date()}
    with app.app_context():
        columns = set(ReaderFeedback.__table__.columns.keys())
    assert not columns & {"email", "ip", "ip_address", "user_agent", "address", "name"}


def test_a_problem_report_is_stored_and_listed_newest_first_per_article(client, app, article):
    report(client, article, "The second paragraph says 12 in 100 but the study says 9 in 100.")
    report(client, article, "")  # the text is optional
    report(client, "pain-and-mood", "Broken source link")
    answer(client, article, "no")
    result = app.test_cli_runner().invoke(args=["feedback", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # The article with the newest answer first, and its newest answer first.
    assert lines[0] == "sleep-and-stress: 0 helpful, 1 not helpful, 2 problem report(s), 2 open"
    assert "helpful: no" in lines[1]
    assert "problem, open: (no text)" in lines[2]
    assert "problem, open: The second paragraph says 12 in 100" in lines[3]
    assert any(line.startswith("pain-and-mood: ") for line in lines)
    only = app.test_cli_runner().invoke(args=["feedback", "list", "--article", "pain-and-mood"])
    assert "Broken source link" in only.output and "sleep-and-stress" not in only.output


def test_a_problem_report_can_be_marked_handled_and_a_yes_cannot(client, app, article):
    report(client, article, "Typo in the title")
    answer(client, article, "yes")
    runner = app.test_cli_runner()
    done = runner.invoke(args=["feedback", "handled", "1"])
    assert done.exit_code == 0 and "marked handled" in done.output
    assert stored(app)[0]["handled_at"] is not None
    listing = runner.invoke(args=["feedback", "list"]).output
    assert "problem, handled " in listing and ", 0 open" in listing
    again = runner.invoke(args=["feedback", "handled", "1"])
    assert again.exit_code == 0 and "already handled" in again.output
    not_a_report = runner.invoke(args=["feedback", "handled", "2"])
    assert not_a_report.exit_code == 1 and "not a problem report" in not_a_report.output
    missing = runner.invoke(args=["feedback", "handled", "99"])
    assert missing.exit_code == 1 and "There is no feedback #99" in missing.output


@pytest.mark.parametrize("post", [lambda c, s: answer(c, s, "yes", CROSS_SITE), lambda c, s: report(c, s, "spam", CROSS_SITE)])
def test_a_post_from_another_site_is_refused_and_stores_nothing(client, app, article, post):
    refused = post(client, article)
    assert refused.status_code == 403
    assert stored(app) == []


def test_no_answer_sets_a_cookie_or_is_kept_by_a_cache(client, article):
    for response in (answer(client, article, "yes"), report(client, article, "x"), answer(client, article, "maybe"),
                     answer(client, article, "yes", HTMX)):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get_cookie("session") is None


def test_a_note_over_the_limit_is_refused_with_its_length_and_nothing_is_stored(client, app, article):
    refused = report(client, article, "a" * 1001)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Your note is 1001 characters long; the limit is 1000." in text
    assert "a" * 1001 not in text  # the echo is capped at the limit
    assert stored(app) == []
    fragment = report(client, article, "a" * 1001, HTMX)
    assert fragment.status_code == 200 and "the limit is 1000" in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)


@pytest.mark.parametrize("value", ["maybe", "", "YES", "yes " * 10])
def test_an_answer_other_than_yes_or_no_is_refused_in_words(client, app, article, value):
    refused = answer(client, article, value)
    assert refused.status_code == 422
    assert "Choose Yes or No" in refused.get_data(as_text=True)
    assert stored(app) == []


def test_feedback_on_an_unknown_article_is_a_404(client, app, article):
    missing = answer(client, "no-such-article", "yes")
    assert missing.status_code == 404
    assert "nothing to give feedback on" in missing.get_data(as_text=True)
    assert stored(app) == []


def test_control_characters_are_dropped_from_a_note(client, app, article):
    assert report(client, article, "Bad\x00 link\x07\nhere").status_code == 200
    assert stored(app)[0]["text"] == "Bad link\nhere"


def test_htmx_gets_a_thank_you_fragment_in_place_of_the_form(client, article):
    helpful = answer(client, article, "no", HTMX)
    body = helpful.get_data(as_text=True)
    assert helpful.status_code == 200 and "HX-Request" in helpful.headers["Vary"]
    assert body.lstrip().startswith('<div class="feedback-box" id="feedback-helpful">')
    assert "Thank you for your answer" in body and "<html" not in body
    problem = report(client, article, "Typo", HTMX)
    assert 'id="feedback-problem"' in problem.get_data(as_text=True)
    assert "reached the editors" in problem.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "FEEDBACK_RATE_LIMIT": "2 per minute"}])
def test_too_many_answers_from_one_network_are_refused_in_words(client, app, article):
    assert answer(client, article, "yes").status_code == 200
    assert report(client, article, "one").status_code == 200  # both forms share one count
    limited = answer(client, article, "yes", HTMX)
    assert limited.status_code == 200  # htmx must swap it
    assert "Too many answers from your network" in limited.get_data(as_text=True)
    assert 'id="feedback-helpful"' in limited.get_data(as_text=True)  # the form stays, to try again later
    page = report(client, article, "three")
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "Too many answers from your network" in page.get_data(as_text=True)
    assert len(stored(app)) == 2


def test_answers_older_than_the_kept_days_are_pruned(client, app, article, clock):
    answer(client, article, "yes")
    clock.advance(days=app.config["FEEDBACK_KEEP_DAYS"] + 2)
    report(client, article, "new")  # every new answer prunes the old ones
    assert [row["text"] for row in stored(app)] == ["new"]
    clock.advance(days=app.config["FEEDBACK_KEEP_DAYS"] + 2)
    result = app.test_cli_runner().invoke(args=["feedback", "prune"])
    assert "1 answer(s) older than" in result.output
    assert stored(app) == []


def test_the_privacy_page_says_what_feedback_keeps_and_for_how_long(client, app):
    html = client.get("/privacy").get_data(as_text=True)
    assert "Was this page helpful?" in html
    assert f"{app.config['FEEDBACK_KEEP_DAYS']} days" in html
