"""No import circles among the application's modules.

Every `import` statement under miafeed/ counts, including those inside
functions: a deferred import hides a circle from Python, not from a reader
who has to hold both modules in their head. A failure names the circle.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "miafeed"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def application_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py")) if "migrations" not in path.parts}


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The application modules `name` imports (a package's names resolve to
    the submodule when one of that name exists, else to the package)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in known and target != name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in `graph` as [a, b, ..., a], or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for neighbour in sorted(graph[node]):
            if state.get(neighbour) == "open":
                return stack[stack.index(neighbour):] + [neighbour]
            if neighbour not in state:
                cycle = visit(neighbour)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_names_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_relative_imports_resolve_to_application_modules(tmp_path):
    modules = application_modules()
    known = set(modules)
    assert "miafeed.clock" in imported_modules("miafeed.models", modules["miafeed.models"], known)
    assert "miafeed.content.version" in imported_modules("miafeed.http.caching", modules["miafeed.http.caching"], known)


def test_no_module_of_the_application_imports_itself_back():
    modules = application_modules()
    known = set(modules)
    graph = {name: imported_modules(name, path, known) for name, path in modules.items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)
