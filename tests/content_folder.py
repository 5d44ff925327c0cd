"""A content folder of the test's own (categories.yml, articles/, authors.yml,
pages/), written the way an editor writes one; imported by conftest's
`content` fixture and by tests that need a folder outside a fixture."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

from miafeed.content import import_content

from clock import iso_day

CATEGORIES_YML = """\
- name: Mental Health & Mindfulness
  slug: mental-health-mindfulness
  description: Mood, stress and meditation.
- name: Sleep
  slug: sleep
  description: How we sleep.
- name: Chronic Pain & Conditions
  slug: chronic-pain-conditions
  description: Long-term pain.
"""

AUTHORS_YML = """\
- name: Ada Writer
  slug: ada-writer
  credentials: MSc
  role: Health journalist
  bio: Ada writes about sleep.
- name: Ben Doctor
  slug: ben-doctor
  credentials: MD, MPH
  role: Physician reviewer
  bio: Ben is a family doctor who checks our articles.
- name: Cy Intern
  slug: cy-intern
  bio: Cy helps out and has no professional title.
"""


class ContentFolder:
    """A folder of article files written by a test, the way an editor would."""

    def __init__(self, root: Path):
        self.root = root
        self.articles = root / "articles"
        self.articles.mkdir(parents=True)
        (root / "categories.yml").write_text(CATEGORIES_YML)

    def write(self, name: str, body: str = "Some words about research.", **front) -> Path:
        meta = {
            "title": "A study about sleep",
            "category": "Sleep",
            "tags": ["sleep", "stress"],
            "summary": "A short summary.",
            "source_name": "Example Research News",
            "source_url": "https://research.example.org/story",
            "published": iso_day(-30),
        }
        meta.update(front)
        lines = ["---"]
        for key, value in meta.items():
            if value is None:
                continue
            if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
                lines.append(f"{key}: {json.dumps(value)}")  # JSON is YAML flow style
            elif isinstance(value, list):
                lines.append(f"{key}: [{', '.join(repr(v) for v in value)}]")
            else:
                lines.append(f"{key}: {value}")
        lines += ["---", "", textwrap.dedent(body)]
        path = self.articles / f"{name}.md"
        path.write_text("\n".join(lines) + "\n")
        return path

    def write_authors(self, text: str = None) -> Path:
        """authors.yml beside categories.yml (the demo-like team below by default)."""
        path = self.root / "authors.yml"
        path.write_text(textwrap.dedent(text) if text is not None else AUTHORS_YML)
        return path

    def write_page(self, name: str, body: str = "Who we are.", **front) -> Path:
        """A site page in pages/, like content/pages/about.md."""
        meta = {"title": name.replace("-", " ").capitalize(), "summary": f"The {name} page."} | front
        folder = self.root / "pages"
        folder.mkdir(exist_ok=True)
        lines = ["---", *(f"{key}: {value}" for key, value in meta.items() if value is not None), "---", "", textwrap.dedent(body)]
        path = folder / f"{name}.md"
        path.write_text("\n".join(lines) + "\n")
        return path

    def import_all(self, **options):
        """Import the whole folder (options: prune, dry_run)."""
        return import_content(self.root, **options)
