"""Odd page numbers and failing pages: a clear 4xx, or a 500 page that cannot fail."""
import pytest
from sqlalchemy import text

from miafeed.extensions import db


@pytest.fixture
def one_article(app, content):
    content.write("sleep-one", title="Sleep study one", slug="sleep-study-one", tags=["sleep"])
    with app.app_context():
        content.import_all()


# Characters str.isdigit() accepts but int() refuses, and full-width digits.
UNICODE_DIGITS = ["²", "①", "₁", "2²", "٣", "৩", "２", "߁"]


@pytest.mark.parametrize("path", ["/", "/category/sleep", "/tag/sleep", "/search?q=sleep"])
def test_unicode_digits_in_page_get_the_whole_number_400_on_every_listing(client, one_article, path):
    separator = "&" if "?" in path else "?"
    for value in UNICODE_DIGITS:
        response = client.get(f"{path}{separator}page={value}")
        assert response.status_code == 400, value
        assert "whole number" in response.get_data(as_text=True)
        assert response.headers["X-Frame-Options"] == "DENY"


def test_a_unicode_page_on_a_page_that_ignores_paging_is_fine(client, one_article):
    # The canonical URL reads ?page= on every page, not only on listings.
    response = client.get("/articles/sleep-study-one?page=²")
    assert response.status_code == 200
    assert 'rel="canonical" href="http://localhost/articles/sleep-study-one"' in response.get_data(as_text=True)


@pytest.fixture
def broken_route(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return "/boom"


def test_the_500_page_needs_no_database(app, client, broken_route):
    with app.app_context():
        # CASCADE for PostgreSQL, which refuses to drop a table others point at.
        cascade = " CASCADE" if db.engine.dialect.name == "postgresql" else ""
        db.session.execute(text(f"DROP TABLE categories{cascade}"))
        db.session.commit()
    response = client.get(broken_route)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_500_page_falls_back_to_a_fixed_body_when_its_template_fails(app, client, broken_route, monkeypatch):
    import miafeed.http.web

    def failing_render(*args, **kwargs):
        raise RuntimeError("the template is broken too")

    monkeypatch.setattr(miafeed.http.web, "render_template", failing_render)
    response = client.get(broken_route)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_500_page_keeps_its_headers_when_an_after_request_hook_fails(app, client, broken_route):
    @app.after_request
    def failing_hook(response):  # registered last, so Flask runs it first
        raise RuntimeError("a hook that fails on error pages")

    response = client.get(broken_route)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
