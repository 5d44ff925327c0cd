"""Where an imported file is known from: its path inside its content tree.

A content tree is the folder that holds categories.yml (the repository's
content/, an operator's own folder). An article's stored source path is
its path relative to that folder, in POSIX form ("articles/sleep.md"),
never an absolute path: the same tree imported from another checkout, a
release folder or another host names every file the same way, so it is
"unchanged"; a file moved inside the tree keeps its slug and is updated.

Without a categories.yml above it, the imported folder (or a single file's
folder) is the tree. Paths written by releases before this rule are
absolute; `is_legacy_path` tells them apart so the importer can treat
them as "somewhere else, same slug" and rewrite them.
"""
from __future__ import annotations

from pathlib import Path, PurePosixPath

from .categories import find_categories_file


def content_tree_for(path: Path) -> Path:
    """The folder stored paths are relative to, for an import of `path` (resolved)."""
    categories_file = find_categories_file(path)
    if categories_file is not None:
        return categories_file.parent
    return path if path.is_dir() else path.parent


def tree_relative(path: str | Path, tree: Path) -> str:
    """`path` (inside `tree`) as the stored, location-free name ("" for the tree itself)."""
    relative = Path(path).resolve().relative_to(tree).as_posix()
    return "" if relative == "." else relative


def is_legacy_path(stored: str) -> bool:
    """True for a source path stored before paths were tree-relative."""
    return stored.startswith("/") or (len(stored) > 2 and stored[1] == ":")


def legacy_relative_form(stored: str) -> str | None:
    """What an absolute path from an older release is called inside its
    tree: relative to the folder above it holding categories.yml (when it is
    still on disk), else what follows its last "content" folder. None when
    neither fits. (Migration 0010 applies the same rule to stored rows.)"""
    if not is_legacy_path(stored):
        return None
    path = PurePosixPath(stored)
    for folder in path.parents:
        if Path(folder, "categories.yml").is_file():
            return path.relative_to(folder).as_posix()
    parts = path.parts
    if "content" in parts[:-1]:
        last = len(parts) - 1 - parts[::-1].index("content")
        return PurePosixPath(*parts[last + 1:]).as_posix()
    return None


def is_within(stored: str, prefix: str) -> bool:
    """True when the stored relative path lies in the folder `prefix` ("" is the whole tree)."""
    if not prefix:
        return True
    return PurePosixPath(stored).is_relative_to(PurePosixPath(prefix))
