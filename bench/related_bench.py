"""Related Articles benchmark: time to compute every article's picks, and the
median server time of the panel request.

    .venv/bin/python bench/related_bench.py --articles 10000

Uses the same synthetic corpus as search_bench.py (and its folder, if that
benchmark already built it). Prints figures; never fails on them.
"""
from __future__ import annotations

import argparse
import os
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
        # What `search reindex` does: the index, then every article's picks.
        print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall-clock figures include waiting for other work)")
        started = time.perf_counter()
        report = indexing.rebuild()
        print(f"  index built in {report.seconds:.1f} s ({report.procs} procs)", flush=True)
        cpu_started = time.process_time()
        count = related.recompute()
        picks_cpu = time.process_time() - cpu_started
        picks_seconds = related.recompute.last_seconds
        total = time.perf_counter() - started
        # CPU seconds too: on a shared machine the wall clock mostly measures the neighbours.
        print(f"  picks for all {count:,} articles: {picks_seconds:.1f} s ({picks_seconds / count * 1e3:.1f} ms per article; "
              f"{picks_cpu:.1f} CPU s, {picks_cpu / count * 1e3:.1f} ms per article)", flush=True)
        print(f"  full reindex with picks: {total:.1f} s (goal at 10,000 on 2 cores: <= 90 s)", flush=True)

        def import_of(ids):
            # What an import does after its commit: index the articles, then
            # recompute the picks they may change.
            for article in db.session.scalars(db.select(Article).where(Article.id.in_(ids))):
                article.title = article.title + " (updated)"
            db.session.commit()
            started, cpu_started = time.perf_counter(), time.process_time()
            indexing.update_articles(ids)
            affected = related.affected_by(ids)
            related.recompute(sorted(affected))
            import_of.cpu = time.process_time() - cpu_started
            return time.perf_counter() - started, len(affected)

        seconds, affected = import_of([1])
        print(f"  one-article import (index + {affected} affected picks): {seconds * 1e3:.0f} ms, {import_of.cpu * 1e3:.0f} ms CPU (goal: <= 2 s)", flush=True)
        for size in (max(1, args.articles // 100), max(1, args.articles // 20), max(1, args.articles // 5)):
            ids = list(range(2, 2 + size))
            seconds, affected = import_of(ids)
            print(f"  import of {size:,} changed articles: {seconds:.1f} s, {seconds / size * 1e3:.1f} ms per article, "
                  f"{import_of.cpu / size * 1e3:.1f} ms CPU per article ({affected:,} picks recomputed)", flush=True)
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
