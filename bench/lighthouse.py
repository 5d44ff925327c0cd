"""Run Lighthouse (mobile, its default) on the home page, an article, one with a lead image and a search page; print the four scores.

    make lighthouse                       # starts its own server on a free port
    BASE_URL=http://127.0.0.1:8000 make lighthouse

Lighthouse comes from npm (pinned in bench/lighthouse-npm/package-lock.json) and drives Debian's
Chromium (CHROME_PATH, default /usr/bin/chromium). Full reports are written
to bench/output/lighthouse-<page>.json.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_site import ROOT, first_article_path, running_site  # noqa: E402

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run " \
               "--disable-background-networking --disable-component-update --disable-sync"


def has_page(url: str) -> bool:
    try:
        with urllib.request.urlopen(url):
            return True
    except urllib.error.HTTPError:
        return False


def first_article_with_image(base_url: str) -> str | None:
    """The first article on the home page whose card shows a lead image."""
    with urllib.request.urlopen(base_url + "/") as response:
        home = response.read().decode()
    found = re.search(r'class="card-image">.*?href="(/articles/[^"]+)"', home, re.S)
    return found.group(1) if found else None


def audit(name: str, url: str, output: Path) -> dict[str, int]:
    report = output / f"lighthouse-{name}.json"
    env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    subprocess.run(
        [str(ROOT / "bench" / "lighthouse-npm" / "node_modules" / ".bin" / "lighthouse"), url, "--quiet", "--output=json",
         f"--output-path={report}", f"--chrome-flags={CHROME_FLAGS}",
         f"--only-categories={','.join(CATEGORIES)}"],
        check=True, env=env,
    )
    categories = json.loads(report.read_text())["categories"]
    return {key: round(categories[key]["score"] * 100) for key in CATEGORIES}


def main() -> None:
    output = ROOT / "bench" / "output"
    output.mkdir(parents=True, exist_ok=True)
    with running_site() as base_url:
        pages = {"home": "/", "article": first_article_path(base_url)}
        with_image = first_article_with_image(base_url)
        if with_image and with_image != pages["article"]:
            pages["article-img"] = with_image
        if has_page(base_url + "/search?q=sleep"):
            pages["search"] = "/search?q=sleep"
        print(f"{'page':10} " + " ".join(f"{key:>15}" for key in CATEGORIES))
        for name, path in pages.items():
            scores = audit(name, base_url + path, output)
            print(f"{name:10} " + " ".join(f"{scores[key]:>15}" for key in CATEGORIES) + f"   {path}")


if __name__ == "__main__":
    main()
