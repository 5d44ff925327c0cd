"""The editor's check (`flask content check`, and warnings from the import):
what a careful reader would catch before an article goes out."""
from __future__ import annotations

from pathlib import Path

from test_evidence import PEOPLE_STUDY

SITTING_BODY = "Sitting for more than about 10.6 hours a day was linked to heart failure."
SHIPPED_CONTENT = Path(__file__).resolve().parent.parent / "content"


def check(runner, folder) -> tuple[int, str]:
    result = runner.invoke(args=["content", "check", str(folder)])
    return result.exit_code, result.output


def test_a_number_in_the_title_that_the_story_never_gives_is_named(runner, content):
    content.write("sitting", title="'More than 10.5 hours of sitting linked to heart failure'", body=SITTING_BODY)
    code, output = check(runner, content.root)
    assert code == 1
    assert "sitting.md: title: gives 10.5, which the summary and body never give" in output


def test_a_study_size_that_disagrees_with_its_description_is_named(runner, content):
    study = PEOPLE_STUDY | {"participants": 180, "who": "Close to 34,000 adults aged 40 and over."}
    content.write("sizes", title="Blood pressure and memory", study=study)
    code, output = check(runner, content.root)
    assert code == 1 and "sizes.md: study.participants: is 180 but study.who opens with 34,000" in output


def test_a_rounded_description_of_the_same_size_is_fine(runner, content):
    study = PEOPLE_STUDY | {"participants": 33995, "who": "Close to 34,000 adults aged 40 and over."}
    content.write("rounded", title="Blood pressure and memory", study=study)
    assert check(runner, content.root) == (0, "Checked 1 article(s): 0 warning(s).\n")


def test_percent_and_the_percent_sign_in_one_article_are_named(runner, content):
    content.write("mixed", body="Risk fell by 15 percent. Deaths fell by 12%.")
    code, output = check(runner, content.root)
    assert code == 1 and "mixed.md: body: mixes \"percent\" and \"%\"" in output


def test_a_press_release_source_marked_otherwise_is_named(runner, content):
    study = PEOPLE_STUDY | {"press_release": False}
    content.write("release", source_url="https://www.example.edu/news/press-release/sleep", study=study)
    code, output = check(runner, content.root)
    assert code == 1 and "release.md: study.press_release: is not true" in output


def test_the_import_goes_ahead_and_prints_the_warnings(app, runner, content):
    content.write("sitting", title="'More than 10.5 hours of sitting linked to heart failure'", body=SITTING_BODY)
    result = runner.invoke(args=["content", "import", str(content.root)])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "gives 10.5" in result.output
    assert "1 added" in result.output


def test_the_demo_articles_pass_the_check(runner):
    code, output = check(runner, SHIPPED_CONTENT)
    assert code == 0, output
