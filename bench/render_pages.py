"""In-process cost of the home page, an article, a category and searches:
median wall time and median CPU time per request.

Builds a throwaway instance, imports the repository's content/ folder and
times requests through Flask's test client (no network, no gunicorn), so the
figure is the app's own work: routing, queries and templates. CPU time
(time.process_time) is what a page costs a core, whatever else the machine
is doing; wall time also counts waiting for it. The page cache is off.

    .venv/bin/python bench/render_pages.py [--rounds 200]
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from miafeed import create_app  # noqa: E402
from miafeed.content import import_content  # noqa: E402
from miafeed.extensions import db  # noqa: E402
from miafeed.models import Article, visible_articles  # noqa: E402


def time_url(client, url: str, rounds: int) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) of each of `rounds` requests for `url`."""
    client.get(url)  # warm caches and compile templates once
    walls, cpus = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpus.append((time.process_time() - start_cpu) * 1000)
        walls.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return walls, cpus


SEARCHES = ("/search?q=sleep", "/search?q=blood+pressure", "/search?q=ins")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--long-tail", type=int, default=400, help="distinct searches timed once each")
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
        pages = [("home", "/"), ("article", f"/articles/{slug}"), ("category", "/category/sleep")]
        pages += [("search", url) for url in SEARCHES]
        for label, url in pages:
            walls, cpus = time_url(client, url, args.rounds)
            results[url] = statistics.median(cpus)
            p95 = statistics.quantiles(walls, n=20)[-1]
            print(f"{label:9s} {url[:48]:48s} CPU median {results[url]:6.2f} ms   wall median {statistics.median(walls):6.2f} ms  p95 {p95:6.2f} ms")
        print(f"ratio article/home CPU (same run): {results[pages[1][1]] / results['/']:.2f}")
        # The long tail: distinct searches, each asked once (bench/http_bench.py's list).
        from http_bench import long_tail_queries

        for label, headers in (("page", {}), ("fragment", {"HX-Request": "true"})):
            cpus = []
            for query in long_tail_queries(args.long_tail)[: args.long_tail]:
                start_cpu = time.process_time()
                response = client.get("/search", query_string={"q": query}, headers=headers)
                cpus.append((time.process_time() - start_cpu) * 1000)
                assert response.status_code == 200, (query, response.status_code)
            cpus.sort()
            print(f"search long tail, {label:8s} ({len(cpus)} distinct queries)  CPU median {statistics.median(cpus):6.2f} ms"
                  f"  p95 {cpus[int(len(cpus) * 0.95)]:6.2f} ms")


if __name__ == "__main__":
    main()
