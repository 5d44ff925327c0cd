"""Lead images: checked at import, turned into cached variants, shown with <picture>."""
from __future__ import annotations

import io
import json
import re

import pytest

from clock import iso_day
from PIL import Image
from sqlalchemy import select

from miafeed.content import ImportError_
from miafeed.content import images as lead_images
from miafeed.extensions import db
from miafeed.models import Article

from clock import iso_day

ALT = "A drawing of a crescent moon over a sleeping town"


def write_picture(path, size=(1600, 900), image_format="PNG", colour=(40, 80, 160)):
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.new("RGB", size, colour)
    # Something that is not one flat colour, so a crop and a resize are visible.
    picture.paste((250, 220, 120), (size[0] // 2, 0, size[0], size[1] // 2))
    picture.save(path, image_format)
    return path


@pytest.fixture
def picture(content):
    return write_picture(content.root / "images" / "moon.png")


def with_image(content, name="moon-article", image="../images/moon.png", alt=f'"{ALT}"', **front):
    return content.write(name, title="Moonlight and sleep", image=image, image_alt=alt, **front)


def test_import_writes_webp_and_jpeg_at_three_widths_and_a_share_crop(app, content, picture):
    with_image(content, image_credit='"Drawn by the team"')
    with app.app_context():
        content.import_all()
        article = db.session.scalar(select(Article))
        folder = lead_images.lead_image_folder()
        assert (article.image_width, article.image_height) == (1200, 675)
        assert article.image_alt == ALT and article.image_credit == "Drawn by the team"
        for width in (480, 800, 1200):
            with Image.open(folder / f"{article.image_key}-{width}.webp") as webp:
                assert webp.format == "WEBP" and webp.width == width
            with Image.open(folder / f"{article.image_key}-{width}.jpg") as jpeg:
                assert jpeg.format == "JPEG" and jpeg.width == width
        with Image.open(folder / f"{article.image_key}-share.jpg") as share:
            assert share.size == (1200, 630)


def test_article_page_shows_picture_with_srcset_size_and_high_priority(app, client, content, picture):
    with_image(content, image_credit='"Drawn by the team"')
    with app.app_context():
        content.import_all()
        key = db.session.scalar(select(Article.image_key))
    page = client.get("/articles/moonlight-and-sleep").get_data(as_text=True)
    figure = page[page.index('<figure class="lead-image">'):page.index("</figure>")]
    assert f'<source type="image/webp" srcset="/images/{key}-480.webp 480w, /images/{key}-800.webp 800w, /images/{key}-1200.webp 1200w"' in figure
    assert f'srcset="/images/{key}-480.jpg 480w, /images/{key}-800.jpg 800w, /images/{key}-1200.jpg 1200w"' in figure
    assert 'width="1200" height="675"' in figure
    assert f'alt="{ALT}"' in figure
    assert 'fetchpriority="high"' in figure and 'loading="lazy"' not in figure
    assert "Image: Drawn by the team" in figure
    assert f'<meta property="og:image" content="http://localhost/images/{key}-share.jpg">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    json_ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert json_ld["image"] == [f"http://localhost/images/{key}-share.jpg", f"http://localhost/images/{key}-1200.jpg"]


def test_cards_show_lazy_thumbnails_and_a_card_without_lead_image_shows_its_category_drawing(app, client, content, picture):
    with_image(content)
    content.write("plain", title="No picture here", published=iso_day(-1))  # newer: the lead image is on the second card
    with app.app_context():
        content.import_all()
    home = client.get("/").get_data(as_text=True)
    assert home.count("<picture>") == 2  # every card has one
    drawn, thumbnail = re.findall(r'<div class="card-image[^"]*">.*?</div>', home, re.S)
    # The first card has no lead image: its category's drawing, with a night version for dark mode.
    # Static names carry a content hash once `make setup` has built static/dist.
    assert re.search(r"/static/illustrations/sleep-800(\.[0-9a-f]+)?\.webp", drawn)
    assert 'media="(prefers-color-scheme: dark)"' in drawn
    assert 'alt=""' in drawn and re.search(r"sleep-dark-400(\.[0-9a-f]+)?\.webp 400w", drawn)
    assert 'loading="lazy"' in thumbnail and 'fetchpriority' not in thumbnail
    assert 'alt=""' in thumbnail  # decorative: the card's title says what it is
    plain = client.get("/articles/no-picture-here").get_data(as_text=True)
    assert "<picture>" not in plain and "og:image" not in plain  # the drawing is for cards, not a lead image
    assert '<meta name="twitter:card" content="summary">' in plain


def test_a_lead_image_that_is_one_of_our_drawings_has_a_night_version_and_a_photo_has_none(app, client, content, picture):
    import shutil
    from pathlib import Path

    drawing = Path(app.config["CONTENT_DIR"]) / "images" / "heart-health.png"
    shutil.copy(drawing, content.root / "images" / "heart.png")
    with_image(content, name="drawn", image="../images/heart.png", slug="drawn-heart")
    with_image(content, name="photo", slug="moon-photo")
    with app.app_context():
        content.import_all()
    drawn = client.get("/articles/drawn-heart").get_data(as_text=True)
    assert '<source type="image/webp" media="(prefers-color-scheme: dark)"' in drawn
    assert re.search(r"/static/illustrations/heart-health-dark-800(\.[0-9a-f]+)?\.webp 800w", drawn)
    photo = client.get("/articles/moon-photo").get_data(as_text=True)
    assert "<picture>" in photo and "prefers-color-scheme" not in photo


def test_a_category_without_a_drawing_gets_a_plain_card_with_a_band(app, client, content):
    content.write("mood", title="Mood study", category="Mental Health & Mindfulness")
    with app.app_context():
        content.import_all()
        from miafeed.models import Category

        db.session.scalar(select(Category).where(Category.slug == "mental-health-mindfulness")).slug = "no-drawing-for-this"
        db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert '<article class="card card-plain">' in home and "<picture>" not in home


def test_variants_are_served_with_a_year_of_immutable_caching(app, client, content, picture):
    with_image(content)
    with app.app_context():
        content.import_all()
        key = db.session.scalar(select(Article.image_key))
    with client.get(f"/images/{key}-800.webp") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/webp"
        assert set(response.headers["Cache-Control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
    assert client.get("/images/../instance/test.db").status_code == 404
    assert client.get(f"/images/{key}-999.webp").status_code == 404


def test_a_changed_picture_gets_new_names_even_when_the_article_file_is_unchanged(app, content, picture):
    with_image(content)
    with app.app_context():
        content.import_all()
        first = db.session.scalar(select(Article.image_key))
        write_picture(picture, colour=(200, 30, 30))
        result = content.import_all()
        second = db.session.scalar(select(Article.image_key))
    assert result.updated and first != second


def test_missing_variant_files_are_made_again_by_the_next_import(app, content, picture):
    with_image(content)
    with app.app_context():
        content.import_all()
        key = db.session.scalar(select(Article.image_key))
        folder = lead_images.lead_image_folder()
        (folder / f"{key}-480.webp").unlink()
        result = content.import_all()
        assert result.unchanged == 1
        assert (folder / f"{key}-480.webp").is_file()


def test_transparent_png_is_flattened_onto_white(app, content):
    path = content.root / "images" / "clear.png"
    path.parent.mkdir(parents=True)
    Image.new("RGBA", (1200, 630), (0, 0, 0, 0)).save(path)
    with_image(content, image="../images/clear.png")
    with app.app_context():
        content.import_all()
        key = db.session.scalar(select(Article.image_key))
        with Image.open(lead_images.lead_image_folder() / f"{key}-480.jpg") as jpeg:
            assert jpeg.getpixel((10, 10)) > (245, 245, 245)


@pytest.mark.parametrize(
    "make, front, key, message",
    [
        (None, {"alt": None}, "image_alt", "is missing: describe the picture"),
        (None, {"alt": '"  "'}, "image_alt", "is missing"),
        (None, {"image": "../images/nowhere.png"}, "image", "no file at"),
        ("text", {}, "image", "is not an image Pillow can read"),
        ("small", {}, "image", "is 800x450 pixels; lead images must be at least 1200x630"),
        ("gif", {}, "image", "is a GIF file; use JPEG, PNG or WebP"),
        ("truncated", {}, "image", "is damaged or truncated"),
        ("huge-bytes", {}, "image", "the limit is 10 MB"),
        ("huge-pixels", {}, "image", "the limit is 40 megapixels"),
    ],
)
def test_bad_image_stops_the_import_with_a_clear_message(app, content, make, front, key, message):
    target = content.root / "images" / "moon.png"
    if make is None:
        write_picture(target)
    elif make == "text":
        target.parent.mkdir(parents=True)
        target.write_text("this is a shopping list, not a picture")
    elif make == "small":
        write_picture(target, size=(800, 450))
    elif make == "gif":
        write_picture(target, image_format="GIF")
    elif make == "truncated":
        buffer = io.BytesIO()
        Image.effect_noise((1600, 900), 60).convert("RGB").save(buffer, "PNG")
        target.parent.mkdir(parents=True)
        target.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    elif make == "huge-bytes":
        target.parent.mkdir(parents=True)
        target.write_bytes(b"\x89PNG" + b"\0" * (11 * 1024 * 1024))
    elif make == "huge-pixels":
        write_picture(target, size=(9000, 5000), image_format="PNG")
    options = {"image": front.get("image", "../images/moon.png"), "alt": front.get("alt", f'"{ALT}"')}
    bad = with_image(content, image=options["image"], alt=options["alt"])
    content.write("good-one", title="A good article")
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
        assert f"{bad}: {key}: " in str(caught.value)
        assert message in str(caught.value)
        assert db.session.scalar(select(Article)) is None
        assert not any(lead_images.lead_image_folder().iterdir())


def test_alt_or_credit_without_an_image_is_refused(app, content):
    bad = content.write("orphan-alt", image_alt='"A picture"')
    with app.app_context():
        with pytest.raises(ImportError_) as caught:
            content.import_all()
    assert f"{bad}: image_alt: is set but there is no image" in str(caught.value)


def test_the_first_card_on_the_first_page_loads_its_picture_at_once(app, client, content, picture):
    with_image(content)  # the newest, so the first card
    with app.app_context():
        content.import_all()
    thumbnail = re.search(r'<div class="card-image">.*?</div>', client.get("/").get_data(as_text=True), re.S).group(0)
    assert 'fetchpriority="high"' in thumbnail and 'loading="lazy"' not in thumbnail
