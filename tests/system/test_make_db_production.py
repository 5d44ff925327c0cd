"""`make db` in production (the deployment steps) leaves an empty site: no
demo articles, no demo team, until the operator names their content folder."""
from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_db_in_production_leaves_zero_articles(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith(("MIAFEED_", "PYTEST"))}
    env |= {
        "MIAFEED_ENV": "production",
        "MIAFEED_SECRET_KEY": "k" * 48,
        "MIAFEED_SITE_URL": "https://news.example.org",
        "MIAFEED_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    result = subprocess.run(["make", "--no-print-directory", "db"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No content folder is set" in result.stdout
    with sqlite3.connect(tmp_path / "instance" / "miafeed.db") as database:
        assert database.execute("SELECT count(*) FROM articles").fetchone() == (0,)
        assert database.execute("SELECT count(*) FROM authors").fetchone() == (0,)
        assert database.execute("SELECT count(*) FROM site_pages").fetchone() == (0,)
