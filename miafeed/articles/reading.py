"""The read model: an article as a page shows it, read as plain rows.

The site has two shapes of an article, on purpose:

* `models.Article`, the table's ORM class: what the import writes, and what
  feeds, digests and the CLI read whole.
* `ArticleRow`, here: what listings (cards) and the article page read. The
  ORM way (instrumented objects, identity map, joined and selectin loads)
  cost more CPU than the query and the template for pages that only read:
  about 6 ms on an article page. A row answers the same attribute names as
  an Article, so templates and the JSON-LD builder take either.

A listing fills a row with every column but the bodies and its category; the
article page adds the body, the writer, the reviewer, the tags and the
corrections (article_rows.py). An attribute nobody read into the row is
loaded the ORM way, once per row: a template that starts showing more still
works, and the query count tests (test_pages.py) show the cost.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..extensions import db
from ..models import Article


@dataclass(frozen=True)
class RowCategory:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class RowPerson:
    slug: str
    name: str
    credentials: str
    role: str

    @property
    def name_with_credentials(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


@dataclass(frozen=True)
class RowCorrection:
    dated: date
    note: str
    recorded_at: datetime


class ArticleRow:
    """An article's columns as read for a page, and its `category`."""

    def __init__(self, values: dict, category: RowCategory):
        self.__dict__.update(values)
        self.category = category

    @property
    def last_modified(self):
        return self.updated_at or self.published_at

    def __getattr__(self, name: str):
        # Only for an attribute the row was not read with (see the docstring).
        if name.startswith("_"):
            raise AttributeError(name)
        article = self.__dict__.get("_article")
        if article is None:
            article = self.__dict__["_article"] = db.session.get(Article, self.__dict__["id"])
        return getattr(article, name)
