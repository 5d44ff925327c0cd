"""Which articles' related picks to recompute after some articles changed."""
from __future__ import annotations

from sqlalchemy import func, select

from ...extensions import db
from ...models import Article, RelatedPick
from ..similarity import Similarity
from .corpus import key_texts
from .recompute import KEY_TERMS, open_searcher
from .scoring import MIN_PICKS

# When one article changes, this many of its nearest neighbours are
# recomputed too, since it may now belong in (or fall out of) their picks.
NEIGHBOURS_TO_REFRESH = 30


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
    ix, searcher = open_searcher()
    if searcher is None:
        return affected
    try:
        sim = Similarity(searcher)
        for text in key_texts(changed_ids).values():
            key_terms = sim.key_terms(text, KEY_TERMS)
            if key_terms:
                affected |= {sim.article_id(docnum) for docnum, _ in sim.similar(key_terms, NEIGHBOURS_TO_REFRESH)}
    finally:
        searcher.close()
        ix.close()
    return affected


