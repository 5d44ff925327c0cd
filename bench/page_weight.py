"""Print the compressed weight of an article's first visit (HTML + CSS + JS) against the budget.

    .venv/bin/python bench/page_weight.py            # starts its own server
    BASE_URL=http://127.0.0.1:8000 .venv/bin/python bench/page_weight.py

Bytes are counted as they cross the wire with `Accept-Encoding: br, gzip`,
the way a current browser asks; headers are not counted.
"""
from __future__ import annotations

import re
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_site import first_article_path, running_site  # noqa: E402

BUDGET_BYTES = 60 * 1024


def fetch(url: str) -> tuple[int, int, str]:
    """(bytes on the wire, bytes uncompressed, encoding) for one URL."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "br, gzip"})
    with urllib.request.urlopen(request) as response:
        body = response.read()
        encoding = response.headers.get("Content-Encoding", "identity")
    if encoding == "br":
        import brotli

        plain = brotli.decompress(body)
    elif encoding == "gzip":
        import gzip

        plain = gzip.decompress(body)
    else:
        plain = body
    return len(body), len(plain), encoding


def main() -> None:
    with running_site() as base_url:
        path = sys.argv[1] if len(sys.argv) > 1 else first_article_path(base_url)
        request = urllib.request.Request(base_url + path)
        with urllib.request.urlopen(request) as response:
            html = response.read().decode()
        assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(r'<script src="([^"]+)"', html)
        rows = [(path, *fetch(base_url + path))] + [(asset, *fetch(base_url + asset)) for asset in assets]
        total = sum(row[1] for row in rows)
        print(f"First visit to {path}")
        for url, wire, plain, encoding in rows:
            print(f"  {wire / 1024:7.1f} KB  ({plain / 1024:6.1f} KB before {encoding})  {url}")
        print(f"  {total / 1024:7.1f} KB  total, budget {BUDGET_BYTES / 1024:.0f} KB: "
              f"{'within' if total <= BUDGET_BYTES else 'OVER'} budget ({total / BUDGET_BYTES:.0%})")


if __name__ == "__main__":
    main()
