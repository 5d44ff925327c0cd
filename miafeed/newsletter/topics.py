"""Topics: the categories a reader wants in their digest (all by default).

Stored as rows of subscriber_topics; no rows means every category, so a
category added next year reaches readers who never narrowed their choice.
A reader who ticks every box is stored the same way, as "all".
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select

from ..database import insert_ignoring_conflicts
from ..extensions import db
from ..models import Category, categories_in_order
from .models import Subscriber, SubscriberTopic


def all_categories() -> list[Category]:
    """Every category, in the site's navigation order: the choices offered."""
    return categories_in_order()


def chosen_category_ids(subscriber_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """For each subscriber who narrowed their topics, the category ids they
    chose; subscribers missing from the answer get every category."""
    subscriber_ids = list(subscriber_ids)
    chosen: dict[int, set[int]] = {}
    if subscriber_ids:
        rows = db.session.execute(
            select(SubscriberTopic.subscriber_id, SubscriberTopic.category_id).where(
                SubscriberTopic.subscriber_id.in_(subscriber_ids)
            )
        )
        for subscriber_id, category_id in rows:
            chosen.setdefault(subscriber_id, set()).add(category_id)
    return {subscriber_id: frozenset(ids) for subscriber_id, ids in chosen.items()}


def chosen_categories(subscriber: Subscriber) -> list[Category]:
    """The categories this reader's digest covers (every one by default)."""
    ids = chosen_category_ids([subscriber.id]).get(subscriber.id)
    return [category for category in all_categories() if ids is None or category.id in ids]


def set_topics(subscriber: Subscriber, category_ids: Iterable[int]) -> None:
    """Replace the reader's topics, in the caller's write transaction.

    Every existing category chosen (or none given) is stored as "all".
    Ids of categories that do not exist are ignored.
    """
    wanted = set(category_ids)
    existing = set(db.session.scalars(select(Category.id)))
    wanted &= existing
    db.session.execute(delete(SubscriberTopic).where(SubscriberTopic.subscriber_id == subscriber.id))
    if wanted and wanted != existing:
        db.session.execute(
            insert(SubscriberTopic),
            [{"subscriber_id": subscriber.id, "category_id": category_id} for category_id in sorted(wanted)],
        )


def readers_choosing(category_id: int) -> int:
    """How many readers narrowed their digest to topics including this category."""
    return db.session.scalar(
        select(func.count()).select_from(SubscriberTopic).where(SubscriberTopic.category_id == category_id)
    ) or 0


def move_topics(from_category_id: int, to_category_id: int) -> int:
    """Readers who chose one category now choose another (in the caller's
    write transaction), before the first is deleted: its rows would go
    with it (ON DELETE CASCADE), and a reader left with no rows gets every
    category. Returns how many readers were moved."""
    movers = list(db.session.scalars(select(SubscriberTopic.subscriber_id).where(SubscriberTopic.category_id == from_category_id)))
    for subscriber_id in movers:
        insert_ignoring_conflicts(SubscriberTopic.__table__, {"subscriber_id": subscriber_id, "category_id": to_category_id},
                                  ["subscriber_id", "category_id"])
    db.session.execute(delete(SubscriberTopic).where(SubscriberTopic.category_id == from_category_id))
    return len(movers)
