"""The people who write and review articles, declared in `authors.yml`.

Articles name them in `author` and `reviewed_by` by slug (or by their exact
name); the import refuses a name it cannot find here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .categories import find_categories_file, read_yaml_entries
from .parse import FileProblem
from .slugs import SLUG_PATTERN

AUTHORS_FILE = "authors.yml"
AUTHOR_KEYS = ("name", "slug", "credentials", "role", "bio")


@dataclass(frozen=True)
class AuthorSource:
    """One person from authors.yml."""

    name: str
    slug: str
    credentials: str  # "MD, MPH"; empty for people without a professional title
    role: str  # "Health journalist", "Physician reviewer"
    bio: str
    position: int


def find_authors_file(path: Path) -> Path | None:
    """The nearest authors.yml in the imported folder or above it."""
    return find_categories_file(path, AUTHORS_FILE)


def load_authors(path: Path) -> tuple[list[AuthorSource], list[FileProblem]]:
    """Parse authors.yml: a list of {name, slug, credentials, role, bio}."""
    shown = str(path)
    authors, problems, seen = [], [], set()
    for position, where, entry in read_yaml_entries(path, "people", "name, slug, credentials, role and bio", problems):
        unknown = sorted(set(map(str, entry)) - set(AUTHOR_KEYS))
        if unknown:
            problems.append(FileProblem(shown, f"{where}: {unknown[0]}", f"is not a known key (known: {', '.join(AUTHOR_KEYS)})"))
            continue
        values = {}
        for key, limit, required in (("name", 120, True), ("bio", 1000, True), ("credentials", 120, False), ("role", 120, False)):
            value = entry.get(key)
            if value is None and not required:
                values[key] = ""
            elif not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
                problems.append(FileProblem(shown, f"{where}: {key}", f"must be text of 1 to {limit} characters"))
            else:
                values[key] = value.strip()
        slug = entry.get("slug")
        if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
            problems.append(FileProblem(shown, f"{where}: slug", "must be lowercase words joined by hyphens"))
            continue
        if len(values) < 4:
            continue
        if values["name"] in seen or slug in seen:
            problems.append(FileProblem(shown, where, f"{values['name']!r} is declared twice"))
            continue
        seen.update((values["name"], slug))
        authors.append(AuthorSource(values["name"], slug, values["credentials"], values["role"], values["bio"], position))
    return authors, problems
