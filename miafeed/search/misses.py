"""Searches that found nothing, counted for the editors: what readers look
for that the site does not have yet (an article to write, a synonym to add).

Only the cleaned query and the day are stored, one row per (query, day) with
a count: nothing about the reader, no address, agent or time of day, so the
table holds no personal data (the privacy page says so). Rows older than
SEARCH_MISS_RETENTION_DAYS are deleted, once a day by the first miss recorded
and whenever `flask search misses` lists them.

Recording runs inside a reader's request, so it must be cheap (one UPDATE,
one INSERT the first time a query misses on a day) and can never fail the
search: a write error is logged and the results are shown anyway.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..extensions import db
from ..clock import utcnow
from ..models import SearchMiss

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 90
MAX_QUERY_CHARS = 200
_PRUNED_ON = "miafeed.search.misses.pruned_on"


def retention_days() -> int:
    return int(current_app.config.get("SEARCH_MISS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def normalised(text: str) -> str:
    """How a query is stored: lowercase, single spaces, capped."""
    return " ".join(text.lower().split())[:MAX_QUERY_CHARS]


def record_miss(text: str) -> None:
    """Count one search for the cleaned query `text` that found nothing today.
    Never raises: a failure is logged and forgotten."""
    text = normalised(text)
    if not text:
        return
    today = utcnow().date()
    try:
        with write_transaction() as session:
            bumped = session.execute(
                update(SearchMiss).where(SearchMiss.query == text, SearchMiss.day == today).values(count=SearchMiss.count + 1)
            ).rowcount
            if not bumped:
                session.execute(insert(SearchMiss).values(query=text, day=today, count=1))
            if current_app.extensions.get(_PRUNED_ON) != today:
                _prune(session, today)
                current_app.extensions[_PRUNED_ON] = today
    except IntegrityError:
        # Another worker inserted the same (query, day) first: count on its row.
        try:
            with write_transaction() as session:
                session.execute(
                    update(SearchMiss).where(SearchMiss.query == text, SearchMiss.day == today).values(count=SearchMiss.count + 1)
                )
        except Exception:
            log.warning("A search that found nothing was not counted.", exc_info=True)
    except Exception:
        log.warning("A search that found nothing was not counted.", exc_info=True)


def _prune(session, today: date) -> int:
    cutoff = today - timedelta(days=retention_days())
    return session.execute(delete(SearchMiss).where(SearchMiss.day < cutoff)).rowcount


def prune() -> int:
    """Delete misses older than the retention period; returns rows deleted."""
    with write_transaction() as session:
        return _prune(session, utcnow().date())


def top_misses(days: int, limit: int = 200) -> list[tuple[str, int]]:
    """(query, searches) that found nothing over the last `days` days (today
    included), most frequent first."""
    since = utcnow().date() - timedelta(days=max(days, 1) - 1)
    total = func.sum(SearchMiss.count)
    rows = db.session.execute(
        select(SearchMiss.query, total.label("total"))
        .where(SearchMiss.day >= since)
        .group_by(SearchMiss.query)
        .order_by(total.desc(), SearchMiss.query)
        .limit(limit)
    )
    return [(query, int(count)) for query, count in rows]
