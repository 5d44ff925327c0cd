"""Mail-link tokens never reach a log: the access log of a real gunicorn run
with the project's gunicorn.conf.py, and the app's own error log."""
from __future__ import annotations

import logging

import pytest

from gunicorn_support import get, running_gunicorn
from miafeed.serving.access_log import scrub_tokens
TOKEN = "WyJhYmMiLCJub25jZSJd.aSECRETbit.sig-nature_1"


@pytest.mark.parametrize(
    "line, expected",
    [
        (f"GET /newsletter/confirm/{TOKEN} HTTP/1.1", "GET /newsletter/confirm/[token] HTTP/1.1"),
        (f"POST /newsletter/preferences/{TOKEN}?x=1", "POST /newsletter/preferences/[token]?x=1"),
        (f'"http://localhost/newsletter/unsubscribe/{TOKEN}"', '"http://localhost/newsletter/unsubscribe/[token]"'),
        ("GET /newsletter/subscribe HTTP/1.1", "GET /newsletter/subscribe HTTP/1.1"),
        ("GET /articles/confirm-this HTTP/1.1", "GET /articles/confirm-this HTTP/1.1"),
    ],
)
def test_scrub_tokens_replaces_only_link_tokens(line, expected):
    assert scrub_tokens(line) == expected


@pytest.mark.slow
def test_a_real_gunicorn_logs_link_paths_without_their_tokens(tmp_path):
    log_path = tmp_path / "gunicorn.log"
    with running_gunicorn(tmp_path, log_path) as (base, _port):
        for kind in ("confirm", "preferences", "unsubscribe"):
            assert get(f"{base}/newsletter/{kind}/{TOKEN}") == 400
        # A page opened from a link page names the link in its Referer.
        get(base + "/robots.txt", Referer=f"{base}/newsletter/preferences/{TOKEN}")
    written = log_path.read_text()
    assert "aSECRETbit" not in written
    for kind in ("confirm", "preferences", "unsubscribe"):
        assert f"GET /newsletter/{kind}/[token] HTTP/1.1" in written
    assert f"{base}/newsletter/preferences/[token]" in written


def test_the_apps_own_error_log_scrubs_tokens_too(app, caplog):
    @app.post("/newsletter/unsubscribe/<token>/boom")
    def boom(token):
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR):
        assert app.test_client().post(f"/newsletter/unsubscribe/{TOKEN}/boom").status_code == 500
    assert "Exception on /newsletter/unsubscribe/[token]/boom" in caplog.text
    assert "aSECRETbit" not in caplog.text
