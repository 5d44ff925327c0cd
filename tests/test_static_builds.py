"""Hashed static files outlive the build that replaced them: a page an
earlier build or release rendered (in a proxy's cache, an open tab) still
gets its stylesheet."""
from __future__ import annotations

import shutil

from miafeed import create_app
from miafeed.http import assets


def _build(root, text):
    (root / "css").mkdir(parents=True, exist_ok=True)
    (root / "css" / "site.css").write_text(text * 50)
    return assets.build(root)["css/site.css"]


def test_a_rebuild_keeps_the_previous_builds_files_and_drops_older_ones(tmp_path):
    root = tmp_path / "static"
    first = _build(root, "body { color: black; }\n")
    second = _build(root, "body { color: navy; }\n")
    assert (root / "dist" / first).exists() and (root / "dist" / (first + ".gz")).exists()
    third = _build(root, "body { color: teal; }\n")
    assert not (root / "dist" / first).exists() and not (root / "dist" / (first + ".br")).exists()
    assert (root / "dist" / second).exists() and (root / "dist" / third).exists()


def _app(tmp_path, static_root, archive):
    app = create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True,
                      "STATIC_HASHED_URLS": False, "STATIC_ARCHIVE_DIR": str(archive)},
                     instance_path=str(tmp_path / "i"))
    app.static_folder = str(static_root)
    app.config["STATIC_HASHED_URLS"] = True
    assets.init_app(app)
    app.wsgi_app = assets.wrap(app, app.wsgi_app)
    return app


def test_a_release_serves_the_files_of_earlier_releases_from_the_archive(tmp_path):
    # Release A's build, published into the archive as deploy/site does.
    release_a = tmp_path / "a" / "static"
    stylesheet_a = _build(release_a, "body { color: black; }\n")
    archive = tmp_path / "shared-static"
    shutil.copytree(release_a / "dist", archive, ignore=shutil.ignore_patterns("manifest.json"))
    release_b = tmp_path / "b" / "static"
    stylesheet_b = _build(release_b, "body { color: navy; }\n")

    client = _app(tmp_path, release_b, archive).test_client()
    with client.get("/static/" + stylesheet_a) as old:
        assert old.status_code == 200 and b"black" in old.data
        assert old.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get("/static/" + stylesheet_b) as new:
        assert new.status_code == 200 and b"navy" in new.data
    with client.get("/static/css/site.000000000000.css") as missing:
        assert missing.status_code == 404
