"""Related Articles: picks computed when content changes, never per request.

For each article, candidates come from the search index (key terms of its
title, summary, tags and body, looked up with Whoosh's more-like-this
expansion), scored with shared tags, same category and a gentle preference
for recent articles. The editor's `related:` list comes first. When
similarity finds too few, the same category and then the latest articles
fill in, so the panel is never empty. Each pick carries a reason a reader
understands ("Also about: CBT, chronic pain", "Also about: sleep", "More in Sleep").

One job per module:
- corpus: what scoring reads from the database, and an article's key text
  (the one place it is built);
- scoring: ranking and explaining one article's picks (pure);
- recompute: computing and storing picks for a set of articles;
- affected: which articles to recompute after a change;
- serving: the stored picks a page shows.
"""
from __future__ import annotations

from .affected import affected_by
from .recompute import recompute
from .scoring import MAX_PICKS, MIN_PICKS, Pick, compute_picks
from .serving import picks_for

__all__ = ["MAX_PICKS", "MIN_PICKS", "Pick", "affected_by", "compute_picks", "picks_for", "recompute"]
