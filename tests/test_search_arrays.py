"""A reader's query answered over arrays (miafeed/search/arrays.py) finds
exactly the articles Whoosh's own matchers find, with Whoosh's own BM25F
score for each, on the demo articles: words, pairs, prefixes, phrases,
synonyms and corrected typos, as matching.plan builds them."""
from __future__ import annotations

import numpy as np
import pytest

from miafeed.content.importer import import_content
from miafeed.search import matching, store, synonyms
from miafeed.search.arrays import IndexArrays, Unsupported
from miafeed.search.engine import query
from miafeed.search.querying import make_parser, run_search
from miafeed.search.searcher import current_searcher

READER_QUERIES = [
    "sleep", "blood pressure", "heart attack", "bowel cancer", "kidney disease", "stroke", "ins", "inso",
    "chronic pa", "meditation anxiety", "randomised trial", "haemoglobin", "paediatric", '"blood pressure"',
    '"physical activity" older', "vitamin d", "insomnai", "walking", "study", "mediterranean diet", "mindfuln",
    "exercise depression", "screen time children", "gut bacteria", "diabetes",
]


@pytest.fixture
def demo_index(demo_app):
    """The demo site's searcher, shared by the tests that only read it."""
    with demo_app.app_context():
        yield current_searcher()


@pytest.fixture
def own_demo_index(app):
    """The demo site imported for this test alone, for a test that changes the index."""
    with app.app_context():
        assert import_content(app.config["CONTENT_DIR"]).added
        yield current_searcher()


def _scored_as_words(searcher, node, docnum):
    """The query as ranking scores one document: a phrase the document has
    counts as its words (the phrase's boost kept), one it lacks counts 0."""
    if isinstance(node, query.Phrase):
        if docnum not in set(searcher.docs_for_query(node)):
            return query.NullQuery
        return query.And([query.Term(node.fieldname, word) for word in node.words], boost=node.boost)
    return node.apply(lambda sub: _scored_as_words(searcher, sub, docnum))


def _plans(searcher):
    parser = make_parser(searcher.schema)
    table = synonyms.current_table()
    for text in READER_QUERIES:
        planned = matching.plan(searcher, parser, text, synonyms=table)
        if planned.query is not None:
            yield text, planned


def test_the_same_matches_and_scores_as_whoosh_for_reader_queries(demo_app, demo_index):
    with demo_app.app_context():
        searcher = demo_index
        index = IndexArrays(searcher)
        checked = 0
        for text, planned in _plans(searcher):
            for node in [planned.query, *planned.preferred]:
                found = index.match(node)
                ours = set(np.flatnonzero(found.found & index.live).tolist())
                assert ours == set(searcher.docs_for_query(node)), text
                if not ours:
                    continue
                # Every match scored by Whoosh, without its skipping shortcuts.
                theirs = {}
                for docnum in ours:
                    hits = searcher.search(_scored_as_words(searcher, node, docnum), limit=1, optimize=False, filter={docnum})
                    assert len(hits) == 1, (text, docnum)
                    theirs[docnum] = hits[0].score
                    assert found.scores[docnum] == pytest.approx(theirs[docnum], rel=1e-12), (text, docnum)
                best = sorted(ours, key=lambda d: (-theirs[d], d))[:10]
                assert index.top(found.found & index.live, found.scores, 10) == best, text
                checked += 1
        assert checked >= 20


def test_the_page_order_is_highest_score_then_lowest_document_number(demo_app, demo_index):
    with demo_app.app_context():
        index = IndexArrays(demo_index)
        among = np.zeros(index.size, dtype=bool)
        among[[3, 5, 7, 9]] = True
        scores = np.zeros(index.size)
        scores[[3, 5, 7, 9]] = [1.0, 2.0, 2.0, 0.5]
        assert index.top(among, scores, 2) == [5, 7]
        assert index.top(among, scores, 3) == [5, 7, 3]
        assert index.top(among, scores, 10) == [5, 7, 3, 9]
        assert index.top(among & False, scores, 10) == []


def test_a_document_deleted_from_its_segment_is_never_found(app, own_demo_index):
    """Whoosh deletes by marking: the postings stay in the segment until a
    merge. A marked document must not match, count or rank."""
    with app.app_context():
        before = run_search("sleep")
        gone = before.hits[0].article
        ix = store.open_current(store.search_root(app))
        writer = ix.writer()
        writer.delete_by_term("id", str(gone.id))
        writer.commit(merge=False)
        ix.close()
        searcher = current_searcher()
        index = IndexArrays(searcher)
        assert np.count_nonzero(~index.live) == 1
        term = query.Term("content", "sleep")
        assert set(np.flatnonzero(index.docs(term)).tolist()) == set(searcher.docs_for_query(term))
        after = run_search("sleep")
        assert after.total == before.total - 1
        assert gone.title not in [hit.article.title for hit in after.hits]


def test_a_query_it_does_not_know_is_refused_not_guessed(demo_app, demo_index):
    with demo_app.app_context():
        index = IndexArrays(demo_index)
        with pytest.raises(Unsupported):
            index.match(query.Wildcard("content", "sle*"))
        with pytest.raises(Unsupported):
            index.match(query.Term("category", "sleep"))


def test_stored_fields_read_through_the_cache_are_whooshs(app, own_demo_index, content):
    content.write("zumba", title="'Zumba classes lift mood'", category="Mental Health & Mindfulness", body="Zumba lifted mood.")
    with app.app_context():
        content.import_all(prune=True)  # a second segment (the demo articles removed: deletions in the first)
        searcher = current_searcher()
        index = IndexArrays(searcher)
        assert len(index.leaves) >= 2
        for _ in range(2):  # read, then served from the cache
            for docnum in range(index.size):
                assert index.stored_fields(docnum) == searcher.stored_fields(docnum), docnum
