"""Read one article file and check its front matter.

`parse_article_file` never raises for a bad file: it returns the problems it
found, each naming the key, so the importer can report every bad file at
once before it writes anything.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .images import IMAGE_KEYS, LeadImageSource, check_lead_image
from .slugs import SLUG_PATTERN, slugify
from .trust import TRUST_KEYS, TrustFields, parse_trust_fields

REQUIRED_KEYS = ("title", "category", "tags", "summary", "source_name", "source_url", "published")
OPTIONAL_KEYS = ("slug", "author", "updated", "draft", "related")
KNOWN_KEYS = frozenset(REQUIRED_KEYS + OPTIONAL_KEYS)
KNOWN_KEYS |= IMAGE_KEYS  # the lead image's keys, checked in images.py
MAX_TAGS = 10
KNOWN_KEYS = KNOWN_KEYS | TRUST_KEYS


@dataclass
class ArticleSource:
    """A validated article file, ready to be written to the database."""

    path: str
    content_hash: str
    title: str
    slug: str
    category: str
    tags: list[str]
    summary: str
    author: str | None
    source_name: str
    source_url: str
    published: datetime
    updated: datetime | None
    draft: bool
    related: list[str]
    image: LeadImageSource | None
    body: str
    trust: TrustFields = field(default_factory=TrustFields)


@dataclass
class FileProblem:
    path: str
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: {self.key}" if self.key else self.path
        return f"{where}: {self.message}"


@dataclass
class ArticleReferences:
    """What a file points at elsewhere (a category, people, other articles),
    kept even when the file has other problems, so that the import can check
    these too and report every problem of a file in one run."""

    path: str
    slug: str | None = None
    category: str | None = None
    author: str | None = None
    reviewed_by: str | None = None
    related: list[str] = field(default_factory=list)


@dataclass
class ParseOutcome:
    article: ArticleSource | None = None
    problems: list[FileProblem] = field(default_factory=list)
    references: ArticleReferences | None = None  # None when the front matter could not be read at all


class _FrontMatterLoader(yaml.SafeLoader):
    """safe_load, except dates stay text.

    PyYAML turns 2026-02-30 into a ValueError before we can see which key it
    came from; as text, to_utc_datetime checks it and the problem names its key.
    """


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def split_front_matter(text: str) -> tuple[str, str] | None:
    """('yaml', 'body') for a file that starts with a '---' block, else None."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    return None


@dataclass
class FrontMatterFile:
    """A content file read as UTF-8 with its front matter parsed."""

    raw: bytes  # the file's bytes, for the content hash
    meta: dict  # the front matter, a mapping
    body: str  # the text after the front matter, stripped


def read_front_matter(path: Path) -> tuple[FrontMatterFile | None, FileProblem | None]:
    """The one reader of a front-matter file (articles and site pages):
    (the file, None), or (None, the problem that stops it being read at all:
    not UTF-8, no front matter block, invalid YAML, or not a mapping)."""
    shown = str(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, FileProblem(shown, None, f"cannot be read as UTF-8 text ({exc})")
    parts = split_front_matter(text)
    if parts is None:
        return None, FileProblem(shown, None, "must start with a front matter block between '---' lines")
    try:
        meta = yaml.load(parts[0], Loader=_FrontMatterLoader) or {}
    except yaml.YAMLError as exc:
        return None, FileProblem(shown, None, f"front matter is not valid YAML ({exc})")
    if not isinstance(meta, dict):
        return None, FileProblem(shown, None, "front matter must be a mapping of keys to values")
    return FrontMatterFile(raw, meta, parts[1].strip()), None


def to_utc_datetime(value) -> datetime | None:
    """A YAML date or datetime (or an ISO string) as naive UTC, else None."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def _text(meta, key, problems, path, max_length=500, required=True):
    value = meta.get(key)
    if value is None:
        if required:
            problems.append(FileProblem(path, key, "is missing"))
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(FileProblem(path, key, "must be non-empty text"))
        return None
    value = value.strip()
    if len(value) > max_length:
        problems.append(FileProblem(path, key, f"is longer than {max_length} characters"))
        return None
    return value


def _string_list(meta, key, problems, path):
    value = meta.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        problems.append(FileProblem(path, key, "must be a list of text items, like [sleep, stress]"))
        return []
    return [item.strip() for item in value]


def parse_article_file(path: Path) -> ParseOutcome:
    """Read and validate one Markdown article file."""
    shown = str(path)
    outcome = ParseOutcome()
    problems = outcome.problems
    read, unreadable = read_front_matter(path)
    if read is None:
        problems.append(unreadable)
        return outcome
    raw, meta, body = read.raw, read.meta, read.body

    for key in sorted(set(map(str, meta)) - KNOWN_KEYS):
        problems.append(FileProblem(shown, key, f"is not a known key (known: {', '.join(sorted(KNOWN_KEYS))})"))

    title = _text(meta, "title", problems, shown, 300)
    category = _text(meta, "category", problems, shown, 120)
    summary = _text(meta, "summary", problems, shown, 1000)
    source_name = _text(meta, "source_name", problems, shown, 200)
    source_url = _text(meta, "source_url", problems, shown, 2000)
    author = _text(meta, "author", problems, shown, 200, required=False)
    if source_url and not is_http_url(source_url):
        problems.append(FileProblem(shown, "source_url", f"must be an http:// or https:// address, not {source_url!r}"))

    if "tags" not in meta:
        problems.append(FileProblem(shown, "tags", "is missing"))
    tags = _string_list(meta, "tags", problems, shown)
    if len(tags) > MAX_TAGS:
        problems.append(FileProblem(shown, "tags", f"has {len(tags)} tags; at most {MAX_TAGS}"))
    for tag in tags:
        if not slugify(tag):
            problems.append(FileProblem(shown, "tags", f"tag {tag!r} has no letters or digits"))

    related = _string_list(meta, "related", problems, shown)
    for related_slug in related:
        if not SLUG_PATTERN.match(related_slug):
            problems.append(FileProblem(shown, "related", f"{related_slug!r} is not a slug (lowercase words joined by hyphens)"))

    slug = meta.get("slug")
    if slug is None and title:
        slug = slugify(title)
    if slug is not None and (not isinstance(slug, str) or not SLUG_PATTERN.match(slug) or len(slug) > 200):
        problems.append(FileProblem(shown, "slug", f"{slug!r} must be lowercase letters, digits and single hyphens"))
        slug = None

    published = None
    if "published" in meta:
        published = to_utc_datetime(meta["published"])
        if published is None:
            problems.append(FileProblem(shown, "published", f"{meta['published']!r} is not a date like 2026-03-14 or 2026-03-14T09:30:00Z"))
    updated = None
    if meta.get("updated") is not None:
        updated = to_utc_datetime(meta["updated"])
        if updated is None:
            problems.append(FileProblem(shown, "updated", f"{meta['updated']!r} is not a date like 2026-03-14"))
        elif published and updated < published:
            problems.append(FileProblem(shown, "updated", "is earlier than published"))

    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problems.append(FileProblem(shown, "draft", "must be true or false"))

    image, image_problems = check_lead_image(meta, path)
    problems += [FileProblem(shown, key, message) for key, message in image_problems]

    if not body:
        problems.append(FileProblem(shown, "body", "the article has no text after the front matter"))

    trust = parse_trust_fields(meta, lambda key, message: problems.append(FileProblem(shown, key, message)), published, is_http_url)
    outcome.references = ArticleReferences(
        shown, slug, category, author, trust.reviewed_by, [item for item in related if SLUG_PATTERN.match(item)]
    )

    if problems:
        return outcome
    outcome.article = ArticleSource(
        path=shown,
        # A new picture under the same file name is a change too.
        content_hash=hashlib.sha256(raw + (image.key.encode() if image else b"")).hexdigest(),
        title=title,
        slug=slug,
        category=category,
        tags=tags,
        summary=summary,
        author=author,
        source_name=source_name,
        source_url=source_url,
        published=published,
        updated=updated,
        draft=draft,
        related=related,
        image=image,
        body=body,
        trust=trust,
    )
    return outcome
