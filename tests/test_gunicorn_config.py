"""gunicorn.conf.py survives any release's module moves: it imports nothing
from miafeed (issue 28: a master re-reading a config that imported a moved
module exited, and the site with it)."""
from __future__ import annotations

import ast
import subprocess
from pathlib import Path

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def test_the_config_imports_nothing_from_the_app():
    tree = ast.parse(CONF.read_text())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported and not [name for name in imported if name.split(".")[0] == "miafeed"]


def test_the_config_loads_where_miafeed_cannot_be_imported(tmp_path):
    # The system's Python in isolated mode, outside the checkout: no
    # virtualenv, no miafeed on the path, as a master reading another
    # release's config would find a moved module.
    script = ("import runpy, sys\n"
              f"settings = runpy.run_path({str(CONF)!r})\n"
              "assert 'miafeed' not in sys.modules\n"
              "print(settings['chdir'], settings['worker_class'])\n")
    result = subprocess.run(["/usr/bin/python3", "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "MIAFEED_INSTANCE_PATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == str(CONF.parent)
