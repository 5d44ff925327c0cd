"""Searches that found nothing are counted for the editors, with nothing
about who searched, kept for a set number of days."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from miafeed.extensions import db
from miafeed.models import SearchMiss
from miafeed.search import misses
from miafeed.search.miss_models import SearchMissCandidate
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
    # "zebra diet" was asked once: not yet a topic, so not kept as words.
    assert {(row["query"], row["count"]) for row in rows} == {("astrophysics", 3)}
    assert set(rows[0]) == {"query", "day", "count"}  # a day, no address, agent or time of day
    assert "203.0.113.9" not in repr(rows) and "ReaderBrowser" not in repr(rows)

    clock.advance(days=1)
    search(client, q="zebra diet")
    search(client, q="zebra diet")  # the third search within the wait: kept, counting all three
    search(client, q="astrophysics")  # already a topic: counted at once on its new day
    output = runner.invoke(args=["search", "misses", "--days", "7"]).output
    lines = [line.split(None, 1) for line in output.splitlines()[1:]]
    assert lines == [["4", "astrophysics"], ["3", "zebra diet"]]
    only_today = runner.invoke(args=["search", "misses", "--days", "1"]).output
    assert "zebra diet" in only_today and "1  astrophysics" in only_today


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
    assert "A search with a number in it (a phone, card or NHS number, a postcode), an email or a web address is not recorded at all" in html
    assert "only once 3 searches have asked for them within 7 days" in html


PERSONAL = [
    "jane.doe@example.com",
    "07700 900123",
    "+44 (0)20 7946 0958",
    "nhs number 943 476 5919",
    "4111 1111 1111 1111",
    "jane doe hiv positive",
    "see www.janedoe.co.uk",
]


def database_bytes(app) -> bytes:
    with app.app_context():
        path = db.engine.url.database
        db.session.remove()
    return b"".join(Path(path + suffix).read_bytes() for suffix in ("", "-wal") if Path(path + suffix).exists())


@pytest.mark.sqlite_only
def test_personal_data_typed_into_search_is_never_listed_nor_written(app, client, runner, small_site, clock):
    for query in PERSONAL:
        for _ in range(3 if any(char.isdigit() or char in "@." for char in query) else 2):
            search(client, q=query)
    for _ in range(3):
        search(client, q="zebra diet")  # a topic several searches asked: kept
    output = runner.invoke(args=["search", "misses", "--days", "30"]).output
    assert output.splitlines()[1:] == ["3  zebra diet"]
    written = database_bytes(app)
    for query in PERSONAL:
        for word in query.split():
            if word not in ("see", "number"):
                assert word.encode() not in written, word
    clock.advance(days=8)  # the hashes of queries asked too few times are deleted after the wait
    runner.invoke(args=["search", "misses"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SearchMissCandidate)) == 0


@pytest.mark.sqlite_only
def test_five_thousand_junk_queries_add_at_most_the_daily_cap(app, small_site, clock):
    letters = "abcdefghijklmnopqrstuvwxyz"
    junk = ["".join(letters[(n // 26 ** k) % 26] for k in range(4)) + "zq" + letters[n % 7] * 6 for n in range(5000)]
    before = len(database_bytes_checkpointed(app))
    with app.app_context(), app.test_request_context():
        for query in junk:
            misses.record_miss(query)
        rows = db.session.scalar(select(func.count()).select_from(SearchMiss))
        rows += db.session.scalar(select(func.count()).select_from(SearchMissCandidate))
    added = len(database_bytes_checkpointed(app)) - before
    print(f"5000 distinct junk queries: {rows} rows, {added / 1024:.0f} KB added")
    assert rows == app.config["SEARCH_MISS_DAILY_ROWS"]
    assert added < 400 * 1024
    # Tomorrow there is room again.
    clock.advance(days=1)
    with app.app_context(), app.test_request_context():
        misses.record_miss("zebra diet")
        assert db.session.scalar(select(func.count()).select_from(SearchMissCandidate)) == rows + 1


def database_bytes_checkpointed(app) -> bytes:
    with app.app_context():
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
    return database_bytes(app)
