"""Indexed words within one or two edits of a word a reader typed: the
candidates of "Did you mean" and of the automatic correction.

Whoosh answers this with a Levenshtein automaton built in Python for every
word asked about (reader.terms_within): 4-13 ms per misspelt word, paid by
about a third of a long tail of real searches (bench/render_pages.py). The
words of the spelling field (titles, summaries and tags: a few hundred at
demo size, some ten thousand at 10,000 articles) are few, so here they are
listed once per index version, grouped by first letter, and compared with
RapidFuzz's Levenshtein distance in C: microseconds per word.

The rule is Whoosh's own, so the same words come back: the same first
letter (prefix=1), then at most `maxdist` insertions, deletions or
substitutions; the word itself counts when it is indexed.

The lists are read-only once built and shared by a worker's threads. They
are keyed by the index's segments, which never change once written: a
new import or rebuild means new segments, hence new lists.
"""
from __future__ import annotations

import threading
from collections import defaultdict

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

# Index versions remembered per process: the live one and the one a slow
# request may still be reading while an import publishes the next.
VERSIONS_KEPT = 2

_lock = threading.Lock()
_by_version: dict[tuple, dict[str, list[str]]] = {}


def _version(reader) -> tuple:
    return tuple(sorted(leaf.segment().segment_id() for leaf, _offset in reader.leaf_readers()))


def _words_by_first_letter(reader, field_name: str) -> dict[str, list[str]]:
    key = (field_name, *_version(reader))
    found = _by_version.get(key)
    if found is not None:
        return found
    with _lock:
        found = _by_version.get(key)
        if found is None:
            grouped: dict[str, list[str]] = defaultdict(list)
            for raw in reader.lexicon(field_name):
                word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
                if word:
                    grouped[word[0]].append(word)
            found = dict(grouped)
            while len(_by_version) >= VERSIONS_KEPT:
                _by_version.pop(next(iter(_by_version)))
            _by_version[key] = found
    return found


def words_within(reader, field_name: str, word: str, maxdist: int) -> list[str]:
    """The indexed words of `field_name` that start with `word`'s first
    letter and are at most `maxdist` edits from it (itself included)."""
    if not word:
        return []
    bucket = _words_by_first_letter(reader, field_name).get(word[0], ())
    matches = process.extract(word, bucket, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None)
    return [candidate for candidate, _distance, _index in matches]


def words_ending_with(reader, field_name: str, part: str) -> list[str]:
    """The indexed words of `field_name` that end with `part` and are longer
    than it: the compounds a word is the last part of ("osteoarthritis" for
    "arthritis", "hypertension" for "tension")."""
    if not part:
        return []
    return [word for words in _words_by_first_letter(reader, field_name).values()
            for word in words if len(word) > len(part) and word.endswith(part)]
