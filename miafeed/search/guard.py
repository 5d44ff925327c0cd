"""The query guard: what a reader typed, made safe before any parsing.

Whoosh's parser is slow on long tokens (quadratic) and would expand `*` to
every term, so the raw text is cleaned, capped in length and in terms, and
reduced to plain words and quoted phrases before Whoosh sees it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 200
MAX_TERMS = 10
# Longer "words" are never real words; they only cost time to analyse.
MAX_WORD_CHARS = 40
# The longest input we even look at: a 100,000-character query is cut here
# before any per-character work.
MAX_RAW_CHARS = 1000

_TOKEN = re.compile(r'"([^"]*)"|([^\s"]+)')


@dataclass(frozen=True)
class CleanQuery:
    """A reader's query after the guard: `text` is safe to parse and show."""

    text: str
    words: tuple[str, ...]
    phrases: tuple[str, ...]
    truncated: bool

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)


def _printable(char: str) -> bool:
    # Control and format characters (NUL, bidi overrides, zero-width joiners
    # outside words) are dropped; letters, digits, marks, emoji stay.
    return unicodedata.category(char)[0] != "C"


def clean_query(raw: str | None) -> CleanQuery:
    """Normalise a raw query into words and quoted phrases, capped.

    Quotes that do not pair up are dropped, field syntax (`title:x`) and
    wildcards lose their meaning (their characters become word breaks), and
    at most MAX_TERMS words survive.
    """
    raw = (raw or "")[:MAX_RAW_CHARS]
    truncated = len(raw) >= MAX_RAW_CHARS
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch if _printable(ch) else " " for ch in text)
    # Characters that mean something to Whoosh's parser become spaces; the
    # analyzer would drop them anyway, and this way no plugin ever sees them.
    text = re.sub(r"[*?:^~(){}\[\]<>\\]+", " ", text)
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    if text.count('"') % 2:
        last = text.rindex('"')
        text = text[:last] + " " + text[last + 1 :]
    if len(text) > MAX_QUERY_CHARS:
        text, truncated = text[:MAX_QUERY_CHARS], True
        if text.count('"') % 2:
            text = text[: text.rindex('"')]

    words: list[str] = []
    phrases: list[str] = []
    parts: list[str] = []
    terms = 0
    for match in _TOKEN.finditer(text):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            phrase_words = [w[:MAX_WORD_CHARS] for w in phrase.split()]
            if not phrase_words:
                continue
            room = MAX_TERMS - terms
            if room <= 0:
                truncated = True
                break
            if len(phrase_words) > room:
                phrase_words, truncated = phrase_words[:room], True
            terms += len(phrase_words)
            joined = " ".join(phrase_words)
            if len(phrase_words) == 1:
                words.append(joined)
                parts.append(joined)
            else:
                phrases.append(joined)
                parts.append(f'"{joined}"')
        else:
            if terms >= MAX_TERMS:
                truncated = True
                break
            word = word.strip('"')[:MAX_WORD_CHARS]
            if not word:
                continue
            terms += 1
            words.append(word)
            parts.append(word)
    return CleanQuery(text=" ".join(parts), words=tuple(words), phrases=tuple(phrases), truncated=truncated)
