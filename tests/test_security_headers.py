"""Security headers on every response, and the production cookie settings."""
import pytest

from database_support import database_uri_for
from miafeed import create_app


@pytest.fixture
def published(app, content):
    content.write("sleep-study", title="'Sleep and stress'")
    with app.app_context():
        content.import_all()
    return "sleep-and-stress"


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize(
    "url",
    ["/", "/articles/sleep-and-stress", "/category/sleep", "/tag/sleep", "/feed.xml", "/sitemap.xml", "/robots.txt",
     "/no-such-page", "/healthz"],
)
def test_every_response_carries_the_security_headers(client, published, url):
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert "Content-Security-Policy" in response.headers


def test_fragments_carry_the_headers_too(client, published):
    response = client.get("/category/sleep", headers={"HX-Request": "true"})
    assert "Content-Security-Policy" in response.headers


def test_csp_allows_only_our_own_scripts_and_styles(client, published):
    directives = csp_directives(client.get("/"))
    assert directives["default-src"] == "default-src 'none'"
    assert directives["script-src"] == "script-src 'self'"
    assert directives["style-src"] == "style-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["form-action"] == "form-action 'self'"
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "*" not in policy


def test_development_sends_no_hsts(client, published):
    response = client.get("/")
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def production_client(tmp_path):
    instance = tmp_path / "prod-instance"
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "x" * 48,
            "SQLALCHEMY_DATABASE_URI": database_uri_for(instance),
            "SITE_URL": "https://miasfeed.example",
        },
        instance_path=str(instance),
    )
    from miafeed.extensions import db

    with app.app_context():
        db.create_all()
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_production_sends_hsts_for_a_year(production_client):
    response = production_client.get("/", base_url="https://miasfeed.example")
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "upgrade-insecure-requests" in response.headers["Content-Security-Policy"]


def test_production_sets_no_cookie_even_over_https(production_client):
    for url in ("/", "/newsletter/subscribe", "/privacy"):
        response = production_client.get(url, base_url="https://miasfeed.example")
        assert "Set-Cookie" not in response.headers, url


def test_templates_have_no_inline_scripts_or_style_attributes():
    """What CSP would block must not be in our templates (JSON-LD is data, allowed)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for path in root.rglob("*.html"):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # Jinja comments
        assert not re.search(r"\sstyle\s*=", text), f"style attribute in {path}"
        assert "<style" not in text, f"<style> in {path}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {path}"
        assert not re.search(r"\shx-on", text), f"hx-on (needs eval) in {path}"
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/ld+json"' in tag, f"inline script in {path}: {tag}"


def test_htmx_is_configured_for_the_csp(client, published):
    import json
    import re

    html = client.get("/").get_data(as_text=True)
    match = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    config = json.loads(match.group(1))
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
