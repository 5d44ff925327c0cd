"""One article as its page shows it (an ArticleRow, reading.py), in three
fixed queries: the statements are built once, the article comes back with
its category and people in one row, and its tags and corrections in one
small query each.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from ..clock import utcnow
from ..extensions import db
from ..models import Article, ArticleCorrection, Author, Category, SlugAndName, Tag, article_tags, visible_to_readers
from .reading import ArticleRow, RowCategory, RowCorrection, RowPerson

# The page shows every column but the Markdown source and the plain text
# (those are for the import and for search).
_PAGE_COLUMNS = tuple(column for column in Article.__table__.columns if column.name not in {"body_markdown", "body_text"})
_PERSON_COLUMNS = ("slug", "name", "credentials", "role")
_writer, _reviewer = aliased(Author), aliased(Author)

_ARTICLE = (
    select(
        *_PAGE_COLUMNS, Category.slug, Category.name,
        *(getattr(_writer, name) for name in _PERSON_COLUMNS),
        *(getattr(_reviewer, name) for name in _PERSON_COLUMNS),
    )
    .join(Category, Category.id == Article.category_id)
    .outerjoin(_writer, _writer.id == Article.author_id)
    .outerjoin(_reviewer, _reviewer.id == Article.reviewer_id)
    .where(Article.slug == bindparam("slug"), visible_to_readers(bindparam("now")))
)
_TAGS = (
    select(Tag.slug, Tag.name)
    .join(article_tags, article_tags.c.tag_id == Tag.id)
    .where(article_tags.c.article_id == bindparam("article_id"))
    .order_by(Tag.name)
)
_CORRECTIONS = (
    select(ArticleCorrection.dated, ArticleCorrection.note, ArticleCorrection.recorded_at)
    .where(ArticleCorrection.article_id == bindparam("article_id"))
    .order_by(ArticleCorrection.dated.desc())
)


def _person(values) -> RowPerson | None:
    return RowPerson(*values) if values[0] is not None else None


def visible_article(slug: str, with_lists: bool = True) -> ArticleRow | None:
    """The visible article at `slug` (not a draft, not scheduled), or None;
    without its tags and corrections unless `with_lists` (a page that does
    not show them saves two queries)."""
    row = db.session.execute(_ARTICLE, {"slug": slug, "now": utcnow()}).first()
    if row is None:
        return None
    count = len(_PAGE_COLUMNS)
    values = {column.key: value for column, value in zip(_PAGE_COLUMNS, row)}
    people = len(_PERSON_COLUMNS)
    article = ArticleRow(values, RowCategory(values["category_id"], row[count], row[count + 1]))
    article.author_profile = _person(row[count + 2:count + 2 + people])
    article.reviewer = _person(row[count + 2 + people:count + 2 + 2 * people])
    if not with_lists:
        return article
    parameters = {"article_id": values["id"]}
    article.tags = [SlugAndName(*tag) for tag in db.session.execute(_TAGS, parameters)]
    article.corrections = [RowCorrection(*correction) for correction in db.session.execute(_CORRECTIONS, parameters)]
    return article
