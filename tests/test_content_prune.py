"""An import removes articles only when asked (--prune), shows its whole
plan without writing (--dry-run), and old addresses keep answering: 410
Gone for a removed article, 301 from every slug an article had."""
from __future__ import annotations

from sqlalchemy import func, select

from miafeed.content import version as content_version
from miafeed.extensions import db
from miafeed.models import Article, SearchChange

STORIES = ["sleep-one", "sleep-two", "sleep-three"]


def site_with_stories(app, content) -> None:
    for name in STORIES:
        content.write(name, title=f"'Story {name}'", slug=name)
    with app.app_context():
        content.import_all()


def slugs(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Article.slug)))


def test_a_folder_of_one_new_story_removes_nothing_even_with_prune(app, runner, content, tmp_path):
    site_with_stories(app, content)
    new_story = tmp_path / "new-story"
    new_story.mkdir()
    (new_story / "fresh.md").write_text((content.articles / "sleep-one.md").read_text().replace("slug: sleep-one", "slug: fresh-story"))
    result = runner.invoke(args=["content", "import", str(new_story)])
    assert result.exit_code == 0, result.output
    assert "1 added, 0 updated, 0 removed, 0 unchanged" in result.output
    assert "not a content tree" in result.output
    assert slugs(app) == sorted(STORIES + ["fresh-story"])
    pruned = runner.invoke(args=["content", "import", str(new_story), "--prune"])
    assert "0 removed" in pruned.output and slugs(app) == sorted(STORIES + ["fresh-story"])


def test_without_prune_a_gone_file_is_kept_and_the_way_to_remove_it_is_shown(app, runner, content, client):
    site_with_stories(app, content)
    (content.articles / "sleep-two.md").unlink()
    result = runner.invoke(args=["content", "import", str(content.root)])
    assert result.exit_code == 0, result.output
    assert "0 removed" in result.output
    assert "sleep-two  (articles/sleep-two.md)" in result.output
    assert f"flask content import {content.root} --prune" in result.output
    assert client.get("/articles/sleep-two").status_code == 200

    pruned = runner.invoke(args=["content", "import", str(content.root), "--prune"])
    assert "1 removed" in pruned.output
    assert slugs(app) == ["sleep-one", "sleep-three"]


def test_dry_run_prints_the_whole_plan_and_writes_nothing(app, runner, content):
    site_with_stories(app, content)
    content.write("sleep-one", title="'Story sleep-one, corrected'", slug="sleep-one")  # updated
    content.write("sleep-four", title="'Story sleep-four'", slug="sleep-four")  # added
    (content.articles / "sleep-two.md").unlink()  # removed (with --prune)
    content.write("broken", title="'Broken'", category="Astrology")
    with app.app_context():
        before_version = content_version.current(app)
        before_changes = db.session.scalar(select(func.count()).select_from(SearchChange))
        before_titles = dict(db.session.execute(select(Article.slug, Article.title)).all())

    refused = runner.invoke(args=["content", "import", str(content.root), "--prune", "--dry-run"])
    assert refused.exit_code == 1 and "Dry run: the import would be refused" in refused.output
    assert "unknown category 'Astrology'" in refused.output
    (content.articles / "broken.md").unlink()

    plan = runner.invoke(args=["content", "import", str(content.root), "--prune", "--dry-run"])
    assert plan.exit_code == 0, plan.output
    lines = plan.output.splitlines()
    assert lines[0].endswith("nothing was written.")
    assert lines[1:] == [
        "Would be added (1):", "  sleep-four",
        "Would be updated (1):", "  sleep-one",
        "Would be removed (1):", "  sleep-two",
        "Unchanged (1):", "  sleep-three",
        "Problems (0): none; the import would be accepted.",
    ]
    with app.app_context():
        assert content_version.current(app) == before_version
        assert db.session.scalar(select(func.count()).select_from(SearchChange)) == before_changes
        assert dict(db.session.execute(select(Article.slug, Article.title)).all()) == before_titles


def test_a_removed_article_answers_410_with_a_short_page_and_leaves_feeds_and_sitemap(app, runner, content, client):
    site_with_stories(app, content)
    (content.articles / "sleep-two.md").unlink()
    runner.invoke(args=["content", "import", str(content.root), "--prune"])
    gone = client.get("/articles/sleep-two")
    html = gone.get_data(as_text=True)
    assert gone.status_code == 410
    assert "This article has been removed" in html and "Story sleep-two" in html
    assert 'href="/category/sleep"' in html and 'href="/articles/sleep-one"' in html  # where to read on
    assert "sleep-two" not in client.get("/feed.xml").get_data(as_text=True)
    assert "sleep-two" not in client.get("/sitemap.xml").get_data(as_text=True)
    assert client.get("/articles/never-was").status_code == 404

    # The slug is used again: the article is back, not gone.
    content.write("sleep-two", title="'Story sleep-two, back'", slug="sleep-two")
    runner.invoke(args=["content", "import", str(content.root)])
    assert client.get("/articles/sleep-two").status_code == 200


def test_a_changed_slug_answers_301_from_every_slug_it_had(app, runner, content, client):
    site_with_stories(app, content)
    path = content.articles / "sleep-one.md"
    for old_slug, new_slug in (("sleep-one", "sleep-one-renamed"), ("sleep-one-renamed", "sleep-one-final")):
        path.write_text(path.read_text().replace(f"slug: {old_slug}\n", f"slug: {new_slug}\n"))
        result = runner.invoke(args=["content", "import", str(content.root)])
        assert result.exit_code == 0, result.output
        assert "0 removed" in result.output and "Renamed" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Article)) == 3  # moved, not added
    for old in ("sleep-one", "sleep-one-renamed"):
        moved = client.get(f"/articles/{old}")
        assert moved.status_code == 301 and moved.headers["Location"].endswith("/articles/sleep-one-final")
    assert client.get("/articles/sleep-one-final").status_code == 200
    feed = client.get("/feed.xml").get_data(as_text=True)
    # Linked at its new address; its entry id stays its first address, so
    # feed readers do not show it again as a new article.
    assert '<link rel="alternate" type="text/html" href="http://localhost/articles/sleep-one-final"/>' in feed
    assert "<id>http://localhost/articles/sleep-one</id>" in feed and "<id>http://localhost/articles/sleep-one-renamed</id>" not in feed
    assert "/articles/sleep-one-final" in client.get("/sitemap.xml").get_data(as_text=True)

    # Removed later: every address it ever had answers 410.
    path.unlink()
    runner.invoke(args=["content", "import", str(content.root), "--prune"])
    for old in ("sleep-one", "sleep-one-renamed", "sleep-one-final"):
        assert client.get(f"/articles/{old}").status_code == 410
