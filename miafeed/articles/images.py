"""GET /images/<name>: lead-image variants, and what templates need to show them.

The variants are made by the import (miafeed.content.images) into the
lead-image folder on the importing host; any other host makes a picture's
variants from the original kept in the database on the first request for
one of them. They live in the lead-image folder, not in static/dist: `make setup` rebuilds static/dist
from scratch, and WhiteNoise lists its files once at start-up, so a picture
imported while the site runs would not be served until a restart. The
names hold a hash of the picture, so each file is cached for a year,
immutable, like the hashed static files.
"""
from __future__ import annotations

import re

from flask import abort, send_from_directory, url_for

from ..content.images import WIDTHS, ensure_variants_from_database, lead_image_folder, share_name, variant_name
from ..http.site_url import absolute_url
from .blueprint import bp

ONE_YEAR = 31_536_000
VARIANT_NAME = re.compile(r"^[0-9a-f]{20}-(?:\d{3,4}\.(?:webp|jpg)|share\.jpg)$")


@bp.get("/images/<name>")
def lead_image(name: str):
    """One variant file, cached for a year (its name changes when the picture does)."""
    if not VARIANT_NAME.match(name):
        abort(404, description="There is no image with that name.")
    folder = lead_image_folder()
    if not (folder / name).is_file() and not ensure_variants_from_database(name[:20], folder):
        abort(404, description="There is no image with that name.")
    response = send_from_directory(folder, name, max_age=ONE_YEAR, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def lead_picture(article) -> dict | None:
    """The URLs and size a <picture> of `article`'s lead image needs, or None without one."""
    if not article.image_key:
        return None
    key = article.image_key

    def srcset(extension: str) -> str:
        return ", ".join(f"{url_for('articles.lead_image', name=variant_name(key, w, extension))} {w}w" for w in WIDTHS)

    return {
        "webp_srcset": srcset("webp"),
        "jpeg_srcset": srcset("jpg"),
        "src": url_for("articles.lead_image", name=variant_name(key, WIDTHS[1], "jpg")),
        "width": article.image_width,
        "height": article.image_height,
        "alt": article.image_alt,
        "credit": article.image_credit,
    }


def share_image_url(article) -> str | None:
    """Absolute URL of the 1200x630 crop for og:image and Twitter cards."""
    if not article.image_key:
        return None
    return absolute_url("articles.lead_image", name=share_name(article.image_key))


@bp.app_template_filter("with_lead_image")
def with_lead_image(json_ld: dict, article) -> dict:
    """The article's JSON-LD plus `image` (the share crop and the widest variant), when it has one.

    Search engines want an image on a NewsArticle; kept here so the JSON-LD
    builder needs to know nothing about image files.
    """
    if not article.image_key:
        return json_ld
    widest = absolute_url("articles.lead_image", name=variant_name(article.image_key, WIDTHS[-1], "jpg"))
    return {**json_ld, "image": [share_image_url(article), widest]}


# Globals rather than context: macros imported without context still see them.
bp.add_app_template_global(lead_picture)
bp.add_app_template_global(share_image_url)
