"""How often a reader may get the digest: the one table of frequencies.

Everything that names the frequencies reads them here: the sign-up and
preferences forms (choices and the error text), `digest send --frequency`,
`flask stats`, the privacy and sample-digest pages (the `frequencies_in_words`
template global) and the deploy kit's test, which wants one timer per row.

A row says how a digest of that frequency is sent:

* `period`: the name of the period a moment falls in. A subscriber gets at
  most one digest per period (digests.py keeps the last one sent), so a
  timer may fire more often than the period: the fortnightly timer runs
  every Monday and the second Monday of a pair sends nothing new.
* `look_back`: how far a subscriber's first digest looks back.

Adding a frequency: a row here, and a timer in deploy/systemd/ named
miafeed-digest-NAME.timer (tests/system/test_deploy_kit.py checks both agree).
The stored name must fit Subscriber.frequency (String(20)).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable


def _iso_week(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def _iso_fortnight(now: datetime) -> str:
    # Weeks 1-2, 3-4, ... of the ISO year; a 53rd week stands alone.
    year, week, _ = now.isocalendar()
    return f"{year}-W{week - (week - 1) % 2:02d}"


@dataclass(frozen=True)
class Frequency:
    """One choice of "How often would you like updates?"."""

    name: str  # stored, posted by the forms, given to `digest send --frequency`
    look_back: timedelta
    period: Callable[[datetime], str]

    @property
    def label(self) -> str:
        return self.name.capitalize()


TABLE: tuple[Frequency, ...] = (
    Frequency("daily", timedelta(days=1), lambda now: f"{now:%Y-%m-%d}"),
    Frequency("weekly", timedelta(days=7), _iso_week),
    Frequency("fortnightly", timedelta(days=14), _iso_fortnight),
    Frequency("monthly", timedelta(days=30), lambda now: f"{now:%Y-%m}"),
)
FREQUENCIES: tuple[str, ...] = tuple(frequency.name for frequency in TABLE)
BY_NAME: dict[str, Frequency] = {frequency.name: frequency for frequency in TABLE}
# What a new subscriber is offered first, and the one the sample page shows.
DEFAULT = "weekly"
# The longest stored name the subscribers table takes (migration 0016).
MAX_NAME_LENGTH = 20


def in_words(other_than: str | None = None) -> str:
    """The frequencies as a sentence names them, "daily, weekly, fortnightly
    or monthly", leaving out `other_than` (the templates call this as
    `frequencies_in_words`)."""
    names = [name for name in FREQUENCIES if name != other_than]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def period_key(frequency: str, now: datetime) -> str:
    """The name of the period `now` falls in, e.g. daily:2026-11-25,
    weekly:2026-W48, fortnightly:2026-W47 (weeks 47 and 48), monthly:2026-11."""
    try:
        row = BY_NAME[frequency]
    except KeyError:
        raise ValueError(f"frequency must be one of {FREQUENCIES}") from None
    return f"{row.name}:{row.period(now)}"


def look_back(frequency: str) -> timedelta:
    """How far back a first digest of `frequency` looks."""
    return BY_NAME[frequency].look_back
