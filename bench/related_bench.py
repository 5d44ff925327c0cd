"""Related Articles benchmark: time to compute every article's picks, and the
median server time of the panel request.

    .venv/bin/python bench/related_bench.py --articles 10000

Uses the same synthetic corpus as search_bench.py (and its folder, if that
benchmark already built it). Prints figures; never fails on them.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search_bench import load_corpus, percentile  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    work = ROOT / "bench" / "output" / f"related-{args.articles}"
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    (work / "instance").mkdir(parents=True)

    from miafeed import create_app
    from miafeed.extensions import db
    from miafeed.models import Article
    from miafeed.search import indexing, related

    app = create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/instance/bench.db", "SITE_URL": "http://localhost"},
        instance_path=str(work / "instance"),
    )
    print(f"Related Articles benchmark: {args.articles:,} synthetic articles")
    load_corpus(app, args.articles)
    with app.app_context():
        report = indexing.rebuild()
        print(f"  index built in {report.seconds:.1f} s ({report.procs} procs)", flush=True)
        started = time.perf_counter()
        count = related.recompute()
        seconds = time.perf_counter() - started
        print(f"  picks for all {count:,} articles: {seconds:.1f} s ({seconds / count * 1e3:.1f} ms per article)", flush=True)
        started = time.perf_counter()
        affected = related.affected_by([1])
        related.recompute(sorted(affected))
        print(f"  one changed article: {len(affected)} articles recomputed in {(time.perf_counter() - started) * 1e3:.0f} ms")
        slugs = db.session.scalars(db.select(Article.slug).order_by(Article.id).limit(args.requests)).all()

    client = app.test_client()
    for slug in slugs[:5]:
        client.get(f"/articles/{slug}/related", headers={"HX-Request": "true"})
    times = []
    for slug in slugs:
        started = time.perf_counter()
        response = client.get(f"/articles/{slug}/related", headers={"HX-Request": "true"})
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    etag = response.headers["ETag"]
    revalidate = []
    for _ in range(50):
        started = time.perf_counter()
        client.get(f"/articles/{slugs[-1]}/related", headers={"HX-Request": "true", "If-None-Match": etag})
        revalidate.append(time.perf_counter() - started)
    print(f"  panel request (htmx fragment, test client): median {statistics.median(times) * 1e3:.2f} ms, p95 {percentile(times, 0.95) * 1e3:.2f} ms")
    print(f"  revalidation answered 304: median {statistics.median(revalidate) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
