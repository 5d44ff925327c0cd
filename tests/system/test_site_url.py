"""Where links in mail, feeds and pages point: SITE_URL, or the address
the site is served on; production refuses to guess.

The first test is the new user's path: `make run PORT=...` on a port other
than 8000, sign up, open the confirmation link from the mail, confirm.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from email import message_from_bytes
from email.policy import default as default_policy
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from miafeed import create_app
from miafeed.secrets import ConfigurationError
from miafeed.http.site_url import resolve_site_url, served_url_from_listener

from clock import iso_day
from processes import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class FormFields(HTMLParser):
    """The hidden inputs of the first form whose action ends with `action` (or of any form)."""

    def __init__(self, action: str | None = None):
        super().__init__()
        self.action, self.fields, self._inside = action, {}, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.fields:
            self._inside = self.action is None or (attrs.get("action") or "").endswith(self.action)
        elif tag == "input" and self._inside and attrs.get("type") == "hidden" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def _hidden_fields(html: str, action: str | None = None) -> dict:
    parser = FormFields(action)
    parser.feed(html)
    return parser.fields


@pytest.fixture
def served_site(tmp_path):
    """gunicorn from gunicorn.conf.py on a free port, SITE_URL unset, mail to instance/outbox/."""
    instance = tmp_path / "instance"
    port = free_port()
    # An empty home folder, and no XDG_RUNTIME_DIR: gunicorn must leave both alone.
    home = tmp_path / "home"
    home.mkdir()
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("MIAFEED_") and name != "XDG_RUNTIME_DIR"}
    env.update(MIAFEED_INSTANCE_PATH=str(instance), HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1",
               MIAFEED_MAIL_POLL_SECONDS="1", PYTHONWARNINGS="ignore", HOME=str(home))
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)
    reader.start()
    try:
        wait_until(lambda: any("ready" in line for line in lines), 30, f"gunicorn did not start: {lines}",
                   process=server)
        yield port, instance, env, lines
    finally:
        server.terminate()
        server.wait(timeout=20)
        reader.join(timeout=5)
        server.stdout.close()


@pytest.mark.slow
def test_sign_up_on_another_port_mails_a_confirmation_link_that_works(served_site):
    port, instance, env, lines = served_site
    base = f"http://127.0.0.1:{port}"
    ready = [line for line in lines if "ready" in line]
    assert ready == [f"Mia's Feed is ready: open {base}/\n"]
    # gunicorn's control socket (made once the workers are up) stays in the instance folder.
    wait_until(lambda: (instance / "gunicorn.ctl").is_socket(), 20, "no control socket in the instance folder")
    assert list((instance.parent / "home").iterdir()) == []

    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = browser.open(base + "/newsletter/subscribe", timeout=10).read().decode()
    assert f'<link rel="canonical" href="{base}/newsletter/subscribe">' in page
    form = _hidden_fields(page, "/newsletter/subscribe")
    form.update(email="new.reader@example.org", frequency="weekly")
    answer = browser.open(base + "/newsletter/subscribe", data=urllib.parse.urlencode(form).encode(), timeout=10)
    assert answer.status == 200

    # The worker's delivery thread writes the confirmation into the outbox.
    outbox = instance / "outbox"
    wait_until(lambda: list(outbox.glob("*.eml")), 20, "no confirmation mail in instance/outbox/")
    mail = message_from_bytes(next(outbox.glob("*.eml")).read_bytes(), policy=default_policy)
    text = mail.get_body(("plain",)).get_content()
    link = re.search(r"http\S+/newsletter/confirm/\S+", text).group(0)
    assert link.startswith(f"{base}/newsletter/confirm/")

    confirm_page = browser.open(link, timeout=10).read().decode()
    assert "Yes, subscribe me" in confirm_page
    done = browser.open(link, data=urllib.parse.urlencode(_hidden_fields(confirm_page)).encode(), timeout=10)
    assert "You're subscribed" in done.read().decode()

    # Cron's `digest send` runs outside the server, without PORT: its links follow the server too.
    content = instance.parent / "content"
    (content / "articles").mkdir(parents=True)
    (content / "categories.yml").write_text("- name: Sleep\n  slug: sleep\n  description: How we sleep.\n")
    (content / "articles" / "naps.md").write_text(
        f"---\ntitle: Naps and memory\ncategory: Sleep\ntags: [sleep]\nsummary: A nap helps.\n"
        f"source_name: Example\nsource_url: https://research.example.org/naps\npublished: {iso_day(0)}\n---\n\nText.\n"
    )
    cron_env = {name: value for name, value in env.items() if name not in ("PORT", "HOST")}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "content", "import", str(content)], cwd=ROOT, env=cron_env, check=True, capture_output=True)
    subprocess.run([*flask, "digest", "send", "--frequency", "weekly"], cwd=ROOT, env=cron_env, check=True,
                   capture_output=True)
    wait_until(lambda: list(outbox.glob("*digest*.eml")), 20, "no digest in instance/outbox/")
    digest = message_from_bytes(next(outbox.glob("*digest*.eml")).read_bytes(), policy=default_policy)
    assert f"{base}/articles/naps-and-memory" in digest.get_body(("plain",)).get_content()
    assert digest["List-Unsubscribe"].startswith(f"<{base}/newsletter/unsubscribe/")


def test_feeds_and_canonical_urls_follow_the_served_address(tmp_path, monkeypatch):
    monkeypatch.setenv("MIAFEED_SERVED_URL", "http://127.0.0.1:9000")
    monkeypatch.delenv("MIAFEED_SITE_URL", raising=False)
    monkeypatch.delenv("MIAFEED_ENV", raising=False)
    app = create_app(instance_path=str(tmp_path))
    from miafeed.extensions import db

    with app.app_context():
        db.create_all()
    client = app.test_client()
    assert '<link rel="canonical" href="http://127.0.0.1:9000/"' in client.get("/").text
    assert "<id>http://127.0.0.1:9000/feed.xml</id>" in client.get("/feed.xml").text
    assert "<loc>http://127.0.0.1:9000/</loc>" in client.get("/sitemap.xml").text


def test_a_configured_site_url_wins_over_the_served_address(tmp_path):
    (tmp_path / "served_url").write_text("http://127.0.0.1:9000\n")
    config = {"SITE_URL": "https://news.example.org/", "SERVED_URL": "http://127.0.0.1:9001"}
    assert resolve_site_url(config, str(tmp_path)) == ("https://news.example.org", "SITE_URL")


def test_without_site_url_the_served_address_is_used_then_the_default(tmp_path):
    assert resolve_site_url({"SERVED_URL": "http://127.0.0.1:9001"}, str(tmp_path))[0] == "http://127.0.0.1:9001"
    assert resolve_site_url({}, str(tmp_path)) == ("http://127.0.0.1:8000", "default")
    (tmp_path / "served_url").write_text("http://127.0.0.1:9000\n")
    assert resolve_site_url({}, str(tmp_path)) == ("http://127.0.0.1:9000", "served")


def test_production_refuses_to_start_without_site_url(tmp_path):
    with pytest.raises(ConfigurationError, match="MIAFEED_SITE_URL"):
        create_app({"ENV": "production", "SECRET_KEY": "k" * 40}, instance_path=str(tmp_path))
    (tmp_path / "served_url").write_text("http://127.0.0.1:9000\n")  # never a guess in production
    with pytest.raises(ConfigurationError, match="public address"):
        resolve_site_url({"ENV": "production"}, str(tmp_path))


@pytest.mark.parametrize("bad", ["example.org", "ftp://example.org", "https://", "https://example.org/?x=1"])
def test_a_malformed_site_url_is_refused_with_what_to_write(tmp_path, bad):
    with pytest.raises(ConfigurationError, match="absolute http:// or https:// address"):
        resolve_site_url({"SITE_URL": bad}, str(tmp_path))


def test_gunicorn_refuses_production_without_site_url_in_one_line(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("MIAFEED_")}
    env.update(MIAFEED_INSTANCE_PATH=str(tmp_path), MIAFEED_ENV="production", MIAFEED_SECRET_KEY="k" * 40,
               PORT=str(free_port()), PYTHONWARNINGS="ignore")
    result = subprocess.run([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Mia's Feed cannot start: MIAFEED_ENV=production needs the site's public address" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "listener, url",
    [("http://0.0.0.0:9000", "http://127.0.0.1:9000"), ("http://[::]:9000", "http://[::1]:9000"),
     ("http://192.0.2.7:8080", "http://192.0.2.7:8080"), ("unix:/run/miafeed.sock", None)],
)
def test_the_address_to_open_for_each_kind_of_listener(listener, url):
    assert served_url_from_listener(listener) == url


class _Server:
    """What master_hooks.announce reads of gunicorn's arbiter: its listeners."""

    def __init__(self, *addresses):
        self.LISTENERS = list(addresses)


def test_the_ready_line_names_the_address_and_a_different_configured_site(tmp_path, monkeypatch, capsys):
    from miafeed.serving import master_hooks

    for name in [name for name in os.environ if name.startswith("MIAFEED_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MIAFEED_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MIAFEED_SERVED_URL", "")  # announce() sets it; monkeypatch then restores it
    master_hooks.announce(_Server("http://0.0.0.0:9000"))
    assert capsys.readouterr().out == "Mia's Feed is ready: open http://127.0.0.1:9000/\n"
    assert (tmp_path / "served_url").read_text() == "http://127.0.0.1:9000\n"
    assert os.environ["MIAFEED_SERVED_URL"] == "http://127.0.0.1:9000"

    monkeypatch.setenv("MIAFEED_SITE_URL", "https://news.example.org")
    master_hooks.announce(_Server("http://127.0.0.1:8000"))
    assert capsys.readouterr().out == (
        "Mia's Feed is ready: open http://127.0.0.1:8000/ (links in mail and feeds use https://news.example.org)\n"
    )


def test_a_cli_command_in_production_without_site_url_says_what_to_set(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("MIAFEED_")}
    env.update(MIAFEED_INSTANCE_PATH=str(tmp_path), MIAFEED_ENV="production", MIAFEED_SECRET_KEY="k" * 40)
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "digest", "send", "--frequency", "daily"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("Mia's Feed cannot start: MIAFEED_ENV=production needs the site's public address")
    assert "Traceback" not in result.stderr
