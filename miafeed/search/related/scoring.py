"""Ranking and explaining one article's related picks: pure functions of
the corpus and the similar articles found, no database and no index."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..matching import analyse
from .corpus import ArticleInfo, Corpus

MAX_PICKS = 6
MIN_PICKS = 3
# A similar article must score at least this share of the best one to be
# shown as similar (below it, the category and latest fallbacks are better).
MIN_RELATIVE_SIMILARITY = 0.3
# Without a shared tag, headline word or category, only a strong text match counts.
STRONG_SIMILARITY = 0.6

WEIGHT_SIMILARITY = 0.55
WEIGHT_TAGS = 0.25
WEIGHT_CATEGORY = 0.12
WEIGHT_RECENCY = 0.08


@dataclass
class Pick:
    """One computed pick, before it is stored as a RelatedPick row."""

    related_id: int
    score: float
    kind: str
    reason: str


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


def _about_word(terms: list[str], info: ArticleInfo, candidate: ArticleInfo) -> str | None:
    """A plain word both headlines (titles or tags) share, among the key terms
    the candidate matched: what "Also about ..." names."""
    own = _words_by_stem(" ".join(info.tags) + " " + info.title)
    theirs = _words_by_stem(" ".join(candidate.tags) + " " + candidate.title)
    for term in terms:
        if term in own and term in theirs:
            return theirs[term]
    return None


def compute_picks(info: ArticleInfo, corpus: Corpus, similar: list[tuple[int, float, list[str]]]) -> list[Pick]:
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


