"""Corrections for a digest: fixes to articles a subscriber may have read in
an earlier digest, made since their last one.

A correction counts from the moment the import first recorded it
(ArticleCorrection.recorded_at), not from the date written on it, so a note
dated last week but added today still reaches everyone who had the article.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from ..extensions import db
from ..http.site_url import absolute_url
from ..models import Article, ArticleCorrection
from .frequencies import look_back


@dataclass(frozen=True)
class DigestCorrection:
    """What a digest shows of a correction, detached from the database session."""

    title: str
    url: str
    dated: date
    note: str
    published_at: datetime


class CorrectionPicker:
    """Corrections per subscriber, with one query per distinct last-digest time
    (nearly every subscriber of a run shares one)."""

    def __init__(self, now: datetime):
        self.now = now
        self._cache: dict[datetime, list[DigestCorrection]] = {}

    def _since(self, last_digest_at: datetime) -> list[DigestCorrection]:
        if last_digest_at not in self._cache:
            rows = db.session.execute(
                select(ArticleCorrection, Article.slug, Article.title, Article.published_at)
                .join(Article, Article.id == ArticleCorrection.article_id)
                .where(
                    ArticleCorrection.recorded_at > last_digest_at,
                    ArticleCorrection.recorded_at <= self.now,
                    Article.draft.is_(False),
                    # Only articles that were out when that digest was sent.
                    Article.published_at <= last_digest_at,
                )
                .order_by(ArticleCorrection.dated.desc(), ArticleCorrection.id.desc())
            ).all()
            self._cache[last_digest_at] = [
                DigestCorrection(title, absolute_url("articles.article", slug=slug), correction.dated, correction.note, published)
                for correction, slug, title, published in rows
            ]
        return self._cache[last_digest_at]

    def for_subscriber(self, subscriber, frequency: str) -> list[DigestCorrection]:
        """Corrections to articles this subscriber's earlier digests could have carried."""
        if subscriber.last_digest_at is None:
            return []  # no earlier digest, so nothing they read from us can have changed
        # Their first digest looked back one period from when it was sent,
        # which was after they confirmed.
        joined = subscriber.confirmed_at or subscriber.created_at
        earliest = joined - look_back(frequency)
        return [c for c in self._since(subscriber.last_digest_at) if c.published_at > earliest]
