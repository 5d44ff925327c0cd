"""Keep this host's search index in step with the database's change log.

The import writes one `search_changes` row per changed article in its own
transaction (content/changelog.py). Every host applies, in order, the rows
after the last one it applied, re-reading each article as it is now (so
applying a change twice, or late, still leaves the right document), and
records how far it got in `<instance>/search/follow.json`.

Numbers that are missing are not skipped for good: on PostgreSQL a
transaction that took number 7 may commit after the one that took 8, so a
missing number is remembered as a gap and looked for again on every pass
until it appears or SEARCH_GAP_GRACE_SECONDS pass (then it was a rolled-back
import). A host with no index or no recorded position (a new host, an empty
instance folder) builds its index from the database first, then follows.

One follower at a time per host: `follow.lock` in the search folder. The
import and `search reindex` wait for it; the background thread in the
gunicorn workers (SEARCH_FOLLOW_IN_WEB) and `flask search follow` take turns
with them. Whoosh's own one-writer rule is kept by store.write_lock, which
the indexing functions take as before.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, or_, select, true

from ..background import BackgroundLoop
from ..content import version as content_version
from ..extensions import db
from ..hosts import heartbeat
from ..clock import utcnow
from ..models import SearchChange
from . import indexing, store

log = logging.getLogger(__name__)

POSITION_FILE = "follow.json"
LOCK_FILE = "follow.lock"
# Changes read and applied per step; the position is saved after each.
BATCH = 1000
# A position is saved at least this often even when nothing changed, so
# "how long since this host read the log" stays known.
SAVE_IDLE_SECONDS = 60
# Gaps remembered at most (the newest ones); many more would mean the log
# was rewritten, and the grace period ends them anyway.
MAX_GAPS = 10_000


class FollowerBusy(Exception):
    """Another process of this host is applying the log right now."""


@dataclass
class Position:
    """How far this host's index has followed the log."""

    last_seq: int
    # Missing numbers at or below last_seq, with the time each was first missed.
    gaps: dict[int, float] = field(default_factory=dict)
    read_at: float = 0.0  # when the log was last read (time.time())

    def to_json(self) -> str:
        return json.dumps({"last_seq": self.last_seq, "gaps": {str(k): v for k, v in self.gaps.items()},
                           "read_at": self.read_at})

    @classmethod
    def from_json(cls, text: str) -> "Position":
        data = json.loads(text)
        return cls(int(data["last_seq"]), {int(k): float(v) for k, v in data.get("gaps", {}).items()},
                   float(data.get("read_at", 0)))


@dataclass
class FollowReport:
    """What one catch-up did."""

    applied: int = 0  # change rows applied
    rebuilt: bool = False
    position: int = 0
    rebuild: indexing.RebuildReport | None = None


def read_position(root: Path) -> Position | None:
    """This host's recorded position, or None (never followed, or unreadable)."""
    try:
        return Position.from_json((root / POSITION_FILE).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_position(root: Path, position: Position) -> None:
    root.mkdir(parents=True, exist_ok=True)
    temporary = root / f".{POSITION_FILE}.{os.getpid()}.{threading.get_ident()}"
    temporary.write_text(position.to_json())
    os.replace(temporary, root / POSITION_FILE)


@contextmanager
def follower_lock(root: Path, wait: bool = True):
    """Be this host's only follower for the block; FollowerBusy when `wait` is
    False and another process is following."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as busy:
            raise FollowerBusy() from busy
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def catch_up(wait: bool = True) -> FollowReport:
    """Apply every change logged after this host's position (building the
    index from the database first when the host has none)."""
    root = store.search_root()
    with follower_lock(root, wait):
        heartbeat()  # the one process per host that follows also says which code the host runs
        position = read_position(root)
        if _needs_rebuild(root, position):
            return _rebuild_locked(root, procs=1)
        report = _apply_pending(root, position)
    if report.applied:
        # This host's kept pages and search results were made from the old
        # index: they stop matching now, not when their time runs out.
        content_version.bump()
    return report


def rebuild_index(progress=None, procs: int | None = None) -> FollowReport:
    """Rebuild the index from the database (`search reindex`) and record the
    log position it reflects, so following resumes from there."""
    root = store.search_root()
    with follower_lock(root, wait=True):
        return _rebuild_locked(root, progress=progress, procs=procs)


def _needs_rebuild(root: Path, position: Position | None) -> bool:
    if position is None or store.current_index_dir(root) is None:
        return True
    if not indexing.schema_is_current(root):
        # Written by an older release (other fields or analysis): applying
        # changes to it would fail or mix two analyses.
        return True
    # Away nearly as long as the log keeps changes: some may be pruned.
    keep_seconds = float(current_app.config["SEARCH_CHANGES_KEEP_DAYS"]) * 86400
    return time.time() - position.read_at > keep_seconds - 3600


def _rebuild_locked(root: Path, progress=None, procs: int | None = None) -> FollowReport:
    # The position is read BEFORE the articles: whatever commits meanwhile is
    # either in the rebuilt index already or applied again afterwards.
    position = _snapshot()
    report = indexing.rebuild(progress=progress, procs=procs)
    _save_position(root, position)
    content_version.bump()
    return FollowReport(rebuilt=True, position=position.last_seq, rebuild=report)


def _snapshot() -> Position:
    """The log's current end, with the numbers below it that may still commit."""
    now = time.time()
    last = db.session.scalar(select(func.max(SearchChange.seq))) or 0
    # Numbers below a row older than the grace period belong to transactions
    # that began before it: long finished, so never gaps.
    grace = float(current_app.config["SEARCH_GAP_GRACE_SECONDS"])
    settled = db.session.scalar(
        select(func.max(SearchChange.seq)).where(SearchChange.changed_at < utcnow() - timedelta(seconds=grace))
    ) or 0
    floor = max(settled, last - MAX_GAPS)
    present = set(db.session.scalars(select(SearchChange.seq).where(SearchChange.seq > floor)))
    gaps = {seq: now for seq in range(floor + 1, last + 1) if seq not in present}
    return Position(last_seq=last, gaps=gaps, read_at=now)


def _pending_condition(position: Position | None):
    if position is None:
        return true()
    condition = SearchChange.seq > position.last_seq
    if position.gaps:
        condition = or_(condition, SearchChange.seq.in_(sorted(position.gaps)))
    return condition


def _apply_pending(root: Path, position: Position) -> FollowReport:
    now = time.time()
    grace = float(current_app.config["SEARCH_GAP_GRACE_SECONDS"])
    gaps = {seq: seen for seq, seen in position.gaps.items() if now - seen < grace}
    changed = gaps != position.gaps
    current = Position(position.last_seq, gaps, position.read_at)
    report = FollowReport(position=current.last_seq)
    while True:
        rows = db.session.execute(
            select(SearchChange.seq, SearchChange.article_id)
            .where(_pending_condition(current))
            .order_by(SearchChange.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        seqs = {row.seq for row in rows}
        top = max(current.last_seq, max(seqs))
        for seq in seqs:
            gaps.pop(seq, None)
        for seq in range(current.last_seq + 1, top + 1):
            if seq not in seqs:
                gaps[seq] = now
        if len(gaps) > MAX_GAPS:
            gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
        # The newest state of each article, once, whatever the order of its rows.
        indexing.update_articles(list(dict.fromkeys(row.article_id for row in rows)))
        current = Position(top, dict(gaps), now)
        _save_position(root, current)
        report.applied += len(rows)
        report.position = top
        changed = False
        if len(rows) < BATCH:
            break
    if changed or now - current.read_at > SAVE_IDLE_SECONDS:
        _save_position(root, Position(current.last_seq, gaps, now))
    db.session.rollback()
    return report


@dataclass
class Lag:
    """How far behind the log this host's index is."""

    changes: int  # logged changes not applied yet
    seconds: float  # age of the oldest of them (0 when none)
    position: int | None


def index_lag() -> Lag:
    """Count the changes this host has not applied, and how old the oldest is."""
    position = read_position(store.search_root())
    count, oldest = db.session.execute(
        select(func.count(SearchChange.seq), func.min(SearchChange.changed_at)).where(_pending_condition(position))
    ).one()
    seconds = max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0
    return Lag(changes=count or 0, seconds=seconds, position=position.last_seq if position else None)


def lag_health() -> dict:
    """The /healthz entry: the lag, and "ok" or "behind" against SEARCH_MAX_LAG_SECONDS."""
    limit = float(current_app.config["SEARCH_MAX_LAG_SECONDS"])
    try:
        lag = index_lag()
    except Exception:  # the database check reports the cause
        db.session.rollback()
        return {"status": "unknown", "max_seconds": limit}
    return {
        "status": "ok" if lag.seconds <= limit else "behind",
        "changes_behind": lag.changes,
        "seconds_behind": round(lag.seconds, 1),
        "position": lag.position,
        "max_seconds": limit,
    }


class BackgroundFollower(BackgroundLoop):
    """A daemon thread that applies the log every SEARCH_FOLLOW_SECONDS,
    the first time as soon as the worker starts.

    Every gunicorn worker runs one; the follower lock lets one of them work
    at a time and the others skip their turn.
    """

    STOP_SECONDS = 5

    def __init__(self, app):
        super().__init__(app, name="miafeed-search-follow", interval=float(app.config["SEARCH_FOLLOW_SECONDS"]),
                         failure="Following the search change log failed; will try again", pass_at_start=True)

    def one_pass(self) -> None:
        try:
            report = catch_up(wait=False)
        except FollowerBusy:
            return
        if report.rebuilt or report.applied:
            log.info("Search index followed the log to %s (%s changes%s)", report.position, report.applied,
                     ", rebuilt" if report.rebuilt else "")


def start_background_follower(app) -> BackgroundFollower | None:
    """Start the follower thread unless SEARCH_FOLLOW_IN_WEB is off."""
    if not app.config.get("SEARCH_FOLLOW_IN_WEB"):
        return None
    return BackgroundFollower(app).start()
