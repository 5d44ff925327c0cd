"""The drawn category pictures in static/illustrations/ (made by
tools/draw_illustrations.py), for cards and for dark mode.

Most articles have no lead image, and a grid where a third of the cards
have a picture looks ragged, so a card without one shows its category's
drawing instead. Each drawing has a night version for dark mode, and so do
the lead images that are those same drawings (the demo articles use them):
they are recognised by their variant key, the hash the import gives the
source file, so no front matter has to say so.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, current_app, url_for

FOLDER = "illustrations"
WIDTHS = (400, 800)
HEIGHT_AT_800 = 420


def _srcset(slug: str, suffix: str = "") -> str:
    return ", ".join(f"{url_for('static', filename=f'{FOLDER}/{slug}{suffix}-{w}.webp')} {w}w" for w in WIDTHS)


def _drawn_slugs(static_folder: str) -> frozenset[str]:
    folder = Path(static_folder) / FOLDER
    return frozenset(
        path.name.removesuffix("-800.webp")
        for path in folder.glob("*-800.webp")
        if not path.name.endswith("-dark-800.webp") and (folder / path.name.replace("-800.webp", "-dark-800.webp")).is_file()
    )


def _keys_of_drawn_lead_images(content_dir: str | None, slugs: frozenset[str]) -> dict[str, str]:
    """Lead-image variant key -> drawing slug, for content/images/<slug>.png files
    (none when no content folder is set, as in production before the operator
    names one)."""
    from ..content.images import VARIANT_VERSION

    keys = {}
    if not content_dir:
        return keys
    for slug in slugs:
        source = Path(content_dir) / "images" / f"{slug}.png"
        if source.is_file():
            keys[hashlib.sha256(VARIANT_VERSION + source.read_bytes()).hexdigest()[:20]] = slug
    return keys


def init_app(app: Flask) -> None:
    slugs = _drawn_slugs(app.static_folder)
    drawn_keys = _keys_of_drawn_lead_images(app.config["CONTENT_DIR"], slugs)

    def category_picture(category_slug: str) -> dict | None:
        """The srcsets of a category's drawing (day and night), or None when it has none."""
        if category_slug not in slugs:
            return None
        return {
            "srcset": _srcset(category_slug),
            "dark_srcset": _srcset(category_slug, "-dark"),
            "src": url_for("static", filename=f"{FOLDER}/{category_slug}-800.webp"),
            "width": WIDTHS[-1],
            "height": HEIGHT_AT_800,
        }

    def night_srcset(article) -> str | None:
        """The night version of an article's lead image, when that image is one of the drawings."""
        slug = drawn_keys.get(article.image_key or "")
        return _srcset(slug, "-dark") if slug else None

    app.jinja_env.globals.update(category_picture=category_picture, night_srcset=night_srcset)
