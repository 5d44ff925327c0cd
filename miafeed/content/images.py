"""Lead images: check an article's picture and make its responsive variants.

An article's front matter may name a lead image (`image`, a path relative to
the article file), which then needs `image_alt` and may have `image_credit`.
The import checks the file (a real JPEG, PNG or WebP, not too big, large
enough to stay sharp) before it writes anything, then makes, once per
distinct picture:

- WebP and JPEG at three widths (480, 800, 1200 px) for `<picture>` with
  `srcset`, and
- a 1200x630 JPEG crop for Open Graph and Twitter cards,

named after a hash of the source bytes (`<key>-800.webp`, `<key>-share.jpg`),
so a changed picture gets new names and browsers may cache each file for a
year. The files go to the lead-image folder (`instance/images/` unless
LEAD_IMAGE_FOLDER says otherwise), which the app serves at /images/.

The original's bytes are also kept in the database (LeadImageOriginal), in
the import's transaction: the variants are derived state, and a host that
lacks one (a new host, another host than the importer's, a wiped folder)
makes all of its picture's variants on the first request for one
(`ensure_variants_from_database`), once per host, under a file lock.
"""
from __future__ import annotations

import fcntl
import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, select

from ..extensions import db
from ..models import Article, LeadImageOriginal

IMAGE_KEYS = frozenset({"image", "image_alt", "image_credit"})
WIDTHS = (480, 800, 1200)
SHARE_SIZE = (1200, 630)
# The smallest picture that still fills the widest variant and the share crop.
MIN_SIZE = (1200, 630)
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
MAX_ALT_LENGTH = 300
MAX_CREDIT_LENGTH = 200
# Part of every key: bump it when the variants change (sizes, quality), so
# new files get new names instead of hiding behind a year of caching.
VARIANT_VERSION = b"lead-v1"
WEBP_QUALITY = 78
JPEG_QUALITY = 80


@dataclass(frozen=True)
class LeadImageSource:
    """A checked lead image, as named in an article's front matter."""

    path: Path
    alt: str
    credit: str | None
    key: str  # hash of the source bytes and VARIANT_VERSION: the variants' name
    width: int
    height: int

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height of the widest variant (what the page's img says)."""
        return variant_size(self.width, self.height, WIDTHS[-1])


def variant_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    return target_width, max(1, round(height * target_width / width))


def variant_name(key: str, width: int, extension: str) -> str:
    return f"{key}-{width}.{extension}"


def share_name(key: str) -> str:
    return f"{key}-share.jpg"


def all_variant_names(key: str) -> list[str]:
    names = [variant_name(key, width, ext) for width in WIDTHS for ext in ("webp", "jpg")]
    return names + [share_name(key)]


def lead_image_folder() -> Path:
    """Where variants are written and served from (created on first use)."""
    configured = current_app.config.get("LEAD_IMAGE_FOLDER")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "images"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_lead_image(meta: dict, article_path: Path) -> tuple[LeadImageSource | None, list[tuple[str, str]]]:
    """Validate the image keys of one article's front matter.

    Returns the checked image (or None when the article has none, or it is
    bad) and a list of (key, message) problems for the importer to report.
    """
    problems: list[tuple[str, str]] = []
    image, alt, credit = meta.get("image"), meta.get("image_alt"), meta.get("image_credit")
    if image is None:
        for key in ("image_alt", "image_credit"):
            if meta.get(key) is not None:
                problems.append((key, "is set but there is no image; add `image:` or remove it"))
        return None, problems

    if not isinstance(image, str) or not image.strip():
        return None, [("image", "must be a file path relative to the article, like ../images/sleep.png")]
    if not isinstance(alt, str) or not alt.strip():
        problems.append(("image_alt", "is missing: describe the picture for readers who cannot see it"))
    elif len(alt.strip()) > MAX_ALT_LENGTH:
        problems.append(("image_alt", f"is longer than {MAX_ALT_LENGTH} characters"))
    if credit is not None and (not isinstance(credit, str) or not credit.strip() or len(credit) > MAX_CREDIT_LENGTH):
        problems.append(("image_credit", f"must be non-empty text of at most {MAX_CREDIT_LENGTH} characters"))

    path = (article_path.parent / image.strip()).resolve()
    if not path.is_file():
        problems.append(("image", f"no file at {path}"))
        return None, problems
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        problems.append(("image", f"{image} is {len(data) / 1_048_576:.1f} MB; the limit is {MAX_BYTES // 1_048_576} MB (save it smaller or as JPEG)"))
        return None, problems
    size, problem = _inspect(path)
    if problem:
        problems.append(("image", f"{image} {problem}"))
        return None, problems
    if problems:
        return None, problems
    key = hashlib.sha256(VARIANT_VERSION + data).hexdigest()[:20]
    return LeadImageSource(path, alt.strip(), credit.strip() if credit else None, key, *size), []


def _inspect(path: Path) -> tuple[tuple[int, int], str | None]:
    """(width, height) of a readable picture, or a problem saying why it is not one."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (then refuses) on huge pictures; either way, it is too large.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as picture:
                if picture.format not in ACCEPTED_FORMATS:
                    return (0, 0), f"is a {picture.format} file; use JPEG, PNG or WebP"
                width, height = _upright_size(picture)
                if width * height > MAX_PIXELS:
                    return (0, 0), f"is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels"
                picture.load()  # decodes it all: a truncated file fails here, not later
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return (0, 0), f"is too large to decode safely; the limit is {MAX_PIXELS // 1_000_000} megapixels"
    except UnidentifiedImageError:
        return (0, 0), "is not an image Pillow can read (JPEG, PNG or WebP)"
    except (OSError, SyntaxError, ValueError) as exc:
        return (0, 0), f"is damaged or truncated ({exc})"
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        return (0, 0), f"is {width}x{height} pixels; lead images must be at least {MIN_SIZE[0]}x{MIN_SIZE[1]} so they stay sharp on wide screens and in share previews"
    return (width, height), None


def _upright_size(picture: Image.Image) -> tuple[int, int]:
    # EXIF orientation 5-8 means the camera stored it on its side.
    orientation = picture.getexif().get(0x0112, 1)
    width, height = picture.size
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def ensure_variants(source: LeadImageSource, folder: Path) -> list[str]:
    """Write any missing variant of `source` into `folder`; return the names written.

    Variants already on disk are kept: their names are their content. Files
    appear whole (written to a temporary name, then renamed), so a reader
    never gets half an image.
    """
    return _ensure(source.key, folder, source.path.read_bytes)


def ensure_variants_from_database(key: str, folder: Path) -> bool:
    """Make `key`'s missing variants from the original kept in the database.

    False when the database has no picture with that key (a name nobody
    imported, or a picture no article uses any more).
    """
    # Looked up before any lock file is made: a made-up name leaves nothing behind.
    data = db.session.scalar(select(LeadImageOriginal.data).where(LeadImageOriginal.key == key))
    if data is None:
        return False
    _ensure(key, folder, lambda: data)
    return True


def _ensure(key: str, folder: Path, read_original) -> list[str]:
    def missing() -> list[str]:
        return [name for name in all_variant_names(key) if not (folder / name).is_file()]

    if not missing():
        return []
    # One maker per picture across threads, workers and commands on this
    # host: flock is held per open file, so each caller opens its own.
    with open(folder / f".lock-{key}", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = missing()  # another process may have made them while we waited
        if wanted:
            _write_variants(key, read_original(), folder)
        return wanted


def _write_variants(key: str, data: bytes, folder: Path) -> None:
    with Image.open(io.BytesIO(data)) as opened:
        picture = ImageOps.exif_transpose(opened)
        picture = _flatten(picture)
    for width in WIDTHS:
        resized = picture.resize(variant_size(*picture.size, width), Image.Resampling.LANCZOS)
        _save(resized, folder, variant_name(key, width, "webp"), "WEBP", quality=WEBP_QUALITY, method=5)
        _save(resized, folder, variant_name(key, width, "jpg"), "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    share = ImageOps.fit(picture, SHARE_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    _save(share, folder, share_name(key), "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)


def store_original(source: LeadImageSource) -> None:
    """Keep the picture's bytes in the database (inside the import's write
    transaction), unless a row with its key is already there."""
    if db.session.get(LeadImageOriginal, source.key) is None:
        db.session.add(LeadImageOriginal(key=source.key, data=source.path.read_bytes()))


def prune_originals() -> None:
    """Drop originals no article shows any more (inside the write transaction)."""
    in_use = select(Article.image_key).where(Article.image_key.is_not(None))
    db.session.execute(delete(LeadImageOriginal).where(LeadImageOriginal.key.not_in(in_use)))


def _flatten(picture: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and the page background is near white."""
    if picture.mode in ("RGBA", "LA") or (picture.mode == "P" and "transparency" in picture.info):
        picture = picture.convert("RGBA")
        background = Image.new("RGB", picture.size, (255, 255, 255))
        background.paste(picture, mask=picture.getchannel("A"))
        return background
    return picture.convert("RGB")


def _save(picture: Image.Image, folder: Path, name: str, image_format: str, **options) -> None:
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=Path(name).suffix)
    try:
        with os.fdopen(handle, "wb") as file:
            picture.save(file, image_format, **options)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would keep a front web server out
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def apply_lead_image(article, source: LeadImageSource | None) -> None:
    """Copy a checked image's key, size, alt and credit onto an Article (or clear them)."""
    if source is None:
        article.image_key = article.image_alt = article.image_credit = None
        article.image_width = article.image_height = None
        return
    article.image_key = source.key
    article.image_width, article.image_height = source.display_size
    article.image_alt = source.alt
    article.image_credit = source.credit
