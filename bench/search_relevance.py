"""Search relevance over the demo articles: MRR and success@3.

    .venv/bin/python bench/search_relevance.py            # summary
    .venv/bin/python bench/search_relevance.py --verbose  # every query

Imports content/ into a scratch instance, runs each query of
bench/relevance.yml through the app's own search code (exactly what a
reader's request runs) and prints, per kind of query and overall, the mean
reciprocal rank of the first expected article and the share of queries with
an expected article in the top three. Prints figures; never fails on them.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("finished", "typing", "typo", "synonym", "spelling", "lay")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--file", type=Path, default=ROOT / "bench" / "relevance.yml")
    args = parser.parse_args()
    cases = yaml.safe_load(args.file.read_text())
    work = ROOT / "bench" / "output" / "relevance"
    shutil.rmtree(work, ignore_errors=True)
    (work / "instance").mkdir(parents=True)

    from miafeed import create_app
    from miafeed.content import import_content
    from miafeed.extensions import db
    from miafeed.search.querying import run_search

    app = create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/instance/bench.db", "SITE_URL": "http://localhost"},
        instance_path=str(work / "instance"),
    )
    scores: dict[str, list[tuple[float, bool]]] = {kind: [] for kind in KINDS}
    with app.app_context():
        db.create_all()
        import_content(ROOT / "content")
        for case in cases:
            outcome = run_search(case["q"])
            slugs = [hit.article.slug for hit in outcome.hits]
            rank = next((i + 1 for i, slug in enumerate(slugs) if slug in case["expect"]), None)
            scores[case["kind"]].append((1 / rank if rank else 0.0, bool(rank and rank <= 3)))
            if args.verbose:
                print(f"  {case['q']!r:36} rank {rank or '-':>2}  of {outcome.total:2} found   first: {slugs[0] if slugs else '(none)'}")
    print(f"Search relevance, {len(cases)} queries over the demo articles ({args.file.name})")
    print(f"{'queries':14}{'count':>7}{'MRR':>8}{'success@3':>11}")
    everything = []
    for kind in KINDS:
        rows = scores[kind]
        everything += rows
        print(f"{kind:14}{len(rows):7}{sum(r for r, _ in rows) / len(rows):8.3f}{sum(s for _, s in rows) / len(rows):11.1%}")
    print(f"{'all':14}{len(everything):7}{sum(r for r, _ in everything) / len(everything):8.3f}{sum(s for _, s in everything) / len(everything):11.1%}")


if __name__ == "__main__":
    main()
