"""Searches that found nothing are counted for the editors, with nothing
about who searched, kept for a set number of days."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from miafeed.extensions import db
from miafeed.models import SearchMiss
from test_search import search


@pytest.fixture
def small_site(app, content):
    content.write("sleep", title="'Regular sleep helps'", body="Sleep at the same time every day.")
    with app.app_context():
        content.import_all()
    return content


def stored_misses(app) -> list[dict]:
    with app.app_context():
        table = SearchMiss.__table__
        return [dict(row._mapping) for row in db.session.execute(select(table))]


def test_a_miss_is_counted_per_day_and_listed_without_personal_data(app, client, runner, small_site, clock):
    for _ in range(3):
        search(client, q="Astrophysics  ")
    client.get("/search", query_string={"q": "zebra diet"}, headers={"User-Agent": "ReaderBrowser/1.0"},
               environ_base={"REMOTE_ADDR": "203.0.113.9"})
    search(client, q="sleep")  # found something: not a miss

    rows = stored_misses(app)
    assert {(row["query"], row["count"]) for row in rows} == {("astrophysics", 3), ("zebra diet", 1)}
    assert set(rows[0]) == {"query", "day", "count"}  # a day, no address, agent or time of day
    assert "203.0.113.9" not in repr(rows) and "ReaderBrowser" not in repr(rows)

    clock.advance(days=1)
    search(client, q="zebra diet")
    output = runner.invoke(args=["search", "misses", "--days", "7"]).output
    lines = [line.split(None, 1) for line in output.splitlines()[1:]]
    assert lines == [["3", "astrophysics"], ["2", "zebra diet"]]
    only_today = runner.invoke(args=["search", "misses", "--days", "1"]).output
    assert "zebra diet" in only_today and "astrophysics" not in only_today


def test_misses_older_than_the_retention_are_pruned(app, client, runner, small_site, clock):
    app.config["SEARCH_MISS_RETENTION_DAYS"] = 10
    search(client, q="astrophysics")
    clock.advance(days=11)
    runner.invoke(args=["search", "misses"])
    assert stored_misses(app) == []


def test_a_failed_count_never_fails_the_search(app, client, small_site, caplog):
    with app.app_context():
        SearchMiss.__table__.drop(db.engine)
    html = search(client, q="astrophysics")
    assert "No articles found for “astrophysics”" in html
    assert "was not counted" in caplog.text


def test_the_privacy_page_says_what_is_kept_about_searches(client):
    html = client.get("/privacy").get_data(as_text=True)
    assert "When a search finds nothing, we count the words searched and the day" in html
    assert "deleted after 90 days" in html
