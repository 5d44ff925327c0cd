"""Validators, 304s, Cache-Control, compression and hashed static files."""
import gzip
import re

import brotli
import pytest


@pytest.fixture
def published(app, content):
    content.write("sleep-study", title="'Sleep and stress'", body="Sleep words. " * 200)
    with app.app_context():
        content.import_all()


@pytest.fixture
def with_csrf(app):
    """CSRF on, as in production: the subscribe form then carries a session-bound token."""
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.mark.parametrize("url", ["/category/sleep", "/tag/sleep", "/feed.xml", "/sitemap.xml"])
def test_shared_pages_are_public_for_a_minute_and_answer_304(client, published, url):
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert "Set-Cookie" not in first.headers
    assert "Cookie" not in first.headers.get("Vary", "")
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_fragment_and_page_have_different_validators(client, published):
    page = client.get("/category/sleep")
    fragment = client.get("/category/sleep", headers={"HX-Request": "true"})
    # The category view does not send fragments yet; when it does, its body
    # differs and so must its ETag. Either way Vary must not lose HX-Request.
    if page.data != fragment.data:
        assert page.headers["ETag"] != fragment.headers["ETag"]


@pytest.mark.parametrize("url", ["/", "/articles/sleep-and-stress"])
def test_pages_with_a_csrf_token_are_private_and_still_revalidate(client, published, with_csrf, url):
    first = client.get(url)
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in first.headers["Vary"]
    # The same session gets a 304 even though the signed token carries a fresh timestamp.
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_another_session_never_matches_a_private_etag(app, published, with_csrf):
    reader_a, reader_b = app.test_client(), app.test_client()
    etag = reader_a.get("/").headers["ETag"]
    assert reader_b.get("/", headers={"If-None-Match": etag}).status_code == 200


def test_html_is_compressed_with_brotli_or_gzip(client, published):
    plain = client.get("/articles/sleep-and-stress").data
    br = client.get("/articles/sleep-and-stress", headers={"Accept-Encoding": "br"})
    assert br.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in br.headers["Vary"]
    assert len(br.data) < len(plain) / 2
    assert b"Sleep and stress" in brotli.decompress(br.data)
    gz = client.get("/articles/sleep-and-stress", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert b"Sleep and stress" in gzip.decompress(gz.data)


def test_compressed_etag_names_the_encoding_and_answers_304(client, published):
    first = client.get("/category/sleep", headers={"Accept-Encoding": "br"})
    assert first.headers["ETag"].endswith(':br"')
    again = client.get("/category/sleep", headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_newsletter_token_pages_are_never_stored(app, client):
    # A stand-in route: the real pages come from the newsletter blueprint.
    app.add_url_rule("/newsletter/test-only/<token>", "test_only_token_page", lambda token: "<p>you@example.org</p>")
    response = client.get("/newsletter/test-only/abc")
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_errors_are_not_cached_publicly(client, published):
    response = client.get("/articles/no-such-article")
    assert response.status_code == 404
    assert "public" not in response.headers.get("Cache-Control", "")
    assert "ETag" not in response.headers


# --- static files -----------------------------------------------------------

@pytest.fixture
def built_static(tmp_path):
    """A static folder built the way `make setup` builds the real one."""
    from miafeed.assets import build

    root = tmp_path / "static"
    (root / "css").mkdir(parents=True)
    (root / "css" / "site.css").write_text("body { color: black; }\n" * 200)
    manifest = build(root)
    return root, manifest


def test_build_writes_hashed_names_and_compressed_twins(built_static):
    root, manifest = built_static
    hashed = manifest["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed)
    assert (root / "dist" / hashed).exists()
    assert (root / "dist" / (hashed + ".br")).exists()
    assert (root / "dist" / (hashed + ".gz")).exists()


def test_hashed_static_files_are_immutable_and_compressed(tmp_path, built_static):
    from miafeed import create_app

    root, manifest = built_static
    app = create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True,
                      "STATIC_HASHED_URLS": False},
                     instance_path=str(tmp_path / "i"))
    # Wire WhiteNoise to the built folder instead of the repository's.
    from miafeed import assets

    app.static_folder = str(root)
    app.config["STATIC_HASHED_URLS"] = True
    assets.init_app(app)
    with app.test_request_context():
        from flask import url_for

        url = url_for("static", filename="css/site.css")
    assert url == "/static/" + manifest["css/site.css"]
    with app.test_client().get(url, headers={"Accept-Encoding": "br, gzip"}) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "br"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert "Access-Control-Allow-Origin" not in response.headers
        assert brotli.decompress(response.data).startswith(b"body { color: black; }")
