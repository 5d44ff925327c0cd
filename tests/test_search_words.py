"""Search understands the words readers use: lay and clinical names of the
same thing (the editors' content/synonyms.yml), and British and American
spellings."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from miafeed.content import ImportError_
from test_search import result_titles, search

SHIPPED_SYNONYMS = Path(__file__).resolve().parent.parent / "content" / "synonyms.yml"

# (reader's words, article's words), each meant to find the other.
SYNONYM_PAIRS = [
    ("heart attack", "myocardial infarction"),
    ("bowel cancer", "colorectal cancer"),
    ("kidney disease", "renal disease"),
    ("stroke", "cerebrovascular event"),
    ("high blood pressure", "hypertension"),
    ("paracetamol", "acetaminophen"),
    ("IBS", "irritable bowel syndrome"),
]

# (British, American): the same word, found either way.
SPELLING_PAIRS = [
    ("randomised", "randomized"),
    ("haemoglobin", "hemoglobin"),
    ("oestrogen", "estrogen"),
    ("paediatric", "pediatric"),
    ("centre", "center"),
    ("anaemia", "anemia"),
    ("behaviour", "behavior"),
    ("tumour", "tumor"),
    ("oedema", "edema"),
    ("diarrhoea", "diarrhea"),
    ("organisation", "organization"),
    ("analysed", "analyzed"),
    ("fibre", "fiber"),
    ("programme", "program"),
    ("leukaemia", "leukemia"),
    ("travelled", "traveled"),
]


def slug_for(words: str) -> str:
    return words.replace(" ", "-")


@pytest.fixture
def synonym_site(app, content):
    """One article per word of each synonym pair, using only that word; the
    editors' shipped synonym list beside them."""
    shutil.copy(SHIPPED_SYNONYMS, content.root / "synonyms.yml")
    for pair in SYNONYM_PAIRS:
        for words in pair:
            content.write(slug_for(words.lower()), title=f"'News about {words}'",
                          body=f"Researchers followed people with {words} for two years.",
                          summary="A follow-up study.", tags=["research"], category="Chronic Pain & Conditions")
    with app.app_context():
        content.import_all()
    return content


@pytest.mark.parametrize("lay, clinical", SYNONYM_PAIRS)
def test_lay_and_clinical_words_find_each_other_and_own_words_rank_first(client, synonym_site, lay, clinical):
    by_lay = result_titles(search(client, q=lay))
    by_clinical = result_titles(search(client, q=clinical))
    assert by_lay == [f"News about {lay}", f"News about {clinical}"]
    assert by_clinical == [f"News about {clinical}", f"News about {lay}"]


def test_a_synonym_found_is_marked_in_the_result(client, synonym_site):
    html = search(client, q="heart attack")
    assert "<mark>myocardial</mark> <mark>infarction</mark>" in html


def test_synonyms_widen_one_word_of_a_longer_query(client, synonym_site):
    assert result_titles(search(client, q="hypertension followed")) == [
        "News about hypertension", "News about high blood pressure"]


def test_a_quoted_phrase_is_not_widened(client, synonym_site):
    assert result_titles(search(client, q='"heart attack"')) == ["News about heart attack"]


def test_an_edited_synonym_list_changes_search_without_a_reindex(app, client, synonym_site):
    assert "News about hypertension" in result_titles(search(client, q="high blood pressure"))
    (synonym_site.root / "synonyms.yml").write_text("high blood pressure: [raised blood pressure]\n")
    with app.app_context():
        result = synonym_site.import_all()
    assert result.synonyms_changed and not (result.added or result.updated)
    assert result_titles(search(client, q="high blood pressure")) == ["News about high blood pressure"]


@pytest.mark.parametrize("text, where", [
    ("heart attack: myocardial infarction\n", "line 1 (heart attack)"),
    ("stroke: [brain attack]\nmini stroke: [brain attack]\n", "line 2 (mini stroke)"),
    ("flu: [influenza]\ncolds: [\"?!\"]\n", "line 2 (colds)"),
    ("- heart attack\n", None),
    ("flu: [influenza\n", None),
])
def test_a_bad_synonym_list_is_refused_naming_file_and_line(app, content, text, where):
    content.write("an-article")
    (content.root / "synonyms.yml").write_text(text)
    with app.app_context(), pytest.raises(ImportError_) as caught:
        content.import_all()
    message = str(caught.value)
    assert "synonyms.yml" in message
    if where:
        assert where in message
    with app.app_context():
        from miafeed.models import Article
        assert Article.query.count() == 0  # nothing half-imported


@pytest.fixture
def spelling_site(app, content):
    """For each spelling pair, one article with the British word, one with the American."""
    for number, (british, american) in enumerate(SPELLING_PAIRS):
        for spelling in (british, american):
            content.write(f"w{number}-{spelling}", title=f"'Study {number} {spelling}'",
                          body=f"The report on {spelling} was published.", summary="A report.", tags=["research"])
    with app.app_context():
        content.import_all()
    return content


@pytest.mark.parametrize("british, american", SPELLING_PAIRS)
def test_british_and_american_spellings_find_each_other(client, spelling_site, british, american):
    expected = sorted(f"Study {SPELLING_PAIRS.index((british, american))} {w}" for w in (british, american))
    assert sorted(result_titles(search(client, q=british))) == expected
    assert sorted(result_titles(search(client, q=american))) == expected


def test_spelling_rules_leave_other_words_apart():
    from miafeed.search.matching import analyse

    for first, second in [("poet", "pet"), ("hour", "hor"), ("tour", "tor"), ("filling", "filing"), ("shoe", "she")]:
        assert analyse(first) != analyse(second)
