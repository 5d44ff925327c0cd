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
from .near_words import words_ending_with, words_within
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
# A completion found in more than this share of all articles is too common
# to say what the reader is typing (see _expand_prefix).
COMMON_WORD_SHARE = 0.6
# A synonym's match counts this much of the reader's own word's (and ranking
# puts articles with the reader's own words first anyway).
SYNONYM_BOOST = 0.5
# Words at least this long may be two edits away from what was meant.
LONG_WORD = 8
# A word is looked for inside compounds from this length ("arthritis" in
# osteoarthritis); shorter endings ("ion", "ness") are in every article.
MIN_COMPOUND_PART = 5
# The last word is corrected only from this length: in "tum" or "tumm" one
# letter in three or four is no typo, it is a word not finished yet.
MIN_CORRECTED_LAST = 5

_TOKENS = re.compile(r'"[^"]*"|\S+')
_WORD = re.compile(r"\w+(?:\.?\w+)*")


@dataclass
class Plan:
    """The query to run, and what the reader's words became."""

    query: object | None
    text: str            # the words searched, after any correction
    corrected: bool      # True when `text` differs from what was typed
    prefix_word: str | None
    # Narrower queries whose matches rank first, in order (see the end of
    # plan()): the last word whole; the reader's words as typed, a named
    # group's words together; the group's meaning (those words or a
    # synonym). Each is a subset of `query`; only the ones that differ from
    # `query` are listed.
    preferred: list = field(default_factory=list)
    widened: bool = False  # True when synonyms added terms
    # (query or None, word) per word or named group of the reader's: what
    # the closest articles are ranked by when no article has every word.
    # The query is None for a plain word (parse it with word_query), and
    # the word is None where it may not be matched inside compounds.
    groups: list = field(default_factory=list)


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
    if prefix_at == 0 and len(tokens[0]) < MIN_PREFIX and not searcher.doc_frequency(SPELL_FIELD, fold(tokens[0])):
        # One or two letters alone are searched only as a word that titles,
        # summaries or tags use ("AI", "UK"): anything else ("sl", "in", a
        # surname in a body) is a word still being typed, on the page and in
        # the header list alike.
        return Plan(None, text, False, tokens[0])
    spans = synonyms.spans(tokens) if synonyms else []
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
            if position == prefix_at and len(fold(token)) < MIN_CORRECTED_LAST:
                continue  # an unfinished word, not a typo ("tum" is not "two")
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

    # The last word while it is typed: the start of a word, whatever the
    # synonym list or the stop list say of the letters so far ("sle" names
    # lupus and starts sleep; "the" starts therapy).
    last = last_whole = None
    last_span = None
    finished = False
    if prefix_at is not None:
        word = tokens[prefix_at]
        # Only a word that articles use as written counts as finished: "ins"
        # stems to "in", which every article has, and must not outrank the
        # insomnia articles it is the start of.
        finished = bool(searcher.doc_frequency(SPELL_FIELD, fold(word)))
        last = _prefix_node(word, expansions.get(prefix_at, []), parser, finished)
        whole = _parse(parser, word)
        if finished and expansions.get(prefix_at) and whole is not None and searcher.doc_frequency(SEARCH_FIELD, getattr(whole, "text", "")):
            last_whole = whole
        last_span = next((span for span in spans if span.start <= prefix_at < span.end), None)
    optional_last = last is not None and stem(fold(tokens[prefix_at])) is None and len(tokens) > 1

    in_span = {i for span in spans for i in range(span.start, span.end)}
    rest = [t for i, t in enumerate(tokens) if i != prefix_at and i not in in_span]
    fixed = [node for node in [_parse(parser, " ".join(rest))] if node is not None] if rest else []
    # Words outside a group are parsed one by one only if the closest
    # articles are wanted (querying._closest): most searches never need it.
    groups = [(None, token) for token in rest]
    # Per span: the reader's words together (as a phrase), the group's
    # meaning (that phrase or a synonym), and everything it may match (also
    # the words apart, and the last word as a prefix when it ends the span).
    together, meaning, widened = [], [], []
    for span in spans:
        words = tokens[span.start:span.end]
        own = _parse(parser, " ".join(words))
        if own is None:
            continue
        others = [_synonym_node(stems) for stems in span.alternatives]
        phrase = _synonym_node(tuple(analyse(" ".join(words))), boost=1.0)
        alternatives = [own.copy(), *others]
        if span is last_span and last is not None:
            head = _parse(parser, " ".join(words[:-1])) if len(words) > 1 else None
            typed = _and([node for node in (head, last) if node is not None])
            alternatives.append(typed)
        if span is last_span and last is not None and not finished:
            # Letters still being typed rank first as the reader's own words.
            together.append(typed)
            meaning.append(typed)
        else:
            together.append(phrase)
            meaning.append(query.Or([phrase.copy(), *others]))
        widened.append(query.Or(alternatives))
        groups.append((widened[-1], None))
    tail = [] if last is None or last_span is not None or optional_last else [last]
    if last is not None and last_span is None:
        groups.append((last, tokens[prefix_at] if not optional_last else None))
    full = _and(fixed + widened + tail)
    # Narrower queries ranked first, each a subset of `full`: the last word
    # whole; the reader's words as typed (a named group's words together);
    # a group's meaning, said in the reader's words or a synonym. Articles
    # with the words only apart come after those ("trouble sleeping" finds
    # insomnia articles before one with "trouble" and "sleep" far apart).
    tiers = []
    if last_whole is not None and last_span is None:
        tiers.append(_and(fixed + together + [last_whole]))
    if spans or optional_last:
        tiers.append(_and(fixed + together + ([last] if last is not None and last_span is None else [])))
    if spans:
        tiers.append(_and(fixed + meaning + tail))
    preferred = []
    for tier in tiers:
        if tier is not None and tier != full and tier not in preferred:
            preferred.append(tier)
    return Plan(full, " ".join(tokens), corrected, tokens[prefix_at] if prefix_at is not None else None,
                preferred, widened=bool(spans), groups=groups)


def _synonym_node(stems: tuple[str, ...], boost: float = SYNONYM_BOOST):
    """One synonym, as the index's terms: a word, or its words in order."""
    if len(stems) == 1:
        return query.Term(SEARCH_FIELD, stems[0], boost=boost)
    return query.Phrase(SEARCH_FIELD, list(stems), boost=boost)


def _and(nodes):
    return None if not nodes else nodes[0] if len(nodes) == 1 else query.And(nodes)


def word_query(parser, text: str):
    """The query for one of the reader's words (or a quoted phrase), or None
    for a word the index leaves out (a stop word)."""
    return _parse(parser, text)


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
    # A stop word is expanded too: "the" is how "therapy" starts.
    if len(prefix) < minimum or not _WORD.fullmatch(prefix):
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
    # A word in most articles ("they", "their", "there" after "the") says
    # nothing about any of them: it is left out while a word that does
    # remains, so "the" leads to therapy, not to every article.
    common = searcher.doc_count() * COMMON_WORD_SHARE
    if any(-frequency <= common for _rank, frequency in found.values()):
        found = {t: v for t, v in found.items() if -v[1] <= common}
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


def compound_terms(searcher, reader, word: str) -> list[str]:
    """Stems of the indexed words that hold `word` as their last part, the
    way medical words are built ("arthritis" in osteoarthritis, "tension"
    in hypertension), the most used first; none for short words, whose
    endings are everywhere."""
    word = fold(word)
    if len(word) < MIN_COMPOUND_PART or not word.isalpha():
        return []
    found: dict[str, int] = {}
    for compound in words_ending_with(reader, SPELL_FIELD, word):
        term = stem(compound)
        if term and term not in found:
            found[term] = searcher.doc_frequency(SEARCH_FIELD, term)
    return sorted((t for t in found if found[t]), key=lambda t: (-found[t], t))[:MAX_PREFIX_TERMS]


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
