"""Computing and storing the related picks of a set of articles (all of
them after a rebuild, the affected ones after an import)."""
from __future__ import annotations

import time

from sqlalchemy import delete

from ...database import write_transaction
from ...clock import utcnow
from ...models import RelatedPick
from .. import store
from ..similarity import Similarity
from .corpus import ArticleInfo, Corpus, bodies, key_text
from .scoring import Pick, compute_picks

KEY_TERMS = 12
CANDIDATES = 30


def _similar(sim: Similarity, info: ArticleInfo, body: str) -> list[tuple[int, float, list[str]]]:
    """(article id, raw score, the source's key terms) of the most similar indexed articles."""
    key_terms = sim.key_terms(key_text(info.title, info.tags, info.summary, body), KEY_TERMS)
    if not key_terms:
        return []
    terms = [term for term, _ in key_terms]
    # The reason only needs key terms both headlines contain, which
    # _about_word checks itself.
    # Document numbers map to article ids only for the candidates found: a
    # one-article import must not read every stored document.
    found = sim.similar(key_terms, CANDIDATES, exclude=sim.docnum(info.id))
    return [(sim.article_id(docnum), score, terms) for docnum, score in found]


def open_searcher():
    try:
        ix = store.open_current(store.search_root())
    except store.IndexMissing:
        return None, None
    return ix, ix.searcher()


def recompute(article_ids: list[int] | None = None, progress=None) -> int:
    """Compute and store the picks of these articles (all when None); returns
    how many articles got picks. Drafts get none."""
    started = time.perf_counter()
    corpus = Corpus()
    targets = sorted(corpus.articles) if article_ids is None else sorted(set(article_ids) & set(corpus.articles))
    ix, searcher = open_searcher()
    try:
        sim = Similarity(searcher) if searcher is not None else None
        computed: dict[int, list[Pick]] = {}
        texts = bodies(targets)
        for done, article_id in enumerate(targets, 1):
            info = corpus.articles[article_id]
            # Future articles get picks now so the panel is ready on their
            # day; drafts never show a page, so they get none.
            if not info.draft:
                similar = _similar(sim, info, texts.get(article_id, "")) if sim is not None else []
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


