"""Search result snippets: whole sentences from the article's own blocks,
with the reader's words marked.

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

from .engine import accent_map
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


def matched_words(text: str, terms: frozenset) -> list[tuple[int, int, str]]:
    """(start, end, stem) of each word of `text` whose stem is a query term."""
    found = []
    for match in _WORD.finditer(text):
        s = stem(fold(match.group(0)))
        if s in terms:
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


def order_needed(candidates) -> int:
    # The sentence after the last candidate may be added for context.
    return candidates[-1][3] + 1


def snippet(html: str, terms: frozenset, quick=None) -> str:
    """The best one or two sentences of an article for these query stems, as
    safe HTML with <mark>s; "" when no sentence of the body matches.

    `quick`, a compiled regex, skips sentences that cannot match before the
    (slower) word-by-word stemming.
    """
    candidates = []  # (distinct terms, matches, -order, order, sentence, first match)
    order = 0
    flat: list[tuple[int, int, str]] = []  # (block number, order, sentence)
    for number, block in enumerate(text_blocks(html)):
        if block.kind == "heading":
            continue
        for sentence in sentences(block.text):
            flat.append((number, order, sentence))
            if len(candidates) < MAX_CANDIDATES and (quick is None or quick.search(sentence.translate(accent_map))):
                found = matched_words(sentence, terms)
                if found:
                    candidates.append((len({s for _, _, s in found}), len(found), -order, order, sentence, found[0][0]))
            order += 1
        if len(candidates) >= MAX_CANDIDATES and len(flat) > order_needed(candidates):
            break
    if not candidates:
        return ""
    candidates.sort(reverse=True)
    chosen = [candidates[0]]
    covered = {s for _, _, s in matched_words(candidates[0][4], terms)}
    for candidate in candidates[1:]:
        if len(chosen) >= MAX_FRAGMENTS:
            break
        if {s for _, _, s in matched_words(candidate[4], terms)} - covered:
            chosen.append(candidate)
    chosen.sort(key=lambda c: c[3])
    budget = MAX_CHARS // len(chosen)
    fragments = []
    for _, _, _, position, sentence, first in chosen:
        text = _trim(sentence, first, budget)
        # A short sentence alone says little: add the next one of its block.
        if len(chosen) == 1 and len(text) < SHORT_SENTENCE and position + 1 < len(flat):
            block, _, following = flat[position + 1]
            if block == flat[position][0] and len(text) + len(following) < MAX_CHARS:
                text = f"{text} {following}"
        fragments.append(text)
    if len(fragments) == 2 and chosen[1][3] == chosen[0][3] + 1 and flat[chosen[0][3]][0] == flat[chosen[1][3]][0]:
        fragments = [" ".join(fragments)]  # neighbours in one paragraph: one fragment
    # One ellipsis between two fragments, even where a cut sentence brings its own.
    if len(fragments) == 2:
        fragments = [fragments[0].removesuffix(" " + ELLIPSIS), fragments[1].removeprefix(ELLIPSIS + " ")]
    return f" {ELLIPSIS} ".join(mark(fragment, terms) for fragment in fragments)
