"""Article cards rendered once per content version, not once per page.

A card (templates/partials/_article_card.html) shows only what the import
wrote: title, summary, date, reading time, category, study label, picture.
The home page renders ten of them and they were about two fifths of its
CPU (bench/render_pages.py); category, tag and author pages are the same
shape. A card's HTML depends on the article, on whether it is the first
card of a listing (its picture loads eagerly), on whether the listing is
its own category's (the name is left out) and on the URL prefix, so it is
kept under exactly those and the content version (content/version.py),
which every import, reindex and followed change moves on. The kept cards
are dropped as a whole when the version changes.
"""
from __future__ import annotations

from flask import current_app, request
from markupsafe import Markup

from ..content import version
from .blueprint import bp

# Cards kept per process for one content version: every article of a big
# site in each of its few variants; past this the memo starts again.
MAX_CARDS = 20_000
_KEY = "miafeed_card_memo"


@bp.app_template_global()
def remembered_card(macro, item, first_card: bool = False, listed_category=None) -> Markup:
    """`macro(item, first_card, listed_category)`, rendered once per content version."""
    app = current_app._get_current_object()
    current = version.current(app)
    memo = app.extensions.get(_KEY)
    if memo is None or memo[0] != current or len(memo[1]) >= MAX_CARDS:
        memo = app.extensions[_KEY] = (current, {})
    in_own_category = listed_category is not None and listed_category.id == item.category_id
    key = (request.script_root, item.id, bool(first_card), in_own_category)
    cards = memo[1]
    html = cards.get(key)
    if html is None:
        html = cards[key] = macro(item, first_card, listed_category)
    return html
