"""Routes: sign-up, confirm, preferences, unsubscribe, and /privacy.

Status codes for htmx: htmx 2 does not swap 4xx/5xx answers by default, and
a reader needs to see why the form did not work. So an htmx request gets
200 with the fragment to show (the form with its errors, the rate-limit
notice), while a plain form post gets the honest status (422, 429) with the
same text in a full page. The one exception is security.py's 403 for a form
sent from another site, which base.html's htmx config swaps as it is.
"""
from __future__ import annotations

import time
from email.utils import parseaddr

from flask import Blueprint, current_app, render_template, request

from ..extensions import limiter
from ..http.caching import shared_page
from ..http.htmx import wants_fragment
from ..http.web import render_page_or_fragment, request_too_large_response
from . import bounces, digests, subscriptions, tokens, topics
from .forms import ButtonForm, PreferencesForm, SubscribeForm
from ..http.site_url import absolute_url
from .models import ACTIVE, BOUNCED, PENDING, UNSUBSCRIBED

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")


# Undo and "Subscribe again" only bring back a reader who once confirmed.
NEVER_CONFIRMED = (
    "This address was never confirmed, so there is nothing to undo. "
    "To subscribe, sign up again and press the button in the confirmation email."
)


def _subscribe_rate_limit() -> str:
    return current_app.config["SUBSCRIBE_RATE_LIMIT"]


def _status(html_status: int) -> int:
    # See the module docstring: htmx swaps only 2xx by default.
    return 200 if wants_fragment() else html_status


@bp.get("/subscribe")
@shared_page()
def subscribe_page():
    """The sign-up form as a page of its own (links from invalid-link pages)."""
    return render_template("newsletter/subscribe.html", subscribe_form=SubscribeForm(formdata=None))


@bp.post("/subscribe")
@limiter.limit(_subscribe_rate_limit, methods=["POST"])
def subscribe():
    """Validate the form; answer every valid address with the same bytes."""
    form = SubscribeForm()
    if not form.validate_on_submit():
        return render_page_or_fragment(
            "newsletter/subscribe.html", "newsletter/_subscribe_form.html", _status(422), subscribe_form=form,
            back_path=form.back_path,
        )
    started = time.monotonic()
    if not form.is_bot:  # a filled honeypot gets the same answer and no mail
        subscriptions.subscribe(form.email.data, form.frequency.data, form.source_page)
    response = render_page_or_fragment(
        "newsletter/subscribe.html", "newsletter/_subscribe_done.html", done=True, back_path=form.back_path
    )
    # subscribe() does the same work for every state, but inserting a new
    # row still costs a millisecond or two more than updating one (see
    # bench/newsletter_digest.py). Answering no sooner than a fixed floor
    # hides that difference, and the timing of the honeypot path too.
    floor = float(current_app.config["SUBSCRIBE_MIN_ANSWER_SECONDS"])
    remaining = floor - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    return response


@bp.errorhandler(429)
def rate_limited(error):
    """Too many sign-ups from one address: say so, in words, with the form."""
    form = SubscribeForm(formdata=None)
    notice = "Too many sign-up attempts from your network. Please wait a minute and try again."
    # Flask-Limiter adds Retry-After and the X-RateLimit headers itself.
    return render_page_or_fragment(
        "newsletter/subscribe.html", "newsletter/_subscribe_form.html", _status(429),
        subscribe_form=form, form_notice=notice,
    )


@bp.errorhandler(413)
def too_large(error):
    """A sign-up post too big to read: the form again, with a notice saying so."""
    if request.endpoint != "newsletter.subscribe":
        return request_too_large_response()
    notice = "That was too much text to send: an email address has at most 320 characters. Nothing was saved."
    response = render_page_or_fragment(
        "newsletter/subscribe.html", "newsletter/_subscribe_form.html", _status(413),
        subscribe_form=SubscribeForm(formdata=None), form_notice=notice,
    )
    return response


def _invalid_link(error: tokens.InvalidToken):
    status = 400 if error.reason == "bad" else 410
    return (
        render_template("newsletter/invalid_link.html", reason=error.reason, subscribe_form=SubscribeForm(formdata=None)),
        status,
    )


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """GET shows a button (mail scanners follow links); only POST confirms."""
    try:
        subscriber = tokens.load_subscriber(tokens.CONFIRM, token)
    except tokens.InvalidToken as error:
        # A confirmation link opened again weeks later has expired, but the
        # reader did confirm with it: tell them that, not "sign up again".
        if error.subscriber is not None and error.subscriber.confirmed_at is not None:
            return _confirm_page(error.subscriber, ButtonForm(), already=True)
        return _invalid_link(error)
    if subscriber.status in (UNSUBSCRIBED, BOUNCED) and subscriber.confirmed_at is None:
        return _invalid_link(tokens.InvalidToken("revoked"))
    form = ButtonForm()
    if subscriber.status != PENDING:
        return _confirm_page(subscriber, form, already=True)
    if request.method == "POST" and form.validate_on_submit():
        subscriptions.confirm(subscriber)
    return _confirm_page(subscriber, form, already=False)


def _confirm_page(subscriber, form, already: bool):
    preferences_url = absolute_url("newsletter.preferences", token=tokens.make_token(tokens.PREFERENCES, subscriber))
    return render_template(
        "newsletter/confirm.html", subscriber=subscriber, form=form, preferences_url=preferences_url, already=already
    )


@bp.route("/preferences/<token>", methods=["GET", "POST"])
def preferences(token: str):
    """Change the frequency, unsubscribe, or come back after unsubscribing."""
    try:
        subscriber = tokens.load_subscriber(tokens.PREFERENCES, token)
    except tokens.InvalidToken as error:
        return _invalid_link(error)
    categories = topics.all_categories()
    form = PreferencesForm(
        frequency=subscriber.frequency, topics=[category.id for category in topics.chosen_categories(subscriber)]
    )
    form.topics.choices = [(category.id, category.name) for category in categories]
    message, status = None, 200
    action = request.form.get("action")
    if request.method == "POST" and action in ("unsubscribe", "resubscribe"):
        # These buttons send no frequency or topics; the origin guard has checked where they come from.
        if ButtonForm().validate_on_submit():
            if action == "unsubscribe":
                subscriptions.unsubscribe(subscriber)
                message = "You are unsubscribed. We will not send you any more mail."
            elif subscriptions.resubscribe(subscriber):
                bounces.clear(subscriber)
                message = f"Welcome back. You will get the {subscriber.frequency} digest again."
            else:
                message = NEVER_CONFIRMED
    elif request.method == "POST":
        if "topics_offered" not in request.form:
            # A post from a page without the topic boxes changes the frequency only.
            form.topics.data = [category.id for category in topics.chosen_categories(subscriber)]
        if form.validate_on_submit():
            subscriptions.change_frequency(subscriber, form.frequency.data)
            subscriptions.change_topics(subscriber, form.topics.data)
            chosen = topics.chosen_categories(subscriber)
            covered = "all of them" if len(chosen) == len(categories) else ", ".join(c.name for c in chosen)
            message = f"Saved. You will get the {form.frequency.data} digest. Topics: {covered}."
        else:
            status = 422
    return render_template(
        "newsletter/preferences.html", subscriber=subscriber, form=form, message=message,
        unsubscribe_token=tokens.make_token(tokens.UNSUBSCRIBE, subscriber),
    ), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """GET shows a button; POST unsubscribes (or undoes); one-click per RFC 8058."""
    try:
        subscriber = tokens.load_subscriber(tokens.UNSUBSCRIBE, token)
    except tokens.InvalidToken as error:
        return _invalid_link(error)
    if request.method != "POST":  # GET and HEAD: scanners and previews only look
        return render_template(
            "newsletter/unsubscribe.html", subscriber=subscriber, form=ButtonForm(), done=False,
            already=subscriber.status == UNSUBSCRIBED,
        )
    if request.form.get("List-Unsubscribe") == "One-Click":
        subscriptions.unsubscribe(subscriber)
        return render_template("newsletter/unsubscribe.html", subscriber=subscriber, form=ButtonForm(), done=True)
    if request.form.get("action") == "undo":
        if subscriptions.resubscribe(subscriber):
            bounces.clear(subscriber)
            return render_template("newsletter/unsubscribe.html", subscriber=subscriber, form=ButtonForm(), undone=True)
        return render_template(
            "newsletter/unsubscribe.html", subscriber=subscriber, form=ButtonForm(), done=True, message=NEVER_CONFIRMED
        )
    subscriptions.unsubscribe(subscriber)
    return render_template("newsletter/unsubscribe.html", subscriber=subscriber, form=ButtonForm(), done=True)


@shared_page()
def privacy():
    """/privacy: what is stored about subscribers and how to have it removed."""
    return render_template(
        "newsletter/privacy.html",
        notice_minutes=current_app.config["SUBSCRIBE_NOTICE_INTERVAL_MINUTES"],
        confirm_hours=current_app.config["CONFIRM_TOKEN_MAX_AGE_HOURS"],
        contact_address=parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1],
    )


@shared_page()
def sample_digest():
    """/sample-digest: what a weekly digest looks like, built from the latest articles."""
    groups, this_week = digests.sample_groups()
    count = sum(len(articles) for _, articles in groups)
    return render_template("newsletter/sample_digest.html", groups=groups, count=count, this_week=this_week, on_site=True)


STATUS_WORDS = {
    PENDING: "waiting for confirmation", ACTIVE: "subscribed", UNSUBSCRIBED: "unsubscribed",
    BOUNCED: "stopped: mail to this address kept bouncing",
}
