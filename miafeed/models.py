"""Database tables for articles, their categories and tags.

The database is the truth; the search index and the related-article picks
are derived from it and can be rebuilt.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Table, Text, and_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .clock import utcnow
from .extensions import db


article_tags = Table(
    "article_tags",
    db.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Slugs the category had before (categories.yml `former_slugs`), space
    # separated: their addresses answer 301 to the current one.
    former_slugs: Mapped[str | None] = mapped_column(Text, nullable=True)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


def renamed_category(former_slug: str) -> Category | None:
    """The category that had `former_slug` before a rename, or None: its old
    page and feed answer 301 to the new ones."""
    candidates = db.session.scalars(select(Category).where(Category.former_slugs.is_not(None)))
    return next((c for c in candidates if former_slug in c.former_slugs.split()), None)


class SlugAndName(NamedTuple):
    """A category or tag as a page names it, read as a row: the slug its
    link needs and the name it shows."""

    slug: str
    name: str


def category_order():
    """The one order categories are listed in, everywhere a reader or the
    operator sees them (header, footer, search, digest topics, sitemap,
    `flask stats`): the editors' position from categories.yml, then name."""
    return (Category.position, Category.name)


def categories_in_order() -> list[Category]:
    """Every category, in category_order(): the navigation list."""
    return list(db.session.scalars(select(Category).order_by(*category_order())))


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)

    def __repr__(self) -> str:
        return f"<Tag {self.slug}>"


class Author(db.Model):
    """A writer or reviewer from content/authors.yml."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    credentials: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def name_with_credentials(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    def __repr__(self) -> str:
        return f"<Author {self.slug}>"


class SitePage(db.Model):
    """About, Editorial policy and other pages from content/pages/."""

    __tablename__ = "site_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    source_path: Mapped[str] = mapped_column(String(1000), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Article(db.Model):
    __tablename__ = "articles"
    __table_args__ = (
        # The listing pages all ask "published, not draft, newest first".
        Index("ix_articles_listing", "draft", "published_at"),
        Index("ix_articles_category_listing", "category_id", "draft", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))  # the byline as shown; author_id when it is a person
    # Trust (content/trust.py): who wrote and who checked it, and the study it reports.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", name="fk_articles_author_id"), nullable=True, index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", name="fk_articles_reviewer_id"), nullable=True, index=True)
    last_reviewed: Mapped[date | None] = mapped_column(Date, nullable=True)
    key_points: Mapped[list] = mapped_column(db.JSON, default=list)
    study_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    study_title: Mapped[str | None] = mapped_column(String(400), nullable=True)
    study_journal: Mapped[str | None] = mapped_column(String(200), nullable=True)
    study_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    study_doi: Mapped[str | None] = mapped_column(String(300), nullable=True)
    study_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # The study's evidence in the reader's terms (content/evidence.py); all empty
    # when the article gives none. Text is as written, "not reported" included.
    study_studied_in: Mapped[str | None] = mapped_column(String(10), nullable=True)  # people, animals, cells
    study_animal: Mapped[str | None] = mapped_column(String(60), nullable=True)
    study_participants: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: not reported
    study_studies: Mapped[int | None] = mapped_column(Integer, nullable=True)
    study_who: Mapped[str | None] = mapped_column(Text, nullable=True)
    study_absolute_effect: Mapped[str | None] = mapped_column(Text, nullable=True)
    study_relative_effect: Mapped[str | None] = mapped_column(Text, nullable=True)
    study_harms: Mapped[str | None] = mapped_column(Text, nullable=True)
    study_cost: Mapped[str | None] = mapped_column(Text, nullable=True)
    study_funding: Mapped[str | None] = mapped_column(Text, nullable=True)
    study_conflicts: Mapped[str | None] = mapped_column(Text, nullable=True)
    study_press_release: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # None: not confirmed
    # An editor's own next review date; None means the policy default (content/review.py).
    next_review: Mapped[date | None] = mapped_column(Date, nullable=True)
    source_name: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str] = mapped_column(String(2000))
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)  # plain text, for search and snippets
    word_count: Mapped[int] = mapped_column(Integer)
    reading_minutes: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    # Editor's pinned related slugs, in order, as written in front matter.
    related_slugs: Mapped[list] = mapped_column(db.JSON, default=list)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    # Where the article came from and a hash of that file, so a re-import of
    # an unchanged file writes nothing.
    source_path: Mapped[str] = mapped_column(String(1000), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # The lead image (see content/images.py): its variants' name key, the
    # widest variant's size (for width/height, so nothing shifts), alt, credit.
    image_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    image_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    image_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    image_alt: Mapped[str | None] = mapped_column(String(300), nullable=True)
    image_credit: Mapped[str | None] = mapped_column(String(200), nullable=True)

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    tags: Mapped[list[Tag]] = relationship(secondary=article_tags, lazy="selectin", order_by=Tag.name)
    author_profile: Mapped[Author | None] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[Author | None] = relationship(foreign_keys=[reviewer_id])
    corrections: Mapped[list["ArticleCorrection"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="ArticleCorrection.dated.desc()"
    )

    @property
    def last_modified(self) -> datetime:
        return self.updated_at or self.published_at

    def __repr__(self) -> str:
        return f"<Article {self.slug}>"


class ArticleCorrection(db.Model):
    """A dated correction note shown on its article and on /corrections."""

    __tablename__ = "article_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    dated: Mapped[date] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(Text)
    # When the import first saw this note (kept across re-imports), so a
    # digest can tell subscribers about corrections made since their last one.
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    article: Mapped[Article] = relationship(back_populates="corrections")


class RelatedPick(db.Model):
    """One precomputed "Related Articles" entry: `related` shown under `article`.

    Derived data, like the search index: written when content changes (import,
    reindex), read with one indexed query when the panel is served.
    """

    __tablename__ = "related_picks"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed so "who shows this article?" is cheap when it changes.
    related_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(db.Float)
    # kind: pinned (editor), similar, category or latest (the fallbacks).
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    related: Mapped[Article] = relationship(foreign_keys=[related_id], lazy="joined", innerjoin=True)


class SearchChange(db.Model):
    """One change to the searchable articles, for every host's index to follow.

    Written by the import in the same transaction as the change itself, so
    the log never misses a committed change nor shows one that was rolled
    back. `seq` only grows; each host applies the changes after the last one
    it applied (search/follow.py), reading the article as it is now.
    """

    __tablename__ = "search_changes"

    seq: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a deleted article's change must outlive the article.
    article_id: Mapped[int] = mapped_column(Integer)
    # "index" (added, updated, or a draft now published) or "delete".
    action: Mapped[str] = mapped_column(String(10))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class LeadImageOriginal(db.Model):
    """A lead image's original bytes, so any host can make its variants.

    Variants are derived state each host builds for itself (on the first
    request for one, content/images.py); the picture they come from lives
    here, shared like the text. Keyed by the variants' name key, so a
    changed picture is a new row and the old one goes when no article uses it.
    """

    __tablename__ = "lead_image_originals"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class HostSeen(db.Model):
    """Each app host's last heartbeat and the code version it runs.

    Written by the search follower every few seconds (search/follow.py),
    read by `flask stats`, so hosts left on another version during a
    rolling deploy show up in one place.
    """

    __tablename__ = "hosts_seen"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[str] = mapped_column(String(100))
    seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def visible_to_readers(now):
    """The one rule for which articles a reader may see: not a draft, and
    published by `now` (a datetime, or a bindparam in a statement built once).

    A SQL condition on Article; selected as a column (`.label(...)`) it gives
    the same answer for every row, so no Python copy of the rule is needed."""
    return and_(Article.draft.is_(False), Article.published_at <= now)


def visible_articles(now: datetime | None = None):
    """A select() of the articles readers may see (visible_to_readers), newest
    first. Callers add filters and paging."""
    return (
        select(Article)
        .where(visible_to_readers(now or utcnow()))
        .order_by(Article.published_at.desc(), Article.id.desc())
    )


class SearchSynonym(db.Model):
    """One group of the editors' synonyms.yml, as the last import stored it.

    Search widens queries with these at query time (search/synonyms.py), so
    every host reads the same list from the database and no index depends
    on it. `terms` is a JSON list, the group's key first.
    """

    __tablename__ = "search_synonyms"

    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    terms: Mapped[str] = mapped_column(Text)


class SearchMiss(db.Model):
    """How often a cleaned query found nothing on one day: nothing about who
    searched (no address, agent or time finer than the day). Kept
    SEARCH_MISS_RETENTION_DAYS (search/misses.py)."""

    __tablename__ = "search_misses"

    query: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer, default=1)


# What an article's old addresses answer after it moved or went away: a
# former slug answers 301 to the current one, a removed article's slug 410
# Gone with a short page. The importer writes both in the transaction that
# renames or removes the article; articles/gone.py reads them.
class FormerSlug(db.Model):
    """A slug the article `article_id` had before; it redirects there."""

    __tablename__ = "former_slugs"

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime)


class RemovedArticle(db.Model):
    """A slug whose article was removed: what the 410 page says about it."""

    __tablename__ = "removed_articles"

    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    category_slug: Mapped[str | None] = mapped_column(String(200), nullable=True)
    removed_at: Mapped[datetime] = mapped_column(DateTime)
