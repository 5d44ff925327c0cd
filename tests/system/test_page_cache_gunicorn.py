"""The page cache behind the real gunicorn: what a client sends in headers
cannot change what the next reader gets, and never makes a 500.

The last test goes through deploy/nginx/miafeed.conf's micro-cache too.
gunicorn turns a `SCRIPT_NAME` request header from an address in
forwarded_allow_ips (loopback by default) into the app's prefix; a client
on the same host, or one whose proxy passes the header on, could set it.
"""
from __future__ import annotations

import gzip
import http.client
import os
import subprocess
import sys
from pathlib import Path

import brotli
import pytest

from gunicorn_support import ROOT, running_gunicorn
from test_deploy_nginx_live import _get as nginx_get
from test_deploy_nginx_live import proxied_site  # noqa: F401  (a fixture: the shipped nginx before gunicorn)

FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]


def fetch(port: int, path: str, **headers) -> tuple[int, dict, bytes]:
    """GET without any header the caller did not name (http.client adds only Host)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name.replace("_", "-") if name != "SCRIPT_NAME" else name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def decoded(headers: dict, body: bytes) -> bytes:
    coding = headers.get("Content-Encoding", "identity")
    return {"br": brotli.decompress, "gzip": gzip.decompress, "identity": lambda data: data}[coding](body)


@pytest.fixture
def site(tmp_path, content):
    content.write("sleep-study", title="'Sleep and stress'", body="Sleep words. " * 200)
    env = {name: value for name, value in os.environ.items() if not name.startswith("MIAFEED_")}
    env.update(MIAFEED_INSTANCE_PATH=str(tmp_path / "instance"), PYTHONWARNINGS="ignore")
    for command in (["db", "upgrade", "heads"], ["content", "import", str(content.root)]):
        subprocess.run([*FLASK, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    # running_gunicorn serves the same instance folder.
    with running_gunicorn(tmp_path, tmp_path / "gunicorn.log") as (_, port):
        yield port


def test_a_script_name_header_makes_no_500_and_no_foreign_links(site):
    plain = fetch(site, "/")
    assert fetch(site, "/healthz", SCRIPT_NAME="/zzz")[0] in (200, 503)
    for n in range(6):
        status, _, body = fetch(site, f"/evil/?utm_source={n}", SCRIPT_NAME="/evil")
        assert status != 500
        fetch(site, f"/?utm_source={n}", SCRIPT_NAME="/evil")
    for _ in range(3):
        status, _, body = fetch(site, "/")
        assert status == 200
        assert b'href="/evil' not in body
        assert body == plain[2]


@pytest.mark.parametrize("odd", ["br;q=0", "*, br;q=0", "gzip;q=0", "*;q=0"])
def test_odd_accept_encodings_leave_plain_clients_their_coding(site, odd):
    for page in ("/articles/sleep-and-stress", "/feed.xml"):
        for n in range(6):
            status, headers, _ = fetch(site, f"{page}?utm_source={n}", Accept_Encoding=odd)
            assert status == 200 and headers.get("Content-Encoding") in (None, "gzip")
        for accept, coding in ((None, None), ("identity", None), ("gzip", "gzip"), ("gzip, deflate", "gzip")):
            status, headers, body = fetch(site, page, **({"Accept_Encoding": accept} if accept else {}))
            assert headers.get("Content-Encoding") == coding, f"{page} after {odd!r}: {accept!r} got {headers.get('Content-Encoding')}"
            assert decoded(headers, body).lstrip().startswith((b"<!doctype", b"<?xml"))


def test_through_the_shipped_nginx_a_refused_coding_reaches_no_plain_client(proxied_site):
    _, https_port = proxied_site
    page = "/articles/sleep-and-mood"
    for n in range(6):
        response, _ = nginx_get(https_port, f"{page}?utm_source={n}", headers={"Accept-Encoding": "br;q=0"})
        assert response.status == 200 and response.getheader("Content-Encoding") is None
    for accept, coding in ((None, None), ("identity", None), ("gzip", "gzip"), ("gzip, deflate", "gzip")):
        for _ in range(2):  # the second from nginx's cache, if it kept one
            response, body = nginx_get(https_port, page, headers={"Accept-Encoding": accept} if accept else {})
            assert response.getheader("Content-Encoding") == coding, f"{accept!r} got {response.getheader('Content-Encoding')}"
            assert decoded({"Content-Encoding": coding or "identity"}, body).startswith(b"<!doctype")
