"""Running a reader's search: parse the guarded query, rank, facet, page,
highlight and suggest, all through the per-thread searcher.

The web view and the benchmark both call `run_search`, so the benchmark
measures exactly what a reader waits for.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..http.web import nav_categories
from ..clock import utcnow
from ..models import Article, Category, SlugAndName
from .engine import SEARCH_FIELD, qparser, query, spelling_analyzer
from . import matching, near_words, snippets, synonyms
from .arrays import IndexArrays, Match
from .guard import CleanQuery, clean_query
from .searcher import current_searcher

PER_PAGE = 10
# Deep pages cost a collector of page * PER_PAGE hits; nobody reads page 101.
MAX_PAGE = 100
SORTS = ("relevance", "newest")
# Offer a spelling fix when a query finds fewer than this many articles.
FEW_RESULTS = 3
# Candidates of one edit distance weighed for a "Did you mean".
SUGGESTION_CANDIDATES = 8


@dataclass(frozen=True)
class ResultArticle:
    """What a result shows of an article: read as one row, not an ORM object."""

    id: int
    slug: str
    title: str
    summary: str
    published_at: object
    reading_minutes: int
    study_type: str | None
    study_studied_in: str | None  # "Studied in mice" where a study was not in people
    study_animal: str | None
    category: SlugAndName


@dataclass
class SearchHit:
    """One result: the article, and its title and snippet with <mark>s (safe HTML)."""

    article: ResultArticle
    title_html: Markup
    snippet_html: Markup


@dataclass
class Facet:
    """A category among the matches, with how many matched in it."""

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
    # Set when a word matched nothing and was replaced by the nearest
    # indexed word: the words actually searched ("insomnia" for "insomnai").
    corrected_text: str | None = None
    exact: bool = False
    # True when no article has every word and the results are the closest:
    # the articles with the most of the words (see _closest).
    partial: bool = False

    @property
    def still_typing(self) -> bool:
        """True for one word too short to search as a prefix ("i", "in") that
        found nothing: the reader is still typing, not told "no results"."""
        words = self.query.words
        return (not self.total and not self.query.phrases and len(words) == 1
                and len(words[0]) < matching.MIN_PREFIX)

    @property
    def searched_text(self) -> str:
        """The words the results are for (the correction, if there was one)."""
        return self.corrected_text or self.query.text

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
    ANDed and looked up in the one searchable field.
    """
    return qparser.QueryParser(SEARCH_FIELD, schema, plugins=[qparser.PhrasePlugin()], group=qparser.AndGroup)


# Everything made from a searcher is kept per thread, beside the searcher
# itself (search/searcher.py), and dropped with it when the index changes.
# Whoosh objects are plain Python with caches of their own (the schema's
# StemFilter keeps one) and were never meant to be shared between threads;
# the process-wide dict this replaces also kept one parser, with its schema
# and stem cache, for every index any thread ever opened.
_per_thread = threading.local()


def _memo(searcher) -> dict:
    """This thread's cache for `searcher`: its parser, category sets, future-dated docs."""
    memo = getattr(_per_thread, "memo", None)
    if memo is None or memo["searcher"] is not searcher:
        memo = _per_thread.memo = {"searcher": searcher}
    return memo


def _parser_for(searcher):
    memo = _memo(searcher)
    parser = memo.get("parser")
    if parser is None:
        parser = memo["parser"] = make_parser(searcher.schema)
    return parser


def _not_yet_published(searcher, index: IndexArrays) -> np.ndarray:
    """A mask of the indexed articles whose publication time is still ahead.

    The index holds future-dated articles too, so they appear on their day
    without a reindex; until then they are left out of every result. It is
    worked out once per searcher (a comparison over the publication column,
    search/arrays.py) and again only when the earliest of those dates has
    passed.
    """
    now = utcnow()
    memo = _memo(searcher)
    cached = memo.get("future_docs")
    if cached is not None and (cached[1] is None or cached[1] > now):
        return cached[0]
    memo["future_docs"] = index.published_after(now)
    return memo["future_docs"][0]


def run_search(raw_query: str | None, category: str | None = None, sort: str = "relevance", page: int = 1,
               exact: bool = False, per_page: int = PER_PAGE, snippets_wanted: bool = True) -> SearchOutcome:
    """Search published articles. `category` is a category slug (unknown ones
    simply match nothing), `sort` one of SORTS, `page` from 1. The last word
    also matches as a prefix; a word that matches nothing is corrected unless
    `exact` (see matching.plan). When no article has every word, the results
    are the articles with the most of them and `partial` is set (_closest).
    The header's live box asks for a few hits (`per_page`) without snippets.

    Raises store.IndexMissing when there is no index to search.
    """
    cleaned = clean_query(raw_query)
    sort = sort if sort in SORTS else "relevance"
    page = min(max(page, 1), MAX_PAGE)
    outcome = SearchOutcome(query=cleaned, category=category or None, sort=sort, page=page, exact=exact)
    if not cleaned:
        return outcome
    searcher = current_searcher()
    planned = matching.plan(searcher, _parser_for(searcher), cleaned.text, exact=exact, synonyms=synonyms.current_table())
    parsed = planned.query
    if planned.corrected:
        outcome.corrected_text = planned.text
    if parsed is None:
        return outcome

    # Matching, counting, faceting and ranking run over arrays with a slot
    # per document (search/arrays.py): Whoosh's matchers step through
    # postings a Python call at a time, which at 10,000 articles cost tens
    # of milliseconds a query.
    index = _arrays(searcher)
    found = index.match(parsed)
    available = index.live & ~_not_yet_published(searcher, index)
    matched = found.found & available
    if not matched.any() and planned.groups:
        closest = _closest(searcher, index, planned.groups, available)
        if closest is not None:
            # No article has every word: the articles with the most of them.
            found, parsed = closest
            matched = found.found & available
            planned.preferred = []
            outcome.partial = True
    by_category = _category_docs(searcher, index)
    counts = {slug: int(np.count_nonzero(matched & docs)) for slug, docs in by_category.items()}
    counts = {slug: count for slug, count in counts.items() if count}
    outcome.total = counts.get(category, 0) if category else int(np.count_nonzero(matched))
    if outcome.total and page > outcome.pages:
        return outcome  # the view answers 404 for a page past the end
    allowed = matched & by_category.get(category, False) if category else matched
    wanted = min(page * PER_PAGE, (page - 1) * PER_PAGE + per_page)
    if planned.preferred and sort == "relevance":
        # The reader's own words first (whole-word matches of the last word,
        # then its prefix matches), then, only when a page needs them,
        # matches of synonyms; each group ranked by its own query's scores.
        ranked: list[int] = []
        shown = np.zeros_like(allowed)
        for narrower in [*planned.preferred, parsed]:
            if len(ranked) >= wanted:
                break
            group = found if narrower is parsed else index.match(narrower)
            members = allowed & group.found & ~shown
            ranked += index.top(members, group.scores, wanted - len(ranked))
            shown |= members
    else:
        ranked = index.top(allowed, found.scores, wanted, newest=sort == "newest")
    page_hits = [index.stored_fields(docnum) for docnum in ranked[(page - 1) * PER_PAGE : wanted]]
    names = dict(nav_categories(current_app))
    outcome.category_name = names.get(category) if category else None
    outcome.facets = _facets(counts, category, names)
    outcome.hits = _hits(page_hits, parsed, snippets_wanted)
    if outcome.total < FEW_RESULTS and not planned.corrected and snippets_wanted:
        _suggest(outcome, searcher, category, planned.prefix_word)
    return outcome


def _closest(searcher, index: IndexArrays, groups: list, available: np.ndarray):
    """The articles that hold the most of the reader's words, when none holds
    them all: (a Match ranking by words matched, then by score; the query
    whose terms a result marks), or None when no word matches anything.

    A plain word also matches the compounds it ends ("knee arthritis" finds
    knee osteoarthritis); each word keeps its synonyms and, for the last,
    its completions.
    """
    reader = searcher.reader()
    parser = _parser_for(searcher)
    words_matched = np.zeros(len(available), dtype=np.float64)
    scores = np.zeros(len(available), dtype=np.float64)
    nodes = []
    for node, word in groups:
        node = node if node is not None else matching.word_query(parser, word)
        if node is None:
            continue  # a stop word outside the last place
        compounds = [query.Term(SEARCH_FIELD, term) for term in matching.compound_terms(searcher, reader, word)] if word else []
        node = query.Or([node, *compounds]) if compounds else node
        nodes.append(node)
        group = index.match(node)
        hit = group.found & available
        words_matched += hit
        scores += np.where(hit, group.scores, 0.0)
    if not words_matched.any():
        return None
    # Every extra word matched outranks any score difference; among articles
    # with as many words, BM25 already weighs a rare word ("salt") above a
    # common one ("too", "much"). Weighing each word by its rarity instead
    # put an article with "too" and "salt" above the one about salt, and the
    # only article saying "bad" above every bad-back article.
    ranking = words_matched * (scores.max() + 1.0) + scores
    return Match(words_matched > 0, ranking), query.Or(nodes)


def _facets(counts: dict, active: str | None, names: dict[str, str]) -> list[Facet]:
    facets = [Facet(slug, names.get(slug, slug), count, slug == active) for slug, count in counts.items() if slug in names]
    facets.sort(key=lambda f: (-f.count, f.name))
    return facets


def _hits(page_hits, parsed, snippets_wanted: bool = True) -> list[SearchHit]:
    ids = [int(hit["id"]) for hit in page_hits]
    if not ids:
        return []
    # One query for the page, kept in ranked order (the microblog pattern),
    # reading only the columns a result shows.
    rows = db.session.execute(
        select(Article.id, Article.slug, Article.title, Article.summary, Article.published_at, Article.reading_minutes,
               Article.study_type, Article.study_studied_in, Article.study_animal, Category.slug, Category.name)
        .join(Category, Category.id == Article.category_id)
        .where(Article.id.in_(ids), Article.draft.is_(False))
    )
    articles = {row[0]: ResultArticle(*row[:9], SlugAndName(row[9], row[10])) for row in rows}
    terms = frozenset(text for field_name, text in parsed.iter_all_terms() if field_name == SEARCH_FIELD)
    hits = []
    for hit in page_hits:
        article = articles.get(int(hit["id"]))
        if article is None:
            continue  # deleted since the index was written; the next import drops it
        title = snippets.mark(article.title, terms)
        snippet = ""
        if snippets_wanted:
            snippet = snippets.snippet_from_table(hit.get("sentences") or (), terms) or snippets.mark(article.summary, terms)
        hits.append(SearchHit(article, Markup(title), Markup(snippet)))
    return hits


def _arrays(searcher) -> IndexArrays:
    """This thread's arrays over `searcher` (made once per searcher)."""
    memo = _memo(searcher)
    index = memo.get("arrays")
    if index is None:
        index = memo["arrays"] = IndexArrays(searcher)
    return index


def _category_docs(searcher, index: IndexArrays) -> dict[str, np.ndarray]:
    """{category slug: mask of its documents} for this searcher, worked out once."""
    memo = _memo(searcher)
    cached = memo.get("category_docs")
    if cached is None:
        cached = {}
        for slug in searcher.lexicon("category"):
            slug = slug.decode() if isinstance(slug, bytes) else slug
            cached[slug] = index.field_docs("category", slug) & index.live
        memo["category_docs"] = cached
    return cached


def _suggest(outcome: SearchOutcome, searcher, category: str | None, typing: str | None = None) -> None:
    analyzer = spelling_analyzer()
    changed = False
    corrected = []
    for position, word in enumerate(outcome.query.words):
        if word == typing and position == len(outcome.query.words) - 1 and len(word) < matching.MIN_CORRECTED_LAST:
            corrected.append(word)  # still being typed: "tum" is not a misspelt "two"
            continue
        tokens = [token.text for token in analyzer(word)]
        # Only single plain words are corrected, and only when they are rare
        # in the articles: a common word is what the reader meant, and the
        # start of an indexed word is a word still being typed.
        if (len(tokens) != 1 or searcher.doc_frequency("spell", tokens[0]) >= FEW_RESULTS
                or matching.starts_an_indexed_word(searcher.reader(), tokens[0])):
            corrected.append(word)
            continue
        best = _closest_common_word(searcher, tokens[0])
        if best:
            corrected.append(best)
            changed = True
        else:
            corrected.append(word)
    if not changed:
        return
    text = " ".join(corrected + [f'"{phrase}"' for phrase in outcome.query.phrases])
    parsed = _parser_for(searcher).parse(text)
    index = _arrays(searcher)
    matched = index.docs(parsed) & ~_not_yet_published(searcher, index)
    if category:
        matched &= _category_docs(searcher, index).get(category, False)
    count = int(np.count_nonzero(matched))
    if count > outcome.total:
        outcome.suggestion, outcome.suggestion_total = text, count


def _closest_common_word(searcher, word: str) -> str | None:
    # Ranking every candidate within maxdist alike gave "meditaton"
    # "medication" (two edits, more frequent) over "meditation" (one
    # edit). So: one edit first, then two; among the eight most used
    # candidates at that distance (the cut Whoosh's corrector made), the
    # word in the most articles.
    reader = searcher.reader()
    for maxdist in (1, 2):
        candidates = near_words.words_within(reader, "spell", word, maxdist)
        if candidates:
            commonest = sorted(candidates, key=lambda candidate: (searcher.frequency("spell", candidate) or 1, candidate),
                               reverse=True)[:SUGGESTION_CANDIDATES]
            return max(commonest, key=lambda candidate: (searcher.doc_frequency("spell", candidate), candidate))
    return None
