"""Markdown -> safe HTML, plain text, word count and reading time."""
from __future__ import annotations

import math
import re
from html import unescape

import nh3
from markdown_it import MarkdownIt

# CommonMark plus tables and strikethrough; raw HTML is parsed by markdown-it
# but everything passes through the allowlist below before it can reach a page.
_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "s",
    "blockquote", "ul", "ol", "li", "a", "code", "pre", "sup", "sub", "abbr",
    "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption", "img",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"scope"},
    "td": set(),
    "ol": {"start"},
}
# No javascript:, data: or vbscript: links survive.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_TAG_RE = re.compile(r"<[^>]+>")
_WORD_RE = re.compile(r"[\w'’-]+", re.UNICODE)


def render_markdown(markdown_text: str) -> str:
    """Render Markdown to HTML that is safe to put on a page as it is."""
    raw_html = _markdown.render(markdown_text)
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def html_to_text(html: str) -> str:
    """Plain text of sanitized HTML: what search indexes and snippets show."""
    text = _TAG_RE.sub(" ", html)
    return re.sub(r"\s+", " ", unescape(text)).strip()


def count_words(text: str) -> int:
    return len(_WORD_RE.findall(text))


def reading_minutes(word_count: int, words_per_minute: int = 230) -> int:
    """Minutes to read, rounded up, never below one."""
    return max(1, math.ceil(word_count / words_per_minute))
