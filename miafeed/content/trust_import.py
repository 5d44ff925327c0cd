"""Writing authors, site pages and an article's trust fields to the database.

Kept apart from importer.py, which decides what to import; this module only
knows how these rows look.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, exists, or_, select, update

from ..extensions import db
from ..clock import utcnow
from ..models import Article, ArticleCorrection, Author, SitePage
from .authors import AuthorSource
from .identity import tree_relative
from .pages import PageSource
from .parse import ArticleReferences, ArticleSource, FileProblem
from .render import render_markdown
from .evidence import StudyEvidence
from .trust import TrustFields


@dataclass(frozen=True)
class Person:
    """Who a name in front matter stands for, before or after writing."""

    slug: str
    name: str
    credentials: str


def _people_index(people) -> dict[str, Person]:
    index = {}
    for person in people:
        index[person.slug] = index[person.name] = Person(person.slug, person.name, person.credentials)
    return index


def check_people(references: list[ArticleReferences], authors: list[AuthorSource] | None, team_name: str) -> list[FileProblem]:
    """Every `author` and `reviewed_by` must name someone in authors.yml
    (or, without that file, someone already imported). Runs on the references
    of every readable file, valid or not."""
    known = _people_index(authors if authors is not None else db.session.scalars(select(Author)))
    listed = ", ".join(sorted({p.slug for p in known.values()})) or "none (add content/authors.yml)"
    problems = []
    for source in references:
        writer = None
        if source.author and source.author != team_name:
            writer = known.get(source.author)
            if writer is None:
                problems.append(FileProblem(source.path, "author", f"{source.author!r} is not in authors.yml; known: {listed}"))
        reviewer_name = source.reviewed_by
        if reviewer_name:
            reviewer = known.get(reviewer_name)
            if reviewer is None:
                problems.append(FileProblem(source.path, "reviewed_by", f"{reviewer_name!r} is not in authors.yml; known: {listed}"))
            elif not reviewer.credentials:
                problems.append(FileProblem(source.path, "reviewed_by", f"{reviewer.name} has no credentials in authors.yml; a medical reviewer needs them"))
            elif writer and writer.slug == reviewer.slug:
                problems.append(FileProblem(source.path, "reviewed_by", "the reviewer must be someone other than the author"))
    return problems


def write_authors(authors: list[AuthorSource] | None) -> dict[str, Author]:
    """Insert or update the people of authors.yml; returns every author by slug and by name."""
    by_slug = {author.slug: author for author in db.session.scalars(select(Author))}
    for source in authors or ():
        author = by_slug.get(source.slug)
        if author is None:
            author = by_slug[source.slug] = Author(slug=source.slug)
            db.session.add(author)
        renamed = author.id is not None and author.name != source.name
        author.name, author.credentials, author.role = source.name, source.credentials, source.role
        author.bio, author.position = source.bio, source.position
        if renamed:
            # Bylines are stored for feeds and metadata; unchanged article
            # files are skipped by the import, so follow the new name here.
            db.session.execute(update(Article).where(Article.author_id == author.id).values(author=source.name))
    db.session.flush()
    index = dict(by_slug)
    index.update({author.name: author for author in by_slug.values()})
    return index


def prune_authors(authors: list[AuthorSource] | None) -> None:
    """Remove people who left authors.yml and no longer sign or review any article."""
    if authors is None:
        return
    kept = [source.slug for source in authors]
    used = exists().where(or_(Article.author_id == Author.id, Article.reviewer_id == Author.id))
    db.session.execute(delete(Author).where(Author.slug.not_in(kept), ~used).execution_options(synchronize_session=False))


def resolve_people(source: ArticleSource, people: dict[str, Author], team_name: str):
    """(byline, author row or None, reviewer row or None) for an article."""
    author = people.get(source.author) if source.author and source.author != team_name else None
    reviewer = people.get(source.trust.reviewed_by) if source.trust.reviewed_by else None
    return (author.name if author else team_name), author, reviewer


def write_trust(article: Article, trust: TrustFields) -> None:
    """Copy the validated trust fields onto `article`; unchanged corrections keep
    the time they were first recorded."""
    article.last_reviewed = trust.last_reviewed
    article.key_points = list(trust.key_points)
    study = trust.study
    article.study_type = study.type if study else None
    article.study_title = study.title if study else None
    article.study_journal = study.journal if study else None
    article.study_year = study.year if study else None
    article.study_doi = study.doi if study else None
    article.study_url = study.url if study else None
    article.next_review = trust.next_review
    write_evidence(article, study.evidence if study else None)

    earlier = {(c.dated, c.note): c.recorded_at for c in article.corrections} if article.id else {}
    now = utcnow()
    article.corrections = [
        ArticleCorrection(dated=c.dated, note=c.note, recorded_at=earlier.get((c.dated, c.note), now))
        for c in trust.corrections
    ]


def write_evidence(article: Article, evidence: StudyEvidence | None) -> None:
    """Copy a study's evidence keys onto `article` (all empty without them)."""
    for name in StudyEvidence.__dataclass_fields__:
        column = "study_" + name
        setattr(article, column, getattr(evidence, name) if evidence else None)


def write_pages(pages: list[PageSource], tree: Path) -> None:
    """Insert, update or remove site pages so the table matches the pages
    folder (paths stored relative to the content tree `tree`)."""
    existing = {page.slug: page for page in db.session.scalars(select(SitePage))}
    for source in pages:
        page = existing.pop(source.slug, None)
        if page is not None and page.content_hash == source.content_hash:
            continue
        if page is None:
            page = SitePage(slug=source.slug)
            db.session.add(page)
        page.title, page.summary, page.updated_at = source.title, source.summary, source.updated
        page.body_html = render_markdown(source.body)
        page.source_path, page.content_hash = tree_relative(source.path, tree), source.content_hash
    for gone in existing.values():
        db.session.delete(gone)
    db.session.flush()
