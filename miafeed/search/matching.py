"""From a guarded query to the Whoosh query a typing reader expects.

Three things on top of plain stemmed words, all bounded so that no input
costs more than a few lexicon lookups:

- words that name an editor's synonym group also find the group's other
  terms ("heart attack" finds "myocardial infarction"), weighted below the
  reader's own words (search/synonyms.py);

- the last word also matches as the start of a word ("inso" finds
  insomnia), with whole-word matches weighted above prefix-only ones;
- a word that matches nothing is replaced by the nearest indexed word
  (one edit, two for long words, first letter kept), and the caller says
  so ("Showing results for insomnia").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .engine import SEARCH_FIELD, accent_map, porter2_stem, query, STOP_WORDS
from .near_words import words_within
from .spelling import us_spelling

SPELL_FIELD = "spell"
# A prefix this short would expand to most of the lexicon; with another
# word before it ("chronic pa") the other word narrows the matches enough.
MIN_PREFIX = 3
MIN_PREFIX_AFTER_WORDS = 2
# Expansion is bounded twice: how many lexicon terms we look at, and how
# many of the most frequent ones end up in the query.
MAX_PREFIX_SCAN = 400
MAX_PREFIX_TERMS = 16
# Under BM25 a boost multiplies a term's score: a whole-word match of the
# last word counts three times a word it merely starts.
WHOLE_WORD_BOOST = 3.0
PREFIX_BOOST = 1.0
# A word that only bodies use is less likely the one being typed.
BODY_PREFIX_BOOST = 0.25
# A completion used less than this share of the most used one is left out
# (see _expand_prefix).
MIN_SHARE = 0.05
# A synonym's match counts this much of the reader's own word's (and ranking
# puts articles with the reader's own words first anyway).
SYNONYM_BOOST = 0.5
# Words at least this long may be two edits away from what was meant.
LONG_WORD = 8

_TOKENS = re.compile(r'"[^"]*"|\S+')
_WORD = re.compile(r"\w+(?:\.?\w+)*")


@dataclass
class Plan:
    """The query to run, and what the reader's words became."""

    query: object | None
    text: str            # the words searched, after any correction
    corrected: bool      # True when `text` differs from what was typed
    prefix_word: str | None
    # Narrower queries whose matches rank first, in order: the reader's own
    # words with the last one whole, then the reader's own words with the
    # last one as a prefix. Each is a subset of `query`; only the ones that
    # differ from `query` are listed.
    preferred: list = field(default_factory=list)
    widened: bool = False  # True when synonyms added terms


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """A word as the index stores it before stemming: lowercase, accents folded."""
    return word.lower().translate(accent_map)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str | None:
    """The index's stem of one folded word, or None for a stop word or a
    one-letter word (which the index leaves out). British and American
    spellings give the same stem, as in the index (engine.text_analyzer)."""
    if len(word) < 2 or word in STOP_WORDS:
        return None
    return porter2_stem(us_spelling(word))


def analyse(text: str) -> list[str]:
    """The stems the index would make of `text`, in order."""
    stems = []
    for match in _WORD.finditer(text):
        s = stem(fold(match.group(0)))
        if s:
            stems.append(s)
    return stems


def plan(searcher, parser, text: str, exact: bool = False, synonyms=None) -> Plan:
    """Build the query for a guarded query text (see guard.clean_query).

    With `exact`, words are taken as typed: no correction (the reader asked
    for their own words after we showed a correction). `synonyms`, a
    synonyms.SynonymTable, widens the words that name a group.
    """
    tokens = _TOKENS.findall(text)
    prefix_at = len(tokens) - 1 if tokens and not tokens[-1].startswith('"') else None
    reader = searcher.reader()
    spans = synonyms.spans(tokens) if synonyms else []
    if prefix_at is not None and any(span.start <= prefix_at < span.end for span in spans):
        prefix_at = None  # a word that completes a synonym's name is a whole word
    corrected = False
    expansions: dict[int, list[str]] = {}
    if prefix_at is not None:
        minimum = MIN_PREFIX_AFTER_WORDS if len(tokens) > 1 else MIN_PREFIX
        expansions[prefix_at] = _expand_prefix(searcher, reader, fold(tokens[prefix_at]), minimum)
    if not exact:
        named = {i for span in spans for i in range(span.start, span.end)}
        for position, token in enumerate(tokens):
            if token.startswith('"') or position in named:
                continue  # a synonym's name is a word we know, even if no article has it
            stems = analyse(token)
            if len(stems) != 1 or searcher.doc_frequency(SEARCH_FIELD, stems[0]) or expansions.get(position):
                continue
            replacement = closest_word(searcher, reader, fold(token))
            if replacement:
                tokens[position], corrected = replacement, True
                expansions.pop(position, None)
                if position == prefix_at:
                    prefix_at = None  # a corrected word is a whole word
        if corrected and synonyms:
            spans = synonyms.spans(tokens)
            if prefix_at is not None and any(span.start <= prefix_at < span.end for span in spans):
                prefix_at = None

    own_nodes, widened_nodes = [], []
    in_span = {i for span in spans for i in range(span.start, span.end)}
    rest = [t for i, t in enumerate(tokens) if i != prefix_at and i not in in_span]
    if rest:
        parsed = _parse(parser, " ".join(rest))
        if parsed is not None:
            own_nodes.append(parsed)
            widened_nodes.append(parsed)
    for span in spans:
        own = _parse(parser, " ".join(tokens[span.start:span.end]))
        if own is None:
            continue
        own_nodes.append(own)
        widened_nodes.append(query.Or([own.copy()] + [_synonym_node(stems) for stems in span.alternatives]))
    preferred = []
    if prefix_at is not None:
        word = tokens[prefix_at]
        # Only a word that articles use as written counts as finished: "ins"
        # stems to "in", which every article has, and must not outrank the
        # insomnia articles it is the start of.
        finished = bool(searcher.doc_frequency(SPELL_FIELD, fold(word)))
        node = _prefix_node(word, expansions.get(prefix_at, []), parser, finished)
        if node is not None:
            whole = _parse(parser, word)
            if finished and expansions.get(prefix_at) and whole is not None and searcher.doc_frequency(SEARCH_FIELD, getattr(whole, "text", "")):
                preferred.append(_and(own_nodes + [whole]))
            if spans:
                preferred.append(_and(own_nodes + [node]))
            widened_nodes.append(node)
    elif spans:
        preferred.append(_and(own_nodes))
    return Plan(_and(widened_nodes), " ".join(tokens), corrected, tokens[prefix_at] if prefix_at is not None else None,
                [p for p in preferred if p is not None], widened=bool(spans))


def _synonym_node(stems: tuple[str, ...]):
    """One synonym, as the index's terms: a word, or its words in order."""
    if len(stems) == 1:
        return query.Term(SEARCH_FIELD, stems[0], boost=SYNONYM_BOOST)
    return query.Phrase(SEARCH_FIELD, list(stems), boost=SYNONYM_BOOST)


def _and(nodes):
    return None if not nodes else nodes[0] if len(nodes) == 1 else query.And(nodes)


def _parse(parser, text: str):
    parsed = parser.parse(text)
    if parsed is query.NullQuery or isinstance(parsed, type(query.NullQuery)):
        return None
    return parsed


def _expand_prefix(searcher, reader, prefix: str, minimum: int) -> list[tuple[str, float]]:
    """The most frequent stems of indexed words starting with `prefix`, each
    with its weight.

    Looks in both lexicons: stems ("insomni" finds the stem insomnia) and
    whole words ("meditati" finds meditation, whose stem is "medit").
    """
    if len(prefix) < minimum or prefix in STOP_WORDS or not _WORD.fullmatch(prefix):
        return []
    # Words of titles, summaries and tags (the spelling field) say what
    # articles are about, so they are kept before words found only in bodies;
    # within each, the more articles a word is in, the sooner it is kept.
    found: dict[str, tuple[int, int]] = {}
    own = stem(prefix)
    for rank, field_name in enumerate((SPELL_FIELD, SEARCH_FIELD)):
        # The stemmed field holds one spelling of each word ("haemo" is looked
        # up as "hemo" there); the spelling field holds words as written.
        looked_up = us_spelling(prefix) if field_name == SEARCH_FIELD else prefix
        for scanned, raw in enumerate(reader.expand_prefix(field_name, looked_up)):
            if scanned >= MAX_PREFIX_SCAN:
                break
            word = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            term = word if field_name == SEARCH_FIELD else stem(word)
            if term and term != own and term not in found:
                frequency = searcher.doc_frequency(SEARCH_FIELD, term)
                if frequency:
                    found[term] = (rank, -frequency)
    kept = sorted(found, key=lambda t: (found[t], t))[:MAX_PREFIX_TERMS]
    # Each word weighs what it is worth to the articles as a whole: "ins"
    # means insomnia (33 uses, in headlines) far more than "instead" or
    # "institute" (a few passing uses each), so a body full of passing words
    # no longer outranks an article about the word being typed.
    # Completions used far less than the main one are dropped: they barely
    # move a score, and each one is a posting list to rank.
    uses = {t: searcher.frequency(SEARCH_FIELD, t) for t in kept}
    most = max(uses.values(), default=0) or 1
    return [(t, (PREFIX_BOOST if found[t][0] == 0 else BODY_PREFIX_BOOST) * uses[t] / most)
            for t in kept if uses[t] / most >= MIN_SHARE]


def _prefix_node(word: str, expansions: list[str], parser, finished: bool = True):
    """The last word as itself (weighted up when it is a `finished` word) or
    as the start of a longer word."""
    whole = _parse(parser, word)
    if not expansions:
        return whole
    nodes = [query.Term(SEARCH_FIELD, term, boost=boost) for term, boost in expansions]
    if whole is not None:
        whole.boost = WHOLE_WORD_BOOST if finished else PREFIX_BOOST  # freshly parsed: ours to change
        nodes.insert(0, whole)
    return query.Or(nodes)


def closest_word(searcher, reader, word: str) -> str | None:
    """The indexed word nearest to `word`: within one edit (two for long
    words), same first letter, the most frequent at the smallest distance."""
    if len(word) < 3 or not _WORD.fullmatch(word):
        return None
    for maxdist in (1, 2) if len(word) >= LONG_WORD else (1,):
        candidates = [c for c in words_within(reader, SPELL_FIELD, word, maxdist) if c != word and stem(c)]
        if candidates:
            return max(candidates, key=lambda c: (searcher.doc_frequency(SPELL_FIELD, c), c))
    return None


def starts_an_indexed_word(reader, word: str) -> bool:
    """True when some longer indexed word begins with `word` (then a reader
    is still typing it, and no "Did you mean" should correct it)."""
    word = fold(word)
    for field_name in (SPELL_FIELD, SEARCH_FIELD):
        for raw in reader.expand_prefix(field_name, word):
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if text != word:
                return True
    return False
