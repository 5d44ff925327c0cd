"""A host that did not import a picture (a new host, an empty instance/)
still serves every variant: it makes them from the original kept in the
database, on the first request for one, once."""
from __future__ import annotations

import shutil
import threading

from sqlalchemy import func, select

from miafeed import create_app
from miafeed.content import images as lead_images
from miafeed.content.images import all_variant_names
from miafeed.extensions import db
from miafeed.models import Article, LeadImageOriginal
from test_lead_images import write_picture, with_image


def second_host(app, tmp_path):
    """Another host: same database, its own (empty) instance folder."""
    return create_app(dict(app.config) | {"LEAD_IMAGE_FOLDER": None}, instance_path=str(tmp_path / "host-b"))


def test_a_host_with_an_empty_instance_serves_every_variant(app, content, tmp_path):
    write_picture(content.root / "images" / "moon.png")
    with_image(content)
    with app.app_context():
        content.import_all()
        key = db.session.scalar(select(Article.image_key))
    host_b = second_host(app, tmp_path)
    client = host_b.test_client()
    for name in all_variant_names(key):
        with client.get(f"/images/{name}") as response:
            assert response.status_code == 200, name
            assert "immutable" in response.headers["Cache-Control"]
            assert response.data[:4] in (b"RIFF", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb", b"\xff\xd8\xff\xe1")
    with host_b.app_context():
        made = sorted(p.name for p in lead_images.lead_image_folder().iterdir() if not p.name.startswith("."))
    assert made == sorted(all_variant_names(key))


def status_of(app, url: str) -> int:
    with app.test_client().get(url) as response:
        return response.status_code


def test_a_changed_picture_on_host_a_is_served_by_host_b_without_a_step(app, content, tmp_path):
    picture = write_picture(content.root / "images" / "moon.png")
    with_image(content)
    host_b = second_host(app, tmp_path)
    with app.app_context():
        content.import_all()
        old_key = db.session.scalar(select(Article.image_key))
    assert status_of(host_b, f"/images/{old_key}-800.webp") == 200
    write_picture(picture, colour=(200, 30, 30))
    with app.app_context():
        content.import_all()
        new_key = db.session.scalar(select(Article.image_key))
        # Only the picture in use is kept.
        assert db.session.scalars(select(LeadImageOriginal.key)).all() == [new_key]
    page = host_b.test_client().get("/articles/moonlight-and-sleep").get_data(as_text=True)
    assert f"/images/{new_key}-800.webp" in page
    assert status_of(host_b, f"/images/{new_key}-800.webp") == 200


def test_a_name_nobody_imported_is_404_and_makes_nothing(app, tmp_path):
    client = app.test_client()
    response = client.get("/images/0123456789abcdef0123-800.webp")
    assert response.status_code == 404
    with app.app_context():
        assert list(lead_images.lead_image_folder().iterdir()) == []


def test_many_first_requests_at_once_make_the_variants_once(app, content, tmp_path, monkeypatch):
    write_picture(content.root / "images" / "moon.png")
    with_image(content)
    with app.app_context():
        content.import_all()
        key = db.session.scalar(select(Article.image_key))
        shutil.rmtree(lead_images.lead_image_folder())
    made = []
    original = lead_images._write_variants
    monkeypatch.setattr(lead_images, "_write_variants", lambda *args: (made.append(args[0]), original(*args)))
    statuses = []

    def fetch():
        statuses.append(status_of(app, f"/images/{key}-480.jpg"))

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    assert made == [key]


def test_the_database_keeps_one_original_per_picture(app, content):
    write_picture(content.root / "images" / "moon.png")
    with_image(content, name="first")
    with_image(content, name="second", slug="moonlight-again")
    with app.app_context():
        content.import_all()
        assert db.session.scalar(select(func.count()).select_from(LeadImageOriginal)) == 1
        stored = db.session.scalar(select(LeadImageOriginal.data))
    assert stored == (content.root / "images" / "moon.png").read_bytes()
