"""Import a file or a folder of articles: validate everything, then write once.

Nothing is written unless every file is valid, so a typo in one file never
leaves the site half-updated. Unchanged files (same bytes, same place in
the content tree) are skipped, which makes re-running an import free. An
article is known by its slug and remembers its path relative to the
content tree (identity.py), so the tree may live anywhere.

An import removes articles only when asked (`prune=True`, `--prune`), and
only from a content tree (a folder with categories.yml at or above it):
a folder of one new story is not the site. Without it, articles whose
files are gone are kept and listed in `kept`. A removed article's slug
answers 410, and a file whose `slug:` changed moves its article (same id)
and leaves a 301 behind (removals.py). `dry_run=True` runs the same
transaction and rolls it back: the plan is exactly what would happen, and
nothing is written (no image files either).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..database import write_transaction
from ..extensions import db
from ..clock import utcnow
from ..models import Article, Category, Tag
from .authors import AuthorSource, find_authors_file, load_authors
from .categories import CategorySource, find_categories_file, load_categories
from .category_removal import retire_categories
from .changelog import record_search_changes
from .check import check_sources
from .pages import PageSource, load_pages, pages_folder_for
from .parse import ArticleReferences, ArticleSource, FileProblem, parse_article_file
from .references import check_categories, check_related
from .removals import claim_slug, remember_removed, remember_rename
from .render import count_words, html_to_text, reading_minutes, render_markdown
from .identity import content_tree_for, is_legacy_path, is_within, legacy_relative_form, tree_relative
from .images import apply_lead_image, ensure_variants, lead_image_folder, prune_originals, store_original
from . import version as content_version
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
    # The same, as slugs for people (the plan `--dry-run` prints), and the
    # articles whose files are gone but which were kept (no --prune), as
    # (slug, stored path). renamed: (old slug, new slug).
    slugs: dict[str, list[str]] = field(default_factory=lambda: {"added": [], "updated": [], "removed": [], "unchanged": []})
    kept: list[tuple[str, str]] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    # False when the imported folder has no categories.yml at or above it:
    # nothing can be removed by it, even with --prune.
    is_tree: bool = True
    dry_run: bool = False
    # Categories taken out of categories.yml, and where their readers went.
    category_changes: list[str] = field(default_factory=list)
    # What an editor should look at; imported anyway (check.py).
    warnings: list[FileProblem] = field(default_factory=list)

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


class _RollBack(Exception):
    """Ends a dry run's transaction with a rollback, carrying the plan out."""

    def __init__(self, result: ImportResult):
        self.result = result


def import_content(path: str | Path, prune: bool = False, dry_run: bool = False) -> ImportResult:
    """Validate and import the articles at `path` (a file or a folder).

    Raises ImportError_ listing every problem and writes nothing when any
    file is bad. When `path` is a folder of a content tree, articles
    previously imported from that part of the tree whose files are gone are
    removed with `prune`, else kept and listed in the result's `kept`.
    `dry_run` works out the same result and writes nothing.
    """
    root = Path(path).resolve()
    if not root.exists():
        raise ImportError_([FileProblem(str(path), None, "does not exist")])
    tree = content_tree_for(root)

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
    references: list[ArticleReferences] = []
    for file in files:
        outcome = parse_article_file(file)
        problems += outcome.problems
        if outcome.article:
            sources.append(outcome.article)
        if outcome.references:
            references.append(outcome.references)

    # References are checked for bad files too, so each file's problems all come out in one run.
    problems += check_categories(references, categories)
    problems += check_related(references)
    names = {id(source): tree_relative(source.path, tree) for source in sources}
    scope = Scope(tree, tree_relative(root, tree) if root.is_dir() else None, categories_file is not None)
    problems += _check_against_database(sources, scope, names)
    problems += check_people(references, authors, current_app.config["DEFAULT_AUTHOR"])
    if problems:
        # One file's problems together, in the order they were found.
        raise ImportError_(sorted(problems, key=lambda problem: problem.path))

    # Pictures first, outside the write lock: a row never points at a
    # variant that is not on disk yet. Existing files are kept, and missing
    # ones (a fresh host, a wiped folder) come back even for unchanged articles.
    folder = lead_image_folder()
    for source in sources:
        if source.image is not None and not dry_run:
            ensure_variants(source.image, folder)

    try:
        with write_transaction():
            people = write_authors(authors)
            if pages is not None:
                write_pages(pages, tree)
            for source in sources:
                if source.image is not None:
                    store_original(source.image)
            result = _write(sources, categories, scope, names, people, prune=prune)
            result.is_tree = categories_file is not None
            if categories_file is not None:
                result.category_changes, category_problems = retire_categories(categories, str(categories_file))
                if category_problems:
                    raise ImportError_(category_problems)
            prune_originals()
            if synonyms is not None:
                result.synonyms_changed = write_synonyms(synonyms)
            prune_authors(authors)
            result.warnings = check_sources(sources)
            if dry_run:
                raise _RollBack(result)
    except _RollBack as rolled_back:
        rolled_back.result.dry_run = True
        return rolled_back.result
    # Committed: every kept page of this host stops matching (pages and
    # authors may have changed even when no article did).
    content_version.bump()
    if result.changed:
        content_changed.send(current_app._get_current_object(), changes=result)
    return result


@dataclass(frozen=True)
class Scope:
    """What one import covers: its content tree, and the folder imported
    inside it ("" for all of it; None for a single file)."""

    tree: Path
    folder: str | None
    # The folder has categories.yml at or above it: its stored paths can be
    # compared with the database's, so files gone from it mean articles gone.
    is_tree: bool = True

    def covers(self, stored: str) -> bool:
        """True when this import looked for the file stored under this name:
        it was read, or it is gone."""
        return self.folder is not None and not is_legacy_path(stored) and is_within(stored, self.folder)

    def still_claims(self, stored: str) -> bool:
        """True when another article's file (stored under this tree-relative
        name) may still be there, outside what this import read, so its slug
        is not free."""
        return not self.covers(stored) and (self.tree / stored).is_file()


def _check_against_database(sources, scope: Scope, names) -> list[FileProblem]:
    """Slugs against each other and against the database (categories and
    related slugs are checked on every file by references.py)."""
    problems = []

    # Two files of one run claiming one slug: refused, naming both.
    by_slug: dict[str, ArticleSource] = {}
    for source in sources:
        if source.slug in by_slug:
            problems.append(FileProblem(source.path, "slug", f"{source.slug!r} is also used by {by_slug[source.slug].path}"))
        else:
            by_slug[source.slug] = source

    # An article whose file moved inside the tree keeps its slug: an update.
    # Refused only when the file the database names is still there and this
    # import did not read it (a single file claiming another file's slug).
    existing = {slug: stored for slug, stored in db.session.execute(select(Article.slug, Article.source_path)).all()}
    for source in by_slug.values():
        other = existing.get(source.slug)
        if other and is_legacy_path(other):
            other = legacy_relative_form(other)  # an older release's absolute path, named as today
        if other and other != names[id(source)] and scope.still_claims(other):
            problems.append(FileProblem(source.path, "slug", f"{source.slug!r} is already used by {other} (in {scope.tree}); import the whole folder if that file changed its slug"))

    return problems


def _write(sources: list[ArticleSource], categories: list[CategorySource], scope: Scope, names, people,
           prune: bool = False) -> ImportResult:
    result = ImportResult()
    category_by_name = _upsert_categories(categories)
    tag_cache = {tag.slug: tag for tag in db.session.scalars(select(Tag))}
    existing = {a.slug: a for a in db.session.scalars(select(Article))}
    imported = {s.slug for s in sources}
    by_path = {a.source_path: a for a in existing.values() if a.source_path and a.slug not in imported}
    config = current_app.config

    for source in sources:
        article = existing.get(source.slug)
        name = names[id(source)]
        if article is not None and article.content_hash == source.content_hash and name in (
            article.source_path, legacy_relative_form(article.source_path)
        ):
            # A path an older release wrote (absolute) that names this very
            # file: stored in today's form, but nothing changed for readers.
            article.source_path = name
            result.unchanged += 1
            result.slugs["unchanged"].append(source.slug)
            continue
        if article is None and name in by_path:
            # The same file with a new `slug:`: the article moves (same id,
            # same feedback and related picks) and its old address redirects.
            article = by_path.pop(name)
            old_slug = article.slug
            remember_rename(article, old_slug)
            del existing[old_slug]
            article.slug = existing[source.slug] = source.slug
            result.renamed.append((old_slug, source.slug))
        claim_slug(source.slug)  # before the new row is added: its delete flushes the session
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
        article.source_path = name
        article.content_hash = source.content_hash
        article.imported_at = utcnow()
        write_trust(article, source.trust)
        db.session.flush()
        (result.added if is_new else result.updated).append(article.id)
        result.slugs["added" if is_new else "updated"].append(source.slug)

    if scope.folder is not None and scope.is_tree:
        for slug, article in existing.items():
            if slug not in imported and article.source_path and _came_from(article.source_path, scope):
                if not prune:
                    result.kept.append((slug, article.source_path))
                    continue
                result.removed.append(article.id)
                result.slugs["removed"].append(slug)
                remember_removed(article)
                db.session.delete(article)
    db.session.flush()
    record_search_changes(result.added + result.updated, result.removed)
    return result


def _came_from(stored: str, scope: Scope) -> bool:
    """True when an article stored under this name belongs to the folder just imported."""
    if is_legacy_path(stored):
        return Path(stored).is_relative_to(scope.tree / (scope.folder or ""))
    return scope.covers(stored)


def _upsert_categories(categories: list[CategorySource]) -> dict[str, Category]:
    by_slug = {c.slug: c for c in db.session.scalars(select(Category))}
    for source in categories:
        category = by_slug.get(source.slug)
        renamed = next((by_slug[slug] for slug in source.former_slugs if slug in by_slug), None)
        if category is None and renamed is not None:
            # A new slug for the same category: same row, so its articles and
            # the readers' topics stay with it (categories.yml former_slugs).
            category = by_slug.pop(renamed.slug)
            category.slug = source.slug
            by_slug[source.slug] = category
        if category is None:
            category = Category(slug=source.slug)
            db.session.add(category)
            by_slug[source.slug] = category
        category.name, category.description, category.position = source.name, source.description, source.position
        category.former_slugs = " ".join(source.former_slugs) or None
    db.session.flush()
    return {c.name: c for c in by_slug.values()}


def _tag_for(name: str, cache: dict[str, Tag]) -> Tag:
    slug = slugify(name, 80)
    tag = cache.get(slug)
    if tag is None:
        tag = cache[slug] = Tag(name=name, slug=slug)
        db.session.add(tag)
    return tag
