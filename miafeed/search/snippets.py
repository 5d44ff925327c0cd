"""Search result snippets: whole sentences from the article's own blocks,
with the reader's words marked.

Each article's sentences and their stems are worked out once, when it is
indexed (sentence_table, stored with the index document); a search only
intersects stem sets and marks the one or two sentences it shows.

The body is read block by block from its sanitized HTML (paragraphs, list
items, quotes), so a heading is never run into the text after it and a list
item is never glued to the paragraph before it. A snippet is one or two
sentences (cut at a word boundary, with an ellipsis, only when a sentence is
very long), at most two fragments joined by " … ".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape, unescape

from .matching import fold, stem

# Characters a snippet may show; two short sentences fit, one long one is cut.
MAX_CHARS = 300
# A single matching sentence shorter than this gets the next one for context.
SHORT_SENTENCE = 140
MAX_FRAGMENTS = 2
# Sentences weighed per article: the best snippet is nearly always among the
# first few that match, and stemming every sentence of a long body for ten
# results was most of a query's time.
MAX_CANDIDATES = 8
ELLIPSIS = "…"

# Block-level tags of the sanitized article HTML. Headings are read, so that
# their words never join a paragraph, but never shown in a snippet.
_BLOCK_TAG = re.compile(r"<(/?)(p|li|h[1-6]|blockquote|pre|td|th|dt|dd|figcaption|ul|ol|div|table|tr|section)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
# A sentence ends at . ! or ? (maybe followed by a closing quote or bracket)
# before a space and a capital, a digit or an opening quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]?\s+(?=[\"“‘(\[]?[A-Z0-9])")
_WORD = re.compile(r"\w+(?:\.?\w+)*")
_HEADING = re.compile(r"h[1-6]", re.I)


@dataclass(frozen=True)
class Block:
    """One block of an article's text: `heading` blocks are never shown."""

    kind: str  # "heading", "item" or "text"
    text: str


def text_blocks(html: str) -> list[Block]:
    """The text of an article's HTML, one entry per block, in order."""
    blocks: list[Block] = []
    open_tags: list[str] = []
    position = 0

    def flush(end: int) -> None:
        text = _SPACE.sub(" ", unescape(_ANY_TAG.sub(" ", html[position:end]))).strip()
        if text:
            current = open_tags[-1] if open_tags else "p"
            kind = "heading" if _HEADING.fullmatch(current) else "item" if current.lower() in ("li", "dt", "dd") else "text"
            blocks.append(Block(kind, text))

    for tag in _BLOCK_TAG.finditer(html):
        flush(tag.start())
        position = tag.end()
        name = tag.group(2).lower()
        if tag.group(1):
            if name in open_tags:
                del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name):]
        else:
            open_tags.append(name)
    flush(len(html))
    return blocks


def sentences(text: str) -> list[str]:
    """A block's sentences (good enough for news prose)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def matched_words(text: str, terms: frozenset | None) -> list[tuple[int, int, str]]:
    """(start, end, stem) of each word of `text` whose stem is a query term
    (every indexed word when `terms` is None)."""
    found = []
    for match in _WORD.finditer(text):
        s = stem(fold(match.group(0)))
        if s and (terms is None or s in terms):
            found.append((match.start(), match.end(), s))
    return found


def mark(text: str, terms: frozenset) -> str:
    """`text` as safe HTML, its query words wrapped in <mark>."""
    out, last = [], 0
    for start, end, _ in matched_words(text, terms):
        out.append(escape(text[last:start], quote=False))
        out.append("<mark>%s</mark>" % escape(text[start:end], quote=False))
        last = end
    out.append(escape(text[last:], quote=False))
    return "".join(out)


def _trim(sentence: str, first_match: int, limit: int) -> str:
    """Cut a long sentence to about `limit` characters around its first match,
    at word boundaries, saying where text was left out."""
    if len(sentence) <= limit:
        return sentence
    start = max(0, first_match - limit // 4)
    if start:
        space = sentence.find(" ", start)
        start = space + 1 if 0 <= space < first_match else start
    end = start + limit
    if end < len(sentence):
        space = sentence.rfind(" ", start, end)
        end = space if space > first_match else end
        if end < len(sentence) and sentence[end].isalnum():
            # No space found past the match: cut before the word we are in.
            while end > start and sentence[end - 1].isalnum():
                end -= 1
    piece = sentence[start:end].rstrip(" ,;:-–—")
    return (ELLIPSIS + " " if start else "") + piece + (" " + ELLIPSIS if end < len(sentence) else "")


# Sentences kept per article in its table: a snippet comes from the first
# sentences that match, and a body longer than this is rare.
MAX_TABLE_SENTENCES = 200


def sentence_table(html: str) -> tuple[tuple[int, str, tuple[str, ...]], ...]:
    """An article's sentences for snippets, worked out once when it is indexed:
    (block number, sentence, its stems) for every sentence outside headings.

    Stored in the index with the article (indexing.article_document), so a
    search reads it with the hit instead of parsing and stemming the body of
    every result again. Stems are a tuple, not a set: Whoosh pickles stored
    fields, and unpickling frozensets (hashing every stem again) cost five
    times as much as tuples, for every hit.
    """
    table = []
    for number, block in enumerate(text_blocks(html)):
        if block.kind == "heading":
            continue
        for sentence in sentences(block.text):
            table.append((number, sentence, tuple(sorted({stem for _, _, stem in matched_words(sentence, None)}))))
            if len(table) >= MAX_TABLE_SENTENCES:
                return tuple(table)
    return tuple(table)


def snippet(html: str, terms: frozenset, quick=None) -> str:
    """The best one or two sentences of an article's HTML for these query
    stems (see snippet_from_table); `quick` is accepted for older callers."""
    return snippet_from_table(sentence_table(html), terms)


def snippet_from_table(table, terms: frozenset) -> str:
    """The best one or two sentences for these query stems, as safe HTML with
    <mark>s; "" when no sentence matches. `table` is sentence_table()'s.

    Sentences are weighed by the query terms they hold (set intersections on
    the stored stems); only the one or two chosen are read word by word, to
    mark them.
    """
    candidates = []  # (distinct terms, -order, order)
    for order, (_, _, stems) in enumerate(table):
        found = terms.intersection(stems)
        if found:
            candidates.append((len(found), -order, order))
            if len(candidates) >= MAX_CANDIDATES:
                break
    if not candidates:
        return ""
    candidates.sort(reverse=True)
    chosen = [candidates[0]]
    covered = terms.intersection(table[candidates[0][2]][2])
    for candidate in candidates[1:]:
        if len(chosen) >= MAX_FRAGMENTS:
            break
        if terms.intersection(table[candidate[2]][2]) - covered:
            chosen.append(candidate)
    positions = sorted(c[2] for c in chosen)
    budget = MAX_CHARS // len(positions)
    fragments = []
    for position in positions:
        block, sentence, _ = table[position]
        first = next((start for start, _, _ in matched_words(sentence, terms)), 0)
        text = _trim(sentence, first, budget)
        # A short sentence alone says little: add the next one of its block.
        if len(positions) == 1 and len(text) < SHORT_SENTENCE and position + 1 < len(table):
            following_block, following, _ = table[position + 1]
            if following_block == block and len(text) + len(following) < MAX_CHARS:
                text = f"{text} {following}"
        fragments.append(text)
    if len(fragments) == 2 and positions[1] == positions[0] + 1 and table[positions[0]][0] == table[positions[1]][0]:
        fragments = [" ".join(fragments)]  # neighbours in one paragraph: one fragment
    # One ellipsis between two fragments, even where a cut sentence brings its own.
    if len(fragments) == 2:
        fragments = [fragments[0].removesuffix(" " + ELLIPSIS), fragments[1].removeprefix(ELLIPSIS + " ")]
    return f" {ELLIPSIS} ".join(mark(fragment, terms) for fragment in fragments)
