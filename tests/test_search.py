"""Full-text search: what a reader finds, sees and is offered at /search."""
from __future__ import annotations

import re
import shutil
import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clock import iso_day
from miafeed.clock import utcnow
from miafeed.search import indexing, store
from miafeed.search.guard import MAX_QUERY_CHARS, MAX_TERMS, clean_query

PAIN_BODY = """
A review of brain-imaging studies found that psychological treatments such as
cognitive behavioural therapy change activity in the brain networks that
process pain. People with chronic pain reported less distress afterwards.
"""


def result_titles(html: str) -> list[str]:
    """Titles of the results as a reader reads them (highlighting removed)."""
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r'class="search-hit-title"><a [^>]*>(.*?)</a>', html, re.S)]


def status_text(html: str) -> str:
    found = re.search(r'id="search-status"[^>]*>(.*?)</p>', html, re.S)
    return re.sub(r"\s+", " ", found.group(1)).strip() if found else ""


@pytest.fixture
def site(app, content):
    """A small site: pain, meditation and sleep articles, imported (and so indexed)."""
    content.write(
        "pain-review",
        body=PAIN_BODY,
        title="'Psychological treatment for chronic pain changes how the brain processes it'",
        category="Chronic Pain & Conditions",
        tags=["chronic pain", "CBT"],
        summary="Therapy changes pain processing in the brain.",
        published="2026-03-01",
    )
    content.write(
        "meditation-anxiety",
        body="Eight weeks of mindfulness meditation eased anxiety as much as a common drug.",
        title="'Mindfulness meditation matched an anxiety drug'",
        category="Mental Health & Mindfulness",
        tags=["meditation", "anxiety"],
        summary="A head-to-head trial of meditation.",
        published="2026-02-01",
    )
    content.write(
        "sleep-meditation",
        body="Short daily meditation before bed improved sleep quality in older adults.",
        title="'Meditation before bed helps older adults sleep'",
        category="Sleep",
        tags=["sleep", "meditation"],
        summary="Better sleep quality after a meditation course.",
        published="2026-04-01",
    )
    content.write(
        "sleep-hearts",
        body="Keeping a regular sleep schedule was linked to fewer heart problems. Sleep quality mattered less.",
        title="'Regular sleep schedules linked to healthier hearts'",
        category="Sleep",
        tags=["sleep", "heart"],
        summary="Regularity matters more than duration.",
        published="2026-01-10",
    )
    with app.app_context():
        content.import_all()
    return content


def search(client, **params):
    response = client.get("/search", query_string=params)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_finds_the_chronic_pain_review_with_words_highlighted(client, site):
    html = search(client, q="psychological treatment chronic pain brain")
    assert result_titles(html) == ["Psychological treatment for chronic pain changes how the brain processes it"]
    assert "<mark>Psychological</mark> <mark>treatment</mark> for <mark>chronic</mark> <mark>pain</mark>" in html
    assert "<mark>brain</mark>" in html  # in the snippet too
    assert status_text(html) == "1 article for “psychological treatment chronic pain brain”."


def test_result_shows_category_date_and_reading_time(client, site):
    html = search(client, q="chronic pain")
    assert "Chronic Pain &amp; Conditions</a>" in html
    assert "1 March 2026" in html
    assert "1 min read" in html


def test_stemming_meditating_finds_what_meditation_finds(client, site):
    by_noun = result_titles(search(client, q="meditation"))
    by_verb = result_titles(search(client, q="meditating"))
    assert len(by_noun) == 2
    assert sorted(by_verb) == sorted(by_noun)


def test_accents_are_folded(client, site):
    assert result_titles(search(client, q="MÉDITATION anxiety")) == ["Mindfulness meditation matched an anxiety drug"]


def test_words_are_anded(client, site):
    assert result_titles(search(client, q="meditation anxiety")) == ["Mindfulness meditation matched an anxiety drug"]


def test_quoted_phrase_matches_words_together_only(client, site):
    assert len(result_titles(search(client, q="sleep quality"))) == 2
    assert result_titles(search(client, q='"quality sleep"')) == []
    assert result_titles(search(client, q='"sleep quality"')) != []


def test_facets_count_categories_and_narrow_the_search(client, site):
    html = search(client, q="meditation")
    assert re.findall(r'<a href="/search\?q=meditation&amp;category=[^"]+" hx-get="[^"]+">([^<]+)</a>', html) == [
        "Mental Health &amp; Mindfulness (1)",
        "Sleep (1)",
    ]

    narrowed = search(client, q="meditation", category="sleep")
    assert result_titles(narrowed) == ["Meditation before bed helps older adults sleep"]
    assert status_text(narrowed) == "1 article for “meditation” in Sleep."
    # The other category is still offered, and the filter can be removed.
    assert "Mental Health &amp; Mindfulness (1)</a>" in narrowed
    assert 'aria-current="true">Sleep (1)</span>' in narrowed
    assert '<a class="facet-clear" href="/search?q=meditation"' in narrowed


def test_a_misspelt_word_is_searched_as_the_nearest_word_and_says_so(client, site):
    html = search(client, q="meditaton")
    assert status_text(html) == "2 articles for “meditation”."
    assert "Showing results for <strong>meditation</strong>." in html
    assert sorted(result_titles(html)) == sorted(result_titles(search(client, q="meditation")))
    # The reader's own words stay in the box, and one link searches them as typed.
    assert 'value="meditaton"' in html
    exact = search(client, q="meditaton", exact="1")
    assert 'href="/search?q=meditaton&amp;exact=1"' in html
    assert status_text(exact) == "No articles found for “meditaton”."
    assert "Showing results for" not in exact


def test_typos_keep_the_first_letter_and_long_words_allow_two_edits(client, site):
    # One edit for a short word, first letter kept: "sleeq" is sleep, "bleep" is not.
    assert status_text(search(client, q="sleeq")) == "2 articles for “sleep”."
    assert status_text(search(client, q="xleep")) == "No articles found for “xleep”."
    # Two edits (a doubled letter and a dropped one) in a long word.
    assert status_text(search(client, q="mindfullnes")) == "1 article for “mindfulness”."
    assert "No articles found" in status_text(search(client, q="medxxxtion"))  # three edits


def test_the_last_word_matches_as_a_prefix_from_three_letters(client, site):
    for typed in ("med", "medi", "medit", "meditat", "meditati", "meditatio"):
        assert len(result_titles(search(client, q=typed))) == 2, typed
    # Shorter, the reader is still typing: not told "no results" (issue 21).
    assert status_text(search(client, q="me")) == "Keep typing…"
    # With a word before it, two letters are enough: "chronic pa".
    assert result_titles(search(client, q="chronic pa")) == ["Psychological treatment for chronic pain changes how the brain processes it"]
    # Only the last word: an unfinished word earlier in the query is a typo, not a prefix.
    assert "Showing results for" not in search(client, q="meditation anx")


def test_whole_word_matches_rank_above_prefix_only_matches(app, client, content):
    content.write("pains", title="'Notes on painkillers for knees'", tags=["knees"], body="Painkillers, painkillers and more painkillers.", published="2026-05-01")
    content.write("pain", title="'A short note on pain'", tags=["knees"], body="Words.", published="2026-01-01")
    with app.app_context():
        content.import_all()
    assert result_titles(search(client, q="pain")) == ["A short note on pain", "Notes on painkillers for knees"]
    assert result_titles(search(client, q="pai")) != []


def test_did_you_mean_offers_a_near_spelling_that_finds_more(app, client, site, content):
    content.write("meditatin", title="'One meditatin typo in a title'", tags=["typos"], body="Words.", published="2026-05-01")
    with app.app_context():
        content.import_all()
    html = search(client, q="meditatin")
    assert status_text(html) == "1 article for “meditatin”."
    assert 'Did you mean <a href="/search?q=meditation"' in html


def test_never_did_you_mean_for_the_start_of_an_indexed_word(client, site):
    for typed in ("insom", "medit", "chron"):
        html = search(client, q=f"{typed} sleep")
        assert "Did you mean" not in html and "Showing results for" not in html, typed


def test_pagination_ten_per_page(app, client, content):
    for number in range(23):
        content.write(f"walk-{number}", title=f"'Walking study number {number}'", body="Walking helps.", published=f"2026-01-{number + 1:02d}")
    with app.app_context():
        content.import_all()
    first = search(client, q="walking")
    assert len(result_titles(first)) == 10
    assert status_text(first) == "23 articles for “walking”, page 1 of 3."
    assert 'href="/search?q=walking&amp;page=2"' in first
    third = search(client, q="walking", page="3")
    assert len(result_titles(third)) == 3
    past = client.get("/search?q=walking&page=4")
    assert past.status_code == 404
    html = past.get_data(as_text=True)
    assert "There is no page 4: this search has 3 pages." in html
    assert '<a href="/search?q=walking&amp;page=3">Go to the last page, page 3</a>' in html


def test_newest_first_sorts_by_publication_date(client, site):
    titles = result_titles(search(client, q="sleep", sort="newest"))
    assert titles == ["Meditation before bed helps older adults sleep", "Regular sleep schedules linked to healthier hearts"]


def test_empty_query_is_a_helpful_page(client, site):
    html = search(client)
    assert status_text(html) == "Type a few words to search the articles."
    assert "Browse by category" in html and 'href="/category/sleep"' in html
    assert "Latest articles" in html and "Meditation before bed helps older adults sleep" in html


def test_zero_results_say_so_and_offer_categories(client, site):
    html = search(client, q="astrophysics")
    assert status_text(html) == "No articles found for “astrophysics”."
    assert "browse a category" in html and 'href="/category/sleep"' in html


def test_htmx_gets_the_results_fragment_and_everyone_gets_vary(client, site):
    fragment = client.get("/search?q=sleep", headers={"HX-Request": "true"})
    page = client.get("/search?q=sleep")
    boosted = client.get("/search?q=sleep", headers={"HX-Request": "true", "HX-Boosted": "true"})
    restore = client.get("/search?q=sleep", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert result_titles(fragment.get_data(as_text=True)) == result_titles(page.get_data(as_text=True))
    for full in (page, boosted, restore):
        assert "<html" in full.get_data(as_text=True)
    for response in (fragment, page, boosted, restore, client.get("/search?page=x")):
        assert "HX-Request" in response.headers["Vary"]


def test_search_pages_are_not_indexed_by_robots(client, site):
    assert '<meta name="robots" content="noindex">' in search(client, q="sleep")


def test_active_search_form_works_without_javascript_too(client, site):
    html = search(client, q="sleep")
    form = re.search(r'<form class="search-form" action="/search" method="get".*?</form>', html, re.S).group(0)
    assert '<button type="submit">Search</button>' in form
    # Typing replaces the address, submitting pushes, stale answers are dropped.
    assert 'hx-trigger="input changed delay:150ms, search"' in form and 'hx-replace-url="true"' in form
    assert 'hx-trigger="submit"' in form and 'hx-push-url="true"' in form and 'hx-target="#search-results"' in form
    assert 'hx-sync="closest form:replace"' in form
    assert "<script" not in html.split("</head>", 1)[1] and "style=" not in html


def test_site_header_has_a_search_box(client, site):
    html = client.get("/").get_data(as_text=True)
    assert '<form class="header-search" action="/search" method="get" role="search" data-live-search>' in html


def test_drafts_and_future_articles_are_not_found(app, client, content):
    content.write("draft", title="'Secret draft about zebras'", draft="true")
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    content.write("future", title="'Future piece about zebras'", published=tomorrow)
    content.write("today", title="'Published piece about zebras'")
    with app.app_context():
        content.import_all()
    assert result_titles(search(client, q="zebras")) == ["Published piece about zebras"]


def test_a_future_article_is_found_from_its_time_on_without_a_reindex(app, client, content, clock):
    content.write("future", title="'Future piece about zebras'", published=iso_day(2))
    content.write("later", title="'Later piece about zebras'", published=iso_day(5))
    content.write("today", title="'Published piece about zebras'")
    with app.app_context():
        content.import_all()
    assert result_titles(search(client, q="zebras")) == ["Published piece about zebras"]
    assert status_text(search(client, q="zebra")) == "1 article for “zebra”."
    clock.advance(days=3)
    # The same worker, its searcher unchanged: the first piece's time has come.
    assert result_titles(search(client, q="zebras", sort="newest")) == ["Future piece about zebras", "Published piece about zebras"]
    clock.advance(days=3)
    assert result_titles(search(client, q="zebras", sort="newest")) == ["Later piece about zebras", "Future piece about zebras", "Published piece about zebras"]


def test_import_updates_the_index_for_edits_and_removals(app, client, site):
    assert result_titles(search(client, q="zebras")) == []
    site.write("sleep-hearts", title="'Regular sleep schedules and zebras'", category="Sleep", published="2026-01-10")
    (site.articles / "meditation-anxiety.md").unlink()
    with app.app_context():
        site.import_all(prune=True)
    assert result_titles(search(client, q="zebras")) == ["Regular sleep schedules and zebras"]
    assert result_titles(search(client, q="anxiety")) == []


def test_missing_index_is_a_polite_message_and_a_health_failure(app, client, site):
    with app.app_context():
        shutil.rmtree(store.search_root())
    html = search(client, q="sleep")
    assert "Search is not available right now" in html
    assert 'href="/category/sleep"' in html
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["checks"]["search"].startswith("missing")
    assert client.get("/").status_code == 200  # nothing else breaks


def test_empty_site_without_index_is_healthy(client):
    health = client.get("/healthz")
    assert health.get_json()["checks"]["search"] == "ok"
    assert status_text(search(client, q="sleep")) == "No articles found for “sleep”."


def test_reindex_rebuilds_from_the_database_into_a_new_folder(app, client, runner, site):
    with app.app_context():
        before = store.current_index_dir(store.search_root())
    result = runner.invoke(args=["search", "reindex", "--procs", "1"])
    assert result.exit_code == 0, result.output
    assert "Indexed 4 articles" in result.output
    with app.app_context():
        after = store.current_index_dir(store.search_root())
    assert after != before
    assert len(result_titles(search(client, q="meditation"))) == 2


def test_reindex_with_two_processes_gives_the_same_results(client, runner, site):
    result = runner.invoke(args=["search", "reindex", "--procs", "2"])
    assert result.exit_code == 0, result.output
    assert len(result_titles(search(client, q="meditation"))) == 2


def test_a_failed_rebuild_leaves_the_old_index_working(app, client, site, monkeypatch):
    def broken(article):
        raise RuntimeError("killed mid-rebuild")

    monkeypatch.setattr(indexing, "article_document", broken)
    with app.app_context(), pytest.raises(RuntimeError):
        indexing.rebuild(procs=1)
    monkeypatch.undo()
    assert len(result_titles(search(client, q="meditation"))) == 2


def test_ensure_builds_a_missing_index_and_is_quiet_when_current(app, runner, site):
    with app.app_context():
        shutil.rmtree(store.search_root())
    first = runner.invoke(args=["search", "ensure"])
    assert "missing or out of date; rebuilding" in first.output and "Indexed 4 articles" in first.output
    second = runner.invoke(args=["search", "ensure"])
    assert second.output.strip() == "Search index is up to date."


def test_rebuilds_while_readers_search_never_fail(app, site):
    errors: list[BaseException] = []
    found: list[int] = []
    stop = threading.Event()

    def reader():
        reader_client = app.test_client()
        while not stop.is_set():
            try:
                html = reader_client.get("/search?q=meditation").get_data(as_text=True)
                found.append(len(result_titles(html)))
            except BaseException as exc:  # noqa: BLE001  (any failure fails the test)
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        with app.app_context():
            for _ in range(4):
                indexing.rebuild(procs=1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert found and set(found) == {2}


@pytest.mark.parametrize(
    "hostile",
    [
        "x" * 100_000,
        "*",
        "sleep*",
        "title:secret",
        '"unbalanced quote',
        "sleep\x00\x07\x1b[31m",
        "😀🛌💤 sleep",
        "'; DROP TABLE articles; --",
        "a AND b OR NOT c",
        "(((((((sleep",
        "sleep^100",
        "[a TO z]",
        "\u202eevil\u202c",
        " ".join(["sleep"] * 500),
    ],
)
def test_hostile_queries_answer_200(client, site, hostile):
    response = client.get("/search", query_string={"q": hostile})
    assert response.status_code == 200


def test_query_guard_caps_length_and_terms_and_drops_syntax():
    assert len(clean_query("x" * 100_000).text) <= MAX_QUERY_CHARS
    assert len(clean_query(" ".join(f"w{i}" for i in range(100))).words) == MAX_TERMS
    assert clean_query("title:sleep*").text == "title sleep"
    assert clean_query('"sleep quality" and "broken').phrases == ("sleep quality",)
    assert clean_query("  \x00  ").text == ""
    assert clean_query("sleep").truncated is False


@pytest.mark.parametrize(
    "params",
    [
        {"q": "sleep", "page": "0"},
        {"q": "sleep", "page": "-1"},
        {"q": "sleep", "page": "1e9"},
        {"q": "sleep", "page": "9999999"},
        {"q": "sleep", "sort": "'; DROP"},
        {"q": "sleep", "category": "no-such-category"},
        {"q": "sleep", "category": "x" * 5000},
    ],
)
def test_bad_page_sort_or_category_never_500(client, site, params):
    assert client.get("/search", query_string=params).status_code < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=st.text(max_size=300),
    category=st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["sleep", "nutrition"])),
    sort=st.one_of(st.none(), st.text(max_size=10), st.sampled_from(["relevance", "newest"])),
    page=st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 200).map(str)),
    htmx=st.booleans(),
)
def test_any_input_never_gets_a_server_error(client, site, q, category, sort, page, htmx):
    params = {key: value for key, value in {"q": q, "category": category, "sort": sort, "page": page}.items() if value is not None}
    response = client.get("/search", query_string=params, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code < 500
    assert "HX-Request" in response.headers["Vary"]


SECTIONED_BODY = """
## What the researchers did

The review was led by a team in Oslo. It pooled twelve trials in which volunteers wrote gratitude letters to someone who had helped them, and compared them with people who wrote about their day in neutral terms.

- Letters to a friend raised mood for about a week.
- A private gratitude diary did less.

## What it means

Most effects were small. The authors still call gratitude cheap to try, and say longer trials should follow.
"""


def snippet_text(html: str) -> list[str]:
    """The snippets of a results page as a reader reads them."""
    return [re.sub(r"<[^>]+>", "", s).strip() for s in re.findall(r'<p class="search-snippet">(.*?)</p>', html, re.S)]


def test_snippets_are_whole_sentences_and_never_run_headings_or_list_items_together(app, client, content):
    content.write("gratitude", body=SECTIONED_BODY, title="'Thank-you letters lift mood'", tags=["mood"], summary="Twelve trials.")
    with app.app_context():
        content.import_all()
    [text] = snippet_text(search(client, q="gratitude"))
    assert "researchers did" not in text and "What it means" not in text
    assert "did less. Most" not in text and "week. A private" not in text
    fragments = text.split(" … ")
    assert len(fragments) <= 2
    for fragment in fragments:
        assert fragment[0].isupper() and fragment.endswith((".", "…")), fragment
    assert "<mark>gratitude</mark>" in search(client, q="gratitude")


def test_a_long_sentence_is_cut_at_a_word_with_an_ellipsis(app, client, content):
    words = " ".join(f"word{n}" for n in range(120))
    content.write("long", body=f"Opening words {words} then the rare zanzibar term and {words} final.", title="'A long one'", tags=["mood"])
    with app.app_context():
        content.import_all()
    [text] = snippet_text(search(client, q="zanzibar"))
    assert "zanzibar" in text and len(text) <= 320
    assert text.startswith("… ") and text.endswith(" …")
    assert re.fullmatch(r"… (word\d+ )+then the rare zanzibar term and( word\d+)+ …", text), text


def test_header_live_box_lists_top_matches_and_a_way_to_all_results(client, site):
    fragment = client.get("/search/suggest?q=medit", headers={"HX-Request": "true"}).get_data(as_text=True)
    options = re.findall(r'role="option"[^>]*data-href="([^"]+)"', fragment)
    assert options[:2] and all(href.startswith("/articles/") for href in options[:2])
    assert options[-1] == "/search?q=medit"
    assert "See all results for “medit”" in fragment
    assert "Mental Health &amp; Mindfulness</span>" in fragment  # the category of a match
    status = re.search(r'id="header-search-status" hx-swap-oob="innerHTML">(.*?)</span>', fragment, re.S).group(1)
    assert status.startswith("2 articles for “medit”.")
    none = client.get("/search/suggest?q=astrophysics", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'role="option"' in none and "No articles found for “astrophysics”" in none
    # Not from htmx (someone opened the address): the full results page.
    response = client.get("/search/suggest?q=medit")
    assert response.status_code == 302 and response.headers["Location"].endswith("/search?q=medit")


def test_header_box_without_javascript_is_a_plain_form(client, site):
    html = client.get("/").get_data(as_text=True)
    form = re.search(r'<form class="header-search" action="/search" method="get".*?</form>', html, re.S).group(0)
    assert 'name="q"' in form and '<button type="submit">Search</button>' in form
    assert 'hx-sync="this:replace"' in form  # a newer keystroke's answer always wins
    assert 'role="combobox"' not in form  # added by the script that makes it one


def test_an_unknown_category_says_so_and_offers_the_search_without_it(client, site):
    response = client.get("/search?q=meditation&category=astrology")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "There is no category “astrology”." in html
    assert '<a href="/search?q=meditation">Search all categories for “meditation”</a>' in html
    assert 'href="/category/sleep"' in html  # and the real ones to browse
    assert 'name="category" value=""' in html  # the form does not carry it on


def test_a_very_long_query_is_cut_with_a_note(client, site):
    html = search(client, q="meditation " + "x" * 6000)
    assert "Your search was long, so we used its first words" in html


def test_a_worker_searches_an_edited_and_a_removed_article_as_they_now_are(app, client, site, content):
    # This thread's searcher is open on the index before the next import.
    assert sorted(result_titles(search(client, q="meditation"))) == [
        "Meditation before bed helps older adults sleep",
        "Mindfulness meditation matched an anxiety drug",
    ]
    content.write(
        "meditation-anxiety",
        body="Eight weeks of mindfulness meditation eased anxiety as much as a common drug, and the effect lasted.",
        title="'Mindfulness meditation matched an anxiety drug for six months'",
        category="Mental Health & Mindfulness",
    )
    (content.articles / "sleep-meditation.md").unlink()
    with app.app_context():
        content.import_all(prune=True)
    html = search(client, q="meditation")
    # The edited article once, as it now reads; the removed one neither
    # listed nor counted.
    assert result_titles(html) == ["Mindfulness meditation matched an anxiety drug for six months"]
    assert status_text(html) == "1 article for “meditation”."
