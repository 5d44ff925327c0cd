"""Fixtures: a fresh app and database per test, and a writer of article files."""
from __future__ import annotations

import json
import os
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

from miafeed.content import import_content

from apps import app, app_config, app_defaults, demo_app  # noqa: F401  (the suite's app fixtures)
from clock import NOW, iso_day
from database_support import ON_POSTGRES, close_test_databases, drop_test_databases

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


def pytest_collection_modifyitems(config, items):
    """Skip the tests written for the other database (see database_support)."""
    for item in items:
        if ON_POSTGRES and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="checks SQLite behaviour; this run is on PostgreSQL"))
        if not ON_POSTGRES and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: `make test-postgres`"))


@pytest.fixture(autouse=True)
def _fresh_database_per_test():
    """On PostgreSQL, drop the databases a test created once it is over."""
    yield
    drop_test_databases()


def pytest_sessionfinish(session, exitstatus):
    close_test_databases()


def _service(start):
    import services

    try:
        server = start()
    except services.ServiceMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    return server


@pytest.fixture(scope="session")
def _redis_process():
    import services

    server = _service(services.start_redis)
    yield server
    server.stop()


@pytest.fixture
def redis_server(_redis_process):
    """A throwaway redis-server on a unix socket (tests/services.py), emptied
    for each test: counts one test leaves (a rate limit used up within its
    minute) must not decide the next test's answers."""
    import redis

    client = redis.Redis(unix_socket_path=str(_redis_process.socket))
    client.flushall()
    client.close()
    return _redis_process


@pytest.fixture(scope="session")
def postgres_server_url():
    """The PostgreSQL server this run uses (make test-postgres), for tests that
    start several processes or hosts against one database."""
    from database_support import SERVER_URL

    if not SERVER_URL:
        pytest.skip("needs PostgreSQL: `make test-postgres`")
    return SERVER_URL
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


class Clock:
    """The test's clock, held at tests/clock.py's NOW until the test moves it.

    time-machine moves `time.time()` and `datetime.now()` for the whole
    process (the app's `utcnow()` included) but not `time.monotonic()`, so
    deadlines and timeouts still measure real time."""

    def __init__(self, traveller):
        self._traveller = traveller
        self.now = NOW

    def advance(self, **delta) -> datetime:
        """Move the clock forward (days=, hours=, minutes=, seconds=) and return the new now."""
        self.now = self.now + timedelta(**delta)
        self._traveller.move_to(self.now.replace(tzinfo=timezone.utc))
        return self.now


@pytest.fixture
def clock():
    """Hold the clock at NOW for this test; `clock.advance(days=8)` moves it."""
    with time_machine.travel(NOW.replace(tzinfo=timezone.utc), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


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


@pytest.fixture
def content(tmp_path):
    return ContentFolder(tmp_path / "content")
