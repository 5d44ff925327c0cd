"""Rows for tests that need a row, not the importer (CTFd's gen_* manner).

Each `gen_*` adds one row with sensible values, commits, and returns it;
keyword arguments set any column. Call them inside the app's context:

    with app.app_context():
        gen_article(title="Naps help memory", published_at=moment(hours=-2))
        gen_subscriber("reader@example.org", frequency="daily")

A test about the import itself, the search index or the related picks (which
the import keeps up to date) writes Markdown files with the `content` fixture
instead: a row from here is in the database only.
"""
from __future__ import annotations

import itertools
import re
from datetime import timedelta

from sqlalchemy import select

from miafeed.clock import utcnow
from miafeed.extensions import db
from miafeed.models import Article, Category
from miafeed.newsletter.models import OutgoingMail, Subscriber

_numbers = itertools.count(1)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def gen_category(name: str = "Sleep", **columns) -> Category:
    """The category called `name`, added if the database has none."""
    found = db.session.scalar(select(Category).where(Category.name == name))
    if found is not None:
        return found
    category = Category(name=name, slug=columns.pop("slug", _slug(name)), description=f"About {name.lower()}.", **columns)
    db.session.add(category)
    db.session.commit()
    return category


def gen_article(title: str | None = None, category: str = "Sleep", **columns) -> Article:
    """A published article (dated an hour ago) in `category`, with a short body."""
    number = next(_numbers)
    title = title or f"Study number {number}"
    body = columns.pop("body_text", f"{title}. A short write-up of the research.")
    values = dict(
        slug=_slug(title), title=title, summary=f"What {title.lower()} found, in plain words.",
        author="Mia's Feed editorial team", source_name="A journal", source_url=f"https://example.org/study/{number}",
        body_markdown=body, body_html=f"<p>{body}</p>", body_text=body, word_count=len(body.split()),
        reading_minutes=1, published_at=utcnow().replace(microsecond=0) - timedelta(hours=1),
    ) | columns
    article = Article(category=gen_category(category), **values)
    db.session.add(article)
    db.session.commit()
    return article


def gen_subscriber(email: str, frequency: str = "weekly", status: str = "active", **columns) -> Subscriber:
    """A subscriber who gave consent on the home page."""
    subscriber = Subscriber(email=email, frequency=frequency, status=status,
                            **({"consent_version": "v", "consent_source": "/"} | columns))
    db.session.add(subscriber)
    db.session.commit()
    return subscriber


def gen_mail(status: str = "queued", **columns) -> OutgoingMail:
    """A digest mail in the queue, in `status`."""
    mail = OutgoingMail(**({"kind": "digest", "to_address": "someone@example.org", "subject": "Digest",
                            "message": "", "status": status} | columns))
    db.session.add(mail)
    db.session.commit()
    return mail
