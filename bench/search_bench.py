"""Search benchmark: Whoosh (through the app's own search code) vs SQLite FTS5.

    .venv/bin/python bench/search_bench.py --articles 10000
    .venv/bin/python bench/search_bench.py --articles 100000 --repeat 20

Builds a deterministic synthetic corpus into a scratch instance, then prints
index build time and rate, index size, the time to apply a one-article
import, and query latency (median, p95) for a fixed mix of queries, snippets
and facets included, side by side with the same corpus and queries in
SQLite FTS5, and the Whoosh/FTS5 ratios. Prints figures; never fails on them.
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import CATEGORIES, generate  # noqa: E402

QUERIES = [
    ("one word", "sleep", None),
    ("two words", "blood pressure", None),
    ("phrase", '"chronic pain"', None),
    ("rare word", "zorvexine", None),
    ("common word", "study", None),
    ("three words", "stress anxiety therapy", None),
    ("category filter", "exercise", "movement-fitness"),
    ("prefix, 3 letters", "ins", None),
    ("prefix, typing", "mindfuln", None),
    ("2 words, last typed", "chronic pa", None),
    ("typo", "insomnai", None),
    ("typo + word", "blood presure", None),
]

# What a reader's browser asks for while typing, letter by letter: the
# /search results fragment and the header box's list.
TYPED = ["insomnia", "chronic pain", "blood pressure", "mindfulness"]


def long_tail(count: int, seed: int = 11) -> list[str]:
    """Distinct searches over the synthetic corpus's words, each asked once:
    words, pairs, prefixes as typed, typos and quoted pairs, so nearly every
    one reads some postings for the first time in the process."""
    import random

    from corpus import COMMON_WORDS, GENERAL_WORDS, TOPIC_WORDS

    vocabulary = sorted({w for words in TOPIC_WORDS.values() for w in words} | set(GENERAL_WORDS) | set(COMMON_WORDS))
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        kind, word = rng.random(), rng.choice(vocabulary)
        if kind < 0.3:
            text = word
        elif kind < 0.55:
            text = f"{word} {rng.choice(vocabulary)}"
        elif kind < 0.8:
            text = word[: rng.randint(3, max(3, len(word) - 1))]
        elif kind < 0.95 and len(word) > 3:
            i = rng.randrange(1, len(word) - 1)
            text = word[:i] + word[i + 1:]
        else:
            text = f'"{word} {rng.choice(vocabulary)}"'
        found.setdefault(text)
    return list(found)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def load_corpus(app, count):
    from miafeed.extensions import db
    from miafeed.models import Article, Category, Tag, article_tags

    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        db.session.execute(Category.__table__.insert(), [{"id": i + 1, "name": n, "slug": s, "description": "", "position": i} for i, (n, s) in enumerate(CATEGORIES)])
        category_ids = {s: i + 1 for i, (_, s) in enumerate(CATEGORIES)}
        tag_ids: dict[str, int] = {}
        rows, links = [], []
        now = time.strftime("%Y-%m-%d %H:%M:%S")

        def flush():
            if rows:
                db.session.execute(Article.__table__.insert(), rows)
            if links:
                db.session.execute(article_tags.insert(), links)
            rows.clear()
            links.clear()

        for item in generate(count):
            for tag in item.tags:
                if tag not in tag_ids:
                    tag_ids[tag] = len(tag_ids) + 1
                    db.session.execute(Tag.__table__.insert(), [{"id": tag_ids[tag], "name": tag, "slug": tag}])
                links.append({"article_id": item.id, "tag_id": tag_ids[tag]})
            words = len(item.body.split())
            rows.append(
                {
                    "id": item.id, "slug": item.slug, "title": item.title, "summary": item.summary,
                    "author": "Bench", "source_name": "Bench", "source_url": "https://example.org/",
                    "body_markdown": item.body, "body_html": "<p>" + item.body + "</p>", "body_text": item.body,
                    "word_count": words, "reading_minutes": max(1, round(words / 230)),
                    "published_at": item.published, "updated_at": None, "draft": False, "related_slugs": [],
                    "category_id": category_ids[item.category[1]], "source_path": "", "content_hash": "",
                    "imported_at": item.published,
                }
            )
            if len(rows) >= 2000:
                flush()
        flush()
        db.session.commit()
    return time.perf_counter() - started


def bench_whoosh(app, count, repeat, procs_list):
    from miafeed.extensions import db
    from miafeed.models import Article
    from miafeed.search import indexing, store
    from miafeed.search.querying import run_search

    figures = {"builds": {}}
    with app.app_context():
        for procs in procs_list:
            report = indexing.rebuild(procs=procs)
            figures["builds"][procs] = report.seconds
            print(f"  whoosh build, {procs} proc(s): {report.seconds:7.1f} s  ({report.documents / report.seconds:6.0f} docs/s)", flush=True)
        live = store.current_index_dir(store.search_root())
        figures["size"] = folder_size(live)

        updates = []
        for attempt in range(5):
            article = db.session.get(Article, 1 + attempt * 7)
            article.title = f"{article.title} revised {attempt}"
            db.session.commit()
            started = time.perf_counter()
            indexing.update_articles([article.id])
            updates.append(time.perf_counter() - started)
        figures["update"] = statistics.median(updates)

        figures["queries"] = {}
        for label, text, category in QUERIES:
            run_search(text, category=category)  # warm the searcher and caches
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                outcome = run_search(text, category=category)
                times.append(time.perf_counter() - started)
            figures["queries"][label] = (times, outcome.total)
    client = app.test_client()
    view_times = []
    for _ in range(max(3, repeat // 3)):
        for _, text, category in QUERIES:
            started = time.perf_counter()
            client.get("/search", query_string={"q": text, **({"category": category} if category else {})})
            view_times.append(time.perf_counter() - started)
    figures["view"] = view_times
    typing = {"/search": [], "/search/suggest": []}
    for path in typing:
        for _ in range(max(1, repeat // 10)):
            for words in TYPED:
                for end in range(3, len(words) + 1):
                    started = time.perf_counter()
                    response = client.get(path, query_string={"q": words[:end]}, headers={"HX-Request": "true"})
                    typing[path].append(time.perf_counter() - started)
                    assert response.status_code == 200, (path, words[:end], response.status_code)
    figures["typing"] = typing

    # The long tail from a cold start: the process's caches of postings and
    # stored fields emptied, a new searcher, then each distinct query once.
    from miafeed.search.searcher import close_thread_searchers

    try:
        from miafeed.search import arrays
    except ImportError:  # a tree from before search/arrays.py, measured side by side
        arrays = None
    with app.app_context():
        close_thread_searchers()
        if arrays is not None:
            arrays._cache.clear()
            arrays._documents.clear()
        tail = []
        for text in long_tail(400):
            started = time.perf_counter()
            run_search(text)
            tail.append(time.perf_counter() - started)
    figures["long_tail"] = tail
    figures["cache_bytes"] = arrays._cache.nbytes() if arrays is not None else None
    return figures


FTS_SCHEMA = """
CREATE VIRTUAL TABLE fts USING fts5(
    title, summary, body, tags, category UNINDEXED, published UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
"""


def _fts_match(text: str) -> str:
    # The same reader query in FTS5 syntax: each word and phrase quoted,
    # ANDed, and the last word (when not a phrase) also a prefix, as in the
    # app. FTS5 has no typo tolerance: a typo is searched as typed.
    import re

    parts = re.findall(r'"[^"]+"|\S+', text)
    quoted = [f'"{part.strip(chr(34))}"' for part in parts]
    if parts and not parts[-1].startswith('"'):
        quoted[-1] += "*"
    return " ".join(quoted)


def bench_fts5(app_db: Path, work: Path, repeat):
    path = work / "fts.db"
    path.unlink(missing_ok=True)
    source = sqlite3.connect(app_db)
    conn = sqlite3.connect(path)
    conn.executescript(FTS_SCHEMA)
    figures = {}
    started = time.perf_counter()
    rows = source.execute(
        """SELECT a.id, a.title, a.summary, a.body_text,
                  (SELECT group_concat(t.name, ' ') FROM article_tags x JOIN tags t ON t.id = x.tag_id WHERE x.article_id = a.id),
                  c.slug, a.published_at
           FROM articles a JOIN categories c ON c.id = a.category_id WHERE a.draft = 0"""
    )
    with conn:
        conn.executemany("INSERT INTO fts(rowid, title, summary, body, tags, category, published) VALUES (?,?,?,?,?,?,?)", rows)
    figures["build"] = time.perf_counter() - started
    conn.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    conn.commit()
    figures["size"] = path.stat().st_size
    print(f"  fts5 build:                {figures['build']:7.1f} s", flush=True)

    updates = []
    for attempt in range(5):
        rowid = 1 + attempt * 7
        row = source.execute("SELECT title, summary, body_text FROM articles WHERE id = ?", (rowid,)).fetchone()
        started = time.perf_counter()
        with conn:
            conn.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
            conn.execute("INSERT INTO fts(rowid, title, summary, body, tags, category, published) VALUES (?,?,?,?,?,?,?)", (rowid, row[0] + " revised", row[1], row[2], "", "sleep", "2020-01-01"))
        updates.append(time.perf_counter() - started)
    figures["update"] = statistics.median(updates)

    now = time.strftime("%Y-%m-%d %H:%M:%S")
    figures["queries"] = {}
    for label, text, category in QUERIES:
        match = _fts_match(text)
        extra, params = ("AND category = ?", [category]) if category else ("", [])

        def one():
            # What the Whoosh path does: ten ranked hits with highlighted
            # title and snippet, the total, the category counts, the rows.
            hits = conn.execute(
                f"""SELECT rowid, highlight(fts, 0, '<mark>', '</mark>'), snippet(fts, 2, '<mark>', '</mark>', ' … ', 30)
                    FROM fts WHERE fts MATCH ? {extra} AND published <= ?
                    ORDER BY bm25(fts, 3.0, 1.5, 1.0, 2.0) LIMIT 10""",
                [match, *params, now],
            ).fetchall()
            counts = conn.execute("SELECT category, count(*) FROM fts WHERE fts MATCH ? AND published <= ? GROUP BY category", (match, now)).fetchall()
            ids = [h[0] for h in hits]
            if ids:
                source.execute(f"SELECT * FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()
            return sum(c for cat, c in counts if not category or cat == category)

        one()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            total = one()
            times.append(time.perf_counter() - started)
        figures["queries"][label] = (times, total)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=40, help="timed runs per query")
    parser.add_argument("--procs", type=int, nargs="+", default=None, help="writer processes to try (default: 1 2, or 2 above 20,000 articles)")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    procs_list = args.procs or ([1, 2] if args.articles <= 20_000 else [2])
    work = args.workdir or ROOT / "bench" / "output" / f"search-{args.articles}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "instance").mkdir(parents=True)

    from miafeed import create_app

    app_db = work / "instance" / "bench.db"
    app = create_app(
        {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{app_db}", "SITE_URL": "http://localhost"},
        instance_path=str(work / "instance"),
    )
    print(f"Search benchmark: {args.articles:,} synthetic articles, {args.repeat} runs per query, Python {sys.version.split()[0]}")
    seconds = load_corpus(app, args.articles)
    print(f"  corpus written to SQLite in {seconds:.1f} s ({app_db.stat().st_size / 1e6:.0f} MB)", flush=True)

    whoosh = bench_whoosh(app, args.articles, args.repeat, procs_list)
    fts = bench_fts5(app_db, work, args.repeat)

    best_build = min(whoosh["builds"].values())
    print()
    print(f"{'':28}{'Whoosh':>12}{'FTS5':>12}{'ratio':>9}")
    print(f"{'full build (s)':28}{best_build:12.1f}{fts['build']:12.1f}{best_build / fts['build']:9.1f}")
    print(f"{'build rate (docs/s)':28}{args.articles / best_build:12.0f}{args.articles / fts['build']:12.0f}")
    print(f"{'index size (MB)':28}{whoosh['size'] / 1e6:12.1f}{fts['size'] / 1e6:12.1f}{whoosh['size'] / fts['size']:9.1f}")
    print(f"{'one-article update (ms)':28}{whoosh['update'] * 1e3:12.1f}{fts['update'] * 1e3:12.1f}{whoosh['update'] / fts['update']:9.1f}")
    print()
    print(f"{'query':18}{'hits':>8}{'W med':>8}{'W p95':>8}{'F med':>8}{'F p95':>8}{'med x':>7}{'p95 x':>7}   (ms)")
    all_w, all_f = [], []
    for label, _, _ in QUERIES:
        wt, wtotal = whoosh["queries"][label]
        ft, ftotal = fts["queries"][label]
        all_w += wt
        all_f += ft
        wm, wp, fm, fp = (statistics.median(wt) * 1e3, percentile(wt, 0.95) * 1e3, statistics.median(ft) * 1e3, percentile(ft, 0.95) * 1e3)
        print(f"{label:18}{wtotal:8}{wm:8.1f}{wp:8.1f}{fm:8.1f}{fp:8.1f}{wm / fm:7.1f}{wp / fp:7.1f}   (FTS5 hits {ftotal})")
    wm, wp, fm, fp = (statistics.median(all_w) * 1e3, percentile(all_w, 0.95) * 1e3, statistics.median(all_f) * 1e3, percentile(all_f, 0.95) * 1e3)
    print(f"{'whole mix':18}{'':8}{wm:8.1f}{wp:8.1f}{fm:8.1f}{fp:8.1f}{wm / fm:7.1f}{wp / fp:7.1f}")
    vt = whoosh["view"]
    print(f"\n/search view through the test client (mix, template included): median {statistics.median(vt) * 1e3:.1f} ms, p95 {percentile(vt, 0.95) * 1e3:.1f} ms")
    for path, times in whoosh["typing"].items():
        print(f"as you type, {path + ' fragment':24} ({len(times)} requests, 3rd letter on): median {statistics.median(times) * 1e3:.1f} ms, p95 {percentile(times, 0.95) * 1e3:.1f} ms")
    tail = whoosh["long_tail"]
    print(f"long tail from a cold start ({len(tail)} distinct queries, each once): median {statistics.median(tail) * 1e3:.1f} ms, "
          f"p95 {percentile(tail, 0.95) * 1e3:.1f} ms, first {tail[0] * 1e3:.1f} ms, slowest {max(tail) * 1e3:.1f} ms")
    if whoosh["cache_bytes"] is not None:
        print(f"arrays kept by the process after the long tail (search/arrays.py): {whoosh['cache_bytes'] / 1e6:.1f} MB")
    print("Targets at 10,000: search p95 <= 25 ms (as-you-type fragment too), full rebuild <= 30 s, one-article update <= 100 ms.")


if __name__ == "__main__":
    main()
