"""The evidence in the reader's terms: who was studied, the absolute effect,
harms, cost, money and press releases; validated at import, shown in the
study box, on cards and in search results, and cited in JSON-LD."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from miafeed.content import ImportError_
from miafeed.extensions import db
from miafeed.models import Article

MOUSE_STUDY = {
    "type": "animal study", "journal": "Nature Metabolism", "year": 2024, "doi": "10.1038/s42255-024-00001-x",
    "studied_in": "animals", "animal": "mice", "participants": 48, "who": "Male mice fed a high-fat diet.",
    "absolute_effect": "not reported", "relative_effect": "Body fat 20% lower than in untreated mice",
    "harms": "not reported", "funding": "National Institutes of Health", "conflicts": "not reported",
    "press_release": True,
}
PEOPLE_STUDY = {
    "type": "randomised trial", "journal": "The Lancet", "year": 2023, "doi": "10.1016/S0140-6736(23)00001-1",
    "studied_in": "people", "participants": 12500, "studies": None,
    "absolute_effect": "12 in 100 had a stroke with the drug versus 9 in 100 with placebo",
    "relative_effect": "33% higher risk", "harms": "Nausea in 1 in 10", "cost": "About £30 a month; NHS prescription only",
    "funding": "The drug's maker", "conflicts": "Two authors are paid advisers to the maker", "press_release": "not reported",
}
CELL_STUDY = {
    "type": "lab study", "journal": "Cell Reports", "year": 2025, "url": "https://example.org/cells",
    "studied_in": "cells", "participants": "not reported", "absolute_effect": "not reported", "harms": "not reported",
    "funding": "not reported", "conflicts": "none declared", "press_release": False,
}


@pytest.fixture
def evidence_site(app, content):
    content.write("mice", title="A fat-burning signal found in mice", slug="mice", tags=["obesity"], study=MOUSE_STUDY)
    content.write("people", title="A drug and stroke", slug="people", tags=["stroke"], study=PEOPLE_STUDY)
    content.write("cells", title="Cells that repair", slug="cells", tags=["repair"], study=CELL_STUDY)
    with app.app_context():
        content.import_all()
    return content


def study_box(client, slug) -> str:
    page = client.get(f"/articles/{slug}").get_data(as_text=True)
    box = page[page.index('<section class="study-box"'):]
    return re.sub(r"\s+", " ", box[:box.index("</section>")])


def test_import_stores_each_evidence_field(app, evidence_site):
    with app.app_context():
        people = db.session.scalar(select(Article).where(Article.slug == "people"))
        assert (people.study_studied_in, people.study_participants, people.study_studies) == ("people", 12500, None)
        assert people.study_absolute_effect == "12 in 100 had a stroke with the drug versus 9 in 100 with placebo"
        assert people.study_cost == "About £30 a month; NHS prescription only"
        assert people.study_press_release is None
        mice = db.session.scalar(select(Article).where(Article.slug == "mice"))
        assert (mice.study_animal, mice.study_absolute_effect, mice.study_press_release) == ("mice", "not reported", True)


def test_study_box_says_each_answer_in_plain_words(client, evidence_site):
    people = study_box(client, "people")
    assert "<dt>Who was studied</dt><dd>12,500 people.</dd>" in people
    assert "12 in 100 had a stroke with the drug versus 9 in 100 with placebo" in people
    assert "As a change in risk compared with the other group: 33% higher risk." in people
    assert "<dt>Harms and side effects</dt><dd>Nausea in 1 in 10.</dd>" in people
    assert "<dt>Cost and availability</dt><dd>About £30 a month; NHS prescription only.</dd>" in people
    assert "<dt>Who paid for it</dt><dd>The drug&#39;s maker.</dd>" in people
    assert "Two authors are paid advisers to the maker" in people
    assert "<dt>Based on a press release?</dt><dd>We could not confirm whether our source is a press release.</dd>" in people
    assert '<a href="https://doi.org/10.1016/S0140-6736(23)00001-1" rel="noopener">Read the study</a>' in people
    assert "<dt>DOI</dt>" not in people

    mice = study_box(client, "mice")
    assert "48 mice. Results in animals often do not carry over to people." in mice
    assert "Male mice fed a high-fat diet." in mice
    assert "The study gives only a relative change: body fat 20% lower than in untreated mice." in mice
    assert "It does not say how many people in 100 that means." in mice
    assert "absolute terms" not in mice
    assert "<dt>Harms and side effects</dt><dd>Not reported.</dd>" in mice
    assert "Cost and availability" not in mice  # only where it matters
    assert "<dd>Yes: our source is a press release" in mice
    assert "not reported" not in mice  # always said as a sentence

    cells = study_box(client, "cells")
    assert "Cells in the laboratory, not people." in cells
    assert "<dt>Conflicts of interest</dt><dd>None declared.</dd>" in cells
    assert "<dd>No: our source is the study itself" in cells
    assert "The study, as reported, gives no figures" in cells
    assert '<a href="https://example.org/cells" rel="noopener">Read the study</a>' in cells


def test_cards_and_search_results_say_studied_in_mice_or_cells_and_nothing_for_people(client, evidence_site):
    home = client.get("/").get_data(as_text=True)

    def card(title):
        part = home[home.index(title):]
        return part[:part.index("</article>")]

    assert "Studied in mice" in card("A fat-burning signal found in mice")
    assert "Studied in cells" in card("Cells that repair")
    assert "Studied in" not in card("A drug and stroke")
    results = client.get("/search?q=fat-burning").get_data(as_text=True)
    assert "Studied in mice" in results


def test_json_ld_cites_the_study_as_a_medical_scholarly_article_with_its_publication_type(client, evidence_site):
    for slug, publication_type in (("people", "Randomized Controlled Trial"), ("mice", "Journal Article")):
        page = client.get(f"/articles/{slug}").get_data(as_text=True)
        data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
        assert data["citation"]["@type"] == "MedicalScholarlyArticle"
        assert data["citation"]["publicationType"] == publication_type


@pytest.mark.parametrize(
    "change, key, message",
    [
        ({"studied_in": None}, "study.studied_in", "is missing: say it, or write \"not reported\""),
        ({"harms": None}, "study.harms", "is missing"),
        ({"press_release": None}, "study.press_release", "is missing"),
        ({"studied_in": "plants"}, "study.studied_in", "'plants' must be one of: people, animals, cells"),
        ({"animal": None}, "study.animal", "name the animal, in the plural"),
        ({"studied_in": "people"}, "study.animal", "is only for studies in animals"),
        ({"participants": "lots"}, "study.participants", "'lots' must be a whole number like 140, or \"not reported\""),
        ({"participants": 0}, "study.participants", "must be a whole number"),
        ({"studies": "not reported"}, "study.studies", "must be a whole number like 140"),
        ({"absolute_effect": "a big drop"}, "study.absolute_effect", "gives no figures"),
        ({"relative_effect": "much lower"}, "study.relative_effect", "gives no figures"),
        ({"funding": ""}, "study.funding", "must be text of 1 to 400 characters"),
        ({"conflicts": "x" * 401}, "study.conflicts", "must be text of 1 to 400 characters"),
        ({"press_release": "maybe"}, "study.press_release", "'maybe' must be true, false or \"not reported\""),
        ({"who": "not reported"}, "study.who", "leave it out instead"),
        ({"sample": 4}, "study.sample", "is not a known key"),
    ],
)
def test_bad_evidence_is_refused_naming_file_and_key(app, content, change, key, message):
    study = {k: v for k, v in (MOUSE_STUDY | change).items() if v is not None}
    bad = content.write("mice", title="Mice", study=study)
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
        text = str(caught.value)
        assert f"{bad}: {key}: " in text, text
        assert message in text, text
        assert db.session.scalar(select(Article.id)) is None


def test_every_missing_evidence_key_is_named_at_once(app, content):
    bad = content.write("half", title="Half", study={"type": "cohort study", "journal": "BMJ", "year": 2020,
                                                    "doi": "10.1136/bmj.m1", "studied_in": "people"})
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
    keys = {problem.key for problem in caught.value.problems}
    assert keys == {"study.participants", "study.absolute_effect", "study.harms", "study.funding",
                    "study.conflicts", "study.press_release"}
    assert all(problem.path == str(bad) for problem in caught.value.problems)


@pytest.mark.parametrize("who", ["Close to 34,000 adults aged 40 and over.", "Two dozen healthy young adults."])
def test_a_number_in_the_description_is_said_never_not_reported(app, client, content, who):
    study = PEOPLE_STUDY | {"participants": "not reported", "who": who}
    content.write("described", title="Blood pressure and memory", slug="described", tags=["memory"], study=study)
    with app.app_context():
        content.import_all()
    box = study_box(client, "described")
    assert f"<dt>Who was studied</dt><dd>{who}</dd>" in box
    assert "not reported" not in box


def test_without_a_number_anywhere_the_box_says_it_was_not_reported(app, client, content):
    study = PEOPLE_STUDY | {"participants": "not reported", "who": "Adults with high blood pressure."}
    content.write("undescribed", title="Blood pressure and memory", slug="undescribed", tags=["memory"], study=study)
    with app.app_context():
        content.import_all()
    assert "People (the exact number was not reported)." in study_box(client, "undescribed")


def test_a_hazard_ratio_is_explained_in_words(app, client, content):
    study = PEOPLE_STUDY | {"absolute_effect": "not reported", "relative_effect": "33% higher risk (hazard ratio 1.33)"}
    content.write("ratio", title="Isolation and risk", slug="ratio", tags=["isolation"], study=study)
    with app.app_context():
        content.import_all()
    assert "1 means no difference" in study_box(client, "ratio")


def test_no_demo_study_box_says_not_reported_beside_a_number(app, client):
    from miafeed.content import import_content
    from miafeed.content.evidence import gives_figures

    with app.app_context():
        import_content(app.config["CONTENT_DIR"])
        slugs = db.session.scalars(select(Article.slug).where(Article.study_type.is_not(None))).all()
    assert len(slugs) >= 40
    for slug in slugs:
        who = re.search(r"<dt>Who was studied</dt><dd>(.*?)</dd>", study_box(client, slug)).group(1)
        # "in 5 studies" counts studies, not people.
        people = re.sub(r", in \d+ studies|<[^>]+>", "", who)
        assert not ("not reported" in people and gives_figures(people)), (slug, who)
