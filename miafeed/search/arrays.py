"""Whoosh queries answered over postings held as arrays.

Whoosh finds and scores matches one posting at a time, through a Python
method call per posting per matcher. At 10,000 articles that made ranking
the one word "study" 42 ms and "chronic pa" (a word and a prefix that
expands to a dozen stems) 80 ms, most of it in `is_active()`, `id()` and
`next()`. Here a term's postings are read from the index once per segment
and kept as two numpy arrays (document numbers, term frequencies); a query
is then a handful of whole-array operations over one slot per document:

- a term sets its documents' slots and adds its BM25F score;
- AND keeps the slots every part has, OR the slots any part has, and both
  add their parts' scores (as Whoosh's intersection and union matchers do);
- a quoted phrase keeps the documents where its words stand side by side
  (asked of Whoosh once per segment, whose postings hold the positions)
  and is scored as its words, as ranking always scored phrases.

The scores are Whoosh's own BM25F over the same statistics (its idf, its
average field length, its byte-rounded document lengths), and a page is the
exact top of them (Whoosh's block skipping could miss a better document);
tests/test_search_arrays.py compares matches, scores and order with
Whoosh's on the demo articles for reader queries of every kind.

This is the one module of the application that reads a dependency's
private names: a segment reader's `_terms` and a block matcher's
`_read_ids()`, `_read_weights()`, `_ids`, `_weights`, `_next_block()`
(`_read_postings` below). whoosh-reloaded is pinned exactly, and those tests
fail first if an upgrade moves any of them (docs/dependencies.md).

The postings read for a segment stay valid as long as the segment exists
(Whoosh never changes a written segment; deletions are kept beside it and
applied per searcher), so they are shared by every thread of the process in
one cache bounded by the number of postings it holds.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .engine import SEARCH_FIELD, query

# Whoosh's BM25F defaults, which the index is scored with (as in similarity.py).
B = 0.75
K1 = 1.2
# Elements kept per process, across all terms and segments (a posting is 8
# bytes, a document's length or date 8): at most about 32 MB. The
# commonest terms of a 10,000-article index hold 10,000 postings each.
MAX_CACHED_POSTINGS = 4_000_000
# Decoded stored fields (an article's id and sentence table, a few kB) kept
# per process: a results page decompressed and unpickled ten of them per
# request, a tenth of a search's time on the demo articles.
MAX_CACHED_DOCUMENTS = 2_000

_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)


class Unsupported(Exception):
    """A query node this module does not evaluate (the reader's queries never
    contain one: matching.py builds terms, phrases, AND and OR only)."""


class _ArrayCache:
    """Arrays read from segments, keyed by segment id and what was read;
    least recently used dropped first once `limit` elements are held."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
            return None

    def put(self, key, value, size: int) -> None:
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (value, size)
            self.size += size
            while self.size > self.limit and len(self._entries) > 1:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def nbytes(self) -> int:
        """Bytes held by the arrays kept (what the bound is about)."""
        with self._lock:
            values = [value for value, _ in self._entries.values()]
        return sum(part.nbytes for value in values for part in (value if isinstance(value, tuple) else (value,))
                   if isinstance(part, np.ndarray))


_cache = _ArrayCache(MAX_CACHED_POSTINGS)
_documents = _ArrayCache(MAX_CACHED_DOCUMENTS)


def _read_postings(leaf, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """All postings of one term in one segment, deleted documents included.

    Reads Whoosh's posting blocks whole (the W3 codec keeps each block's
    document numbers and weights as one array) instead of stepping through
    them a posting at a time; whoosh-reloaded is pinned, and the tests check
    the result against Whoosh's own matcher.
    """
    matcher = leaf._terms.matcher(field, btext, leaf.schema[field].format)
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids.extend(matcher._ids)
        weights.extend(matcher._weights)
        matcher._next_block()
    return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)


def _segment_postings(leaf, field: str, btext: bytes):
    key = ("postings", leaf.segment().segment_id(), field, btext)
    found = _cache.get(key)
    if found is None:
        if (field, btext) in leaf:
            found = _read_postings(leaf, field, btext)
        else:
            found = (_EMPTY_IDS, _EMPTY_WEIGHTS)
        found[0].flags.writeable = False
        found[1].flags.writeable = False
        _cache.put(key, found, len(found[0]) + 1)
    return found


def _segment_lengths(leaf, field: str) -> np.ndarray:
    """Each document's length in `field` as the scorer sees it (Whoosh keeps
    lengths rounded to a byte; 1 where a document has none)."""
    key = ("lengths", leaf.segment().segment_id(), field)
    found = _cache.get(key)
    if found is None:
        length = leaf.doc_field_length
        found = np.array([length(docnum, field, 1) for docnum in range(leaf.doc_count_all())], dtype=np.float64)
        found.flags.writeable = False
        _cache.put(key, found, len(found) + 1)
    return found


def _segment_published(leaf) -> np.ndarray:
    """Each document's publication time as the sortable column stores it."""
    key = ("published", leaf.segment().segment_id())
    found = _cache.get(key)
    if found is None:
        column = leaf.column_reader("published", translate=False)
        found = np.array([column[docnum] for docnum in range(leaf.doc_count_all())], dtype=np.int64)
        found.flags.writeable = False
        _cache.put(key, found, len(found) + 1)
    return found


@dataclass
class Match:
    """A query's matches: one slot per document of the searcher."""

    found: np.ndarray   # bool: the document matches
    scores: np.ndarray  # float64: its BM25F score (0 where it does not match)


class IndexArrays:
    """One searcher's documents as arrays, and queries evaluated over them.

    Made once per searcher (querying keeps it beside the searcher, per
    thread); the postings it reads are shared through the process cache.
    """

    def __init__(self, searcher, field: str = SEARCH_FIELD):
        self.searcher = searcher
        self.field = field
        reader = searcher.reader()
        self.leaves = list(reader.leaf_readers())
        self.size = reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        for leaf, offset in self.leaves:
            deleted = getattr(leaf, "deleted_docs_set", ())
            if deleted:
                self.live[np.fromiter(deleted, dtype=np.int64) + offset] = False
        self.lengths = np.concatenate([_segment_lengths(leaf, field) for leaf, _ in self.leaves]) if self.leaves else np.zeros(0)
        self.avg_length = searcher.avg_field_length(field) or 1
        self._offsets = np.array([offset for _, offset in self.leaves], dtype=np.int64)
        self._published: np.ndarray | None = None

    # -- terms --------------------------------------------------------------

    def postings(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, frequencies) of a term over the whole searcher,
        deleted documents included (callers mask with `live`)."""
        btext = text.encode("utf-8") if isinstance(text, str) else text
        parts = [(_segment_postings(leaf, self.field, btext), offset) for leaf, offset in self.leaves]
        ids = [found[0] + offset if offset else found[0] for found, offset in parts if len(found[0])]
        if not ids:
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        if len(ids) == 1:
            weights = next(found[1] for found, _ in parts if len(found[0]))
            return ids[0], weights
        return np.concatenate(ids), np.concatenate([found[1] for found, _ in parts if len(found[0])])

    def term(self, text: str, boost: float = 1.0) -> Match:
        found = np.zeros(self.size, dtype=bool)
        scores = np.zeros(self.size, dtype=np.float64)
        ids, frequencies = self.postings(text)
        if len(ids):
            idf = self.searcher.idf(self.field, text)
            tf = frequencies.astype(np.float64)
            lengths = self.lengths[ids]
            # Whoosh's bm25(), term for term, in the same order of operations.
            scores[ids] = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * lengths / self.avg_length)))
            if boost != 1.0:
                scores[ids] *= boost
            found[ids] = True
        return Match(found, scores)

    # -- queries ------------------------------------------------------------

    def match(self, node) -> Match:
        """The matches of a Whoosh query built by matching.plan, with scores."""
        if isinstance(node, query.Term):
            if node.fieldname != self.field:
                raise Unsupported(node)
            return self.term(node.text, node.boost)
        if isinstance(node, query.Phrase):
            if node.fieldname != self.field:
                raise Unsupported(node)
            words = [self.term(word) for word in node.words]
            scores = _sum(w.scores for w in words)
            found = self._phrase_docs(node)
            return self._boosted(Match(found, np.where(found, scores, 0.0)), node.boost)
        if isinstance(node, query.And):
            parts = [self.match(sub) for sub in node.subqueries]
            if not parts:
                raise Unsupported(node)
            found = parts[0].found.copy()
            for part in parts[1:]:
                found &= part.found
            return self._boosted(Match(found, np.where(found, _sum(p.scores for p in parts), 0.0)), node.boost)
        if isinstance(node, query.Or) and not getattr(node, "scale", None) and not getattr(node, "minmatch", 0):
            parts = [self.match(sub) for sub in node.subqueries]
            if not parts:
                raise Unsupported(node)
            found = parts[0].found.copy()
            for part in parts[1:]:
                found |= part.found
            return self._boosted(Match(found, _sum(p.scores for p in parts)), node.boost)
        raise Unsupported(node)

    def docs(self, node) -> np.ndarray:
        """The live documents a query matches, as a bool mask."""
        return self.match(node).found & self.live

    def _phrase_docs(self, node) -> np.ndarray:
        """A mask of the documents holding the phrase, deleted ones included.

        Positions are checked by Whoosh's phrase matcher, one segment at a
        time; a segment's answer never changes, so it is kept in the process
        cache beside the postings and every thread reuses it.
        """
        words, slop = tuple(node.words), node.slop
        found = np.zeros(self.size, dtype=bool)
        for searcher, offset in self.searcher.leaf_searchers():
            key = ("phrase", searcher.reader().segment().segment_id(), node.fieldname, words, slop)
            local = _cache.get(key)
            if local is None:
                phrase = query.Phrase(node.fieldname, list(words), slop=slop)
                local = np.fromiter(searcher.docs_for_query(phrase), dtype=np.int64)
                local.flags.writeable = False
                _cache.put(key, local, len(local) + 1)
            if len(local):
                found[local + offset] = True
        return found

    @staticmethod
    def _boosted(found: Match, boost: float) -> Match:
        if boost != 1.0:
            found.scores *= boost
        return found

    def stored_fields(self, docnum: int) -> dict:
        """A document's stored fields (read-only: the dict is shared by threads)."""
        at = int(np.searchsorted(self._offsets, docnum, side="right")) - 1
        leaf, offset = self.leaves[at]
        key = (leaf.segment().segment_id(), docnum - offset)
        found = _documents.get(key)
        if found is None:
            found = leaf.stored_fields(docnum - offset)
            _documents.put(key, found, 1)
        return found

    # -- ranking ------------------------------------------------------------

    def published(self) -> np.ndarray:
        """Each document's publication time, as the sortable column stores it."""
        if self._published is None:
            self._published = np.concatenate([_segment_published(leaf) for leaf, _ in self.leaves]) if self.leaves else np.zeros(0, dtype=np.int64)
        return self._published

    def published_after(self, moment):
        """(mask of the documents published after `moment`, the earliest of
        their publication times or None). One comparison over the column,
        where Whoosh's date range expanded into a term per stored date."""
        column = self.searcher.schema["published"]
        published = self.published()
        later = published > column.to_column_value(moment)
        earliest = column.from_column_value(int(published[later].min())) if later.any() else None
        return later, earliest

    def field_docs(self, field: str, text: str) -> np.ndarray:
        """A mask of the documents that have `text` in an unscored field (a
        category), deleted ones included (callers mask with `live`)."""
        btext = text.encode("utf-8") if isinstance(text, str) else text
        found = np.zeros(self.size, dtype=bool)
        for leaf, offset in self.leaves:
            ids = _segment_postings(leaf, field, btext)[0]
            if len(ids):
                found[ids + offset] = True
        return found

    def top(self, among: np.ndarray, scores: np.ndarray, limit: int, newest: bool = False) -> list[int]:
        """Document numbers of the best `limit` of the documents in the mask
        `among`: highest score first (or newest first), lower document
        number first among equals, as Whoosh's collectors order them."""
        docnums = np.flatnonzero(among)
        if not len(docnums) or limit <= 0:
            return []
        keys = self.published()[docnums] if newest else scores[docnums]
        if len(docnums) > limit:
            # Everything that ties with the limit-th key stays in, so ties
            # are broken by document number below, not by partition order.
            cut = np.partition(-keys, limit - 1)[limit - 1]
            keep = -keys <= cut
            docnums, keys = docnums[keep], keys[keep]
        order = np.lexsort((docnums, -keys))[:limit]
        return [int(d) for d in docnums[order]]


def _sum(arrays) -> np.ndarray:
    arrays = iter(arrays)
    total = next(arrays).copy()
    for array in arrays:
        total += array
    return total

