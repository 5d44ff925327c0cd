"""GET /articles/<slug>/related: the Related Articles panel, or its own page.

The picks are precomputed (see miafeed.search.related), so serving is one
indexed query; a weak ETag and Last-Modified from the picks' computation time
let browsers and proxies revalidate instead of downloading again.
"""
import re

from flask import abort, request

from ..search.related import picks_for
from ..http.caching import shared_page
from ..http.htmx import wants_fragment
from ..http.web import render_page_or_fragment
from .article_rows import visible_article
from .blueprint import bp

# Short enough that an edit shows within minutes, long enough that a reader
# paging through articles never asks twice.
RELATED_MAX_AGE = 300
# A sentence ends at . ! or ? (maybe inside quotes or brackets) followed by
# a space and a capital, digit or opening quote: "e.g. fish" does not end one.
SENTENCE_END = re.compile(r"""(?:(?<=[.!?])|(?<=[.!?]["'”’)\]]))\s+(?=[A-Z0-9"'“‘(])""")


@bp.app_template_filter("whole_sentences")
def whole_sentences(text: str, limit: int = 160) -> str:
    """As many whole sentences of `text` as fit in `limit` characters, never fewer than one.

    The panel shows a taste of each summary; cutting one mid-word with an
    ellipsis reads like a mistake, a complete sentence does not.
    """
    text = " ".join(text.split())
    sentences = SENTENCE_END.split(text)
    kept = sentences[0]
    for sentence in sentences[1:]:
        if len(kept) + 1 + len(sentence) > limit:
            break
        kept = f"{kept} {sentence}"
    return kept


@bp.get("/articles/<slug>/related")
@shared_page()
def related(slug: str):
    """The related picks of one article: fragment for htmx, page otherwise."""
    article = visible_article(slug, with_lists=False)
    if article is None:
        abort(404, description="We could not find that article, so we cannot suggest related ones.")
    picks = picks_for(article)
    fragment = wants_fragment()
    response = render_page_or_fragment(
        "articles/related.html", "articles/_related_panel.html", article=article, picks=picks, as_fragment=fragment
    )
    computed = max((pick.computed_at for pick in picks), default=article.imported_at)
    # The fragment and the page are two representations of one URL, so
    # their validators differ.
    response.set_etag(f"{article.id}-{int(computed.timestamp() * 1000)}-{len(picks)}-{'f' if fragment else 'p'}", weak=True)
    response.last_modified = computed
    response.cache_control.public = True
    response.cache_control.max_age = RELATED_MAX_AGE
    return response.make_conditional(request)
