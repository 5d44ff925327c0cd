"""Running a reader's search: parse the guarded query, rank, facet, page,
highlight and suggest, all through the per-thread searcher.

The web view and the benchmark both call `run_search`, so the benchmark
measures exactly what a reader waits for.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..models import Article, Category, utcnow
from .engine import SEARCH_FIELDS, highlight, qparser, query, sorting, spelling_analyzer
from .guard import CleanQuery, clean_query
from .searcher import current_searcher

PER_PAGE = 10
# Deep pages cost a collector of page * PER_PAGE hits; nobody reads page 101.
MAX_PAGE = 100
SORTS = ("relevance", "newest")
# Snippets are cut from the start of the body; analysing a whole very long
# article for a 200-character snippet is wasted time.
SNIPPET_SOURCE_CHARS = 6000
# Offer a spelling fix when a query finds fewer than this many articles.
FEW_RESULTS = 3


class _MarkFormatter(highlight.HtmlFormatter):
    """Wraps matched words in a bare <mark>; everything else is escaped."""

    def __init__(self):
        super().__init__(between=" … ")

    def format_token(self, text, token, replace=False):
        return "<mark>%s</mark>" % escape(highlight.get_text(text, token, replace), quote=False)


_SNIPPET = highlight.Highlighter(fragmenter=highlight.ContextFragmenter(maxchars=160, surround=70), formatter=_MarkFormatter())
_WHOLE = highlight.Highlighter(fragmenter=highlight.WholeFragmenter(), formatter=_MarkFormatter())


@dataclass
class SearchHit:
    article: Article
    title_html: Markup
    snippet_html: Markup


@dataclass
class Facet:
    slug: str
    name: str
    count: int
    active: bool


@dataclass
class SearchOutcome:
    """Everything the results template shows for one search."""

    query: CleanQuery
    category: str | None
    sort: str
    page: int
    total: int = 0
    hits: list[SearchHit] = field(default_factory=list)
    facets: list[Facet] = field(default_factory=list)
    suggestion: str | None = None
    suggestion_total: int = 0
    category_name: str | None = None

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, math.ceil(self.total / PER_PAGE)))

    @property
    def first(self) -> int:
        return (self.page - 1) * PER_PAGE + 1

    @property
    def last(self) -> int:
        return self.first + len(self.hits) - 1


def make_parser(schema):
    """A parser that knows plain words and quoted phrases, nothing else.

    No field, wildcard, range, boost, group or operator syntax: words are
    ANDed and each is looked up in every search field.
    """
    return qparser.QueryParser(
        None,
        schema,
        plugins=[qparser.PhrasePlugin(), qparser.MultifieldPlugin(list(SEARCH_FIELDS))],
        group=qparser.AndGroup,
    )


_parsers: dict[int, object] = {}


def _parser_for(searcher):
    key = id(searcher.schema)
    parser = _parsers.get(key)
    if parser is None:
        parser = _parsers[key] = make_parser(searcher.schema)
    return parser


def _visible_filter(category: str | None):
    # The index holds future-dated articles too; they stay hidden until
    # their publication time without any reindex.
    parts = [query.DateRange("published", None, utcnow())]
    if category:
        parts.append(query.Term("category", category))
    return query.And(parts) if len(parts) > 1 else parts[0]


def run_search(raw_query: str | None, category: str | None = None, sort: str = "relevance", page: int = 1) -> SearchOutcome:
    """Search published articles. `category` is a category slug (unknown ones
    simply match nothing), `sort` one of SORTS, `page` from 1.

    Raises store.IndexMissing when there is no index to search.
    """
    cleaned = clean_query(raw_query)
    sort = sort if sort in SORTS else "relevance"
    page = min(max(page, 1), MAX_PAGE)
    outcome = SearchOutcome(query=cleaned, category=category or None, sort=sort, page=page)
    if not cleaned:
        return outcome
    searcher = current_searcher()
    parsed = _parser_for(searcher).parse(cleaned.text)
    if parsed is query.NullQuery or isinstance(parsed, type(query.NullQuery)):
        return outcome

    order = {"sortedby": "published", "reverse": True} if sort == "newest" else {}
    facet = sorting.FieldFacet("category", maptype=sorting.Count)
    results = searcher.search_page(
        parsed,
        page,
        pagelen=PER_PAGE,
        filter=_visible_filter(category),
        groupedby=None if category else facet,
        **order,
    )
    outcome.total = results.total
    if category:
        # Facets count every match, not only the chosen category, so the
        # reader sees where else the words appear.
        counts = searcher.search(parsed, limit=1, filter=_visible_filter(None), groupedby=facet).groups("category")
    else:
        counts = results.results.groups("category")
    names = {slug: name for slug, name in db.session.execute(select(Category.slug, Category.name))}
    outcome.category_name = names.get(category) if category else None
    outcome.facets = _facets(counts, category, names)
    outcome.hits = _hits(results)
    if outcome.total < FEW_RESULTS:
        _suggest(outcome, searcher, category)
    return outcome


def _facets(counts: dict, active: str | None, names: dict[str, str]) -> list[Facet]:
    facets = [Facet(slug, names.get(slug, slug), count, slug == active) for slug, count in counts.items() if slug in names]
    facets.sort(key=lambda f: (-f.count, f.name))
    return facets


def _hits(results) -> list[SearchHit]:
    page_hits = list(results)
    ids = [int(hit["id"]) for hit in page_hits]
    if not ids:
        return []
    # One query for the page, kept in ranked order (the microblog pattern).
    articles = {a.id: a for a in db.session.scalars(select(Article).where(Article.id.in_(ids), Article.draft.is_(False)))}
    hits = []
    for hit in page_hits:
        article = articles.get(int(hit["id"]))
        if article is None:
            continue  # deleted since the index was written; the next import drops it
        title = _WHOLE.highlight_hit(hit, "title", text=article.title) or escape(article.title)
        snippet = _SNIPPET.highlight_hit(hit, "body", text=article.body_text[:SNIPPET_SOURCE_CHARS], top=2)
        if not snippet:
            snippet = _WHOLE.highlight_hit(hit, "summary", text=article.summary) or escape(article.summary)
        hits.append(SearchHit(article, Markup(title), Markup(snippet)))
    return hits


def _suggest(outcome: SearchOutcome, searcher, category: str | None) -> None:
    corrector = searcher.corrector("spell")
    analyzer = spelling_analyzer()
    changed = False
    corrected = []
    for word in outcome.query.words:
        tokens = [token.text for token in analyzer(word)]
        # Only single plain words are corrected, and only when they are rare
        # in the articles: a common word is what the reader meant.
        if len(tokens) != 1 or searcher.doc_frequency("spell", tokens[0]) >= FEW_RESULTS:
            corrected.append(word)
            continue
        best = _closest_common_word(searcher, corrector, tokens[0])
        if best:
            corrected.append(best)
            changed = True
        else:
            corrected.append(word)
    if not changed:
        return
    text = " ".join(corrected + [f'"{phrase}"' for phrase in outcome.query.phrases])
    parsed = _parser_for(searcher).parse(text)
    count = len(searcher.search(parsed, limit=1, filter=_visible_filter(category)))
    if count > outcome.total:
        outcome.suggestion, outcome.suggestion_total = text, count


def _closest_common_word(searcher, corrector, word: str) -> str | None:
    # Whoosh's corrector ranks every candidate within maxdist alike, so
    # "meditaton" got "medication" (two edits, more frequent) over
    # "meditation" (one edit). Ask for one edit first, then two, and take
    # the most frequent word at the smallest distance.
    for maxdist in (1, 2):
        candidates = corrector.suggest(word, limit=8, maxdist=maxdist, prefix=1)
        if candidates:
            return max(candidates, key=lambda candidate: (searcher.doc_frequency("spell", candidate), candidate))
    return None
