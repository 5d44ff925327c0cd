"""Search replicas: a second host's index follows the database's change log.

Two apps share one database with separate instance folders, as two hosts
would. Host A imports; host B only follows the log, and its readers find
what A imported, stop finding what A removed, and /healthz says how far
behind B is.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from miafeed import create_app
from miafeed.extensions import db
from miafeed.clock import utcnow
from miafeed.models import Article, SearchChange
from miafeed.search import follow, store


def result_titles(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t).strip() for t in
            re.findall(r'class="search-hit-title"><a [^>]*>(.*?)</a>', html, re.S)]


@pytest.fixture
def host_b(app, tmp_path):
    """A second host: same database as `app` (host A), its own instance folder."""
    settings = {key: app.config[key] for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SITE_URL",
                                                 "WTF_CSRF_ENABLED")}
    other = create_app(settings, instance_path=str(tmp_path / "host-b"))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def catch_up(host) -> follow.FollowReport:
    with host.app_context():
        return follow.catch_up()


def found_on(host, words: str) -> list[str]:
    return result_titles(host.test_client().get("/search", query_string={"q": words}).get_data(as_text=True))


def lag_of(host) -> dict:
    response = host.test_client().get("/healthz")
    return response.status_code, response.get_json()["checks"]["search_lag"]


@pytest.fixture
def imported(app, content):
    content.write("naps", slug="naps", title="Afternoon naps and memory", body="A nap after learning helps recall.")
    content.write("light", slug="light", title="Morning light sets the body clock", body="Daylight early shifts sleep timing.")
    with app.app_context():
        content.import_all()
    return content


def test_a_new_host_builds_its_index_from_the_database_then_follows(app, host_b, imported):
    assert not (store.search_root(host_b) / follow.POSITION_FILE).exists()
    status, lag = lag_of(host_b)
    assert lag["changes_behind"] == 2 and lag["position"] is None
    assert status == 503  # no index yet
    report = catch_up(host_b)
    assert report.rebuilt
    assert found_on(host_b, "naps memory") == ["Afternoon naps and memory"]
    assert lag_of(host_b) == (200, {"status": "ok", "changes_behind": 0, "seconds_behind": 0.0,
                                    "position": report.position, "max_seconds": 60.0})

    imported.write("coffee", title="Late coffee and deep sleep", body="Caffeine after noon shortens deep sleep.")
    with app.app_context():
        imported.import_all()
    assert found_on(host_b, "caffeine") == []  # B has not read the log yet
    assert lag_of(host_b)[1]["changes_behind"] == 1
    assert catch_up(host_b).applied == 1
    assert found_on(host_b, "caffeine") == ["Late coffee and deep sleep"]
    assert lag_of(host_b)[1]["changes_behind"] == 0


def test_edits_removals_and_drafts_reach_the_other_host(app, host_b, imported):
    catch_up(host_b)
    imported.write("naps", slug="naps", title="Short naps and memory", body="A twenty-minute nap after learning helps recall.")
    (imported.articles / "light.md").unlink()
    imported.write("draft", title="Unfinished piece on melatonin", body="Melatonin notes.", draft="true")
    with app.app_context():
        imported.import_all(prune=True)
    # Three logged changes: the edit, the removal, and the new draft (which
    # the follower keeps out of the index, as it would an unpublished edit).
    assert catch_up(host_b).applied == 3
    assert found_on(host_b, "nap") == ["Short naps and memory"]
    assert found_on(host_b, "daylight") == []
    assert found_on(host_b, "melatonin") == []


def test_a_change_that_commits_after_a_later_one_is_not_skipped(app, host_b, imported):
    """On PostgreSQL, number 7 can become visible after number 8: host B must
    still apply 7 when it appears."""
    catch_up(host_b)
    with app.app_context():
        naps, light = (db.session.scalar(select(Article.id).where(Article.slug == slug)) for slug in ("naps", "light"))
        last = db.session.scalar(select(db.func.max(SearchChange.seq)))
        db.session.execute(update(Article).where(Article.id == naps).values(title="Naps, revised"))
        db.session.execute(update(Article).where(Article.id == light).values(title="Light, revised"))
        # Number last+2 commits first...
        db.session.execute(insert(SearchChange).values(seq=last + 2, article_id=light, action="index", changed_at=utcnow()))
        db.session.commit()
    assert catch_up(host_b).applied == 1
    assert found_on(host_b, "revised") == ["Light, revised"]
    position = json.loads((store.search_root(host_b) / follow.POSITION_FILE).read_text())
    assert list(position["gaps"]) == [str(last + 1)]
    with app.app_context():  # ...and number last+1 a moment later
        db.session.execute(insert(SearchChange).values(seq=last + 1, article_id=naps, action="index", changed_at=utcnow()))
        db.session.commit()
    assert catch_up(host_b).applied == 1
    assert sorted(found_on(host_b, "revised")) == ["Light, revised", "Naps, revised"]
    assert json.loads((store.search_root(host_b) / follow.POSITION_FILE).read_text())["gaps"] == {}


def test_a_gap_is_given_up_after_the_grace_period(app, host_b, imported):
    catch_up(host_b)
    with app.app_context():
        last = db.session.scalar(select(db.func.max(SearchChange.seq)))
        article = db.session.scalar(select(Article.id))
        db.session.execute(insert(SearchChange).values(seq=last + 2, article_id=article, action="index", changed_at=utcnow()))
        db.session.commit()
    catch_up(host_b)
    host_b.config["SEARCH_GAP_GRACE_SECONDS"] = 0  # a rolled-back import: the number never comes
    catch_up(host_b)
    assert json.loads((store.search_root(host_b) / follow.POSITION_FILE).read_text())["gaps"] == {}


def test_healthz_turns_503_when_the_index_is_too_far_behind(app, host_b, imported):
    catch_up(host_b)
    imported.write("coffee", title="Late coffee and deep sleep")
    with app.app_context():
        imported.import_all()
        db.session.execute(update(SearchChange).values(changed_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
    status, lag = lag_of(host_b)
    assert status == 503
    assert lag["status"] == "behind" and lag["changes_behind"] == 1 and lag["seconds_behind"] >= 299
    assert lag_of(app)[0] == 200  # host A applied its own import at once
    catch_up(host_b)
    assert lag_of(host_b)[0] == 200


def test_reindex_records_the_position_and_follow_once_applies_the_rest(app, host_b, imported):
    runner = host_b.test_cli_runner()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert found_on(host_b, "daylight") == ["Morning light sets the body clock"]
    imported.write("coffee", title="Late coffee and deep sleep", body="Caffeine after noon.")
    with app.app_context():
        imported.import_all()
    result = runner.invoke(args=["search", "follow", "--once"])
    assert result.exit_code == 0, result.output
    assert "Applied 1 change(s)" in result.output
    assert found_on(host_b, "caffeine") == ["Late coffee and deep sleep"]


def test_the_import_logs_changes_in_its_own_transaction(app, content):
    content.write("naps", title="Afternoon naps and memory")
    content.write("bad", title="Broken", category="No such category")
    with app.app_context():
        with pytest.raises(Exception):
            content.import_all()
        assert db.session.scalars(select(SearchChange)).all() == []  # refused import: nothing logged
        (content.articles / "bad.md").unlink()
        content.import_all()
        assert [(c.action, c.article_id) for c in db.session.scalars(select(SearchChange))] == [
            ("index", db.session.scalar(select(Article.id)))
        ]


def test_an_index_written_by_an_older_release_is_rebuilt_before_changes_are_applied(app, client, content):
    content.write("colour", title="'Colour and mood'", body="The colour of a room changed mood.")
    with app.app_context():
        content.import_all()
        root = store.search_root()
        state = json.loads((root / "state.json").read_text())
        (root / "state.json").write_text(json.dumps({**state, "schema": state["schema"] - 1}))
        report = follow.catch_up()
    assert report.rebuilt
    # The rebuilt index has this release's analysis: the American spelling finds it.
    assert result_titles(client.get("/search?q=color").get_data(as_text=True)) == ["Colour and mood"]
