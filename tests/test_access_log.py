"""Mail-link tokens never reach a log: the access log of a real gunicorn run
with the project's gunicorn.conf.py, and the app's own error log."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from miafeed.access_log import scrub_tokens
from newsletter_support import free_port

ROOT = Path(__file__).resolve().parents[1]
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


def _get(url: str, **headers) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_a_real_gunicorn_logs_link_paths_without_their_tokens(tmp_path):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = dict(
        os.environ,
        PORT=str(port),
        WEB_CONCURRENCY="1",
        MIAFEED_INSTANCE_PATH=str(tmp_path / "instance"),
        MIAFEED_MAIL_BACKGROUND_DELIVERY="false",
    )
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(base + "/robots.txt")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for kind in ("confirm", "preferences", "unsubscribe"):
            assert _get(f"{base}/newsletter/{kind}/{TOKEN}") == 400
        # A page opened from a link page names the link in its Referer.
        _get(base + "/robots.txt", Referer=f"{base}/newsletter/preferences/{TOKEN}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    written = log_path.read_text()
    assert "aSECRETbit" not in written
    for kind in ("confirm", "preferences", "unsubscribe"):
        assert f"GET /newsletter/{kind}/[token] HTTP/1.1" in written
    assert f"{base}/newsletter/preferences/[token]" in written
    assert "HeaderCompleteThreadWorker" in written  # the worker class gunicorn.conf.py chooses


def test_the_apps_own_error_log_scrubs_tokens_too(app, caplog):
    @app.post("/newsletter/unsubscribe/<token>/boom")
    def boom(token):
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR):
        assert app.test_client().post(f"/newsletter/unsubscribe/{TOKEN}/boom").status_code == 500
    assert "Exception on /newsletter/unsubscribe/[token]/boom" in caplog.text
    assert "aSECRETbit" not in caplog.text
