"""A category given a new slug in categories.yml (`former_slugs`) keeps its
articles and readers' topics, and its old page and feed answer 301 (issue 31:
/category/healthy-aging became /category/healthy-ageing)."""
from __future__ import annotations

from sqlalchemy import select

from miafeed.content import ImportError_
from miafeed.extensions import db
from miafeed.models import Category

import pytest

AGEING_OLD = "- name: Healthy Ageing\n  slug: healthy-aging\n  description: Later life.\n"
AGEING_NEW = "- name: Healthy Ageing\n  slug: healthy-ageing\n  former_slugs: [healthy-aging]\n  description: Later life.\n"


@pytest.fixture
def renamed(app, content):
    categories = content.root / "categories.yml"
    base = categories.read_text()
    categories.write_text(base + AGEING_OLD)
    content.write("walking", title="'Walking speed and survival'", category="Healthy Ageing", tags=["walking"])
    with app.app_context():
        content.import_all()
        before = db.session.scalar(select(Category.id).where(Category.slug == "healthy-aging"))
    categories.write_text(base + AGEING_NEW)
    with app.app_context():
        content.import_all()
    return before


def test_the_renamed_category_is_the_same_row_under_its_new_slug(app, renamed):
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.name == "Healthy Ageing"))
        assert (category.id, category.slug) == (renamed, "healthy-ageing")
        assert db.session.scalar(select(Category).where(Category.slug == "healthy-aging")) is None


def test_the_old_page_and_feed_answer_301_to_the_new_ones(client, renamed):
    page = client.get("/category/healthy-aging?page=1")
    assert page.status_code == 301 and page.headers["Location"] == "/category/healthy-ageing?page=1"
    feed = client.get("/category/healthy-aging/feed.xml")
    assert feed.status_code == 301 and feed.headers["Location"] == "/category/healthy-ageing/feed.xml"
    assert "Walking speed and survival" in client.get("/category/healthy-ageing").get_data(as_text=True)
    assert client.get("/category/no-such-thing").status_code == 404


def test_a_former_slug_that_another_category_uses_is_refused(app, content):
    categories = content.root / "categories.yml"
    categories.write_text(categories.read_text() + "- name: Old Sleep\n  slug: old-sleep\n  former_slugs: [sleep]\n  description: x\n")
    content.write("walking", title="'Walking'", category="Sleep")
    with app.app_context(), pytest.raises(ImportError_) as refused:
        content.import_all()
    assert "former_slugs: sleep is the slug of a category in this file" in str(refused.value)
