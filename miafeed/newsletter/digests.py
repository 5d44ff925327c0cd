"""Digests: the articles published since a subscriber's last digest.

Exactly once per period: a subscriber's digest mail and the mark "sent for
period P" (last_digest_period) are written in the same transaction, in
batches. A second run in the same period finds nobody left; a run killed
halfway has committed whole batches only, so running it again sends the
rest and repeats no one.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import or_, select

from ..database import write_transaction
from ..extensions import db
from ..http.site_url import absolute_url
from ..clock import utcnow
from ..models import Article, visible_articles
from . import mail, topics
from .corrections import CorrectionPicker
from .frequencies import DEFAULT, look_back, period_key
from .models import ACTIVE, Subscriber

log = logging.getLogger(__name__)

BATCH_SIZE = 200


@dataclass
class DigestSummary:
    """What a `digest send` run did, for its summary line."""

    sent: int = 0
    skipped: int = 0  # nothing new for them: nobody gets an empty digest
    failed: int = 0
    planned: list[tuple[str, int]] = field(default_factory=list)  # (email, article count) in a dry run


@dataclass(frozen=True)
class DigestArticle:
    """What a digest shows of an article, detached from the database session."""

    title: str
    summary: str
    url: str
    category: str
    published_at: datetime
    slug: str = ""  # for on-site links (the sample page); mail uses `url`


class ArticlePicker:
    """The articles for a digest starting at `since`, cached per start time.

    Nearly every subscriber in one run shares a start time (the previous
    run's), so the query and the URL building happen a handful of times,
    not once per subscriber.
    """

    def __init__(self, now: datetime, limit: int):
        self.now = now
        self.limit = limit
        self._cache: dict[tuple, list[tuple[str, list[DigestArticle]]]] = {}
        self.corrections = CorrectionPicker(now)

    def groups(self, since: datetime, category_ids: frozenset[int] | None = None) -> list[tuple[str, list[DigestArticle]]]:
        """Newest first, up to `limit`, grouped by category (the category of the
        newest article first); only the given categories when the reader chose
        topics (None: every category)."""
        key = (since, category_ids)
        if key not in self._cache:
            statement = visible_articles(self.now).where(Article.published_at > since)
            if category_ids is not None:
                statement = statement.where(Article.category_id.in_(category_ids))
            found = db.session.scalars(statement.limit(self.limit)).all()
            grouped: dict[str, list[DigestArticle]] = {}
            for article in found:
                grouped.setdefault(article.category.name, []).append(
                    DigestArticle(
                        title=article.title,
                        summary=article.summary,
                        url=absolute_url("articles.article", slug=article.slug),
                        category=article.category.name,
                        published_at=article.published_at,
                        slug=article.slug,
                    )
                )
            self._cache[key] = list(grouped.items())
        return self._cache[key]


def _pending_ids(frequency: str, key: str) -> list[int]:
    return list(
        db.session.scalars(
            select(Subscriber.id)
            .where(*_still_due(frequency, key))
            .order_by(Subscriber.id)
        ).all()
    )


def _still_due(frequency: str, key: str):
    return (
        Subscriber.status == ACTIVE,
        Subscriber.frequency == frequency,
        or_(Subscriber.last_digest_period.is_(None), Subscriber.last_digest_period != key),
    )


def compose_digest(subscriber: Subscriber, frequency: str, groups, corrections=()) -> dict:
    """One subscriber's digest mail, with List-Unsubscribe headers, and the
    corrections to articles they may have read in an earlier digest."""
    count = sum(len(articles) for _, articles in groups)
    noun = "article" if count == 1 else "articles"
    subject = f"Your {frequency} {current_app.config['SITE_NAME']} digest: {count} new {noun}"
    return mail.compose(subscriber, "digest", subject, list_unsubscribe=True, groups=groups, frequency=frequency, count=count, corrections=corrections)


def send_digests(
    frequency: str,
    now: datetime | None = None,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> DigestSummary:
    """Queue this period's digest for every active subscriber of `frequency`
    who has not had it yet and has something new to read."""
    now = now or utcnow()
    key = period_key(frequency, now)
    picker = ArticlePicker(now, int(current_app.config["DIGEST_MAX_ARTICLES"]))
    summary = DigestSummary()
    ids = _pending_ids(frequency, key)
    db.session.rollback()
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        if dry_run:
            _plan_batch(chunk, frequency, key, now, picker, summary)
        else:
            with write_transaction():
                _send_batch(chunk, frequency, key, now, picker, summary)
            mail.mail_queued.set()
        if on_progress:
            on_progress(len(chunk))
    db.session.rollback()
    return summary


def _subscribers(chunk: list[int], frequency: str, key: str) -> list[Subscriber]:
    # Re-checked inside the transaction: a second run, an unsubscribe or a
    # frequency change since the id list was read all count. FOR UPDATE: on
    # PostgreSQL a second run started at the same moment waits for these rows
    # and then finds them marked sent (SQLite: BEGIN IMMEDIATE).
    return list(
        db.session.scalars(
            select(Subscriber)
            .where(Subscriber.id.in_(chunk), *_still_due(frequency, key))
            .order_by(Subscriber.id)
            .with_for_update()
        ).all()
    )


def _since(subscriber: Subscriber, frequency: str, now: datetime) -> datetime:
    return subscriber.last_digest_at or now - look_back(frequency)


def _plan_batch(chunk, frequency, key, now, picker, summary) -> None:
    subscribers = _subscribers(chunk, frequency, key)
    chosen = topics.chosen_category_ids(subscriber.id for subscriber in subscribers)
    for subscriber in subscribers:
        groups = picker.groups(_since(subscriber, frequency, now), chosen.get(subscriber.id))
        count = sum(len(articles) for _, articles in groups)
        if count:
            summary.planned.append((subscriber.email, count))
            summary.sent += 1
        else:
            summary.skipped += 1


def _send_batch(chunk, frequency, key, now, picker, summary) -> None:
    rows = []
    subscribers = _subscribers(chunk, frequency, key)
    chosen = topics.chosen_category_ids(subscriber.id for subscriber in subscribers)
    for subscriber in subscribers:
        groups = picker.groups(_since(subscriber, frequency, now), chosen.get(subscriber.id))
        if not groups:
            summary.skipped += 1
            continue
        try:
            row = compose_digest(subscriber, frequency, groups, picker.corrections.for_subscriber(subscriber, frequency))
        except Exception:  # one broken mail must not stop everybody else's
            log.exception("Could not compose the digest for subscriber %s", subscriber.id)
            summary.failed += 1
            continue
        # Kept with the mail, so that if it fails for good the period is
        # handed back (see delivery.record_outcome).
        row["digest_period"], row["digest_since"] = key, _since(subscriber, frequency, now)
        rows.append(row)
        subscriber.last_digest_period = key
        subscriber.last_digest_at = now
        summary.sent += 1
    mail.queue(rows)


def sample_groups(now: datetime | None = None) -> tuple[list[tuple[str, list[DigestArticle]]], bool]:
    """The articles a weekly digest would carry now, for the public sample page.

    Returns (groups, is_this_week): the last seven days' articles, or, in a
    quiet week, the latest ones whenever they were published, so the sample
    never shows an empty digest.
    """
    now = now or utcnow()
    picker = ArticlePicker(now, int(current_app.config["DIGEST_MAX_ARTICLES"]))
    groups = picker.groups(now - look_back(DEFAULT))
    if groups:
        return groups, True
    return picker.groups(datetime.min), False
