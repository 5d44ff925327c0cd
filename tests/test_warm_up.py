"""A new gunicorn worker renders one page of each kind before it takes readers
(miafeed/http/warm_up.py): it must touch every main page, change nothing a
reader or an editor would see, and never stop a worker from serving."""
from __future__ import annotations

import logging

from flask import template_rendered
from sqlalchemy import func, select

from miafeed.extensions import db
from miafeed.http.warm_up import warm_up
from miafeed.models import SearchMiss


def test_warm_up_renders_each_main_template_once_and_writes_nothing(app, content):
    content.write("sleep", title="'Regular bedtimes steady the heart'", body="Sleep at the same time every day.")
    with app.app_context():
        content.import_all()
    app.config["PAGE_CACHE_ENABLED"] = True
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(record, app)

    assert warm_up(app) >= 0

    for name in ("articles/home.html", "articles/article.html", "articles/category.html", "search/search.html"):
        assert name in rendered, (name, rendered)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SearchMiss)) == 0
    # Rendered inside Flask, under the page cache: no copy of a page was
    # kept, so the first reader's request renders (a kept copy would not).
    rendered.clear()
    assert app.test_client().get("/").status_code == 200
    assert "articles/home.html" in rendered


def test_a_site_with_no_articles_warms_up_without_complaint(app, caplog):
    with caplog.at_level(logging.ERROR):
        warm_up(app)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_broken_database_is_logged_and_the_worker_still_serves(app, caplog):
    with app.app_context():
        db.drop_all()
    with caplog.at_level(logging.ERROR):
        warm_up(app)
    assert "Warming up this worker failed; it serves cold" in caplog.text
