"""A real gunicorn and a real Chromium, once per test session.

The server runs the app exactly as production does (gunicorn, 2 workers,
WhiteNoise, compression) on a free loopback port, with its own temporary
instance folder: database migrated, then the repository's content/ imported
(or, while content/ holds no articles, a few written here). The browser is
Debian's /usr/bin/chromium driven by Playwright; nothing is downloaded.

Screenshots and the server log go to test-output/browser/ (gitignored).
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clock import iso_day
from database_support import session_database_uri
from processes import free_port, gunicorn

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("MIAFEED_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Written only when the repository's content/ has no articles yet, so the
# suite always has pages to browse. Same front matter as the real ones.
FALLBACK_CATEGORIES = """\
- name: Sleep
  slug: sleep
  description: How we sleep, and what helps.
- name: Mental Health & Mindfulness
  slug: mental-health-mindfulness
  description: Mood, stress and meditation.
"""
FALLBACK_ARTICLES = {
    "sleep-and-mood": ("Short sleep and next-day mood", "Sleep", ["sleep", "mood"]),
    "mindfulness-and-pain": ("Mindfulness training and chronic pain", "Mental Health & Mindfulness", ["pain", "mindfulness"]),
    "naps-and-memory": ("Afternoon naps and memory", "Sleep", ["sleep", "memory"]),
}


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


def _content_folder(tmp: Path) -> Path:
    # MIAFEED_TEST_CONTENT points the suite at another content folder (a
    # checkout with more articles, say) without copying files around.
    repository_content = Path(os.environ.get("MIAFEED_TEST_CONTENT", ROOT / "content"))
    if any((repository_content / "articles").glob("*.md")):
        return repository_content
    folder = tmp / "content"
    (folder / "articles").mkdir(parents=True)
    (folder / "categories.yml").write_text(FALLBACK_CATEGORIES)
    for number, (slug, (title, category, tags)) in enumerate(FALLBACK_ARTICLES.items()):
        body = textwrap.dedent(
            f"""\
            ---
            title: "{title}"
            category: "{category}"
            tags: [{", ".join(tags)}]
            summary: "A short, plain-language summary of a study about {tags[0]}."
            source_name: Example Research News
            source_url: https://research.example.org/{slug}
            published: {iso_day(-20 + number)}
            ---

            ## What the study did

            Researchers followed a group of adults and asked how they slept and felt.
            The findings are early, and the authors call for larger trials.
            """
        )
        (folder / "articles" / f"{slug}.md").write_text(body)
    return folder


@dataclass
class Site:
    """The running server and the pages it has, as a crawler would find them."""

    base_url: str
    instance: Path
    articles: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    endpoints: set[str] = field(default_factory=set)
    database_uri: str = ""  # what the server stores into: its SQLite file, or PostgreSQL

    def url(self, path: str) -> str:
        return self.base_url + path


def _endpoints(instance: Path) -> set[str]:
    """The endpoints this build of the app has (search, privacy, newsletter land from other branches)."""
    from miafeed import create_app

    app = create_app({"SECRET_KEY": "url-map", "SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=str(instance))
    return {rule.endpoint for rule in app.url_map.iter_rules()}


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_factory.mktemp("browser-site")
    instance = tmp / "instance"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        MIAFEED_INSTANCE_PATH=str(instance),
        MIAFEED_SITE_URL=base_url,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        PYTHONWARNINGS="ignore",
        # The limit now holds across workers (ratelimit_storage.py) and the
        # suite signs up more often than a reader could; the limit itself is
        # tested in tests/system/test_rate_limits.py.
        MIAFEED_SUBSCRIBE_RATE_LIMIT="200 per minute",
        MIAFEED_FEEDBACK_RATE_LIMIT="200 per minute",
        # A reader who signs up again right after confirming gets the
        # "already subscribed" mail (the one with preference and unsubscribe
        # links) at once, not after the usual five minutes.
        MIAFEED_SUBSCRIBE_NOTICE_INTERVAL_MINUTES="0",
    )
    database = session_database_uri()  # PostgreSQL under `make test-postgres`
    if database:
        env["MIAFEED_SQLALCHEMY_DATABASE_URI"] = database
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "content", "import", str(_content_folder(tmp))], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    commands = subprocess.run([*flask, "--help"], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    if "\n  search" in commands:  # the search index, once that branch is merged
        subprocess.run([*flask, "search", "reindex"], cwd=ROOT, env=env, check=True, capture_output=True)

    # /healthz answers 200 once the database and the search index are ready.
    with gunicorn(env, OUTPUT / "gunicorn.log", base_url + "/healthz"):
        site = Site(base_url=base_url, instance=instance, endpoints=_endpoints(tmp / "url-map"),
                    database_uri=database or f"sqlite:///{instance}/miafeed.db")
        with urllib.request.urlopen(base_url + "/sitemap.xml", timeout=5) as response:
            sitemap = ET.fromstring(response.read())
        for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
            path = loc.text[len(base_url):]
            for prefix, bucket in (("/articles/", site.articles), ("/category/", site.categories), ("/tag/", site.tags)):
                if path.startswith(prefix):
                    bucket.append(path)
        assert site.articles and site.categories and site.tags, "the browser suite needs content to browse"
        yield site


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does this)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Runs in every page before its own scripts; CSP violations are reported as
# DOM events, not always as console messages, so we collect both.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline"));
});
"""


class Watched:
    """A page plus what went wrong on it: console errors, page errors, CSP violations."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def problems(self, allow: tuple[str, ...] = ()) -> list[str]:
        violations = self.page.evaluate("window.__cspViolations || []")
        found = self.console_errors + self.page_errors + [f"CSP: {v}" for v in violations]
        return [problem for problem in found if not any(ok in problem for ok in allow)]


@pytest.fixture
def new_page(browser):
    """Make a fresh browser context and page: new_page(width=375, javascript=False, color_scheme='dark')."""
    contexts = []

    def make(width: int = 1280, height: int = 900, javascript: bool = True, color_scheme: str = "light",
             reduced_motion: str = "no-preference") -> Watched:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            color_scheme=color_scheme,
            reduced_motion=reduced_motion,
        )
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        contexts.append(context)
        return Watched(context.new_page())

    yield make
    for context in contexts:
        context.close()
