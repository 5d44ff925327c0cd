"""POST /articles/<slug>/helpful and /articles/<slug>/problem.

Both forms are part of every article page, with the same markup for
everyone (no token, no cookie), so the page stays cacheable; the origin
guard in security.py protects them. A plain post gets a thank-you page
with a link back; htmx swaps a thank-you fragment in place of the form.

Status codes follow the newsletter's rule (see newsletter/views.py): an
htmx request gets 200 with the fragment to show, because htmx 2 swaps only
2xx; a plain post gets the honest 4xx with the same words in a page.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from sqlalchemy import select

from ..extensions import db, limiter
from ..models import Article, visible_articles
from ..http.form_charset import UnreadableForm, posted_form
from ..http.htmx import wants_fragment
from ..http.web import render_page_or_fragment, request_too_large_response
from . import store
from .forms import HelpfulForm, ProblemForm

bp = Blueprint("feedback", __name__)

RATE_LIMITED = "Too many answers from your network in a short time. Please wait a minute and try again."
UNREADABLE = ("We could not read the text you sent (it was not in the character set it claimed, or not UTF-8), "
              "so nothing was saved. Please type it again and send it from this page.")


def _rate_limit() -> str:
    return current_app.config["FEEDBACK_RATE_LIMIT"]


# One count for both forms: a flood of "no" answers and a flood of reports are the same flood.
feedback_limit = limiter.shared_limit(_rate_limit, scope="feedback", methods=["POST"])


def _status(html_status: int) -> int:
    return 200 if wants_fragment() else html_status


def _article_or_404(slug: str) -> Article:
    found = db.session.scalar(visible_articles().where(Article.slug == slug))
    if found is None:
        abort(404, description="We could not find that article, so there is nothing to give feedback on.")
    return found


def _answer(article, fragment: str, status: int = 200, **context):
    response = render_page_or_fragment(
        "feedback/answer.html", fragment, _status(status), article=article, fragment=fragment, **context
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/articles/<slug>/helpful")
@feedback_limit
def helpful(slug: str):
    """Store a yes or no for the article; thank the reader."""
    article = _article_or_404(slug)
    try:
        form = HelpfulForm(formdata=posted_form())
    except UnreadableForm:
        return _answer(article, "feedback/_helpful_form.html", 400, notice=UNREADABLE)
    if not form.validate_on_submit():
        return _answer(article, "feedback/_helpful_form.html", 422, helpful_form=form)
    store.record_helpful(article.slug, form.helpful)
    return _answer(article, "feedback/_helpful_done.html", answered_yes=form.helpful)


@bp.post("/articles/<slug>/problem")
@feedback_limit
def problem(slug: str):
    """Store a problem report (its text is optional); thank the reader."""
    article = _article_or_404(slug)
    try:
        form = ProblemForm(formdata=posted_form())
    except UnreadableForm:
        return _answer(article, "feedback/_problem_form.html", 400, notice=UNREADABLE)
    if not form.validate_on_submit():
        return _answer(article, "feedback/_problem_form.html", 422, problem_form=form)
    store.record_problem(article.slug, form.text.data or "")
    return _answer(article, "feedback/_problem_done.html")


@bp.errorhandler(429)
def rate_limited(error):
    """Too many answers from one address: the form again, with a notice saying why."""
    slug = (request.view_args or {}).get("slug", "")
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    fragment = "feedback/_problem_form.html" if request.endpoint == "feedback.problem" else "feedback/_helpful_form.html"
    if article is None:  # the limit applies before the article is looked up
        fragment = "feedback/_notice.html"
    response = render_page_or_fragment(
        "feedback/answer.html", fragment, _status(429), article=article, fragment=fragment, notice=RATE_LIMITED,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(413)
def too_large(error):
    return request_too_large_response(
        f"A problem report takes at most {store.MAX_TEXT_LENGTH} characters, far less than what arrived. Nothing was saved."
    )
