"""The table behind the miss record's waiting room (misses.py): a query
seen too few times to be kept as text is held only as a keyed hash."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class SearchMissCandidate(db.Model):
    """A query that found nothing, not yet asked SEARCH_MISS_MIN_SEARCHES
    times: its keyed hash (never the words), how often, and the day it was
    first asked. Deleted once the query is kept as text, or after
    SEARCH_MISS_WAIT_DAYS."""

    __tablename__ = "search_miss_candidates"

    digest: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date, index=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
