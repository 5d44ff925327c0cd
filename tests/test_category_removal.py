"""Taking a category out of categories.yml never silently drops the digest
topics readers chose: the import refuses, or moves them where
`replaces:` says, and says which."""
from __future__ import annotations

from sqlalchemy import select

from content_folder import CATEGORIES_YML
from miafeed.extensions import db
from miafeed.models import Article, Category
from miafeed.newsletter.models import Subscriber, SubscriberTopic


def reader_choosing(app, slug: str) -> int:
    with app.app_context():
        reader = Subscriber(email="reader@example.org", status="active")
        db.session.add(reader)
        db.session.flush()
        category_id = db.session.scalar(select(Category.id).where(Category.slug == slug))
        db.session.add(SubscriberTopic(subscriber_id=reader.id, category_id=category_id))
        db.session.commit()
        return reader.id


def topics_of(app, reader_id: int) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(
            select(Category.slug).join(SubscriberTopic, SubscriberTopic.category_id == Category.id)
            .where(SubscriberTopic.subscriber_id == reader_id)
        ))


def without_sleep(extra: str = "") -> str:
    kept = CATEGORIES_YML.replace("- name: Sleep\n  slug: sleep\n  description: How we sleep.\n", "")
    return kept + extra


def test_removing_a_category_readers_chose_is_refused_and_keeps_their_topics(app, runner, content):
    content.write("rest", title="Rest", category="Sleep")
    with app.app_context():
        content.import_all()
    reader = reader_choosing(app, "sleep")
    content.write("rest", title="Rest", category="'Mental Health & Mindfulness'")
    (content.root / "categories.yml").write_text(without_sleep())
    result = runner.invoke(args=["content", "import", str(content.root)])
    assert result.exit_code == 1
    assert "category 'sleep' is no longer listed, but 1 reader(s) chose it as a digest topic" in result.output
    assert "add `replaces: sleep`" in result.output
    assert topics_of(app, reader) == ["sleep"]
    with app.app_context():
        assert db.session.scalar(select(Article.category_id)) == db.session.scalar(select(Category.id).where(Category.slug == "sleep"))


def test_replaces_moves_readers_topics_and_articles_to_the_new_category(app, runner, content):
    content.write("rest", title="Rest", category="Sleep")
    with app.app_context():
        content.import_all()
    reader = reader_choosing(app, "sleep")
    (content.root / "categories.yml").write_text(without_sleep(
        "- name: Rest & Sleep\n  slug: rest-and-sleep\n  description: Rest.\n  replaces: sleep\n"))
    content.write("rest", title="Rest", category="'Rest & Sleep'")
    result = runner.invoke(args=["content", "import", str(content.root)])
    assert result.exit_code == 0, result.output
    assert "Category 'sleep' removed: 1 reader(s)' topics and 0 article(s) moved to 'rest-and-sleep'." in result.output
    assert topics_of(app, reader) == ["rest-and-sleep"]


def test_a_category_nobody_uses_is_removed_and_the_import_says_so(app, runner, content):
    content.write("calm", title="Calm", category="'Mental Health & Mindfulness'")
    with app.app_context():
        content.import_all()
    (content.root / "categories.yml").write_text(without_sleep())
    result = runner.invoke(args=["content", "import", str(content.root)])
    assert result.exit_code == 0, result.output
    assert "Category 'sleep' removed (no reader chose it, no article used it)." in result.output
    with app.app_context():
        assert "sleep" not in db.session.scalars(select(Category.slug)).all()
