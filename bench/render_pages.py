"""Median in-process render time of the home page and an article page.

Builds a throwaway instance, imports the repository's content/ folder and
times requests through Flask's test client (no network, no gunicorn), so the
figure is the app's own work: routing, queries and templates.

    .venv/bin/python bench/render_pages.py [--rounds 200]
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from miafeed import create_app  # noqa: E402
from miafeed.content import import_content  # noqa: E402
from miafeed.extensions import db  # noqa: E402
from miafeed.models import Article, visible_articles  # noqa: E402


def time_url(client, url: str, rounds: int) -> list[float]:
    client.get(url)  # warm caches and compile templates once
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        # The page cache off: this measures renders (bench/http_bench.py measures the cache).
        app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/bench.db",
                          "PAGE_CACHE_ENABLED": False}, instance_path=instance)
        with app.app_context():
            db.create_all()
            import_content(app.config["CONTENT_DIR"])
            slug = db.session.scalar(visible_articles().with_only_columns(Article.slug).limit(1))
            total = db.session.query(Article).count()
        client = app.test_client()
        print(f"articles imported: {total}; rounds per page: {args.rounds}")
        results = {}
        for label, url in (("home", "/"), ("article", f"/articles/{slug}"), ("category", "/category/sleep")):
            samples = time_url(client, url, args.rounds)
            results[label] = statistics.median(samples)
            p95 = statistics.quantiles(samples, n=20)[-1]
            print(f"{label:9s} {url:60s} median {results[label]:6.2f} ms  p95 {p95:6.2f} ms")
        print(f"ratio article/home (same run): {results['article'] / results['home']:.2f}")


if __name__ == "__main__":
    main()
