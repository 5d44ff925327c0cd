"""The category list, declared once in a `categories.yml` beside the articles."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .parse import FileProblem
from .slugs import SLUG_PATTERN

CATEGORIES_FILE = "categories.yml"


@dataclass(frozen=True)
class CategorySource:
    name: str
    slug: str
    description: str
    position: int
    # Slugs of categories taken out of categories.yml whose readers' topics
    # (and articles) move to this one (category_removal.py).
    replaces: tuple[str, ...] = ()
    # Slugs it had before: their pages and feeds redirect here (models.Category).
    former_slugs: tuple[str, ...] = ()


def find_categories_file(path: Path, name: str = CATEGORIES_FILE) -> Path | None:
    """The nearest categories.yml (or other `name`) in the imported folder or above it."""
    start = path if path.is_dir() else path.parent
    for folder in (start, *start.parents):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def read_yaml_entries(path: Path, kind: str, keys: str, problems: list[FileProblem]) -> list[tuple[int, str, dict]]:
    """The entries of a YAML file that holds a list of mappings (categories.yml,
    authors.yml), as (position, "entry N", mapping). What cannot be read, a
    file that is not a list, and entries that are not mappings are reported
    in `problems` (`kind` and `keys` name them: "categories", "name, slug
    and description")."""
    shown = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(FileProblem(shown, None, f"cannot be read ({exc})"))
        return []
    if not isinstance(data, list):
        problems.append(FileProblem(shown, None, f"must be a list of {kind} with {keys}"))
        return []
    entries = []
    for position, entry in enumerate(data):
        where = f"entry {position + 1}"
        if isinstance(entry, dict):
            entries.append((position, where, entry))
        else:
            problems.append(FileProblem(shown, where, f"must be a mapping with {keys}"))
    return entries


def load_categories(path: Path) -> tuple[list[CategorySource], list[FileProblem]]:
    """Parse categories.yml: a list of {name, slug, description}, each with
    optional `former_slugs` (slugs it had before: renaming a slug keeps the
    category, its subscribers' topic and its old address, which redirects)."""
    shown = str(path)
    categories, problems, seen = [], [], set()
    for position, where, entry in read_yaml_entries(path, "categories", "name, slug and description", problems):
        name, slug = entry.get("name"), entry.get("slug")
        description = entry.get("description") or ""
        if not isinstance(name, str) or not name.strip():
            problems.append(FileProblem(shown, f"{where}: name", "is missing"))
            continue
        if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
            problems.append(FileProblem(shown, f"{where}: slug", "must be lowercase words joined by hyphens"))
            continue
        if name in seen or slug in seen:
            problems.append(FileProblem(shown, where, f"{name!r} is declared twice"))
            continue
        former = entry.get("former_slugs") or []
        if not isinstance(former, list) or not all(isinstance(f, str) and SLUG_PATTERN.match(f) for f in former):
            problems.append(FileProblem(shown, f"{where}: former_slugs", "must be a list of slugs (lowercase words joined by hyphens)"))
            continue
        seen.update((name, slug))
        replaces = entry.get("replaces") or []
        replaces = [replaces] if isinstance(replaces, str) else replaces
        if not isinstance(replaces, list) or not all(isinstance(old, str) and SLUG_PATTERN.match(old) for old in replaces):
            problems.append(FileProblem(shown, f"{where}: replaces", "must be a category slug or a list of them"))
            continue
        categories.append(CategorySource(name.strip(), slug, str(description).strip(), position,
                                         replaces=tuple(replaces), former_slugs=tuple(former)))
    current = {category.slug for category in categories}
    for category in categories:
        taken = sorted(current.intersection(category.former_slugs))
        if taken:
            problems.append(FileProblem(shown, f"entry {category.position + 1}: former_slugs",
                                        f"{', '.join(taken)} is the slug of a category in this file"))
    return categories, problems
