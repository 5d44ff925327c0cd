"""No module under miafeed/ over 400 lines without saying why.

A module that long usually holds more than one job (issue 19 split
newsletter/delivery.py at 532 lines). One that really needs the length
says so in its module docstring with the words "long because", followed by
the reason, e.g. "Long because the schema's forty checks read best
together." Migrations are generated, and do not count.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "miafeed"
MOST_LINES = 400
REASON = "long because"


def long_modules_without_a_reason(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines <= MOST_LINES:
            continue
        docstring = ast.get_docstring(ast.parse(text, str(path))) or ""
        if REASON not in " ".join(docstring.lower().split()):
            found.append(f"{path.relative_to(root.parent)} ({lines} lines)")
    return found


def test_every_module_over_400_lines_says_why_it_is_long():
    missing = long_modules_without_a_reason(PACKAGE_ROOT)
    assert not missing, (
        f"over {MOST_LINES} lines with no '{REASON} ...' in the module docstring: {', '.join(missing)}; "
        "split it by job, or say why it is one"
    )


def test_the_check_names_a_long_module_and_accepts_a_reason(tmp_path):
    package = tmp_path / "miafeed"
    package.mkdir()
    body = "x = 1\n" * (MOST_LINES + 1)
    (package / "short.py").write_text('"""Short."""\nx = 1\n')
    (package / "silent.py").write_text('"""Does many things."""\n' + body)
    (package / "explained.py").write_text('"""The schema checks.\n\nLong because the forty checks\nread best together."""\n' + body)
    (package / "migrations").mkdir()
    (package / "migrations" / "0001_big.py").write_text(body)
    assert long_modules_without_a_reason(package) == [f"miafeed/silent.py ({MOST_LINES + 2} lines)"]
