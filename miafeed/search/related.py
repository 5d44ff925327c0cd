"""Related Articles: picks computed when content changes, never per request.

For each article, candidates come from the search index (key terms of its
title, summary, tags and body, looked up with Whoosh's more-like-this
expansion), scored with shared tags, same category and a gentle preference
for recent articles. The editor's `related:` list comes first. When
similarity finds too few, the same category and then the latest articles
fill in, so the panel is never empty. Each pick carries a reason a reader
understands ("Also about: CBT, chronic pain", "Also about: sleep", "More in Sleep").
"""
from __future__ import annotations

import re
import time
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select

from ..database import write_transaction
from ..extensions import db
from ..models import Article, Category, RelatedPick, Tag, article_tags, utcnow
from . import store
from .matching import analyse
from .similarity import Similarity

MAX_PICKS = 6
MIN_PICKS = 3
KEY_TERMS = 12
CANDIDATES = 30
# A similar article must score at least this share of the best one to be
# shown as similar (below it, the category and latest fallbacks are better).
MIN_RELATIVE_SIMILARITY = 0.3
# Without a shared tag, headline word or category, only a strong text match counts.
STRONG_SIMILARITY = 0.6
# Body text beyond this adds little to an article's key terms but costs time.
KEY_TEXT_CHARS = 4000
# When one article changes, this many of its nearest neighbours are
# recomputed too, since it may now belong in (or fall out of) their picks.
NEIGHBOURS_TO_REFRESH = 30

WEIGHT_SIMILARITY = 0.55
WEIGHT_TAGS = 0.25
WEIGHT_CATEGORY = 0.12
WEIGHT_RECENCY = 0.08


@dataclass
class _Info:
    id: int
    slug: str
    title: str
    summary: str
    category_id: int
    published_at: datetime
    visible: bool
    draft: bool
    related_slugs: list
    tags: list[str] = field(default_factory=list)  # names, in display order


@dataclass
class Pick:
    """One computed pick, before it is stored as a RelatedPick row."""

    related_id: int
    score: float
    kind: str
    reason: str


class _Corpus:
    """Everything the scoring needs, loaded once per computation."""

    def __init__(self):
        now = utcnow()
        rows = db.session.execute(
            select(
                Article.id, Article.slug, Article.title, Article.summary, Article.category_id,
                Article.published_at, Article.draft, Article.related_slugs,
            )
        ).all()
        self.articles = {
            row.id: _Info(row.id, row.slug, row.title, row.summary, row.category_id, row.published_at,
                          not row.draft and row.published_at <= now, row.draft, list(row.related_slugs or []))
            for row in rows
        }
        for article_id, name in db.session.execute(
            select(article_tags.c.article_id, Tag.name).join(Tag, Tag.id == article_tags.c.tag_id).order_by(Tag.name)
        ):
            if article_id in self.articles:
                self.articles[article_id].tags.append(name)
        self.by_slug = {info.slug: info for info in self.articles.values()}
        self.category_names = dict(db.session.execute(select(Category.id, Category.name)).all())
        visible = sorted((i for i in self.articles.values() if i.visible), key=lambda i: (i.published_at, i.id), reverse=True)
        self.latest = [info.id for info in visible]
        self.latest_by_category: dict[int, list[int]] = {}
        for info in visible:
            self.latest_by_category.setdefault(info.category_id, []).append(info.id)
        self.newest = visible[0].published_at if visible else now


def _key_text(info: _Info, body: str) -> str:
    # The title and tags say what an article is about more surely than any
    # paragraph, so they count twice.
    tags = " ".join(info.tags)
    return " ".join((info.title, info.title, tags, tags, info.summary, body[:KEY_TEXT_CHARS]))


def _stem(word: str) -> str | None:
    # The index's analysis of one word (cached; the Whoosh analyzer chain
    # per word was a third of a recompute's time).
    tokens = analyse(word)
    return tokens[0] if len(tokens) == 1 else None


# Words that join two headlines without saying what they are about.
GENERIC_WORDS = frozenset(
    """linked link lower higher risk risks study studies trial trials review reviews adults people
    may new finds found suggests effect effects health healthy better less more years year week weeks
    daily day days time group early later long short help helps improve improves symptoms disease
    diseases death mortality""".split()
)


@lru_cache(maxsize=4096)
def _words_by_stem(text: str) -> dict[str, str]:
    by_stem: dict[str, str] = {}
    for word in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text):
        lowered = word.lower()
        if lowered in GENERIC_WORDS:
            continue
        stem = _stem(lowered)
        if stem and stem not in by_stem:
            by_stem[stem] = word if word.isupper() else lowered
    return by_stem


def _about_word(terms: list[str], info: _Info, candidate: _Info) -> str | None:
    """A plain word both headlines (titles or tags) share, among the key terms
    the candidate matched: what "Also about ..." names."""
    own = _words_by_stem(" ".join(info.tags) + " " + info.title)
    theirs = _words_by_stem(" ".join(candidate.tags) + " " + candidate.title)
    for term in terms:
        if term in own and term in theirs:
            return theirs[term]
    return None


def _similar(sim: Similarity, info: _Info, body: str) -> list[tuple[int, float, list[str]]]:
    """(article id, raw score, the source's key terms) of the most similar indexed articles."""
    key_terms = sim.key_terms(_key_text(info, body), KEY_TERMS)
    if not key_terms:
        return []
    terms = [term for term, _ in key_terms]
    # The reason only needs key terms both headlines contain, which
    # _about_word checks itself.
    # Document numbers map to article ids only for the candidates found: a
    # one-article import must not read every stored document.
    found = sim.similar(key_terms, CANDIDATES, exclude=sim.docnum(info.id))
    return [(sim.article_id(docnum), score, terms) for docnum, score in found]


def compute_picks(info: _Info, corpus: _Corpus, similar: list[tuple[int, float, list[str]]]) -> list[Pick]:
    """Rank and explain the picks of one article (pure: no database, no index)."""
    articles = corpus.articles
    picks: list[Pick] = []
    chosen = {info.id}

    def take(candidate_id: int, score: float, kind: str, reason: str) -> None:
        picks.append(Pick(candidate_id, round(score, 4), kind, reason))
        chosen.add(candidate_id)

    own_tags = {t.lower(): t for t in info.tags}
    category_name = corpus.category_names.get(info.category_id, "")
    for slug in info.related_slugs:
        pinned = corpus.by_slug.get(slug)
        if pinned and pinned.visible and pinned.id not in chosen and len(picks) < MAX_PICKS:
            take(pinned.id, 1.0, "pinned", "Chosen by our editors")

    best = max((score for _, score, _ in similar), default=0.0)
    scored = []
    for candidate_id, raw, terms in similar:
        candidate = articles.get(candidate_id)
        if candidate is None or not candidate.visible or candidate_id in chosen or best <= 0:
            continue
        relative = raw / best
        if relative < MIN_RELATIVE_SIMILARITY:
            continue
        shared = [t for t in candidate.tags if t.lower() in own_tags]
        same_category = candidate.category_id == info.category_id
        word = None if shared else _about_word(terms, info, candidate)
        if not (shared or word or same_category) and relative < STRONG_SIMILARITY:
            continue  # text overlap alone, and not much of it: a reader would not see why
        age_days = max(0.0, (corpus.newest - candidate.published_at).total_seconds() / 86400)
        recency = 1 / (1 + age_days / 365)
        score = (
            WEIGHT_SIMILARITY * relative
            + WEIGHT_TAGS * min(len(shared), 3) / 3
            + WEIGHT_CATEGORY * same_category
            + WEIGHT_RECENCY * recency
        )
        if shared:
            reason = "Also about: " + ", ".join(shared[:2])
        elif word:
            reason = f"Also about: {word}"
        elif same_category:
            reason = f"More in {category_name}"
        else:
            reason = "On a similar topic"
        scored.append((score, candidate_id, reason))
    scored.sort(key=lambda item: (-item[0], -articles[item[1]].published_at.timestamp(), item[1]))
    for score, candidate_id, reason in scored:
        if len(picks) >= MAX_PICKS:
            break
        take(candidate_id, score, "similar", reason)

    # Fallbacks: never an empty panel.
    for candidate_id in corpus.latest_by_category.get(info.category_id, []):
        if len(picks) >= MIN_PICKS:
            break
        if candidate_id not in chosen:
            take(candidate_id, 0.0, "category", f"More in {category_name}")
    for candidate_id in corpus.latest:
        if len(picks) >= MIN_PICKS:
            break
        if candidate_id not in chosen:
            take(candidate_id, 0.0, "latest", "Recently published")
    return picks


def _open_searcher():
    try:
        ix = store.open_current(store.search_root())
    except store.IndexMissing:
        return None, None
    return ix, ix.searcher()


def recompute(article_ids: list[int] | None = None, progress=None) -> int:
    """Compute and store the picks of these articles (all when None); returns
    how many articles got picks. Drafts get none."""
    started = time.perf_counter()
    corpus = _Corpus()
    targets = sorted(corpus.articles) if article_ids is None else sorted(set(article_ids) & set(corpus.articles))
    ix, searcher = _open_searcher()
    try:
        sim = Similarity(searcher) if searcher is not None else None
        computed: dict[int, list[Pick]] = {}
        bodies = _bodies(targets)
        for done, article_id in enumerate(targets, 1):
            info = corpus.articles[article_id]
            # Future articles get picks now so the panel is ready on their
            # day; drafts never show a page, so they get none.
            if not info.draft:
                similar = _similar(sim, info, bodies.get(article_id, "")) if sim is not None else []
                computed[article_id] = compute_picks(info, corpus, similar)
            if progress and done % 100 == 0:
                progress(done, len(targets))
    finally:
        if searcher is not None:
            searcher.close()
            ix.close()
    _store(targets, computed)
    recompute.last_seconds = time.perf_counter() - started
    return len(computed)


def _bodies(ids: list[int]) -> dict[int, str]:
    bodies = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        bodies.update(db.session.execute(select(Article.id, func.substr(Article.body_text, 1, KEY_TEXT_CHARS)).where(Article.id.in_(chunk))).all())
    return bodies


def _store(targets: list[int], computed: dict[int, list[Pick]]) -> None:
    now = utcnow()
    with write_transaction() as session:
        for start in range(0, len(targets), 500):
            session.execute(delete(RelatedPick).where(RelatedPick.article_id.in_(targets[start : start + 500])))
        rows = [
            {"article_id": article_id, "position": position, "related_id": pick.related_id, "score": pick.score,
             "kind": pick.kind, "reason": pick.reason[:200], "computed_at": now}
            for article_id, picks in computed.items()
            for position, pick in enumerate(picks)
        ]
        for start in range(0, len(rows), 2000):
            session.execute(RelatedPick.__table__.insert(), rows[start : start + 2000])


def affected_by(changed_ids: list[int]) -> set[int]:
    """The articles whose picks may change when these articles changed: the
    articles themselves, those that currently show them, their nearest
    neighbours (they may now belong in those panels), and any article left
    with too few picks (a pick of it was deleted)."""
    affected = set(changed_ids)
    if changed_ids:
        affected |= set(db.session.scalars(select(RelatedPick.article_id).where(RelatedPick.related_id.in_(changed_ids))))
    counts = select(RelatedPick.article_id).group_by(RelatedPick.article_id).having(func.count() < MIN_PICKS)
    affected |= set(db.session.scalars(counts))
    without = select(Article.id).where(Article.draft.is_(False), ~Article.id.in_(select(RelatedPick.article_id)))
    affected |= set(db.session.scalars(without))
    everything = set(db.session.scalars(select(Article.id).where(Article.draft.is_(False))))
    if len(affected | set(changed_ids)) + len(changed_ids) * NEIGHBOURS_TO_REFRESH >= len(everything):
        # A big import (or a small site): the neighbours would cover nearly
        # every article anyway, so recompute them all and skip the searches.
        # This keeps an import's cost in step with the number of articles.
        return affected | everything
    ix, searcher = _open_searcher()
    if searcher is None:
        return affected
    try:
        sim = Similarity(searcher)
        corpus_rows = db.session.execute(
            select(Article.id, Article.title, Article.summary, func.substr(Article.body_text, 1, KEY_TEXT_CHARS)).where(Article.id.in_(changed_ids))
        ).all() if changed_ids else []
        for article_id, title, summary, body in corpus_rows:
            key_terms = sim.key_terms(" ".join((title, title, summary, body)), KEY_TERMS)
            if key_terms:
                affected |= {sim.article_id(docnum) for docnum, _ in sim.similar(key_terms, NEIGHBOURS_TO_REFRESH)}
    finally:
        searcher.close()
        ix.close()
    return affected


def picks_for(article: Article) -> list[RelatedPick]:
    """The stored picks of an article that readers may see now, in order: one
    indexed query (picks by primary key, joined to their articles)."""
    now = utcnow()
    statement = (
        select(RelatedPick)
        .join(RelatedPick.related)
        .where(RelatedPick.article_id == article.id, Article.draft.is_(False), Article.published_at <= now)
        .order_by(RelatedPick.position)
    )
    return db.session.scalars(statement).unique().all()
