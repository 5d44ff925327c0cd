"""One page of a list of articles, in a fixed number of queries.

Cards are read as plain rows, not ORM objects (see rows.py): building
Articles cost more than the query for a page of ten.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask import abort
from sqlalchemy import func, select

from ..extensions import db
from .rows import ArticleRow, card_rows

@dataclass
class ArticlePage:
    items: list[ArticleRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(statement, page: int, per_page: int) -> ArticlePage:
    """Run `statement` (a select of Article, with its filters and order) for one page.

    Two queries whatever the page size: a count and the page itself, as
    rows with the category joined in.
    A page past the end is a 404 that says how many pages there are.
    """
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        abort(404, description=f"There is no page {page}: this list has {pages} page{'s' if pages != 1 else ''}.")
    items = card_rows(statement.limit(per_page).offset((page - 1) * per_page))
    return ArticlePage(items=items, page=page, per_page=per_page, total=total)
