"""Site pages (About, Editorial policy, Corrections policy) written in Markdown.

They live in a `pages/` folder beside categories.yml, with a small front
matter block (title, summary, optional slug and updated date), and are
imported with the articles, in the same transaction.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .parse import FileProblem, read_front_matter, to_utc_datetime
from .slugs import SLUG_PATTERN

PAGES_FOLDER = "pages"
# Pages with an address of their own (slug -> endpoint, site/views.py); any
# other page file is served at /pages/<slug>.
TOP_LEVEL_PAGES = {"about": "site.about", "editorial-policy": "site.editorial_policy", "corrections": "site.corrections"}
PAGE_KEYS = ("title", "summary", "slug", "updated")


@dataclass(frozen=True)
class PageSource:
    """A validated site page file."""

    path: str
    content_hash: str
    slug: str
    title: str
    summary: str
    updated: datetime | None
    body: str


def pages_folder_for(categories_file: Path | None) -> Path | None:
    """The pages/ folder beside categories.yml, the root of a content folder."""
    if categories_file is None:
        return None
    folder = categories_file.parent / PAGES_FOLDER
    return folder if folder.is_dir() else None


def collect_page_files(folder: Path) -> list[Path]:
    """Every .md file in the pages folder, in a stable order."""
    return sorted(p for p in folder.glob("*.md") if p.is_file() and not p.name.startswith("."))


def parse_page_file(path: Path) -> tuple[PageSource | None, list[FileProblem]]:
    """Read and validate one site page file."""
    shown = str(path)
    read, unreadable = read_front_matter(path)
    if read is None:
        return None, [unreadable]
    raw, meta, body = read.raw, read.meta, read.body

    problems = [
        FileProblem(shown, key, f"is not a known key (known: {', '.join(PAGE_KEYS)})")
        for key in sorted(set(map(str, meta)) - set(PAGE_KEYS))
    ]
    values = {}
    for key, limit in (("title", 200), ("summary", 400)):
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
            problems.append(FileProblem(shown, key, f"must be text of 1 to {limit} characters"))
        else:
            values[key] = value.strip()
    slug = meta.get("slug", path.stem)
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        problems.append(FileProblem(shown, "slug", f"{slug!r} must be lowercase letters, digits and single hyphens"))
    updated = None
    if meta.get("updated") is not None:
        updated = to_utc_datetime(meta["updated"])
        if updated is None:
            problems.append(FileProblem(shown, "updated", f"{meta['updated']!r} is not a date like 2026-03-14"))
    if not body:
        problems.append(FileProblem(shown, "body", "the page has no text after the front matter"))
    if problems:
        return None, problems
    return PageSource(shown, hashlib.sha256(raw).hexdigest(), slug, values["title"], values["summary"], updated, body), []


def load_pages(folder: Path) -> tuple[list[PageSource], list[FileProblem]]:
    """Every page in `folder`, or the problems that stop the import."""
    pages, problems, seen = [], [], {}
    for file in collect_page_files(folder):
        page, found = parse_page_file(file)
        problems += found
        if page is None:
            continue
        if page.slug in seen:
            problems.append(FileProblem(page.path, "slug", f"{page.slug!r} is also used by {seen[page.slug]}"))
            continue
        seen[page.slug] = page.path
        pages.append(page)
    return pages, problems
