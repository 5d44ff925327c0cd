"""A kept page is only ever served to a client it was made for.

Each test first lets an odd client fill the page cache, the way an attacker
(or a broken proxy) would, with tracking arguments the key ignores so that
every request lands on the same kept copy. Then ordinary clients ask, and
must get the bytes a render for them would give: the coding they accept,
links under the site's own prefix, a 304 only against their own validator.
"""
from __future__ import annotations

import gzip

import brotli
import pytest

PAGES = ("/articles/sleep-and-stress", "/feed.xml")


@pytest.fixture
def published(app, content):
    content.write("sleep-study", title="'Sleep and stress'", body="Sleep words. " * 200)
    with app.app_context():
        content.import_all()


def decoded(response) -> bytes:
    """The body as the client would read it, after undoing the coding it was told about."""
    coding = response.headers.get("Content-Encoding", "identity")
    return {"br": brotli.decompress, "gzip": gzip.decompress, "identity": lambda body: body}[coding](response.data)


def coding_of(response) -> str:
    return response.headers.get("Content-Encoding", "identity")


# Accept-Encoding as sent -> the coding that client must get. Refused or
# unknown codings fall back to no coding at all; q-values are honoured.
ODD_ACCEPT_ENCODINGS = {
    "br;q=0": "identity",
    "*, br;q=0": "gzip",
    "gzip;q=0": "identity",
    "identity;q=0": "identity",
    "*;q=0": "identity",
    "BR": "br",
    "GZIP": "gzip",
    "gzip, deflate": "gzip",
    "x-unknown": "identity",
    "deflate": "identity",
    "": "identity",
    "br;q=0.5, gzip;q=0.9": "gzip",
    "gzip;q=0.9, br;q=0.5": "gzip",
    "br;q=0.001": "br",
    "*": "br",
    "gzip, br": "br",
    " gzip ; q=0.8 ,x-unknown": "gzip",
    "identity;q=1, br;q=0.5": "identity",
    "br;q=abc": "identity",
    "br;q=2": "identity",
    "gzip;q=0, *": "br",
    "br;q=0, gzip;q=0, *;q=1": "identity",
}
PLAIN_CLIENTS = {None: "identity", "identity": "identity", "gzip": "gzip", "gzip, deflate": "gzip", "br": "br"}


def headers_for(accept_encoding: str | None) -> dict:
    # The test client sends no Accept-Encoding unless told to.
    return {} if accept_encoding is None else {"Accept-Encoding": accept_encoding}


@pytest.mark.parametrize("odd", list(ODD_ACCEPT_ENCODINGS))
def test_an_odd_accept_encoding_gets_what_it_accepts_and_poisons_no_one(app, published, odd):
    expected_bytes = {}
    app.config["PAGE_CACHE_ENABLED"] = False
    for page in PAGES:
        expected_bytes[page] = app.test_client().get(page).data
    app.config["PAGE_CACHE_ENABLED"] = True

    for page in PAGES:
        for n in range(4):
            answer = app.test_client().get(f"{page}?utm_source={n}", headers=headers_for(odd))
            assert answer.status_code == 200
            assert coding_of(answer) == ODD_ACCEPT_ENCODINGS[odd], (page, odd)
            assert decoded(answer) == expected_bytes[page]
            assert "Accept-Encoding" in answer.headers["Vary"]
        for plain, coding in PLAIN_CLIENTS.items():
            for _ in range(2):
                answer = app.test_client().get(page, headers=headers_for(plain))
                assert coding_of(answer) == coding, f"{page}: after {odd!r}, a client sending {plain!r} got {coding_of(answer)}"
                assert decoded(answer) == expected_bytes[page]


@pytest.mark.parametrize("odd", list(ODD_ACCEPT_ENCODINGS))
def test_the_etag_names_the_coding_that_was_sent(app, published, odd):
    answer = app.test_client().get("/category/sleep", headers=headers_for(odd))
    etag = answer.headers["ETag"]
    coding = coding_of(answer)
    if coding == "identity":
        assert ":" not in etag
    else:
        assert etag.endswith(f':{coding}"')


def test_a_304_is_decided_against_the_etag_of_the_coding_a_200_would_carry_on_a_cold_worker(app, published):
    app.config["PAGE_CACHE_ENABLED"] = False  # a worker that kept nothing
    page = "/articles/sleep-and-stress"
    identity_etag = app.test_client().get(page).headers["ETag"]
    answer = app.test_client().get(page, headers={"Accept-Encoding": "br", "If-None-Match": identity_etag})
    assert answer.status_code == 200
    assert answer.headers["ETag"].endswith(':br"')
    assert answer.headers["Content-Encoding"] == "br"
    br_etag = answer.headers["ETag"]
    again = app.test_client().get(page, headers={"Accept-Encoding": "br", "If-None-Match": br_etag})
    assert again.status_code == 304 and again.headers["ETag"] == br_etag


def test_a_304_is_decided_against_the_etag_of_the_coding_a_200_would_carry_before_the_copy_is_kept(app, published):
    page = "/articles/sleep-and-stress"
    identity_etag = app.test_client().get(page).headers["ETag"]  # keeps the uncompressed copy only
    answer = app.test_client().get(page, headers={"Accept-Encoding": "br", "If-None-Match": identity_etag})
    assert answer.status_code == 200
    assert answer.headers["ETag"].endswith(':br"')


def test_a_304_is_decided_against_the_etag_of_the_coding_a_200_would_carry_on_a_warm_worker(app, published):
    page = "/articles/sleep-and-stress"
    br_etag = app.test_client().get(page, headers={"Accept-Encoding": "br"}).headers["ETag"]
    identity_etag = app.test_client().get(page).headers["ETag"]
    assert identity_etag != br_etag
    answer = app.test_client().get(page, headers={"Accept-Encoding": "br", "If-None-Match": identity_etag})
    assert answer.status_code == 200
    assert answer.headers["ETag"] == br_etag
    again = app.test_client().get(page, headers={"Accept-Encoding": "br", "If-None-Match": br_etag})
    assert again.status_code == 304 and again.headers["ETag"] == br_etag
    plain = app.test_client().get(page, headers={"If-None-Match": br_etag})
    assert plain.status_code == 200 and plain.headers["ETag"] == identity_etag


@pytest.mark.parametrize("prefix", ["/evil", "/zzz", "/", "//attacker.example", "/a b"])
def test_a_client_sent_script_name_neither_fails_nor_reaches_other_readers(app, published, prefix):
    # gunicorn takes SCRIPT_NAME from a request header when the peer is in
    # forwarded_allow_ips (gunicorn.conf.py now refuses it; see
    # tests/system/test_page_cache_gunicorn.py); in process it is the environ.
    pages = ("/", "/articles/sleep-and-stress", "/feed.xml", "/healthz")
    app.config["PAGE_CACHE_ENABLED"] = False
    expected = {page: app.test_client().get(page) for page in pages}
    app.config["PAGE_CACHE_ENABLED"] = True
    for page in pages:
        for n in range(4):
            answer = app.test_client().get(f"{page}?utm_source={n}", environ_overrides={"SCRIPT_NAME": prefix})
            assert answer.status_code == expected[page].status_code, page
        for _ in range(2):
            plain = app.test_client().get(page)
            assert plain.status_code == expected[page].status_code
            if page != "/healthz":  # its body carries the index lag, which moves
                assert plain.data == expected[page].data, f"{page} after SCRIPT_NAME {prefix!r}"


def test_a_page_that_does_not_page_ignores_page_in_its_bytes_and_its_canonical(app, published):
    # ?page= is declared by the listings only; an article read with it must
    # not keep a canonical link to "?page=2" for the next reader.
    first = app.test_client().get("/articles/sleep-and-stress?page=2").get_data(as_text=True)
    plain = app.test_client().get("/articles/sleep-and-stress").get_data(as_text=True)
    assert 'rel="canonical" href="http://localhost/articles/sleep-and-stress"' in plain
    assert "page=2" not in first and first == plain


def test_a_new_shared_page_needs_only_its_decorator(app, published):
    from flask import request

    from miafeed.http.caching import shared_page

    renders = []

    @app.get("/colours")
    @shared_page("colour")
    def colours():
        renders.append(request.args.get("colour"))
        return f"<p>{request.args.get('colour', 'none')} " + "x" * 600 + "</p>"

    @app.get("/not-shared")
    def not_shared():
        renders.append("not shared")
        return "<p>hello</p>"

    client = app.test_client()
    assert client.get("/colours?colour=red&utm_source=a").data.startswith(b"<p>red ")
    assert client.get("/colours?colour=red&utm_source=b").data.startswith(b"<p>red ")
    assert client.get("/colours?colour=blue").data.startswith(b"<p>blue ")
    gzipped = client.get("/colours?colour=blue", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(gzipped.data).startswith(b"<p>blue ")
    client.get("/not-shared")
    client.get("/not-shared")
    assert renders == ["red", "blue", "blue", "not shared", "not shared"]


def test_a_shared_view_that_reads_an_argument_it_does_not_declare_fails_its_test(app, published):
    # The key leaves undeclared arguments out, so such a view would serve the
    # page kept for ?sort=new to a reader who asked ?sort=old. Under TESTING
    # the read itself fails, naming the view and the argument.
    import pytest
    from flask import request

    from miafeed.http.caching import UndeclaredQueryArgument, shared_page

    @app.get("/sorted")
    @shared_page("page")
    def sorted_listing():
        return f"<p>{request.args.get('page', '1')} {request.args.get('sort', 'new')}</p>"

    @app.get("/every-argument")
    @shared_page("page")
    def every_argument():
        return f"<p>{dict(request.args)}</p>"

    app.config["PROPAGATE_EXCEPTIONS"] = True
    client = app.test_client()
    with pytest.raises(UndeclaredQueryArgument, match=r"sorted_listing read \?sort= but its @shared_page names only \['page'\]"):
        client.get("/sorted?page=2&sort=old")
    with pytest.raises(UndeclaredQueryArgument, match="every_argument read every query argument"):
        client.get("/every-argument?page=2")
    # The arguments the site's own shared views read are all declared.
    for url in ("/?page=1", "/category/sleep?page=1", "/search?q=sleep&category=sleep&sort=newest&page=1&exact=1",
                "/search/suggest?q=sle", "/feed.xml", "/sitemap.xml", "/articles/sleep-and-stress/related"):
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 200, url


def test_every_change_of_the_content_version_is_a_new_version(app):
    from miafeed.content import version

    seen = {version.current(app)}
    for _ in range(5):  # faster than a file system's clock tick
        with app.app_context():
            version.bump()
        seen.add(version.current(app))
    assert len(seen) == 6


def test_the_cache_steps_aside_when_its_storage_fails(app, published, monkeypatch):
    from miafeed.http import caching

    def unreachable(key):
        raise ConnectionError("the shared cache is down")

    monkeypatch.setattr(app.extensions["cache"][caching.cache], "get", unreachable)
    for _ in range(2):
        answer = app.test_client().get("/articles/sleep-and-stress", headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200 and b"Sleep and stress" in gzip.decompress(answer.data)
    assert app.test_client().get("/healthz").status_code in (200, 503)
