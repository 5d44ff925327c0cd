"""The suite's one clock. Every date a test writes is derived from NOW.

NOW is read once, when the test session starts: under `faketime '+400 days'`
it is the faked day, so a date written as "two days before NOW" stays two days
old on any day the suite runs, and a literal calendar day (which silently
turns into "long ago" or "in the future" as the calendar moves) is never
needed. Tests that must hold time still, or move it, use the `clock` fixture
(conftest.py), which travels with time-machine so that the application's own
`utcnow()` reads the same instant.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

# Naive UTC to the second, the form every column stores (miafeed.clock.utcnow).
NOW: datetime = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def moment(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    """NOW moved by the given amounts (negative for the past)."""
    return NOW + timedelta(days=days, hours=hours, minutes=minutes)


def day(days: int = 0) -> date:
    """The calendar day `days` from NOW's day (negative for the past)."""
    return NOW.date() + timedelta(days=days)


def iso_day(days: int = 0) -> str:
    """`day()` as front matter writes it: YYYY-MM-DD."""
    return day(days).isoformat()
