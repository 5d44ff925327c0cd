"""Lay and clinical words find each other: the editors' synonym groups, as
search uses them.

The groups come from content/synonyms.yml through the import into the
database (content/synonyms.py checks and stores them). They widen a query,
never the index: "heart attack" is searched as (heart attack) OR "myocardial
infarction" OR MI, and ranking puts articles with the reader's own words
first (querying.run_search). Because nothing indexed depends on the list, an
edited list needs no reindex: it reaches this host's workers at once (the
import's content_changed signal) and other hosts within REFRESH_SECONDS.

Terms are compared as the index's stems, so "heart attacks", "Heart-attack"
and the British spelling of a clinical word all meet their group.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import db
from ..models import SearchSynonym
from .matching import analyse

# How long a worker trusts its copy of the list before reading it again (the
# import on another host changes it without telling this one).
REFRESH_SECONDS = 30.0
EXTENSION = "miafeed.search.synonyms"


@dataclass(frozen=True)
class Span:
    """Query tokens [start, end) that name a synonym group, and its other terms."""

    start: int
    end: int
    alternatives: tuple[tuple[str, ...], ...]  # stem sequences of the group's other terms


class SynonymTable:
    """Stem sequences to groups, and the longest term (in stems) to look for."""

    def __init__(self, groups: list[list[str]]):
        self.group_of: dict[tuple[str, ...], int] = {}
        self.members: list[tuple[tuple[str, ...], ...]] = []
        for terms in groups:
            stems = []
            for term in terms:
                analysed = tuple(analyse(term))
                # The first group to claim a stem sequence keeps it (the file
                # check stops plain duplicates; this covers spelling variants).
                if analysed and analysed not in self.group_of and analysed not in stems:
                    stems.append(analysed)
            if len(stems) < 2:
                continue
            number = len(self.members)
            self.members.append(tuple(stems))
            for analysed in stems:
                self.group_of[analysed] = number
        self.longest = max((len(s) for s in self.group_of), default=0)

    def __len__(self) -> int:
        return len(self.members)

    def spans(self, tokens: list[str]) -> list[Span]:
        """The groups named in a query's tokens, longest match first, left to
        right. Quoted phrases (tokens starting with '"') are the reader's exact
        words and never widened."""
        if not self.group_of:
            return []
        stems = [() if token.startswith('"') else tuple(analyse(token)) for token in tokens]
        found: list[Span] = []
        i = 0
        while i < len(tokens):
            if not stems[i]:
                i += 1
                continue
            match = None
            words: tuple[str, ...] = ()
            for j in range(i, len(tokens)):
                if tokens[j].startswith('"'):
                    break
                words += stems[j]
                if len(words) > self.longest:
                    break
                group = self.group_of.get(words)
                if group is not None and stems[j]:
                    match = (j + 1, group, words)
            if match is None:
                i += 1
                continue
            end, group, own = match
            found.append(Span(i, end, tuple(s for s in self.members[group] if s != own)))
            i = end
        return found


class _Cached:
    def __init__(self):
        self.lock = threading.Lock()
        self.table: SynonymTable | None = None
        self.read_at = 0.0


def current_table() -> SynonymTable:
    """This app's synonym table, read from the database at most every
    REFRESH_SECONDS (and at once after an import on this host)."""
    cached: _Cached = current_app.extensions.setdefault(EXTENSION, _Cached())
    now = time.monotonic()
    table = cached.table
    if table is not None and now - cached.read_at < REFRESH_SECONDS:
        return table
    with cached.lock:
        if cached.table is None or now - cached.read_at >= REFRESH_SECONDS:
            rows = db.session.scalars(select(SearchSynonym.terms).order_by(SearchSynonym.position))
            cached.table = SynonymTable([json.loads(row) for row in rows])
            cached.read_at = time.monotonic()
        return cached.table


def forget(app: Flask) -> None:
    """Drop this process's copy, so the next search reads the list again."""
    cached = app.extensions.get(EXTENSION)
    if cached is not None:
        cached.table = None
