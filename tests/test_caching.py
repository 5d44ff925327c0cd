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


SHARED = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"


@pytest.mark.parametrize(
    "url", ["/", "/articles/sleep-and-stress", "/category/sleep", "/tag/sleep", "/feed.xml", "/sitemap.xml",
            "/privacy", "/newsletter/subscribe", "/search?q=sleep"],
)
def test_shared_pages_are_public_and_answer_304_to_any_client(app, published, url):
    first = app.test_client(use_cookies=False).get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == SHARED
    assert "Set-Cookie" not in first.headers
    assert set(first.headers["Vary"].replace(" ", "").split(",")) <= {"Accept-Encoding", "HX-Request"}
    etag = first.headers["ETag"]
    assert not etag.startswith("W/")
    # Another client, with no cookie and nothing in common but the ETag.
    again = app.test_client(use_cookies=False).get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == SHARED


def test_a_cookieless_reader_revalidating_an_article_gets_304_with_the_page_cache_off(app, published):
    app.config["PAGE_CACHE_ENABLED"] = False
    reader = app.test_client(use_cookies=False)
    etag = reader.get("/articles/sleep-and-stress").headers["ETag"]
    assert reader.get("/articles/sleep-and-stress", headers={"If-None-Match": etag}).status_code == 304


def test_every_reader_gets_the_same_etag(app, published):
    first = app.test_client().get("/articles/sleep-and-stress", headers={"Accept-Encoding": "br"})
    second = app.test_client().get("/articles/sleep-and-stress", headers={"Accept-Encoding": "br"})
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.data == second.data


def test_fragment_and_page_have_different_validators(client, published):
    page = client.get("/search?q=sleep")
    fragment = client.get("/search?q=sleep", headers={"HX-Request": "true"})
    assert page.data != fragment.data
    assert page.headers["ETag"] != fragment.headers["ETag"]
    assert "HX-Request" in fragment.headers["Vary"]


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


def test_newsletter_link_pages_are_never_stored(app, client):
    from miafeed.newsletter import subscriptions, tokens

    with app.app_context():
        subscriptions.subscribe("stored@example.org", "weekly", "/")
        found = subscriptions.find_by_email("stored@example.org")
        urls = [f"/newsletter/confirm/{tokens.make_token(tokens.CONFIRM, found)}",
                f"/newsletter/preferences/{tokens.make_token(tokens.PREFERENCES, found)}",
                f"/newsletter/unsubscribe/{tokens.make_token(tokens.UNSUBSCRIBE, found)}",
                "/newsletter/unsubscribe/not-a-token"]
    for url in urls:
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
        assert "ETag" not in response.headers
        assert "public" not in response.headers["Cache-Control"]


def test_errors_are_not_cached_publicly(client, published):
    response = client.get("/articles/no-such-article")
    assert response.status_code == 404
    assert "public" not in response.headers.get("Cache-Control", "")
    assert "ETag" not in response.headers


# --- static files -----------------------------------------------------------

@pytest.fixture
def built_static(tmp_path):
    """A static folder built the way `make setup` builds the real one."""
    from miafeed.http.assets import build

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
    from miafeed.http import assets

    app.static_folder = str(root)
    app.config["STATIC_HASHED_URLS"] = True
    assets.init_app(app)
    app.wsgi_app = assets.wrap(app, app.wsgi_app)  # the outermost layer, as create_app places it
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
