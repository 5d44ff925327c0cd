"""The search change log, written in the import's own transaction.

Every host keeps its own search index and follows this log (see
search/follow.py). Writing the log rows in the same transaction as the
articles means a host can trust it: a committed change always has its row,
a rolled-back import leaves none.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Iterable

from flask import current_app
from sqlalchemy import delete, func, insert, select

from ..extensions import db
from ..clock import utcnow
from ..models import SearchChange


def record_search_changes(indexed_ids: Iterable[int], deleted_ids: Iterable[int]) -> None:
    """Log that these articles changed (added, updated) or were deleted.

    Call inside the write transaction that makes the change. Old rows are
    pruned here too (see SEARCH_CHANGES_KEEP_DAYS): a host that has been away
    longer than that rebuilds its index instead of reading the log.
    """
    now = utcnow()
    rows = [{"article_id": article_id, "action": "index", "changed_at": now} for article_id in dict.fromkeys(indexed_ids)]
    rows += [{"article_id": article_id, "action": "delete", "changed_at": now} for article_id in dict.fromkeys(deleted_ids)]
    if not rows:
        return
    _prune(now)
    db.session.execute(insert(SearchChange), rows)


def _prune(now) -> None:
    keep = timedelta(days=float(current_app.config["SEARCH_CHANGES_KEEP_DAYS"]))
    # The newest row always stays, so the sequence never restarts below a
    # position some host has already recorded.
    newest = select(func.max(SearchChange.seq)).scalar_subquery()
    db.session.execute(delete(SearchChange).where(SearchChange.changed_at < now - keep, SearchChange.seq < newest))
