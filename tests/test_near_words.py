"""The words within one or two edits of a typo (miafeed/search/near_words.py)
are exactly those Whoosh's own automaton finds, on a real index, and a new
import's words are seen at once."""
from __future__ import annotations

import itertools

from miafeed.search.near_words import words_within
from miafeed.search.searcher import current_searcher
from test_search import result_titles, search, site  # noqa: F401  (the small site of the search tests)


def _whoosh(reader, word, maxdist):
    return sorted(t.decode() if isinstance(t, bytes) else t for t in reader.terms_within("spell", word, maxdist, prefix=1))


def _typos(word: str):
    letters = "aeinorst"
    for i in range(len(word)):
        yield word[:i] + word[i + 1:]
        for letter in letters:
            yield word[:i] + letter + word[i + 1:]
            yield word[:i] + letter + word[i:]


def test_the_same_candidates_as_whoosh_for_every_single_edit_of_indexed_words(app, site):
    with app.app_context():
        reader = current_searcher().reader()
        indexed = [w.decode() if isinstance(w, bytes) else w for w in reader.lexicon("spell")]
        assert len(indexed) > 20
        checked = 0
        for word in indexed[::5]:
            for typo, maxdist in itertools.product(set(_typos(word)), (1, 2)):
                if typo:
                    assert sorted(words_within(reader, "spell", typo, maxdist)) == _whoosh(reader, typo, maxdist), (typo, maxdist)
                    checked += 1
        assert checked > 500


def test_a_word_imported_later_is_a_candidate_at_once(app, client, site, content):
    with app.app_context():
        assert words_within(current_searcher().reader(), "spell", "zumba", 1) == []
    content.write("dance", title="'Zumba classes lift mood'", category="Mental Health & Mindfulness")
    with app.app_context():
        content.import_all()
        assert "zumba" in words_within(current_searcher().reader(), "spell", "zumbaa", 1)
    assert result_titles(search(client, q="zumbba")) == ["Zumba classes lift mood"]
