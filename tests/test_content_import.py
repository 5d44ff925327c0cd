"""The content import: validation, sanitizing, idempotence, drafts and dates."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from miafeed.content import ImportError_, import_content
from miafeed.extensions import db
from miafeed.clock import utcnow
from miafeed.models import Article, Category, Tag
from clock import iso_day


def article_count():
    return db.session.scalar(select(func.count(Article.id)))


def test_import_creates_articles_with_category_tags_and_reading_time(app, content):
    body = " ".join(["word"] * 500)
    content.write("sleep-study", body=body, title="'Sleep and stress'", tags=["Sleep", "stress"])
    with app.app_context():
        result = content.import_all()
        article = db.session.scalar(select(Article))
        assert len(result.added) == 1
        assert article.slug == "sleep-and-stress"
        assert article.category.name == "Sleep"
        assert sorted(t.slug for t in article.tags) == ["sleep", "stress"]
        assert article.word_count == 500
        assert article.reading_minutes == 3  # 500 / 230 rounded up
        assert article.author == "Mia's Feed editorial team"
        assert db.session.scalar(select(func.count(Category.id))) == 3


def test_short_article_reads_in_at_least_one_minute(app, content):
    content.write("tiny", body="Just five words here now.")
    with app.app_context():
        content.import_all()
        assert db.session.scalar(select(Article.reading_minutes)) == 1


@pytest.mark.parametrize(
    "front, key, message",
    [
        ({"title": None}, "title", "is missing"),
        ({"summary": None}, "summary", "is missing"),
        ({"category": "Astrology"}, "category", "known categories: Chronic Pain & Conditions, Mental Health & Mindfulness, Sleep"),
        ({"published": "last tuesday"}, "published", "is not a date"),
        ({"published": "2026-02-30"}, "published", "is not a date"),
        ({"updated": "2026-13-01"}, "updated", "is not a date"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "must be an http:// or https:// address"),
        ({"source_url": "ftp://example.org/x"}, "source_url", "must be an http:// or https:// address"),
        ({"tags": "sleep"}, "tags", "must be a list"),
        ({"draft": "'maybe'"}, "draft", "must be true or false"),
        ({"colour": "red"}, "colour", "is not a known key"),
        ({"slug": "Not A Slug"}, "slug", "must be lowercase"),
        ({"related": ["no-such-article"]}, "related", "no article has the slug 'no-such-article'"),
    ],
)
def test_bad_file_is_refused_naming_file_and_key_and_nothing_is_written(app, content, front, key, message):
    content.write("good-one", title="A good article")
    bad = content.write("bad-one", **({"title": "A bad article"} | front))
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
        text = str(caught.value)
        assert f"{bad}: {key}: " in text
        assert message in text
        assert article_count() == 0


def test_duplicate_slug_in_one_import_is_refused(app, content):
    content.write("first", title="Same title")
    content.write("second", title="Same title")
    with app.app_context():
        with pytest.raises(ImportError_, match="'same-title' is also used by"):
            content.import_all()
        assert article_count() == 0


def test_file_without_front_matter_is_refused(app, content):
    (content.articles / "plain.md").write_text("# Just a heading\n")
    with app.app_context():
        with pytest.raises(ImportError_, match="must start with a front matter block"):
            content.import_all()


def test_reimporting_unchanged_files_changes_nothing(app, content):
    content.write("one", title="One")
    content.write("two", title="Two")
    with app.app_context():
        first = content.import_all()
        stamp = db.session.scalar(select(Article.imported_at).where(Article.slug == "one"))
        second = content.import_all()
        assert len(first.added) == 2
        assert (second.added, second.updated, second.removed, second.unchanged) == ([], [], [], 2)
        assert db.session.scalar(select(Article.imported_at).where(Article.slug == "one")) == stamp


def test_changed_file_updates_its_article(app, content):
    content.write("one", title="One", slug="one", summary="Old summary.")
    with app.app_context():
        content.import_all()
        content.write("one", title="One", slug="one", summary="New summary.")
        result = content.import_all()
        assert len(result.updated) == 1
        assert db.session.scalar(select(Article.summary)) == "New summary."
        assert article_count() == 1


def test_removed_file_removes_its_article_when_folder_is_imported(app, content):
    content.write("one", title="One")
    gone = content.write("two", title="Two")
    with app.app_context():
        content.import_all()
        gone.unlink()
        result = content.import_all(prune=True)
        assert len(result.removed) == 1
        assert db.session.scalars(select(Article.slug)).all() == ["one"]


def test_importing_a_single_file_finds_categories_above_it(app, content):
    path = content.write("one", title="One", category="'Mental Health & Mindfulness'")
    with app.app_context():
        result = import_content(path)
        assert len(result.added) == 1


def test_markdown_is_sanitized(app, content, client):
    body = """
    Safe **bold** text.

    <script>alert('x')</script>
    <p onclick="steal()">Click</p>
    [bad link](javascript:alert(1)) and <a href="javascript:alert(2)">another</a>
    <img src="https://img.example.org/a.png" onerror="alert(3)">
    """
    content.write("xss", title="Sanitized", slug="sanitized", body=body)
    with app.app_context():
        content.import_all()
        html = db.session.scalar(select(Article.body_html))
    assert "<strong>bold</strong>" in html
    for forbidden in ("<script", "onclick", "onerror", 'href="javascript:'):
        assert forbidden not in html
    page = client.get("/articles/sanitized").get_data(as_text=True)
    assert "alert('x')" not in page and "steal()" not in page


def test_future_and_draft_articles_are_hidden(app, content, client):
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    content.write("now", title="Visible now", slug="visible-now")
    content.write("later", title="Coming later", slug="coming-later", published=tomorrow)
    content.write("draft", title="Still a draft", slug="still-a-draft", draft="true")
    with app.app_context():
        content.import_all()
    home = client.get("/").get_data(as_text=True)
    assert "Visible now" in home
    assert "Coming later" not in home and "Still a draft" not in home
    assert client.get("/articles/coming-later").status_code == 404
    assert client.get("/articles/still-a-draft").status_code == 404
    assert "Coming later" not in client.get("/category/sleep").get_data(as_text=True)
    assert "Still a draft" not in client.get("/tag/sleep").get_data(as_text=True)


def test_cli_import_reports_problems_and_exits_non_zero(app, runner, content):
    content.write("bad", title="Bad", category="Astrology")
    result = runner.invoke(args=["content", "import", str(content.root)])
    assert result.exit_code == 1
    assert "unknown category 'Astrology'" in result.output
    assert "nothing was changed" in result.output


def test_cli_import_summarises_what_it_did(app, runner, content):
    content.write("one", title="One")
    result = runner.invoke(args=["content", "import", str(content.root)])
    assert result.exit_code == 0, result.output
    assert "1 added, 0 updated, 0 removed, 0 unchanged" in result.output
    again = runner.invoke(args=["content", "import", str(content.root), "--if-empty"])
    assert "skipping" in again.output


def test_tags_are_shared_between_articles(app, content):
    content.write("one", title="One", tags=["Sleep"])
    content.write("two", title="Two", tags=["sleep", "CBT"])
    with app.app_context():
        content.import_all()
        assert sorted(db.session.scalars(select(Tag.slug))) == ["cbt", "sleep"]


def test_every_problem_of_a_file_is_reported_in_one_run(app, runner, content):
    content.write_authors()
    bad = content.write(
        "many-mistakes", title="Many mistakes", summary=None, category="Astrology", published="2026-02-30",
        related=["no-such-article"], reviewed_by="dr-who", last_reviewed=iso_day(-1),
    )
    result = runner.invoke(args=["content", "import", str(content.root)])
    assert result.exit_code == 1
    assert "5 problem(s)" in result.output, result.output
    for key, message in (
        ("summary", "is missing"),
        ("category", "unknown category 'Astrology'"),
        ("published", "'2026-02-30' is not a date"),
        ("related", "no article has the slug 'no-such-article'"),
        ("reviewed_by", "'dr-who' is not in authors.yml"),
    ):
        assert f"{bad}: {key}: {message}" in result.output
    with app.app_context():
        assert article_count() == 0


def test_problems_of_several_files_are_listed_file_by_file(app, content):
    first = content.write("a-first", title="First", category="Astrology", summary=None)
    content.write("b-good", title="Good")
    second = content.write("c-second", title="Second", category="Astrology", tags="sleep")
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
    paths = [problem.path for problem in caught.value.problems]
    assert paths == [str(first)] * 2 + [str(second)] * 2
