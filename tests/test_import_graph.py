"""The package's runtime import graph has no cycle, not even through an import inside a function.

Run as a script (`./dev run python tests/test_import_graph.py`) it prints the graph: which module
imports which at run time, "(at call)" for an import inside a function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pydantic_bloop"

Graph = dict[str, dict[str, str]]  # module -> imported module -> "import" or "call"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    base = module.split(".")[: None if is_package else -1]
    base = base[: len(base) - (node.level - 1)]
    if node.module is not None:
        return [".".join([*base, node.module])]
    return [".".join([*base, alias.name]) for alias in node.names]  # from . import x


def _imports(path: Path) -> dict[str, str]:
    """What ``path`` imports of the package at run time (imports under TYPE_CHECKING excluded)."""
    module, is_package = _module_name(path), path.name == "__init__.py"
    found: dict[str, str] = {}

    def visit(node: ast.AST, when: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other, when)
                continue
            if isinstance(child, ast.ImportFrom) and child.level:
                for target in _targets(module, is_package, child):
                    found.setdefault(target, when)
                continue
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, "call" if inner else when)

    visit(ast.parse(path.read_text()), "import")
    return found


def import_graph() -> Graph:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def cycles(graph: Graph) -> list[list[str]]:
    """Every cycle a depth-first walk meets (empty: the graph is a DAG)."""
    state: dict[str, str] = {}
    path: list[str] = []
    found: list[list[str]] = []

    def walk(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in graph[module]:
            if target not in graph:
                continue
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target)
        path.pop()
        state[module] = "done"

    for module in graph:
        if module not in state:
            walk(module)
    return found


def test_no_runtime_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    # pytest_plugin imports the engine when a fixture runs, so that loading the plugin is cheap
    assert graph["pydantic_bloop.pytest_plugin"]["pydantic_bloop.engine"] == "call"
    assert graph["pydantic_bloop.models"]["pydantic_bloop.mapper_state"] == "import"


def test_mapper_state_is_a_leaf() -> None:
    assert set(import_graph()["pydantic_bloop.mapper_state"]) == {"pydantic_bloop.errors"}


def layers() -> list[tuple[str, set[str]]]:
    """The layers of docs/architecture.md, bottom up: (name, modules) per row of its table."""
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    found: list[tuple[str, set[str]]] = []
    for line in page.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 5 or not cells[2].startswith("`"):
            continue
        names = re.findall(r"`([a-z_.]+)`", cells[2])
        found.append((cells[1], {f"pydantic_bloop.{n}" for n in names}))
    return found


def test_the_architecture_page_places_every_module_below_what_it_imports() -> None:
    graph = import_graph()
    rank: dict[str, int] = {}
    for i, (_, modules) in enumerate(layers()):
        for module in modules:
            rank.setdefault(module, i)
    unplaced = sorted(m for m in graph if m not in rank and m != "pydantic_bloop")
    assert unplaced == [], "add these modules to a layer of docs/architecture.md"
    upward = [
        f"{m} -> {t}"
        for m, targets in graph.items()
        for t in targets
        if m in rank and t in rank and rank[t] > rank[m]
    ]
    assert upward == [], "a module imports a layer above its own"


if __name__ == "__main__":
    graph = import_graph()
    for name, targets in graph.items():
        shown = (
            f"{t.removeprefix('pydantic_bloop.')}{' (at call)' if w == 'call' else ''}"
            for t, w in sorted(targets.items())
        )
        print(f"{name.removeprefix('pydantic_bloop.') or '__init__'} -> {', '.join(shown)}")
    print("cycles:", cycles(graph) or "none")
