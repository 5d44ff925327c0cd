"""When each article is due for its next medical review.

The policy default is REVIEW_INTERVAL_DAYS after `last_reviewed` (two years,
as the NHS standard suggests for health pages); an article may set its own
`next_review` in front matter. The due date is worked out when asked, not
stored, so changing the policy setting applies to every article at once,
without a re-import. Articles never reviewed have no due date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..clock import utcnow
from ..models import Article


def review_interval() -> timedelta:
    """The policy's gap between reviews, from REVIEW_INTERVAL_DAYS."""
    return timedelta(days=int(current_app.config["REVIEW_INTERVAL_DAYS"]))


def next_review_due(article: Article) -> date | None:
    """The article's own next_review, else last_reviewed plus the policy interval."""
    if article.next_review:
        return article.next_review
    if article.last_reviewed:
        return article.last_reviewed + review_interval()
    return None


def is_review_overdue(article: Article, today: date | None = None) -> bool:
    """Whether the next review date has passed."""
    due = next_review_due(article)
    return due is not None and due < (today or utcnow().date())


@dataclass(frozen=True)
class DueReview:
    """One article whose review falls due within the window asked about."""

    slug: str
    title: str
    last_reviewed: date
    due: date

    def days_left(self, today: date) -> int:
        return (self.due - today).days


def reviews_due(within_days: int, today: date | None = None) -> list[DueReview]:
    """Reviewed, non-draft articles due within `within_days` of today, or overdue; soonest first."""
    today = today or utcnow().date()
    horizon = today + timedelta(days=within_days)
    rows = db.session.execute(
        select(Article.slug, Article.title, Article.last_reviewed, Article.next_review)
        .where(Article.draft.is_(False), Article.last_reviewed.is_not(None))
    ).all()
    interval = review_interval()
    due = [DueReview(slug, title, last, own or last + interval) for slug, title, last, own in rows]
    return sorted((item for item in due if item.due <= horizon), key=lambda item: (item.due, item.slug))


def count_reviews_due(within_days: int, today: date | None = None) -> dict[str, int]:
    """{"overdue": n, "due in N days": m} for `flask stats`."""
    today = today or utcnow().date()
    items = reviews_due(within_days, today)
    overdue = sum(1 for item in items if item.due < today)
    return {"overdue": overdue, f"due within {within_days} days": len(items) - overdue}


@click.command("review-due")
@with_appcontext
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=0),
              help="List articles whose review falls due within this many days (overdue ones always).")
def review_due_command(days: int) -> None:
    """List articles whose next medical review is due soon or overdue, soonest first."""
    today = utcnow().date()
    items = reviews_due(days, today)
    if not items:
        click.echo(f"No article is due for review within {days} days.")
        return
    click.echo(f"{len(items)} article(s) due for review within {days} days or overdue:")
    for item in items:
        left = item.days_left(today)
        when = f"overdue by {-left} day(s)" if left < 0 else ("due today" if left == 0 else f"due in {left} day(s)")
        click.echo(f"  {item.due.isoformat()}  {when:<22}  {item.slug}  (last reviewed {item.last_reviewed.isoformat()})")


def init_app(app) -> None:
    """Check the setting once at start-up (a bad value would otherwise fail page renders) and give templates the helpers."""
    days = app.config.get("REVIEW_INTERVAL_DAYS")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"REVIEW_INTERVAL_DAYS must be a whole number of days, at least 1, not {days!r}")
    app.jinja_env.globals.update(next_review_due=next_review_due, is_review_overdue=is_review_overdue)
