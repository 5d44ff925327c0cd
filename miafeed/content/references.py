"""Checks of what an article file points at outside itself: its category
and the articles it pins as related.

They run on every file whose front matter could be read, including files
with other problems, so an editor sees all of a file's mistakes in one run
instead of fixing them one import at a time. (People named in a file are
checked by trust_import.check_people, on the same references.)
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Article, Category
from .categories import CategorySource
from .parse import ArticleReferences, FileProblem


def check_categories(references: list[ArticleReferences], categories: list[CategorySource]) -> list[FileProblem]:
    """Every category must be in categories.yml or already in the database."""
    known = {c.name for c in categories} | set(db.session.scalars(select(Category.name)))
    listed = ", ".join(sorted(known)) or "none (add content/categories.yml)"
    return [
        FileProblem(ref.path, "category", f"unknown category {ref.category!r}; known categories: {listed}")
        for ref in references
        if ref.category and ref.category not in known
    ]


def check_related(references: list[ArticleReferences]) -> list[FileProblem]:
    """Every pinned related slug must name another article, imported now or before."""
    slugs = set(db.session.scalars(select(Article.slug))) | {ref.slug for ref in references if ref.slug}
    problems = []
    for ref in references:
        for related_slug in ref.related:
            if related_slug == ref.slug:
                problems.append(FileProblem(ref.path, "related", "an article cannot be related to itself"))
            elif related_slug not in slugs:
                problems.append(FileProblem(ref.path, "related", f"no article has the slug {related_slug!r}"))
    return problems
