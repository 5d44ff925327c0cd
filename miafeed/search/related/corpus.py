"""What the related-picks scoring reads from the database, loaded once per
computation, and an article's key text: the one place it is built, for both
computing picks and finding the neighbours a change affects."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from ...extensions import db
from ...clock import utcnow
from ...models import Article, Category, Tag, article_tags, visible_to_readers

# Body text beyond this adds little to an article's key terms but costs time.
KEY_TEXT_CHARS = 4000
BATCH = 500


@dataclass
class ArticleInfo:
    id: int
    slug: str
    title: str
    summary: str
    category_id: int
    published_at: datetime
    visible: bool
    draft: bool
    related_slugs: list
    tags: list[str] = field(default_factory=list)  # names, in display order



class Corpus:
    """Everything the scoring needs, loaded once per computation."""

    def __init__(self):
        now = utcnow()
        rows = db.session.execute(
            select(
                Article.id, Article.slug, Article.title, Article.summary, Article.category_id,
                Article.published_at, visible_to_readers(now).label("visible"), Article.draft,
                Article.related_slugs,
            )
        ).all()
        self.articles = {
            row.id: ArticleInfo(row.id, row.slug, row.title, row.summary, row.category_id, row.published_at,
                          bool(row.visible), row.draft, list(row.related_slugs or []))
            for row in rows
        }
        for article_id, name in db.session.execute(
            select(article_tags.c.article_id, Tag.name).join(Tag, Tag.id == article_tags.c.tag_id).order_by(Tag.name)
        ):
            if article_id in self.articles:
                self.articles[article_id].tags.append(name)
        self.by_slug = {info.slug: info for info in self.articles.values()}
        self.category_names = dict(db.session.execute(select(Category.id, Category.name)).all())
        visible = sorted((i for i in self.articles.values() if i.visible), key=lambda i: (i.published_at, i.id), reverse=True)
        self.latest = [info.id for info in visible]
        self.latest_by_category: dict[int, list[int]] = {}
        for info in visible:
            self.latest_by_category.setdefault(info.category_id, []).append(info.id)
        self.newest = visible[0].published_at if visible else now



def key_text(title: str, tags: list[str], summary: str, body: str) -> str:
    """The text an article's key terms are drawn from."""
    # The title and tags say what an article is about more surely than any
    # paragraph, so they count twice.
    tag_text = " ".join(tags)
    return " ".join((title, title, tag_text, tag_text, summary, body[:KEY_TEXT_CHARS]))


def bodies(ids: list[int]) -> dict[int, str]:
    """{article id: the start of its body text} for these articles."""
    found = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        found.update(db.session.execute(select(Article.id, func.substr(Article.body_text, 1, KEY_TEXT_CHARS)).where(Article.id.in_(chunk))).all())
    return found


def key_texts(ids: list[int]) -> dict[int, str]:
    """{article id: key text} for a few articles, read without a whole Corpus."""
    if not ids:
        return {}
    rows = db.session.execute(select(Article.id, Article.title, Article.summary).where(Article.id.in_(ids))).all()
    tags: dict[int, list[str]] = {}
    for article_id, name in db.session.execute(
        select(article_tags.c.article_id, Tag.name).join(Tag, Tag.id == article_tags.c.tag_id)
        .where(article_tags.c.article_id.in_(ids)).order_by(Tag.name)
    ):
        tags.setdefault(article_id, []).append(name)
    texts = bodies(ids)
    return {row.id: key_text(row.title, tags.get(row.id, []), row.summary, texts.get(row.id, "")) for row in rows}
