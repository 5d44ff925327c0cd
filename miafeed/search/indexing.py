"""Writing the index: per-import updates and full rebuilds, from the database.

Only the import (through the `content_changed` signal) and `flask search
reindex` call these; web workers never write.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Article
from . import snippets, store, workers
from .engine import index

# Rebuilds read the database in batches so 100,000 articles never sit in
# memory at once.
BATCH = 500

# Bump when the schema or the documents change, so `search ensure` rebuilds.
SCHEMA_VERSION = 5


def article_document(article: Article) -> dict:
    """The index document of one article (drafts are never indexed)."""
    # Spelling suggestions come from titles, summaries and tags only: those
    # are the words readers search for, and analysing every body a second
    # time (unstemmed) nearly doubled the build time.
    text_parts = (article.title, article.summary, " ".join(t.name for t in article.tags))
    return {
        "id": str(article.id),
        "content": content_text(article.title, " ".join(tag.name for tag in article.tags), article.summary, article.body_text),
        "spell": " ".join(text_parts),
        "category": article.category.slug,
        "published": article.published_at,
        "sentences": snippets.sentence_table(article.body_html),
    }


def content_text(title: str, tags: str, summary: str, body: str) -> str:
    """The searchable text of an article, title and tags repeated to weigh more."""
    return "\n".join((title, title, title, tags, tags, summary, body))


def _indexable(article: Article | None) -> bool:
    # Future-dated articles are indexed and hidden at query time by a date
    # filter, so they appear on their day without a reindex.
    return article is not None and not article.draft


@dataclass
class RebuildReport:
    """What a rebuild did: documents indexed, seconds taken, the new folder."""

    documents: int
    seconds: float
    path: str
    procs: int


def update_articles(article_ids: Iterable[int], removed_ids: Iterable[int] = ()) -> int:
    """Bring the index up to date for these article ids; returns documents written.

    Added and updated articles are (re)written, drafts and removed ones are
    deleted. With no index yet, builds the whole index instead, since an
    index holding only the changed articles would be wrong.
    """
    root = store.search_root()
    ids = sorted(set(article_ids))
    removed = sorted(set(removed_ids))
    with store.write_lock(root):
        if store.current_index_dir(root) is None:
            return _rebuild_locked(root, procs=1).documents
        ix = store.open_current(root)
        articles = {a.id: a for a in _load(ids)}
        writer = ix.writer(timeout=30.0)
        written = 0
        try:
            for article_id in removed:
                writer.delete_by_term("id", str(article_id))
            for article_id in ids:
                article = articles.get(article_id)
                if _indexable(article):
                    writer.update_document(**article_document(article))
                    written += 1
                else:
                    writer.delete_by_term("id", str(article_id))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        _record_state(root)
        return written


def rebuild(progress: Callable[[int, int], None] | None = None, procs: int | None = None) -> RebuildReport:
    """Rebuild the whole index from the database into a new folder, then swap it in.

    `progress(done, total)` is called as documents are added. `procs` > 1
    lets Whoosh analyse in that many processes (default: SEARCH_WRITER_PROCS).
    """
    root = store.search_root()
    procs = procs or int(current_app.config["SEARCH_WRITER_PROCS"])
    with store.write_lock(root) as lock_fd:
        return _rebuild_locked(root, procs=procs, progress=progress, lock_fd=lock_fd)


def _rebuild_locked(root, procs: int, progress=None, lock_fd: int | None = None) -> RebuildReport:
    started = time.perf_counter()
    build_dir = store.new_build_dir(root)
    ix = index.open_dir(str(build_dir))
    total = db.session.scalar(select(db.func.count(Article.id)).where(Article.draft.is_(False))) or 0
    # limitmb is per process; 128 MB keeps a 100,000-article build in few
    # segments without threatening a small VM.
    if procs > 1:
        # Helper processes that die with this one and never hold the lock.
        writer = workers.ChildSafeMpWriter(ix, procs=procs, limitmb=128, multisegment=True,
                                           close_in_children=(lock_fd,) if lock_fd is not None else ())
    else:
        writer = ix.writer(limitmb=128)
    done = 0
    try:
        last_id = 0
        while True:
            batch = list(_load_batch(last_id))
            if not batch:
                break
            for article in batch:
                writer.add_document(**article_document(article))
            done += len(batch)
            last_id = batch[-1].id
            if progress:
                progress(done, total)
            db.session.expunge_all()
    except BaseException:
        writer.cancel()
        ix.close()
        raise
    writer.commit()
    ix.close()
    live = store.publish(root, build_dir)
    _record_state(root)
    return RebuildReport(documents=done, seconds=time.perf_counter() - started, path=str(live), procs=procs)


def _load(ids: list[int]) -> list[Article]:
    if not ids:
        return []
    return db.session.scalars(select(Article).where(Article.id.in_(ids)).options(selectinload(Article.tags))).unique().all()


def _load_batch(after_id: int):
    statement = (
        select(Article)
        .where(Article.draft.is_(False), Article.id > after_id)
        .order_by(Article.id)
        .limit(BATCH)
        .options(selectinload(Article.tags))
    )
    return db.session.scalars(statement).unique()


def _database_state() -> dict:
    count, latest = db.session.execute(
        select(db.func.count(Article.id), db.func.max(Article.imported_at)).where(Article.draft.is_(False))
    ).one()
    return {"schema": SCHEMA_VERSION, "articles": count or 0, "latest_import": latest.isoformat() if latest else None}


def _record_state(root) -> None:
    # What the database looked like when the index was last written; `search
    # ensure` compares it with the database to decide whether to rebuild.
    tmp = root / ".state.json.tmp"
    tmp.write_text(json.dumps(_database_state()))
    tmp.replace(root / "state.json")


def schema_is_current(root) -> bool:
    """True when the live index was written with this release's schema and
    analysis (SCHEMA_VERSION, as recorded in state.json)."""
    try:
        return json.loads((root / "state.json").read_text()).get("schema") == SCHEMA_VERSION
    except (OSError, ValueError, AttributeError):
        return False


def index_is_current() -> bool:
    """True when the live index opens and was written from the database as it
    is now (same schema, article count and latest import): the cheap check
    behind `flask search ensure`."""
    root = store.search_root()
    try:
        store.open_current(root).close()
        recorded = json.loads((root / "state.json").read_text())
    except (store.IndexMissing, OSError, ValueError):
        return False
    return recorded == _database_state()
