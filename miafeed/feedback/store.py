"""Record, list, mark handled and prune reader feedback.

The views and the CLI both go through here, so what is kept (and for how
long) is decided in one place. Every new answer also prunes what has
outlived FEEDBACK_KEEP_DAYS, in the same transaction: one indexed DELETE
that usually touches nothing, so retention holds even where nobody runs
`feedback prune` from cron.

Every write goes through write_transaction, like sign-ups: it takes the
write lock up front and waits for it, so answers sent while other readers'
searches record misses are kept, and a write the database cannot take now
is refused with WriteUnavailable (503) instead of a 500 and a lost answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..database import write_transaction
from ..extensions import db
from ..clock import utcnow
from .models import HELPFUL, PROBLEM, ReaderFeedback

# A problem report is a note, not a letter; the form says so and caps it too.
MAX_TEXT_LENGTH = 1000


def today() -> date:
    """The UTC day an answer is filed under (the only time stored with it)."""
    return utcnow().date()


def record_helpful(article_slug: str, helpful: bool) -> ReaderFeedback:
    """Store one "Was this page helpful?" answer."""
    return _record(ReaderFeedback(article_slug=article_slug, kind=HELPFUL, helpful=helpful, text=""))


def record_problem(article_slug: str, text: str) -> ReaderFeedback:
    """Store one problem report; `text` may be empty (the reader only flagged the page)."""
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"problem text over {MAX_TEXT_LENGTH} characters")
    return _record(ReaderFeedback(article_slug=article_slug, kind=PROBLEM, helpful=None, text=text))


def _record(entry: ReaderFeedback) -> ReaderFeedback:
    entry.received_on = today()
    with write_transaction() as session:
        session.add(entry)
        _delete_expired()
    return entry


def keep_days() -> int:
    return int(current_app.config["FEEDBACK_KEEP_DAYS"])


def _delete_expired() -> int:
    cutoff = today() - timedelta(days=keep_days())
    return db.session.execute(delete(ReaderFeedback).where(ReaderFeedback.received_on < cutoff)).rowcount or 0


def prune() -> int:
    """Delete every answer older than FEEDBACK_KEEP_DAYS; how many went."""
    with write_transaction():
        return _delete_expired()


@dataclass
class ArticleFeedback:
    """One article's answers, newest first, with the counts an editor reads first."""

    slug: str
    entries: list[ReaderFeedback] = field(default_factory=list)

    @property
    def yes(self) -> int:
        return sum(1 for entry in self.entries if entry.kind == HELPFUL and entry.helpful)

    @property
    def no(self) -> int:
        return sum(1 for entry in self.entries if entry.kind == HELPFUL and not entry.helpful)

    @property
    def problems(self) -> list[ReaderFeedback]:
        return [entry for entry in self.entries if entry.kind == PROBLEM]

    @property
    def open_problems(self) -> int:
        return sum(1 for entry in self.problems if entry.handled_at is None)


def feedback_by_article(article_slug: str | None = None) -> list[ArticleFeedback]:
    """Every kept answer grouped by article; the article with the newest answer first."""
    statement = select(ReaderFeedback).order_by(ReaderFeedback.received_on.desc(), ReaderFeedback.id.desc())
    if article_slug is not None:
        statement = statement.where(ReaderFeedback.article_slug == article_slug)
    groups: dict[str, ArticleFeedback] = {}
    for entry in db.session.scalars(statement):
        groups.setdefault(entry.article_slug, ArticleFeedback(entry.article_slug)).entries.append(entry)
    return list(groups.values())


class NotAProblemReport(LookupError):
    """The id names no problem report (unknown, or a yes/no answer)."""


def mark_handled(feedback_id: int) -> tuple[ReaderFeedback, bool]:
    """Mark a problem report handled; (the report, whether it was open until now)."""
    with write_transaction() as session:
        entry = session.get(ReaderFeedback, feedback_id)
        was_open = _mark(entry, feedback_id)
    return entry, was_open


def _mark(entry: ReaderFeedback | None, feedback_id: int) -> bool:
    if entry is None:
        raise NotAProblemReport(f"There is no feedback #{feedback_id} (it may have been pruned after {keep_days()} days).")
    if entry.kind != PROBLEM:
        raise NotAProblemReport(f"Feedback #{feedback_id} is a yes/no answer, not a problem report: nothing to handle.")
    was_open = entry.handled_at is None
    if was_open:
        entry.handled_at = utcnow()
    return was_open
