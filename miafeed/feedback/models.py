"""The one table of reader feedback: "Was this page helpful?" and problem reports.

Nothing in a row says who sent it: no address, no IP, no user agent, and
the day rather than the moment (the rate limiter alone sees the sender's
address, for its one-minute and one-day windows). Rows name the article by
slug, not by id, so a report outlives a re-import that replaces the row,
and `feedback prune` removes them after FEEDBACK_KEEP_DAYS.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

HELPFUL, PROBLEM = "helpful", "problem"


class ReaderFeedback(db.Model):
    """One answer: a yes/no on an article, or a problem report with optional text."""

    __tablename__ = "reader_feedback"
    __table_args__ = (
        # `feedback list --article SLUG` reads one article's rows, newest first.
        Index("ix_reader_feedback_article", "article_slug", "received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_slug: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    # For HELPFUL: True for "yes", False for "no". None on a problem report.
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    received_on: Mapped[date] = mapped_column(Date, index=True)
    # When an editor marked a problem report handled (`feedback handled ID`).
    handled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<ReaderFeedback {self.id} {self.kind} {self.article_slug}>"
