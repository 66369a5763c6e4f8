"""What is public: ``pydantic_bloop.__all__`` and the modules users import by name; every other
module of the package says that it is internal (see the package docstring)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pydantic_bloop

PACKAGE = Path(pydantic_bloop.__file__).resolve().parent
PUBLIC_MODULES = {
    "pydantic_bloop",
    "pydantic_bloop.testing",
    "pydantic_bloop.types",
    "pydantic_bloop.mypy",
    "pydantic_bloop.pytest_plugin",
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def test_every_name_in_all_is_exported_once() -> None:
    names = pydantic_bloop.__all__
    assert len(names) == len(set(names))
    missing = [n for n in names if not hasattr(pydantic_bloop, n)]
    assert missing == []


def test_public_modules_exist_and_declare_their_api() -> None:
    for name in PUBLIC_MODULES - {"pydantic_bloop.mypy", "pydantic_bloop.pytest_plugin"}:
        module = importlib.import_module(name)
        assert all(hasattr(module, n) for n in module.__all__), name


def test_every_other_module_says_it_is_internal() -> None:
    unmarked: list[str] = []
    for name, path in _modules().items():
        if name in PUBLIC_MODULES:
            continue
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if not re.search(r"\binternal\b", doc, re.IGNORECASE):
            unmarked.append(name)
    assert unmarked == []
