"""Static files under content-hashed names, served by WhiteNoise.

`python -m miafeed.http.assets` (run by `make setup`) copies every file of
static/ to static/dist/ as `name.<hash>.ext`, writes compressed `.br` and
`.gz` twins next to each, and records the mapping in static/dist/manifest.json.
The app's `url_for('static', ...)` then points at the hashed name, and
WhiteNoise serves it with a one-year immutable Cache-Control: a changed file
gets a new name, so a browser never needs to ask again.

Without a build (a fresh checkout running tests) the manifest is absent and
`url_for` falls back to the plain names, which Flask's own static route
serves with revalidation; nothing breaks, it is just not cached for a year.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

DIST = "dist"
MANIFEST = "manifest.json"
ONE_YEAR = 31_536_000
HASH_LENGTH = 12


def build(static_root: Path) -> dict[str, str]:
    """Write hashed copies (and their .br/.gz) of static_root's files into static_root/dist.

    Returns the manifest: original relative path -> hashed relative path.
    The files of the previous build stay (pages it rendered, still in a
    proxy's cache or an open tab, link them); older ones are removed, so
    the folder holds two builds at most.
    """
    dist = static_root / DIST
    previous = load_manifest(static_root)
    dist.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, str] = {}
    compressor = Compressor(quiet=True)
    for source in sorted(static_root.rglob("*")):
        if not source.is_file() or dist in source.parents or source.name.startswith("."):
            continue
        relative = source.relative_to(static_root)
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:HASH_LENGTH]
        hashed = relative.with_name(f"{relative.stem}.{digest}{relative.suffix}")
        target = dist / hashed
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        if compressor.should_compress(target.name):
            compressor.compress(str(target))
        manifest[relative.as_posix()] = hashed.as_posix()
    (dist / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    _remove_older_builds(dist, set(manifest.values()) | set(previous.values()))
    return manifest


def _remove_older_builds(dist: Path, kept: set[str]) -> None:
    # A hashed file and its .br/.gz twins stay while either build names it.
    for path in sorted(dist.rglob("*"), reverse=True):
        relative = path.relative_to(dist).as_posix()
        if path.is_dir():
            if not any(path.iterdir()):
                path.rmdir()
        elif relative != MANIFEST and relative.removesuffix(".br").removesuffix(".gz") not in kept:
            path.unlink()


def load_manifest(static_root: Path) -> dict[str, str]:
    path = static_root / DIST / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def init_app(app: Flask) -> None:
    """Serve static/dist/ through WhiteNoise and make url_for('static') use hashed names."""
    static_root = Path(app.static_folder)
    manifest = {} if app.config.get("STATIC_HASHED_URLS") is False else load_manifest(static_root)
    app.extensions["miafeed_static_manifest"] = manifest
    if not manifest:
        return
    hashed_names = set(manifest.values())
    static_prefix = app.static_url_path.strip("/") + "/"

    @app.url_defaults
    def _hashed_static_filename(endpoint, values):
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    archive = app.config.get("STATIC_ARCHIVE_DIR")
    archive_root = Path(archive) if archive and Path(archive).is_dir() else None

    def is_hashed(path: str, url: str) -> bool:
        return url[len(static_prefix) + 1 :] in hashed_names or (
            archive_root is not None and path.startswith(str(archive_root) + "/"))

    def add_headers(headers, path: str, url: str) -> None:
        from .security import static_security_headers

        if is_hashed(path, url):
            # WhiteNoise's own "forever" is ten years; a year is what the
            # HTTP caching RFC and every checker treat as the maximum.
            headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        for name, value in static_security_headers().items():
            headers[name] = value

    def serve_static(wsgi_app):
        # allow_all_origins=False: nothing here is meant for other sites' scripts.
        files = WhiteNoise(wsgi_app, max_age=60, allow_all_origins=False, add_headers_function=add_headers,
                           immutable_file_test=is_hashed)
        # Earlier releases' hashed files first: this release's own win any name both have.
        if archive_root is not None:
            files.add_files(str(archive_root), prefix=static_prefix)
        files.add_files(str(static_root / DIST), prefix=static_prefix)
        return files

    app.extensions["miafeed_static_files"] = serve_static


def wrap(app: Flask, wsgi_app):
    """`wsgi_app` behind WhiteNoise serving static/dist/ (create_app places it
    in the stack), or `wsgi_app` itself when there are no hashed files."""
    serve_static = app.extensions.get("miafeed_static_files")
    return serve_static(wsgi_app) if serve_static else wsgi_app


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "static"
    written = build(root)
    print(f"hashed {len(written)} static files into {root / DIST}")
