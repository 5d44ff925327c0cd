"""The Whoosh engine: the one module that imports whoosh, its schema and analyzer.

Everything else in the app talks to search through the functions of this
package; only this module and its siblings see Whoosh objects.
"""
from __future__ import annotations

import warnings

# whoosh-reloaded 2.7.5 still carries a regex with an invalid escape
# ("\g" in whoosh/support/pyparsing.py) and may warn on newer Pythons when
# its modules are first compiled. Those warnings say nothing about our code,
# so they are ignored for whoosh's own modules only and only while it loads;
# any other warning still reaches the log and fails the tests.
with warnings.catch_warnings():
    for _category in (SyntaxWarning, DeprecationWarning):
        # Compile-time warnings name the file path; runtime ones the module.
        warnings.filterwarnings("ignore", category=_category, module=r"(whoosh(\.|$)|.*[\\/]whoosh[\\/])")
    from whoosh import fields, highlight, index, qparser, query, sorting
    from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
    from whoosh.analysis import STOP_WORDS
    from whoosh.lang.porter2 import stem as porter2_stem
    from whoosh.support.charset import accent_map
    from whoosh.index import LockError
    from whoosh.multiproc import MpWriter, SubWriterTask

from .spelling import us_spelling

__all__ = [
    "LockError",
    "MpWriter",
    "SubWriterTask",
    "STOP_WORDS",
    "accent_map",
    "porter2_stem",
    "fields",
    "highlight",
    "index",
    "qparser",
    "query",
    "sorting",
    "SEARCH_FIELD",
    "build_schema",
]

# The one field a reader's words are looked up in (see build_schema).
SEARCH_FIELD = "content"


def spelling_analyzer():
    """Words, lowercase, accents folded, stop words dropped; no stemming.

    Used as is for the spelling field, and as the base of text_analyzer().
    """
    # Accent folding comes before stop words and stemming so "café" and
    # "cafe" meet, and "Ménière's" is found by "menieres".
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StopFilter(stoplist=STOP_WORDS, minsize=2)


class USSpellingFilter(Filter):
    """Rewrites each word to the spelling British and American forms share
    (spelling.us_spelling), so "haemoglobin" and "hemoglobin" are one term."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = us_spelling(token.text)
            yield token


def text_analyzer():
    """English analyzer for the searchable fields: words, lowercase, accents
    folded, stop words dropped, one spelling for British and American forms,
    Porter2 stemming ("meditating" -> "medit")."""
    # Porter2 (Snowball English), not Whoosh's default original Porter, which
    # stems "meditating" to "meditat" and "meditation" to "medit".
    # matching.stem() repeats this chain word by word for queries and snippets.
    return spelling_analyzer() | USSpellingFilter() | StemFilter(stemfn=porter2_stem, cachesize=50_000)


def build_schema() -> fields.Schema:
    """The index schema: one document per published article."""
    # Title, tags, summary and body go into ONE field. With a field each,
    # every word became an OR over four fields, and profiling showed most of
    # a query's time went into scoring those four postings per match. The
    # title (three times) and the tags (twice) are repeated instead, which
    # under BM25 weighs a title match about 1.6 times a body match.
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        content=fields.TEXT(analyzer=text_analyzer()),
        # Unstemmed words of all text, only for spelling suggestions: a
        # suggestion must be a word a reader would type, not a stem.
        spell=fields.TEXT(analyzer=spelling_analyzer(), phrase=False),
        category=fields.ID(stored=True, sortable=True),
        published=fields.DATETIME(stored=True, sortable=True),
        # The body's sentences and their stems (snippets.sentence_table), so
        # a result's snippet never parses or stems the body again.
        sentences=fields.STORED(),
    )
