"""What keeping lead-image originals in the database costs: bytes stored, and
the time a new host (empty image folder) takes to make every variant.

    .venv/bin/python bench/lead_images_fill.py [--content content] [--runs 3]

Imports the content into a throwaway SQLite database, then, per run, makes
every picture's variants from the database into an empty folder (what a
new host does on the first requests). Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from miafeed import create_app  # noqa: E402
from miafeed.content import import_content  # noqa: E402
from miafeed.content.images import ensure_variants_from_database  # noqa: E402
from miafeed.database import default_sqlite_uri  # noqa: E402
from miafeed.extensions import db  # noqa: E402
from miafeed.models import LeadImageOriginal  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=str(ROOT / "content"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        instance = Path(scratch) / "instance"
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SITE_URL": "http://localhost",
                          "SQLALCHEMY_DATABASE_URI": default_sqlite_uri(str(instance))}, instance_path=str(instance))
        with app.app_context():
            db.create_all()
            import_content(args.content)
            count, stored = db.session.execute(
                select(func.count(), func.coalesce(func.sum(func.length(LeadImageOriginal.data)), 0))
            ).one()
            keys = list(db.session.scalars(select(LeadImageOriginal.key)))
            print(f"originals in the database: {count} pictures, {stored:,} bytes ({stored / 1024:.0f} KiB)")
            timings, made_bytes, made_files = [], 0, 0
            for run in range(args.runs):
                folder = Path(scratch) / f"host-{run}"
                folder.mkdir()
                started = time.perf_counter()
                for key in keys:
                    ensure_variants_from_database(key, folder)
                timings.append(time.perf_counter() - started)
                files = [p for p in folder.iterdir() if not p.name.startswith(".")]
                made_files, made_bytes = len(files), sum(p.stat().st_size for p in files)
            print(f"variants a new host makes: {made_files} files, {made_bytes:,} bytes")
            print(f"time to fill a new host ({args.runs} runs): median {statistics.median(timings):.2f} s, "
                  f"{statistics.median(timings) / max(1, count) * 1000:.0f} ms per picture")


if __name__ == "__main__":
    main()
