"""A category taken out of categories.yml: moved, deleted, or refused.

Readers who narrowed their digest to some topics are stored as rows of
subscriber_topics, which go with their category (ON DELETE CASCADE); a
reader left with no rows gets every category. So a category is never
deleted under readers or articles without saying where they go:
- an entry in categories.yml with `replaces: old-slug` moves the old
  category's readers' topics and its articles there, and the old one is
  deleted;
- a category nobody chose and no article uses is simply deleted;
- otherwise the import is refused, naming the category, how many readers
  and articles it holds, and the two ways out (put it back, or `replaces:`).

Runs inside the import's write transaction, after the articles are
written, so articles re-filed by this very import no longer count.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Article, Category
from .categories import CategorySource
from .parse import FileProblem
from .signals import category_readers, category_replaced


def retire_categories(categories: list[CategorySource], categories_file: str) -> tuple[list[str], list[FileProblem]]:
    """Apply categories.yml's removals; (what was done, in words; problems).

    Problems mean the caller must roll the import back.
    """
    listed = {source.slug for source in categories}
    replacement = {old: source.slug for source in categories for old in source.replaces}
    by_slug = {category.slug: category for category in db.session.scalars(select(Category))}
    done: list[str] = []
    problems: list[FileProblem] = []
    for slug, category in sorted(by_slug.items()):
        if slug in listed:
            continue
        readers = _answers(category_readers, category_id=category.id)
        articles = db.session.scalar(select(func.count()).select_from(Article).where(Article.category_id == category.id)) or 0
        target = by_slug.get(replacement.get(slug, ""))
        if target is not None:
            moved = _answers(category_replaced, from_category_id=category.id, to_category_id=target.id)
            db.session.execute(update(Article).where(Article.category_id == category.id).values(category_id=target.id))
            done.append(f"category {slug!r} removed: {moved} reader(s)' topics and {articles} article(s) moved to {target.slug!r}")
        elif readers or articles:
            problems.append(FileProblem(categories_file, None, (
                f"category {slug!r} is no longer listed, but {readers} reader(s) chose it as a digest topic and "
                f"{articles} article(s) are filed under it; put it back, or add `replaces: {slug}` to the category "
                "that takes its place (its readers' topics and articles move there)")))
            continue
        else:
            done.append(f"category {slug!r} removed (no reader chose it, no article used it)")
        db.session.delete(category)
    db.session.flush()
    return done, problems


def _answers(signal, **kwargs) -> int:
    """The sum of what every listener (the newsletter's topics) answers."""
    return sum(value or 0 for _, value in signal.send(current_app._get_current_object(), **kwargs))
