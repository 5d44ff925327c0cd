"""`make run` installs the runtime dependencies only; the site must not need
the test tools (the `test` extra) to start, serve a page or run its commands."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = ("pytest", "playwright", "hypothesis", "aiosmtpd", "axe_playwright_python")

SERVE_AND_COMMANDS = """
import runpy, sys
runpy.run_path("gunicorn.conf.py")          # what gunicorn's master loads
from wsgi import app                          # what each worker loads
from miafeed.extensions import db
with app.app_context():
    db.create_all()
assert app.test_client().get("/").status_code == 200
for command in (["stats"], ["backup"]):
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
print(",".join(sorted(name for name in {names!r} if name in sys.modules)))
"""


def test_serving_a_page_and_the_operator_commands_import_no_test_tool(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith(("MIAFEED_", "PYTEST"))}
    env["MIAFEED_INSTANCE_PATH"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", SERVE_AND_COMMANDS.format(names=TEST_TOOLS)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_the_test_tools_are_in_the_test_extra_and_not_in_the_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {requirement.split("==")[0].lower() for requirement in project["dependencies"]}
    extra = {requirement.split("==")[0].lower() for requirement in project["optional-dependencies"]["test"]}
    assert {"pytest", "playwright", "hypothesis", "aiosmtpd"} <= extra
    assert not runtime & extra
