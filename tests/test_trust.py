"""Trust: authors, reviewers, the study, key points, corrections, site pages and the footer."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from miafeed.content import ImportError_
from miafeed.extensions import db
from miafeed.models import Article, ArticleCorrection, Author
from miafeed.http.web import format_date

from clock import day, iso_day

# Every date is relative to the suite clock: published 60 days ago, corrected
# 50 days ago, reviewed 40 days ago.
PUBLISHED, CORRECTED, REVIEWED = iso_day(-60), iso_day(-50), iso_day(-40)

STUDY = {"type": "randomised trial", "title": "Tai chi or aerobic exercise for fibromyalgia", "journal": "The BMJ",
         "year": 2018, "doi": "10.1136/bmj.k851"}
EVIDENCE = {"studied_in": "people", "participants": 226, "who": "Adults with fibromyalgia in Boston.",
            "absolute_effect": "Symptom scores fell by 16 more points with tai chi twice a week than with aerobic exercise",
            "harms": "No serious harms linked to either exercise", "funding": "not reported",
            "conflicts": "none declared", "press_release": False}


def trusted(content, name="reviewed", **front):
    """An article with every trust field filled in, as the demo articles have."""
    fields = {
        "title": "Tai chi eases fibromyalgia",
        "author": "ada-writer",
        "reviewed_by": "ben-doctor",
        "published": PUBLISHED,
        "last_reviewed": REVIEWED,
        "study": STUDY | EVIDENCE,
        "key_points": ["Tai chi helped as much as aerobic exercise.", "Twice a week for 24 weeks worked best."],
        "corrections": [{"date": CORRECTED, "note": "We said 262 people took part; it was 226."}],
    } | front
    return content.write(name, **fields)


@pytest.fixture
def site(app, content):
    """A content folder with authors, the three site pages and one reviewed article, imported."""
    content.write_authors()
    content.write_page("about", "We explain **health research** plainly.", title="About us")
    content.write_page("editorial-policy", "Every article is checked by a medical reviewer.", title="Editorial policy")
    content.write_page("corrections", "We fix mistakes openly.", title="Corrections")
    trusted(content)
    content.write("plain", title="Unsigned and unreviewed", slug="plain")
    with app.app_context():
        content.import_all()
    return content


def get_article(app, slug="tai-chi-eases-fibromyalgia"):
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        return article


def test_import_stores_author_reviewer_study_key_points_and_corrections(app, site):
    with app.app_context():
        article = db.session.scalar(select(Article).where(Article.slug == "tai-chi-eases-fibromyalgia"))
        assert article.author == "Ada Writer"
        assert article.author_profile.slug == "ada-writer"
        assert article.reviewer.name_with_credentials == "Ben Doctor, MD, MPH"
        assert article.last_reviewed.isoformat() == REVIEWED
        assert (article.study_type, article.study_journal, article.study_year, article.study_doi) == (
            "randomised trial", "The BMJ", 2018, "10.1136/bmj.k851")
        assert article.key_points == ["Tai chi helped as much as aerobic exercise.", "Twice a week for 24 weeks worked best."]
        assert [(c.dated.isoformat(), c.note) for c in article.corrections] == [
            (CORRECTED, "We said 262 people took part; it was 226.")]
        unsigned = db.session.scalar(select(Article).where(Article.slug == "plain"))
        assert unsigned.author == "Mia's Feed editorial team" and unsigned.author_profile is None


def test_author_can_be_named_by_name_and_doi_in_url_form_is_stored_bare(app, content):
    content.write_authors()
    trusted(content, author="Ada Writer", study=STUDY | {"doi": "https://doi.org/10.1136/bmj.k851"})
    with app.app_context():
        content.import_all()
        article = db.session.scalar(select(Article))
        assert article.author_profile.slug == "ada-writer"
        assert article.study_doi == "10.1136/bmj.k851"


@pytest.mark.parametrize(
    "front, key, message",
    [
        ({"author": "nobody-here"}, "author", "'nobody-here' is not in authors.yml; known: ada-writer, ben-doctor, cy-intern"),
        ({"reviewed_by": "dr-who"}, "reviewed_by", "'dr-who' is not in authors.yml"),
        ({"reviewed_by": "cy-intern"}, "reviewed_by", "Cy Intern has no credentials in authors.yml"),
        ({"reviewed_by": "ada-writer"}, "reviewed_by", "must be someone other than the author"),
        ({"last_reviewed": "2026-02-31"}, "last_reviewed", "'2026-02-31' is not a date"),
        ({"last_reviewed": None}, "last_reviewed", "is missing: give the date of the review"),
        ({"reviewed_by": None}, "reviewed_by", "is missing: name who did the review"),
        ({"study": STUDY | {"doi": "bmj.k851"}}, "study.doi", "does not look like a DOI"),
        ({"study": STUDY | {"doi": "10.12/short"}}, "study.doi", "does not look like a DOI"),
        ({"study": STUDY | {"type": "anecdote"}}, "study.type", "'anecdote' is not a study type we know; use one of: randomised trial"),
        ({"study": STUDY | {"year": "last year"}}, "study.year", "must be a year like 2025"),
        ({"study": STUDY | {"year": day(-60).year + 2}}, "study.year", f"not after {day(-60).year + 1}"),
        ({"study": {"type": "cohort study", "journal": "JAMA", "year": 2020}}, "study", "needs a doi or a url"),
        ({"study": STUDY | {"url": "javascript:alert(1)"}}, "study.url", "must be an http:// or https:// address"),
        ({"study": STUDY | {"journal": None}}, "study.journal", "is missing"),
        ({"study": STUDY | {"pages": "1-9"}}, "study.pages", "is not a known key"),
        ({"study": "a trial in the BMJ"}, "study", "must be a mapping with type, journal, year"),
        ({"key_points": ["Only one."]}, "key_points", "has 1 lines; give 2 to 4"),
        ({"key_points": ["a", "b", "c", "d", "e"]}, "key_points", "has 5 lines; give 2 to 4"),
        ({"key_points": ["x" * 201, "short"]}, "key_points", "line 1 is longer than 200 characters"),
        ({"corrections": [{"date": "someday", "note": "Fixed."}]}, "corrections[1].date", "'someday' is not a date"),
        ({"corrections": [{"date": iso_day(-61), "note": "Fixed."}]}, "corrections[1].date", "is earlier than published"),
        ({"corrections": [{"date": CORRECTED}]}, "corrections[1]", "must have exactly two keys: date and note"),
        ({"corrections": [{"date": CORRECTED, "note": ""}]}, "corrections[1].note", "must be text"),
    ],
)
def test_bad_trust_fields_are_refused_naming_file_and_key(app, content, front, key, message):
    content.write_authors()
    bad = trusted(content, **front)
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
        text = str(caught.value)
        assert f"{bad}: {key}: " in text, text
        assert message in text
        assert db.session.scalar(select(Article.id)) is None


def test_bad_authors_file_is_refused(app, content):
    authors = content.write_authors("- name: No Slug\n  bio: Someone.\n- slug: no-name\n  bio: x\n")
    content.write("one")
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
    assert f"{authors}: entry 1: slug: must be lowercase words" in str(caught.value)
    assert f"{authors}: entry 2: name: must be text" in str(caught.value)


def test_bad_site_page_is_refused_and_pages_are_not_imported_as_articles(app, content):
    page = content.write_page("about", title=None)
    content.write("one")
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
    assert f"{page}: title: must be text" in str(caught.value)
    content.write_page("about", "Fine now.")
    with app.app_context():
        result = content.import_all()
        assert len(result.added) == 1  # the page is not an article


def test_corrections_keep_the_time_they_were_first_recorded(app, content):
    content.write_authors()
    path = trusted(content)
    with app.app_context():
        content.import_all()
        first = db.session.scalar(select(ArticleCorrection.recorded_at))
    trusted(content, corrections=[{"date": CORRECTED, "note": "We said 262 people took part; it was 226."},
                                  {"date": iso_day(-45), "note": "The trial ran for a year, not six months."}])
    with app.app_context():
        content.import_all()
        rows = db.session.execute(select(ArticleCorrection.note, ArticleCorrection.recorded_at)
                                  .order_by(ArticleCorrection.dated)).all()
    assert rows[0] == ("We said 262 people took part; it was 226.", first)
    assert rows[1].recorded_at > first
    assert path.exists()


def test_author_left_out_of_authors_file_is_removed_unless_still_used(app, content):
    content.write_authors()
    trusted(content)
    with app.app_context():
        content.import_all()
    content.write_authors(content.root.joinpath("authors.yml").read_text().split("- name: Cy Intern")[0])
    content.write("another", title="Touch the import")
    with app.app_context():
        content.import_all()
        assert set(db.session.scalars(select(Author.slug))) == {"ada-writer", "ben-doctor"}


def test_article_page_shows_author_reviewer_key_points_correction_and_study(client, site):
    page = client.get("/articles/tai-chi-eases-fibromyalgia").get_data(as_text=True)
    assert re.search(r'By <a href="/author/ada-writer" rel="author">Ada Writer, MSc</a>', page)
    assert 'Medically reviewed by <a href="/author/ben-doctor">Ben Doctor, MD, MPH</a> (Physician reviewer)' in page
    assert f'Last reviewed <time datetime="{REVIEWED}">{format_date(day(-40))}</time>' in page
    key_points = page.index("Key points")
    assert key_points < page.index('class="article-body"')
    assert "Twice a week for 24 weeks worked best." in page
    assert '<h2 id="corrections-title">Correction</h2>' in page
    assert f"{format_date(day(-50))}</time>: We said 262 people took part; it was 226." in page
    study = page[page.index('<section class="study-box"'):]
    assert "Randomised controlled trial." in study
    assert "<cite>The BMJ</cite>, 2018" in study
    assert '<a href="https://doi.org/10.1136/bmj.k851" rel="noopener">Read the study</a>' in study
    assert "DOI 10.1136/bmj.k851" in study


def test_article_without_trust_fields_shows_none_of_the_boxes(client, site):
    page = client.get("/articles/plain").get_data(as_text=True)
    assert "By Mia&#39;s Feed editorial team" in page
    for absent in ("Medically reviewed", "Key points", "The study", "corrections-title"):
        assert absent not in page


def test_json_ld_has_reviewer_last_reviewed_and_the_study_with_its_doi(client, site):
    page = client.get("/articles/tai-chi-eases-fibromyalgia").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "NewsArticle"
    assert data["author"] == {"@type": "Person", "name": "Ada Writer", "url": "http://localhost/author/ada-writer",
                              "honorificSuffix": "MSc", "jobTitle": "Health journalist"}
    page_data = data["mainEntityOfPage"]
    assert page_data["@type"] == "MedicalWebPage"
    assert page_data["reviewedBy"]["name"] == "Ben Doctor" and page_data["reviewedBy"]["honorificSuffix"] == "MD, MPH"
    assert page_data["lastReviewed"] == REVIEWED
    citation = data["citation"]
    assert citation["@type"] == "MedicalScholarlyArticle"
    assert citation["publicationType"] == "Randomized Controlled Trial"
    assert citation["identifier"] == {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.1136/bmj.k851"}
    assert citation["url"] == "https://doi.org/10.1136/bmj.k851"
    assert citation["isPartOf"]["name"] == "The BMJ" and citation["datePublished"] == "2018"
    assert data["isBasedOn"]["url"] == "https://research.example.org/story"


def test_cards_and_search_results_show_the_study_type_label(app, client, site):
    home = client.get("/").get_data(as_text=True)
    card = home[home.index("Tai chi eases fibromyalgia"):]
    card = card[:card.index("</article>")]
    assert '<span class="study-label" title="Randomised controlled trial"><span class="visually-hidden">Evidence: </span>Trial</span>' in card
    plain = home[home.index("Unsigned and unreviewed"):]
    assert "study-label" not in plain[:plain.index("</article>")]
    results = client.get("/search?q=fibromyalgia").get_data(as_text=True)
    assert "Evidence: </span>Trial</span>" in results


def test_author_page_lists_written_and_reviewed_articles_paginated(app, client, content):
    app.config["ARTICLES_PER_PAGE"] = 2
    content.write_authors()
    for number in range(3):
        trusted(content, name=f"a{number}", title=f"Written number {number}", corrections=None,
                published=iso_day(-70 + number))
    with app.app_context():
        content.import_all()
    writer = client.get("/author/ada-writer").get_data(as_text=True)
    assert "<h1 class=\"page-title\" id=\"author-name\">Ada Writer, MSc</h1>" in writer
    assert "Health journalist" in writer and "Ada writes about sleep." in writer
    assert "Wrote 3 articles" in writer
    assert "Written number 2" in writer and "Written number 0" not in writer
    assert "Written number 0" in client.get("/author/ada-writer?page=2").get_data(as_text=True)
    reviewer = client.get("/author/ben-doctor").get_data(as_text=True)
    assert "Medically reviewed 3 articles" in reviewer and "Written number 2" in reviewer
    missing = client.get("/author/nobody")
    assert missing.status_code == 404 and "There is no author called" in missing.get_data(as_text=True)
    assert client.get("/author/ada-writer?page=9").status_code == 404


def test_site_pages_come_from_markdown(client, site):
    about = client.get("/about")
    assert about.status_code == 200
    text = about.get_data(as_text=True)
    assert "<title>About us · Mia&#39;s Feed</title>" in text
    assert "We explain <strong>health research</strong> plainly." in text
    assert "Every article is checked by a medical reviewer." in client.get("/editorial-policy").get_data(as_text=True)
    assert client.get("/pages/about").headers["Location"].endswith("/about")


def test_missing_site_page_is_a_clear_404(client, content, app):
    content.write("one")
    with app.app_context():
        content.import_all()
    response = client.get("/about")
    assert response.status_code == 404
    assert "content/pages/about.md" in response.get_data(as_text=True)


def test_corrections_page_lists_every_correction_newest_first(app, client, site):
    trusted(site, name="second", title="A second corrected article",
            corrections=[{"date": iso_day(-30), "note": "The dose was 20 mg, not 10 mg."}])
    with app.app_context():
        site.import_all()
    page = client.get("/corrections").get_data(as_text=True)
    assert "We fix mistakes openly." in page
    newer = page.index("The dose was 20 mg, not 10 mg.")
    older = page.index("We said 262 people took part; it was 226.")
    assert newer < older
    assert '<a href="/articles/a-second-corrected-article">A second corrected article</a>' in page


def test_every_page_has_the_footer_links(client, site):
    for path in ("/", "/articles/plain", "/about", "/corrections", "/author/ada-writer", "/privacy", "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        footer = page[page.index('<footer class="site-footer">'):]
        for href, words in (("/about", "About"), ("/editorial-policy", "Editorial policy"), ("/corrections", "Corrections"),
                            ("/privacy", "Privacy"), ("/feed.xml", "Atom feed"), ("/newsletter/subscribe", "Newsletter")):
            assert f'<a href="{href}">{words}</a>' in footer, (path, href)


def test_sitemap_lists_site_pages_and_author_pages(client, site):
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    for loc in ("http://localhost/about", "http://localhost/editorial-policy", "http://localhost/corrections",
                "http://localhost/author/ada-writer", "http://localhost/author/ben-doctor"):
        assert f"<loc>{loc}</loc>" in sitemap
    assert "cy-intern" not in sitemap  # no articles, nothing for a crawler


def test_renaming_a_person_in_authors_file_updates_bylines_of_unchanged_articles(app, client, content):
    content.write_authors()
    trusted(content)
    with app.app_context():
        content.import_all()
    content.write_authors(content.root.joinpath("authors.yml").read_text().replace("name: Ada Writer", "name: Ada Writer-Jones"))
    with app.app_context():
        result = content.import_all()
        assert result.unchanged == 1
        assert db.session.scalar(select(Article.author)) == "Ada Writer-Jones"
    feed = client.get("/feed.xml").get_data(as_text=True)
    assert "<name>Ada Writer-Jones</name>" in feed


def test_author_page_describes_the_person_in_json_ld(client, site):
    page = client.get("/author/ben-doctor").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "ProfilePage"
    assert data["mainEntity"]["name"] == "Ben Doctor"
    assert data["mainEntity"]["honorificSuffix"] == "MD, MPH"
    assert data["mainEntity"]["description"] == "Ben is a family doctor who checks our articles."


def test_other_site_pages_are_served_under_pages(app, client, site):
    site.write_page("contact", "Write to us.", title="Contact us")
    with app.app_context():
        site.import_all()
    assert "Write to us." in client.get("/pages/contact").get_data(as_text=True)
    missing = client.get("/pages/nothing-here")
    assert missing.status_code == 404 and "content/pages/nothing-here.md" in missing.get_data(as_text=True)
    assert "<loc>http://localhost/pages/contact</loc>" in client.get("/sitemap.xml").get_data(as_text=True)


def test_a_removed_page_file_removes_its_page(app, client, site):
    (site.root / "pages" / "about.md").unlink()
    with app.app_context():
        site.import_all()
    assert client.get("/about").status_code == 404


def test_cli_import_names_the_file_and_trust_key_and_exits_non_zero(app, runner, content):
    content.write_authors()
    bad = trusted(content, study=STUDY | {"doi": "not-a-doi"})
    result = runner.invoke(args=["content", "import", str(content.root)])
    assert result.exit_code == 1
    assert f"{bad}: study.doi: 'not-a-doi' does not look like a DOI" in result.output
