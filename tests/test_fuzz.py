"""Several hundred odd requests to every route: none may answer 5xx.

Hypothesis builds requests from pieces strangers actually send: unicode
digits where numbers go (², ①, ₁, ٣), huge and empty values, control
characters, every HTTP method, odd content types and bodies, htmx headers
with odd values, conditional and forwarding headers. The app runs with
TESTING on, so an exception surfaces here with its traceback instead of
hiding behind the 500 page. Derandomized, so `make test` is repeatable; the
examples still differ per route and argument.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from database_support import database_uri_for
from miafeed.extensions import db
from miafeed.newsletter import subscriptions, tokens
from newsletter_support import make_app

ODD_DIGITS = ["²", "①", "₁", "٣", "৩", "２", "߁", "Ⅳ", "½", "𝟙", "-1", "0", "1e3", "0x10", "99999999999999999999", "1.5", " 2", "2 "]
ODD_TEXT = st.one_of(
    st.sampled_from(["", " ", "%", "%00", "%ZZ", "\x00", "\r\n", "../../etc/passwd", "<script>", "*", "a" * 5000, "=?utf-8?b?QmNjOg==?=@example.org"]),
    st.sampled_from(ODD_DIGITS),
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), max_size=6),
)
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"]
CONTENT_TYPES = [
    None, "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=",
    "application/json", "text/plain", "application/octet-stream", "application/x-www-form-urlencoded; charset=utf-7",
    "nonsense", "",
]
HEADER_VALUES = st.one_of(st.sampled_from(["true", "false", "", "TRUE", "1", "*", "\"x\"", "W/\"x\"", "bytes=0-1,5-"]), st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=30))
HEADER_NAMES = ["HX-Request", "HX-Boosted", "HX-History-Restore-Request", "HX-Target", "If-None-Match", "If-Modified-Since",
                "Range", "Accept", "Accept-Encoding", "X-Forwarded-For", "X-Forwarded-Proto", "Origin", "Sec-Fetch-Site", "Referer", "Cookie"]

ROUTE_TEMPLATES = [
    "/", "/articles/{slug}", "/articles/{slug}/related", "/category/{slug}", "/category/{slug}/feed.xml", "/tag/{slug}",
    "/feed.xml", "/sitemap.xml", "/robots.txt", "/search", "/privacy", "/healthz", "/static/{slug}",
    "/newsletter/subscribe", "/newsletter/confirm/{token}", "/newsletter/preferences/{token}", "/newsletter/unsubscribe/{token}",
    "/{slug}",
]


def _tests_conftest():
    # "conftest" alone may name tests/browser/conftest.py once that is loaded.
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("miafeed_tests_conftest", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory):
    """One app with articles, the search index and a subscriber, shared by every example."""
    ContentFolder = _tests_conftest().ContentFolder
    root = tmp_path_factory.mktemp("fuzz")
    # Shared by every test of the module, so on PostgreSQL its database must
    # outlive the first test (the per-test databases are dropped after each).
    database = database_uri_for(root / "instance", for_module=True)
    app = make_app(root, SUBSCRIBE_NOTICE_INTERVAL_MINUTES=0, SQLALCHEMY_DATABASE_URI=database)
    content = ContentFolder(root / "content")
    for number in range(3):
        content.write(f"sleep-{number}", title=f"Sleep study {number}", slug=f"sleep-study-{number}", published=f"2026-01-0{number + 1}")
    with app.app_context():
        content.import_all()
        subscriptions.subscribe("fuzz@example.org", "weekly", "/")
        reader = subscriptions.find_by_email("fuzz@example.org")
        real_tokens = [tokens.make_token(purpose, reader) for purpose in (tokens.CONFIRM, tokens.PREFERENCES, tokens.UNSUBSCRIBE)]
    yield app, real_tokens
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@st.composite
def requests(draw, real_tokens):
    template = draw(st.sampled_from(ROUTE_TEMPLATES))
    slug = draw(st.one_of(st.sampled_from(["sleep-study-0", "sleep", "sleep-study-0/../x"]), ODD_TEXT))
    token = draw(st.one_of(st.sampled_from(real_tokens), ODD_TEXT, st.sampled_from([t[:-3] + "AAA" for t in real_tokens])))
    # Percent-encoded, the way a client must send them on the wire.
    path = template.format(slug=quote(slug, safe="") or "x", token=quote(token, safe="") or "x")
    query = draw(st.dictionaries(st.sampled_from(["page", "q", "category", "sort", "utm_source", "page[]", ""]), ODD_TEXT, max_size=3))
    method = draw(st.sampled_from(METHODS))
    headers = draw(st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_VALUES, max_size=4))
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    body = draw(
        st.one_of(
            st.none(),
            st.dictionaries(
                st.sampled_from(["email", "frequency", "website", "source", "action", "List-Unsubscribe", "csrf_token", "answer", "text"]),
                ODD_TEXT, max_size=5,
            ),
            st.binary(max_size=200),
            st.just(b"x" * 40_000),  # over MAX_CONTENT_LENGTH
        )
    )
    return path, method, query, headers, content_type, body


def _send(client, path, method, query, headers, content_type, body):
    kwargs = {"method": method, "query_string": query, "headers": headers}
    if isinstance(body, dict):
        kwargs["data"] = body
        if content_type and content_type.startswith("multipart/"):
            kwargs["content_type"] = "multipart/form-data"
    elif body is not None:
        kwargs["data"] = body
        if content_type is not None:
            kwargs["content_type"] = content_type
    return client.open(path, **kwargs)


def test_no_request_a_stranger_can_send_gets_a_5xx(fuzz_target):
    app, real_tokens = fuzz_target
    client = app.test_client()

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(requests(real_tokens))
    def check(request):
        response = _send(client, *request)
        assert response.status_code < 500, (request, response.status_code)

    check()


@pytest.mark.parametrize("value", ODD_DIGITS)
@pytest.mark.parametrize("path", ["/", "/category/sleep", "/tag/sleep", "/search", "/articles/sleep-study-0", "/privacy"])
def test_odd_page_numbers_on_every_html_route(fuzz_target, path, value):
    app, _ = fuzz_target
    response = app.test_client().get(path, query_string={"page": value})
    assert response.status_code < 500
