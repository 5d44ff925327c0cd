"""An article is known by its slug and its path inside the content tree,
never by where the tree lives: the same tree from another folder is
unchanged, a file moved inside the tree is an update."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from miafeed.content import ImportError_, import_content
from miafeed.extensions import db
from miafeed.models import Article, SitePage


def stored_paths():
    return dict(db.session.execute(select(Article.slug, Article.source_path)).all())


def test_stored_path_is_relative_to_the_folder_holding_categories(app, content):
    content.write("one", title="One")
    content.write_page("about")
    with app.app_context():
        content.import_all()
        assert stored_paths() == {"one": "articles/one.md"}
        assert db.session.scalar(select(SitePage.source_path)) == "pages/about.md"


def test_same_tree_imported_from_another_folder_is_unchanged(app, content, tmp_path):
    content.write("one", title="One")
    content.write("two", title="Two")
    with app.app_context():
        content.import_all()
        release = tmp_path / "releases" / "next" / "content"
        shutil.copytree(content.root, release)
        result = import_content(release)
        assert (result.added, result.updated, result.removed, result.unchanged) == ([], [], [], 2)
        # One file of that copy, on its own, is unchanged too.
        single = import_content(release / "articles" / "one.md")
        assert (single.added, single.updated, single.unchanged) == ([], [], 1)


def test_one_file_reimported_from_a_new_temporary_folder_is_an_update_not_a_refusal(app, content, tmp_path):
    original = content.write("one", title="One", slug="one", summary="First words.")
    with app.app_context():
        content.import_all()
        elsewhere = tmp_path / "scratch"
        elsewhere.mkdir()
        copy = elsewhere / "one.md"
        copy.write_text(original.read_text().replace("First words.", "Second words."))
        # No categories.yml above it: the file's own folder is its tree.
        result = import_content(copy)
        assert len(result.updated) == 1
        assert db.session.scalar(select(Article.summary)) == "Second words."


def test_moving_a_file_inside_the_tree_is_an_update(app, content):
    moved = content.write("one", title="One")
    with app.app_context():
        content.import_all()
        article_id = db.session.scalar(select(Article.id))
        (content.articles / "sleep").mkdir()
        moved.rename(content.articles / "sleep" / "one.md")
        result = content.import_all()
        assert (result.added, result.updated, result.removed) == ([], [article_id], [])
        assert stored_paths() == {"one": "articles/sleep/one.md"}


def test_a_moved_file_imported_alone_is_an_update(app, content):
    moved = content.write("one", title="One")
    with app.app_context():
        content.import_all()
        target = content.articles / "renamed.md"
        moved.rename(target)
        result = import_content(target)
        assert len(result.updated) == 1
        assert stored_paths() == {"one": "articles/renamed.md"}


def test_a_single_file_taking_the_slug_of_a_file_still_there_is_refused_naming_it(app, content):
    content.write("one", title="Same title")
    with app.app_context():
        content.import_all()
        newcomer = content.write("newcomer", title="Same title")
        with pytest.raises(ImportError_) as caught:
            import_content(newcomer)
        assert f"{newcomer}: slug: 'same-title' is already used by articles/one.md" in str(caught.value)
        assert stored_paths() == {"same-title": "articles/one.md"}


def test_two_files_of_one_run_claiming_one_slug_are_refused_naming_both(app, content):
    first = content.write("first", title="Same title")
    second = content.write("second", title="Same title")
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
        assert f"{second}: slug: 'same-title' is also used by {first}" in str(caught.value)
        assert stored_paths() == {}


def test_paths_stored_by_older_releases_are_rewritten_on_the_next_import(app, content):
    content.write("one", title="One")
    content.write("two", title="Two")
    with app.app_context():
        content.import_all()
        # An older release stored absolute paths (and may still, mid-deploy).
        db.session.execute(db.update(Article).where(Article.slug == "one").values(source_path="/srv/old-release/content/articles/one.md"))
        db.session.execute(db.update(Article).where(Article.slug == "two").values(source_path="/srv/old-release/elsewhere/two.md"))
        db.session.commit()
        result = content.import_all()
        # The same file under its old name is unchanged; one whose old name
        # says nothing of its tree is updated (same slug): neither is refused.
        assert (result.updated, result.unchanged) == ([db.session.scalar(select(Article.id).where(Article.slug == "two"))], 1)
        assert stored_paths() == {"one": "articles/one.md", "two": "articles/two.md"}


def _migration():
    path = Path(__file__).parents[1] / "miafeed/migrations/versions/0010_portable_hosts.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_makes_absolute_paths_relative_to_their_tree(content):
    relative_form = _migration()._relative_form
    on_disk = content.write("one", title="One")
    # The tree is still on disk: relative to the folder with categories.yml.
    assert relative_form(str(on_disk)) == "articles/one.md"
    # Gone: what follows the last content/ folder.
    assert relative_form("/srv/gone/content/articles/two.md") == "articles/two.md"
    # Neither rule fits, or already relative: left for the next import.
    assert relative_form("/srv/gone/elsewhere/three.md") is None
    assert relative_form("articles/four.md") is None


def test_a_single_file_taking_the_slug_of_a_file_an_older_release_stored_is_refused_too(app, content):
    content.write("one", title="Same title")
    with app.app_context():
        content.import_all()
        db.session.execute(db.update(Article).values(source_path="/srv/old-release/content/articles/one.md"))
        db.session.commit()
        newcomer = content.write("newcomer", title="Same title")
        with pytest.raises(ImportError_, match="'same-title' is already used by articles/one.md"):
            import_content(newcomer)
        # The very file the old path names, imported alone, is unchanged.
        assert import_content(content.articles / "one.md").unchanged == 1
