"""deploy/nginx/miafeed.conf in front of a real gunicorn: the HTTPS redirect,
the micro-cache (public pages only), the hashed static files, and an access
log without mail-link tokens.

nginx runs from a temporary prefix with a self-signed certificate, on free
loopback ports; the system's nginx configuration is not touched.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from processes import free_port, port_open, wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _site_file(tmp: Path, http_port: int, https_port: int, app_port: int) -> str:
    text = (ROOT / "deploy" / "nginx" / "miafeed.conf").read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "ssl_stapling on;": "ssl_stapling off;",  # a self-signed certificate has no OCSP responder
        "127.0.0.1:8000": f"127.0.0.1:{app_port}",
        "/var/cache/nginx/miafeed": str(tmp / "cache"),
        "/etc/letsencrypt/live/example.org": str(tmp / "tls"),
        "/var/www/letsencrypt": str(tmp / "acme"),
        # deploy/site's archive of every kept release's files; here the checkout's own build.
        "/srv/miafeed/shared/static": str(ROOT / "static" / "dist"),
        "/var/log/nginx/miafeed.access.log": str(tmp / "logs" / "access.log"),
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def proxied_site(tmp_path, content):
    for tool in ("nginx", "openssl"):
        if shutil.which(tool) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{tool} is not installed (.ci/run installs it)")
            pytest.skip(f"{tool} is not installed")
    if not (ROOT / "static" / "dist" / "manifest.json").exists():
        pytest.skip("static/dist/ is not built (make setup builds it)")
    content.write("sleep-and-mood", title="Sleep and mood", category="Sleep")
    instance = tmp_path / "instance"
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("MIAFEED_")}
    env.update(MIAFEED_INSTANCE_PATH=str(instance), MIAFEED_SITE_URL="https://example.org", HOST="127.0.0.1",
               PORT=str(app_port), WEB_CONCURRENCY="1", MIAFEED_MAIL_BACKGROUND_DELIVERY="false",
               PYTHONWARNINGS="ignore")
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "content", "import", str(content.root)], cwd=ROOT, env=env, check=True, capture_output=True)

    nginx_dir = tmp_path / "nginx"
    for folder in ("cache", "tls", "acme", "logs"):
        (nginx_dir / folder).mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=example.org",
                    "-keyout", str(nginx_dir / "tls" / "privkey.pem"), "-out", str(nginx_dir / "tls" / "fullchain.pem")],
                   check=True, capture_output=True)
    shutil.copy(nginx_dir / "tls" / "fullchain.pem", nginx_dir / "tls" / "chain.pem")
    (nginx_dir / "site.conf").write_text(_site_file(nginx_dir, http_port, https_port, app_port))
    # nginx started by root runs its workers as nobody unless told otherwise;
    # they must write the cache in this temporary folder.
    user = "user root root;" if os.geteuid() == 0 else ""
    (nginx_dir / "nginx.conf").write_text(f"""
{user}
pid {nginx_dir}/nginx.pid;
error_log {nginx_dir}/logs/error.log;
daemon off;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {nginx_dir}/client_body;
    proxy_temp_path {nginx_dir}/proxy;
    fastcgi_temp_path {nginx_dir}/fastcgi;
    uwsgi_temp_path {nginx_dir}/uwsgi;
    scgi_temp_path {nginx_dir}/scgi;
    include {nginx_dir}/site.conf;
}}
""")
    app = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nginx = subprocess.Popen(["nginx", "-p", str(nginx_dir), "-e", str(nginx_dir / "logs" / "error.log"),
                              "-c", str(nginx_dir / "nginx.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open(app_port), 30, "gunicorn did not start", process=app)
        wait_until(lambda: port_open(https_port), 30, "nginx did not start", process=nginx)
        yield http_port, https_port
    finally:
        for process in (nginx, app):
            process.terminate()
        for process in (nginx, app):
            process.wait(timeout=20)


def _get(port: int, path: str, tls: bool = True, headers: dict | None = None):
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the certificate was made for this test a moment ago
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "example.org", **(headers or {})})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


@pytest.mark.slow
def test_nginx_redirects_caches_public_pages_only_and_serves_hashed_static_files(proxied_site):
    http_port, https_port = proxied_site

    response, _ = _get(http_port, "/category/sleep?page=1", tls=False)
    assert response.status == 301
    assert response.getheader("Location") == "https://example.org/category/sleep?page=1"

    # A public page: the second reader gets nginx's copy.
    first, page = _get(https_port, "/category/sleep")
    assert first.status == 200 and "Sleep and mood" in page.decode()
    assert "public" in first.getheader("Cache-Control")
    assert first.getheader("X-Cache-Status") == "MISS"
    second, again = _get(https_port, "/category/sleep")
    assert second.getheader("X-Cache-Status") == "HIT"
    assert again == page
    # The app learnt the request came over HTTPS (X-Forwarded-Proto): HSTS is
    # only sent in production, but links in the page use SITE_URL.
    assert 'href="https://example.org/category/sleep"' in page.decode()

    # A page that must not be shared (a newsletter link page) is fetched
    # from the app every time.
    for _ in range(2):
        private, _ = _get(https_port, "/newsletter/preferences/not-a-real-token")
        assert "no-store" in private.getheader("Cache-Control") or "private" in private.getheader("Cache-Control")
        assert private.getheader("X-Cache-Status") != "HIT"

    # Hashed static files come from disk, compressed, cached for a year.
    manifest = json.loads((ROOT / "static" / "dist" / "manifest.json").read_text())
    css = "/static/" + next(hashed for plain, hashed in manifest.items() if plain.endswith(".css"))
    asset, body = _get(https_port, css, headers={"Accept-Encoding": "gzip"})
    assert asset.status == 200
    assert asset.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert asset.getheader("Content-Encoding") == "gzip"
    assert asset.getheader("X-Cache-Status") is None  # nginx itself, not the app behind it
    assert body == (ROOT / "static" / "dist" / (css.removeprefix("/static/") + ".gz")).read_bytes()


@pytest.fixture
def content_with_picture(content):
    """An article with a lead image, written before proxied_site imports the folder."""
    from PIL import Image

    (content.root / "images").mkdir()
    picture = Image.new("RGB", (1600, 900), (40, 80, 160))
    picture.paste((250, 220, 120), (800, 0, 1600, 450))
    picture.save(content.root / "images" / "moon.png", "PNG")
    content.write("moon", title="Moonlight and sleep", image="../images/moon.png", image_alt='"A crescent moon"')
    return content


@pytest.mark.slow
def test_nginx_serves_lead_images_the_host_never_made_with_year_long_immutable_caching(content_with_picture, proxied_site, tmp_path):
    _, https_port = proxied_site
    _, page = _get(https_port, "/articles/moonlight-and-sleep")
    names = sorted(set(re.findall(r"/images/([0-9a-f]{20}-(?:\d+\.(?:webp|jpg)|share\.jpg))", page.decode())))
    assert len(names) == 7  # three widths in two formats, and the share crop
    # This host's variants are gone (as on a host that never imported): the
    # app makes them again from the database when nginx asks.
    for made in (tmp_path / "instance" / "images").iterdir():
        made.unlink()
    for name in names:
        first, body = _get(https_port, f"/images/{name}")
        assert first.status == 200, name
        assert first.getheader("Cache-Control") == "public, max-age=31536000, immutable"
        assert first.getheader("X-Cache-Status") == "MISS"
        assert body[:3] in (b"RIF", b"\xff\xd8\xff")
        second, again = _get(https_port, f"/images/{name}")
        assert second.getheader("X-Cache-Status") == "HIT" and again == body
    missing, _ = _get(https_port, "/images/0123456789abcdef0123-800.webp")
    assert missing.status == 404


TOKEN = "WyI0MiJd.aZsEcReTtOkEn.Q1w2e3R4"


@pytest.mark.slow
def test_nginx_access_log_names_mail_link_paths_without_their_tokens(proxied_site, tmp_path):
    http_port, https_port = proxied_site
    log = tmp_path / "nginx" / "logs" / "access.log"
    # A reader opens each kind of link (the plain-HTTP one is redirected),
    # and the link page's button posts back with the link as its Referer.
    for kind in ("confirm", "preferences", "unsubscribe"):
        response, _ = _get(https_port, f"/newsletter/{kind}/{TOKEN}?from=mail")
        assert response.status in (200, 400)
    _get(http_port, f"/newsletter/unsubscribe/{TOKEN}", tls=False)
    _get(https_port, "/category/sleep", headers={"Referer": f"https://example.org/newsletter/preferences/{TOKEN}"})

    # nginx writes each line once the response is sent.
    wait_until(lambda: log.read_text().count("\n") >= 5, 10, "five access-log lines")
    written = log.read_text()
    assert written.count("\n") == 5, written
    assert "aZsEcReT" not in written
    for kind in ("confirm", "preferences", "unsubscribe"):
        assert f"GET /newsletter/{kind}/[token]?from=mail HTTP/1.1" in written
    assert "GET /newsletter/unsubscribe/[token] HTTP/1.1\" 301" in written
    assert '"GET /category/sleep HTTP/1.1" 200' in written
    assert '"https://example.org/newsletter/preferences/[token]"' in written
