"""deploy/caddy/Caddyfile's access log, with a real Caddy: mail-link paths are
written without their tokens, in the URI and in the Referer.

Caddy runs on a free loopback port over plain HTTP (no certificate to get),
with its admin endpoint off, in front of a small stand-in app: what is
checked is Caddy's log filter, not the app. Skipped where caddy is not
installed (Debian package: caddy), as deploy/check.sh does.
"""
from __future__ import annotations

import http.client
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from processes import free_port, port_open, wait_until

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "WyI0MiJd.aZsEcReTtOkEn.Q1w2e3R4"


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def _caddyfile(tmp: Path, port: int, app_port: int) -> str:
    text = (ROOT / "deploy" / "caddy" / "Caddyfile").read_text()
    replacements = {
        "example.org {": f"{{\n\tadmin off\n\tstorage file_system {tmp / 'data'}\n}}\n\nhttp://127.0.0.1:{port} {{",
        "127.0.0.1:8000": f"127.0.0.1:{app_port}",
        "/var/log/caddy/miafeed-access.log": str(tmp / "access.log"),
        # deploy/site's archive of every kept release's files; here the checkout's own build.
        "/srv/miafeed/shared/static": str(ROOT / "static" / "dist"),
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.mark.slow
def test_caddy_access_log_names_mail_link_paths_without_their_tokens(tmp_path):
    if shutil.which("caddy") is None:
        pytest.skip("caddy is not installed (Debian package: caddy)")
    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port = free_port()
    config = tmp_path / "Caddyfile"
    config.write_text(_caddyfile(tmp_path, port, app.server_address[1]))
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    caddy = subprocess.Popen(["caddy", "run", "--adapter", "caddyfile", "--config", str(config)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = tmp_path / "access.log"
    try:
        wait_until(lambda: port_open(port), 30, "caddy did not start", process=caddy)
        for path, referer in ((f"/newsletter/confirm/{TOKEN}", None), (f"/newsletter/preferences/{TOKEN}?x=1", None),
                              ("/category/sleep", f"https://example.org/newsletter/unsubscribe/{TOKEN}")):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers={"Referer": referer} if referer else {})
            assert connection.getresponse().read() == b"ok"
            connection.close()
        # Caddy writes each line once the response is sent.
        wait_until(lambda: log.exists() and log.read_text().count("\n") >= 3, 10, "three access-log lines")
    finally:
        caddy.terminate()
        caddy.wait(timeout=20)
        app.shutdown()
        app.server_close()
    written = log.read_text()
    assert "aZsEcReT" not in written
    entries = [json.loads(line)["request"] for line in written.splitlines()]
    assert [entry["uri"] for entry in entries] == [
        "/newsletter/confirm/[token]", "/newsletter/preferences/[token]?x=1", "/category/sleep"]
    assert entries[2]["headers"]["Referer"] == ["https://example.org/newsletter/unsubscribe/[token]"]
