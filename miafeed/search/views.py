"""GET /search: the page and its htmx results fragment, from one template."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for

from ..extensions import db
from ..models import visible_articles
from ..http.caching import shared_page
from ..http.htmx import wants_fragment
from ..http.web import nav_categories, page_number, render_page_or_fragment
from . import misses, querying, store
from .health import has_indexable_articles

bp = Blueprint("search", __name__)

LATEST_ON_EMPTY_PAGE = 5


def query_key(raw: str) -> str:
    """What the results for ?q= depend on, for the page cache: the cleaned
    query, so `sleep ` and `sleep` share one render; the raw text (as the
    search box echoes it) when nothing survives cleaning."""
    cleaned = querying.clean_query(raw)
    return f"q={cleaned.text!r}{'~' if cleaned.truncated else ''}" if cleaned else f"raw={raw[:200]!r}"


@bp.after_request
def _vary_on_htmx(response):
    # Every /search response, errors included, depends on HX-Request.
    response.vary.add("HX-Request")
    return response


@bp.get("/search")
@shared_page("category", "sort", "page", "exact", q=query_key)
def search():
    """Search results for ?q=, narrowed by ?category=, sorted by ?sort=, paged by ?page=."""
    raw = request.args.get("q", "")
    category = request.args.get("category", "").strip()[:120] or None
    sort = request.args.get("sort", "relevance")
    # ?exact=1: the reader's own words, after we showed them a correction.
    exact = request.args.get("exact", "") not in ("", "0")
    page = page_number()
    if page > querying.MAX_PAGE:
        abort(400, description=f"Search results stop at page {querying.MAX_PAGE}; try more words to narrow the search.")
    if category and category not in dict(nav_categories(current_app)):
        return _not_found_page(raw, sort, unknown_category=category)
    unavailable = False
    try:
        outcome = querying.run_search(raw, category=category, sort=sort, page=page, exact=exact)
    except store.IndexMissing:
        # With no articles at all there is nothing to be missing: just no results.
        unavailable = has_indexable_articles()
        outcome = querying.SearchOutcome(query=querying.clean_query(raw), category=category, sort=querying.SORTS[0], page=1)
    if outcome.total and page > outcome.pages:
        return _not_found_page(raw, sort, category=category, past_end=(page, outcome.pages), exact=exact)
    context = {"outcome": outcome, "unavailable": unavailable, "as_fragment": wants_fragment()}
    if not outcome.total:
        context["categories"] = nav_categories(current_app)
        if not outcome.query:
            context["latest"] = db.session.scalars(visible_articles().limit(LATEST_ON_EMPTY_PAGE)).unique().all()
    response = render_page_or_fragment("search/search.html", "search/_results.html", **context)
    if outcome.query and not outcome.total and not outcome.still_typing and not unavailable and not category:
        # After rendering: the write ends the session's read transaction.
        misses.record_miss(outcome.query.text)
        # Not kept by the page cache (or a proxy): each miss must reach this
        # view to be counted. Misses are few, and cheap to answer.
        response = make_response(response)
        response.headers["Cache-Control"] = "no-cache"
    return response


def _not_found_page(raw, sort, category=None, unknown_category=None, past_end=None, exact=False):
    """The search page, answering 404, for a category that does not exist or
    a page past the last: it says which, and links to the search that works."""
    outcome = querying.SearchOutcome(query=querying.clean_query(raw), category=category, sort=sort if sort in querying.SORTS else "relevance", page=1, exact=exact)
    context = {"outcome": outcome, "unavailable": False, "as_fragment": wants_fragment(),
               "unknown_category": unknown_category, "past_end": past_end}
    if unknown_category:
        context["categories"] = nav_categories(current_app)
    return render_page_or_fragment("search/search.html", "search/_results.html", status=404, **context)


SUGGESTIONS = 6


@bp.get("/search/suggest")
@shared_page(q=query_key)
def suggest():
    """The header box's live list: the top matches for ?q= as the reader types.

    A fragment for htmx only; anyone else is sent to the full results page.
    """
    raw = request.args.get("q", "")
    if not wants_fragment():
        return redirect(url_for("search.search", q=raw or None))
    try:
        outcome = querying.run_search(raw, per_page=SUGGESTIONS, snippets_wanted=False)
    except store.IndexMissing:
        outcome = querying.SearchOutcome(query=querying.clean_query(raw), category=None, sort=querying.SORTS[0], page=1)
    return render_template("search/_suggestions.html", outcome=outcome)
