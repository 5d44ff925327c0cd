"""One page of a list of articles, in a fixed number of queries."""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import defer, lazyload

from ..extensions import db
from ..models import Article


@dataclass
class ArticlePage:
    items: list[Article]
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
    """Run `statement` (a select of Article) for one page.

    Two queries whatever the page size: a count and the page itself (the
    category is joined in).
    A page past the end is a 404 that says how many pages there are.
    """
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        abort(404, description=f"There is no page {page}: this list has {pages} page{'s' if pages != 1 else ''}.")
    # Cards never show the body (its three copies are most of a row's bytes)
    # nor the tags (their SELECT ... IN was about a millisecond of each
    # listing render); a card that one day shows tags loads them lazily.
    lean = statement.options(
        defer(Article.body_markdown), defer(Article.body_html), defer(Article.body_text), lazyload(Article.tags)
    )
    items = db.session.scalars(lean.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return ArticlePage(items=items, page=page, per_page=per_page, total=total)
