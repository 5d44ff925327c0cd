"""Articles read as plain rows for the pages that show them.

Building ORM objects (identity map, instrumentation, eager loaders) cost
more CPU than the queries of an article page or a listing. These are the
same articles as rows: every column but the unused copies of the body, the
category's slug and name, and for an article page its tags, corrections,
writer and reviewer, each read in one query.

A template that asks for something not read here still works: the article
is then loaded the ORM way, once (see ArticleRow.__getattr__).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Article, ArticleCorrection, Author, Category, Tag, article_tags, utcnow

_NEVER_SHOWN = frozenset({"body_markdown", "body_text"})
# Columns of a listing card: the rendered body is left out too.
CARD_COLUMNS = tuple(c for c in Article.__table__.columns if c.name not in _NEVER_SHOWN | {"body_html"})
PAGE_COLUMNS = tuple(c for c in Article.__table__.columns if c.name not in _NEVER_SHOWN)
_AUTHOR_FIELDS = ("id", "slug", "name", "credentials", "role", "bio")


@dataclass(frozen=True)
class CategoryRow:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class TagRow:
    name: str
    slug: str


@dataclass(frozen=True)
class CorrectionRow:
    dated: date
    note: str
    recorded_at: datetime


@dataclass(frozen=True)
class AuthorRow:
    id: int
    slug: str
    name: str
    credentials: str
    role: str
    bio: str

    @property
    def name_with_credentials(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class ArticleRow:
    """An article's columns as attributes, and `category` (plus, on an
    article page, `tags`, `corrections`, `author_profile`, `reviewer`)."""

    def __init__(self, values: dict, category: CategoryRow, **related):
        self.__dict__.update(values)
        self.category = category
        self.__dict__.update(related)

    @property
    def last_modified(self) -> datetime:
        return self.updated_at or self.published_at

    def is_visible(self, now: datetime | None = None) -> bool:
        return not self.draft and self.published_at <= (now or utcnow())

    def __getattr__(self, name: str):
        # Only reached for what was not read as a row.
        if name.startswith("_"):
            raise AttributeError(name)
        article = self.__dict__.get("_orm")
        if article is None:
            article = self.__dict__["_orm"] = db.session.get(Article, self.__dict__["id"])
        return getattr(article, name)


def card_rows(statement) -> list[ArticleRow]:
    """The articles of `statement` (a select of Article with its filters,
    order and paging) as listing cards, in one query."""
    rows = db.session.execute(
        statement.with_only_columns(*CARD_COLUMNS, Category.slug, Category.name)
        .join(Category, Category.id == Article.category_id)
    )
    names = [column.key for column in CARD_COLUMNS]
    cards = []
    for row in rows:
        values = dict(zip(names, row))
        cards.append(ArticleRow(values, CategoryRow(values["category_id"], row[-2], row[-1])))
    return cards


def article_page_row(statement) -> ArticleRow | None:
    """The one article `statement` selects (a select of Article), with what
    its page shows: three queries (the article with its category, writer and
    reviewer; its tags; its corrections)."""
    writer, checker = aliased(Author), aliased(Author)
    row = db.session.execute(
        statement.with_only_columns(
            *PAGE_COLUMNS, Category.slug, Category.name,
            *(getattr(writer, f) for f in _AUTHOR_FIELDS), *(getattr(checker, f) for f in _AUTHOR_FIELDS),
        )
        .join(Category, Category.id == Article.category_id)
        .outerjoin(writer, writer.id == Article.author_id)
        .outerjoin(checker, checker.id == Article.reviewer_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    count = len(PAGE_COLUMNS)
    values = dict(zip((column.key for column in PAGE_COLUMNS), row[:count]))
    category = CategoryRow(values["category_id"], row[count], row[count + 1])
    people = row[count + 2 :]
    size = len(_AUTHOR_FIELDS)
    author_profile = AuthorRow(*people[:size]) if people[0] is not None else None
    reviewer = AuthorRow(*people[size:]) if people[size] is not None else None
    article_id = values["id"]
    tags = [TagRow(name, slug) for name, slug in db.session.execute(
        select(Tag.name, Tag.slug).join(article_tags, article_tags.c.tag_id == Tag.id)
        .where(article_tags.c.article_id == article_id).order_by(Tag.name)
    )]
    corrections = [CorrectionRow(*r) for r in db.session.execute(
        select(ArticleCorrection.dated, ArticleCorrection.note, ArticleCorrection.recorded_at)
        .where(ArticleCorrection.article_id == article_id).order_by(ArticleCorrection.dated.desc())
    )]
    return ArticleRow(values, category, tags=tags, corrections=corrections, author_profile=author_profile, reviewer=reviewer)
