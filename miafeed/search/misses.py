"""Searches that found nothing, counted for the editors: what readers look
for that the site does not have yet (an article to write, a synonym to add).

What is kept is a topic, never a person's words:
- a query that looks like personal data (any digit, an email or web
  address: miss_privacy.py) is not recorded at all;
- a query is kept as text only once SEARCH_MISS_MIN_SEARCHES searches
  asked it within SEARCH_MISS_WAIT_DAYS. Until then only a keyed hash of
  it (HMAC-SHA256 under a key derived from SECRET_KEY, 16 bytes) and a
  count are stored, and the hash is deleted when its wait is over. One
  reader's own "jane doe hiv positive" is never written as words, unless
  they send it that many times;
- at most SEARCH_MISS_DAILY_ROWS new rows (kept queries and hashes
  together) are added per day, so junk queries cannot grow the database
  without bound; past the cap, new queries are not recorded that day
  (queries already kept are still counted).

Kept queries are stored one row per (query, day) with a count, nothing
about the reader (no address, agent or time of day), and deleted after
SEARCH_MISS_RETENTION_DAYS, once a day by the first miss recorded and
whenever `flask search misses` lists them.

Recording runs inside a reader's request, so it must be cheap (a few
indexed statements in one write transaction) and can never fail the
search: a write error is logged and the results are shown anyway.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..extensions import db
from ..clock import utcnow
from ..models import SearchMiss
from .miss_models import SearchMissCandidate
from .miss_privacy import may_keep

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
_PRUNED_ON = "miafeed.search.misses.pruned_on"
_CAPPED_ON = "miafeed.search.misses.capped_on"


def retention_days() -> int:
    return int(current_app.config["SEARCH_MISS_RETENTION_DAYS"])


def normalised(text: str) -> str:
    """How a query is stored: lowercase, single spaces, capped."""
    return " ".join(text.lower().split())[:MAX_QUERY_CHARS]


def _digest(text: str) -> bytes:
    key = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), b"miafeed search miss", hashlib.sha256).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).digest()[:16]


def record_miss(text: str) -> None:
    """Count one search for the cleaned query `text` that found nothing today.
    Never raises: a failure is logged and forgotten."""
    text = normalised(text)
    if not text or not may_keep(text):
        return
    today = utcnow().date()
    try:
        with write_transaction() as session:
            _count(session, text, today)
            if current_app.extensions.get(_PRUNED_ON) != today:
                _prune(session, today)
                current_app.extensions[_PRUNED_ON] = today
    except IntegrityError:
        # Another worker inserted the same row first: count on its row.
        try:
            with write_transaction() as session:
                _count(session, text, today)
        except Exception:
            log.warning("A search that found nothing was not counted.", exc_info=True)
    except Exception:
        log.warning("A search that found nothing was not counted.", exc_info=True)


def _count(session, text: str, today: date) -> None:
    config = current_app.config
    bumped = session.execute(
        update(SearchMiss).where(SearchMiss.query == text, SearchMiss.day == today).values(count=SearchMiss.count + 1)
    ).rowcount
    if bumped:
        return
    already_kept = session.scalar(select(exists().where(SearchMiss.query == text)))
    if already_kept:  # asked by several before: a new day's row for it
        if _room_today(session, today):
            session.execute(insert(SearchMiss).values(query=text, day=today, count=1))
        return
    digest = _digest(text)
    waiting = session.get(SearchMissCandidate, digest)
    if waiting is None:
        if _room_today(session, today):
            session.add(SearchMissCandidate(digest=digest, first_day=today, count=1))
        return
    waiting.count += 1
    if waiting.count >= int(config["SEARCH_MISS_MIN_SEARCHES"]):
        # Several searches asked it: a topic now, kept as words, counted
        # from here with every search it took to get here.
        session.execute(insert(SearchMiss).values(query=text, day=today, count=waiting.count))
        session.delete(waiting)


def _room_today(session, today: date) -> bool:
    """True while today has added fewer rows than SEARCH_MISS_DAILY_ROWS."""
    added = session.scalar(select(func.count()).select_from(SearchMiss).where(SearchMiss.day == today)) or 0
    added += session.scalar(select(func.count()).select_from(SearchMissCandidate).where(SearchMissCandidate.first_day == today)) or 0
    cap = int(current_app.config["SEARCH_MISS_DAILY_ROWS"])
    if added < cap:
        return True
    if current_app.extensions.get(_CAPPED_ON) != today:
        current_app.extensions[_CAPPED_ON] = today
        log.warning("Searches that found nothing: today's cap of %d new rows is reached; new queries are not recorded until tomorrow.", cap)
    return False


def _prune(session, today: date) -> int:
    cutoff = today - timedelta(days=retention_days())
    waited = today - timedelta(days=int(current_app.config["SEARCH_MISS_WAIT_DAYS"]))
    session.execute(delete(SearchMissCandidate).where(SearchMissCandidate.first_day <= waited))
    return session.execute(delete(SearchMiss).where(SearchMiss.day < cutoff)).rowcount


def prune() -> int:
    """Delete misses older than the retention period, and hashes whose wait
    is over; returns the kept misses deleted."""
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
