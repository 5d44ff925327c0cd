"""Fast "more like this" for the Related picks: Whoosh's own formulas
(Bo1 key terms, BM25F scores), computed over postings read once per run.

Asking Whoosh for each article's key terms and then searching them cost
most of `search reindex` (tens of milliseconds per article): every key-term
call re-analysed the text and looked up collection frequencies, and every
search walked and scored the postings of twelve terms through Whoosh's
matcher objects. A recompute touches the same few thousand terms over and
over, so here each term's frequency and per-document BM25F score are read
once and kept in plain dicts for the run; scoring an article's candidates is
then a few dictionary additions per posting.
"""
from __future__ import annotations

import heapq
from collections import Counter
from math import log

from .engine import SEARCH_FIELD
from .matching import analyse

# Whoosh's BM25F defaults, which the search index is scored with.
B = 0.75
K1 = 1.2


class Similarity:
    """Key terms and similar documents over one open searcher; per run."""

    def __init__(self, searcher, field: str = SEARCH_FIELD):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.field = field
        self.doc_count = self.reader.doc_count_all()
        total_length = self.reader.field_length(field) or 0
        self.avg_length = (total_length / self.doc_count) if self.doc_count else 1.0
        self.live = set(self.reader.all_doc_ids())
        self._collection_freq: dict[str, int | None] = {}
        self._ids: dict[int, int] = {}
        self._docnums: dict[int, int | None] = {}
        self._scores: dict[str, dict[int, float]] = {}
        self._lengths: dict[int, int] = {}

    def article_id(self, docnum: int) -> int:
        """The article id of an indexed document (looked up once, then kept)."""
        found = self._ids.get(docnum)
        if found is None:
            found = self._ids[docnum] = int(self.searcher.stored_fields(docnum)["id"])
        return found

    def docnum(self, article_id: int) -> int | None:
        """The document number of an article in the index, or None."""
        if article_id not in self._docnums:
            self._docnums[article_id] = self.searcher.document_number(id=str(article_id))
        return self._docnums[article_id]

    def collection_frequency(self, term: str) -> int | None:
        """How often `term` occurs in the index (None when it does not)."""
        if term not in self._collection_freq:
            frequency = self.reader.frequency(self.field, term) if (self.field, term) in self.reader else 0
            self._collection_freq[term] = frequency or None
        return self._collection_freq[term]

    def key_terms(self, text: str, number: int) -> list[tuple[str, float]]:
        """The `number` most telling terms of `text` with normalised weights,
        as Whoosh's key_terms_from_text with the Bo1 model computes them."""
        counts = Counter(analyse(text))
        top_total = sum(counts.values())
        if not top_total or not self.doc_count:
            return []
        scored, best = [], 0.0
        for term, weight in counts.items():
            cf = self.collection_frequency(term)
            if cf is None:
                continue
            f = cf / self.doc_count
            score = weight * log((1.0 + f) / f, 2) + log(1.0 + f, 2)
            best = max(best, score)
            scored.append((score, term))
        if not best:
            return []
        f = best / self.doc_count
        norm = (best * log((1.0 + f) / f) + log(1.0 + f)) / log(2.0)
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [(term, score / norm) for score, term in scored[:number]]

    def _term_scores(self, term: str) -> dict[int, float]:
        scores = self._scores.get(term)
        if scores is None:
            scores = {}
            df = self.searcher.doc_frequency(self.field, term)
            if df:
                idf = log(self.doc_count / (df + 1)) + 1
                postings = self.reader.postings(self.field, term)
                live, lengths = self.live, self._lengths
                while postings.is_active():
                    docnum = postings.id()
                    if docnum in live:
                        length = lengths.get(docnum)
                        if length is None:
                            length = lengths[docnum] = self.reader.doc_field_length(docnum, self.field, 1)
                        tf = postings.weight()
                        scores[docnum] = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * length / self.avg_length)))
                    postings.next()
            self._scores[term] = scores
        return scores

    def similar(self, key_terms: list[tuple[str, float]], limit: int, exclude: int | None = None) -> list[tuple[int, float]]:
        """(docnum, score) of the `limit` best documents for these weighted
        terms (a boosted OR of them under BM25F), best first."""
        totals: dict[int, float] = {}
        get = totals.get
        for term, boost in key_terms:
            for docnum, score in self._term_scores(term).items():
                totals[docnum] = get(docnum, 0.0) + boost * score
        totals.pop(exclude, None)
        return heapq.nlargest(limit, totals.items(), key=lambda item: (item[1], -item[0]))
