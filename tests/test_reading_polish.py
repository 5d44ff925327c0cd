"""Reading polish: redirects to canonical addresses, what cards and the related panel say."""
from __future__ import annotations

import pytest

from miafeed.articles.related import whole_sentences


@pytest.fixture
def small_site(app, content):
    content.write("insomnia", title="Therapy for insomnia outlasts pills", slug="insomnia-therapy", tags=["sleep", "CBT"],
                  summary="A review found therapy worked longer. The evidence base was small, e.g. five trials. "
                          "Researchers want bigger trials before anyone changes what doctors recommend to patients.")
    content.write("naps", title="Long naps and memory", slug="long-naps", tags=["sleep", "memory"], published="2026-01-12")
    content.write("pain", title="CBT changes pain networks", slug="cbt-pain", category="'Chronic Pain & Conditions'",
                  tags=["CBT", "chronic pain"], published="2026-01-13")
    with app.app_context():
        content.import_all()
    return content


@pytest.mark.parametrize("path", ["/articles/insomnia-therapy/", "/articles/Insomnia-Therapy", "/articles/INSOMNIA-THERAPY/"])
def test_trailing_slash_and_upper_case_slugs_redirect_permanently_to_the_canonical_address(client, small_site, path):
    response = client.get(path)
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/articles/insomnia-therapy")
    assert client.get(response.headers["Location"]).status_code == 200


def test_an_unknown_slug_still_gets_the_not_found_page_after_the_redirect(client, small_site):
    response = client.get("/articles/No-Such-Thing/", follow_redirects=True)
    assert response.status_code == 404
    assert "We could not find that article" in response.get_data(as_text=True)


def test_cards_on_a_category_page_do_not_repeat_its_name_but_home_cards_show_it(client, small_site):
    category_page = client.get("/category/sleep").get_data(as_text=True)
    assert 'class="category-link"' not in category_page
    assert "Long naps and memory" in category_page
    home = client.get("/").get_data(as_text=True)
    assert home.count('class="category-link"') == 3


def test_copy_link_button_is_marked_as_needing_script(client, small_site):
    page = client.get("/articles/insomnia-therapy").get_data(as_text=True)
    assert '<button type="button" class="share-button needs-script" data-copy-url="http://localhost/articles/insomnia-therapy">Copy link</button>' in page


def test_related_placeholder_links_to_the_related_page_and_hides_script_only_states(client, small_site):
    page = client.get("/articles/insomnia-therapy").get_data(as_text=True)
    assert '<a href="/articles/insomnia-therapy/related">See related articles</a>' in page
    assert '<span class="related-loading" hidden>Finding articles on the same topics…</span>' in page
    assert '<button type="button" class="related-retry">Try again</button>' in page


def test_related_panel_shows_whole_sentences_and_says_what_the_articles_share(client, small_site):
    panel = client.get("/articles/long-naps/related", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "A review found therapy worked longer. The evidence base was small, e.g. five trials.</p>" in panel
    assert "Researchers want bigger trials" not in panel
    assert "…" not in panel and "..." not in panel
    assert "Also about: sleep" in panel and "Shares" not in panel


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("One. Two. Three.", 100, "One. Two. Three."),
        ("First sentence here. Second sentence is longer.", 25, "First sentence here."),
        ("A single sentence that runs well past the limit.", 10, "A single sentence that runs well past the limit."),
        ('She said "stop." Then 3 more came.', 100, 'She said "stop." Then 3 more came.'),
        ('She said "stop." Then 3 more came.', 18, 'She said "stop."'),
        ("Fish, e.g. salmon, helps. More here.", 27, "Fish, e.g. salmon, helps."),
    ],
)
def test_whole_sentences_never_cuts_a_sentence(text, limit, expected):
    assert whole_sentences(text, limit) == expected
