"""Import a file or a folder of articles: validate everything, then write once.

Nothing is written unless every file is valid, so a typo in one file never
leaves the site half-updated. Unchanged files (same bytes, same place) are
skipped, which makes re-running an import free.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..database import write_transaction
from ..extensions import db
from ..models import Article, Category, Tag, utcnow
from .authors import AuthorSource, find_authors_file, load_authors
from .categories import CategorySource, find_categories_file, load_categories
from .changelog import record_search_changes
from .pages import PageSource, load_pages, pages_folder_for
from .parse import ArticleSource, FileProblem, parse_article_file
from .render import count_words, html_to_text, reading_minutes, render_markdown
from .images import apply_lead_image, ensure_variants, lead_image_folder
from .signals import content_changed
from .slugs import slugify
from .synonyms import SynonymGroup, find_synonyms_file, load_synonyms, write_synonyms
from .trust_import import check_people, prune_authors, resolve_people, write_authors, write_pages, write_trust


class ImportError_(Exception):
    """The import was refused; `problems` says which file and key, and why."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class ImportResult:
    """What an import changed, by article id (removed: ids that no longer exist)."""

    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    unchanged: int = 0
    # True when synonyms.yml differed from the stored groups (search reads them).
    synonyms_changed: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.synonyms_changed)


def collect_article_files(path: Path, skip: Path | None = None) -> list[Path]:
    """A single .md file, or every .md file under a folder (but not under
    `skip`, the site pages folder), in a stable order."""
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob("*.md")
        if p.is_file() and not p.name.startswith(".") and not (skip and p.is_relative_to(skip))
    )


def import_content(path: str | Path) -> ImportResult:
    """Validate and import the articles at `path` (a file or a folder).

    Raises ImportError_ listing every problem and writes nothing when any
    file is bad. When `path` is a folder, articles previously imported from
    that folder whose files are gone are removed.
    """
    root = Path(path).resolve()
    if not root.exists():
        raise ImportError_([FileProblem(str(path), None, "does not exist")])

    problems: list[FileProblem] = []
    categories: list[CategorySource] = []
    categories_file = find_categories_file(root)
    if categories_file is not None:
        categories, category_problems = load_categories(categories_file)
        problems += category_problems
    authors: list[AuthorSource] | None = None
    authors_file = find_authors_file(root)
    if authors_file is not None:
        authors, author_problems = load_authors(authors_file)
        problems += author_problems
    pages: list[PageSource] | None = None
    pages_folder = pages_folder_for(categories_file)
    if pages_folder is not None:
        pages, page_problems = load_pages(pages_folder)
        problems += page_problems

    synonyms: list[SynonymGroup] | None = None
    synonyms_file = find_synonyms_file(categories_file)
    if synonyms_file is not None:
        synonyms, synonym_problems = load_synonyms(synonyms_file)
        problems += synonym_problems

    files = collect_article_files(root, skip=pages_folder)
    if not files:
        problems.append(FileProblem(str(path), None, "holds no .md article files"))
    sources: list[ArticleSource] = []
    for file in files:
        outcome = parse_article_file(file)
        problems += outcome.problems
        if outcome.article:
            sources.append(outcome.article)

    problems += _check_against_database(sources, categories, root)
    problems += check_people(sources, authors, current_app.config["DEFAULT_AUTHOR"])
    if problems:
        raise ImportError_(problems)

    # Pictures first, outside the write lock: a row never points at a
    # variant that is not on disk yet. Existing files are kept, and missing
    # ones (a fresh host, a wiped folder) come back even for unchanged articles.
    folder = lead_image_folder()
    for source in sources:
        if source.image is not None:
            ensure_variants(source.image, folder)

    with write_transaction():
        people = write_authors(authors)
        if pages is not None:
            write_pages(pages)
        result = _write(sources, categories, root, people)
        if synonyms is not None:
            result.synonyms_changed = write_synonyms(synonyms)
        prune_authors(authors)
    if result.changed:
        content_changed.send(current_app._get_current_object(), changes=result)
    return result


def _check_against_database(sources, categories, root) -> list[FileProblem]:
    problems = []
    known = {c.name for c in categories} | set(db.session.scalars(select(Category.name)))
    for source in sources:
        if source.category not in known:
            problems.append(FileProblem(source.path, "category", f"unknown category {source.category!r}; known categories: {', '.join(sorted(known)) or 'none (add content/categories.yml)'}"))

    by_slug: dict[str, ArticleSource] = {}
    for source in sources:
        if source.slug in by_slug:
            problems.append(FileProblem(source.path, "slug", f"{source.slug!r} is also used by {by_slug[source.slug].path}"))
        else:
            by_slug[source.slug] = source

    existing = {a.slug: a.source_path for a in db.session.execute(select(Article.slug, Article.source_path))}
    for source in by_slug.values():
        other = existing.get(source.slug)
        if other and other != source.path and Path(other).exists() and not _will_be_removed(other, root, by_slug):
            problems.append(FileProblem(source.path, "slug", f"{source.slug!r} is already used by {other}"))

    remaining = set(existing) | set(by_slug)
    for source in sources:
        for related_slug in source.related:
            if related_slug == source.slug:
                problems.append(FileProblem(source.path, "related", "an article cannot be related to itself"))
            elif related_slug not in remaining:
                problems.append(FileProblem(source.path, "related", f"no article has the slug {related_slug!r}"))
    return problems


def _will_be_removed(other_path: str, root: Path, by_slug) -> bool:
    return root.is_dir() and Path(other_path).is_relative_to(root) and other_path not in {s.path for s in by_slug.values()}


def _write(sources: list[ArticleSource], categories: list[CategorySource], root: Path, people) -> ImportResult:
    result = ImportResult()
    category_by_name = _upsert_categories(categories)
    tag_cache = {tag.slug: tag for tag in db.session.scalars(select(Tag))}
    existing = {a.slug: a for a in db.session.scalars(select(Article))}
    config = current_app.config

    for source in sources:
        article = existing.get(source.slug)
        if article is not None and article.content_hash == source.content_hash and article.source_path == source.path:
            result.unchanged += 1
            continue
        is_new = article is None
        if is_new:
            article = Article(slug=source.slug)
            db.session.add(article)
        body_html = render_markdown(source.body)
        body_text = html_to_text(body_html)
        words = count_words(body_text)
        article.title = source.title
        article.summary = source.summary
        article.author, article.author_profile, article.reviewer = resolve_people(source, people, config["DEFAULT_AUTHOR"])
        article.source_name = source.source_name
        article.source_url = source.source_url
        article.body_markdown = source.body
        article.body_html = body_html
        article.body_text = body_text
        article.word_count = words
        article.reading_minutes = reading_minutes(words, config["READING_WORDS_PER_MINUTE"])
        article.published_at = source.published
        article.updated_at = source.updated
        article.draft = source.draft
        article.related_slugs = list(source.related)
        article.category = category_by_name[source.category]
        article.tags = [_tag_for(name, tag_cache) for name in dict.fromkeys(source.tags)]
        apply_lead_image(article, source.image)
        article.source_path = source.path
        article.content_hash = source.content_hash
        article.imported_at = utcnow()
        write_trust(article, source.trust)
        db.session.flush()
        (result.added if is_new else result.updated).append(article.id)

    if root.is_dir():
        imported = {s.slug for s in sources}
        for slug, article in existing.items():
            if slug not in imported and article.source_path and Path(article.source_path).is_relative_to(root):
                result.removed.append(article.id)
                db.session.delete(article)
    db.session.flush()
    record_search_changes(result.added + result.updated, result.removed)
    return result


def _upsert_categories(categories: list[CategorySource]) -> dict[str, Category]:
    by_slug = {c.slug: c for c in db.session.scalars(select(Category))}
    for source in categories:
        category = by_slug.get(source.slug)
        if category is None:
            category = Category(slug=source.slug)
            db.session.add(category)
            by_slug[source.slug] = category
        category.name, category.description, category.position = source.name, source.description, source.position
    db.session.flush()
    return {c.name: c for c in by_slug.values()}


def _tag_for(name: str, cache: dict[str, Tag]) -> Tag:
    slug = slugify(name, 80)
    tag = cache.get(slug)
    if tag is None:
        tag = cache[slug] = Tag(name=name, slug=slug)
        db.session.add(tag)
    return tag
