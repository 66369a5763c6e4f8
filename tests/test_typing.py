"""Static typing as a feature: mypy (with the ``pydantic_bloop.mypy`` plugin) and pyright over the
fixtures in ``tests/typing/``, compared line by line with what the fixtures expect.

Fixtures:

* ``pass_*.py``: correct code (with ``typing.assert_type``); no checker may report anything.
* ``fail_*.py``: wrong code; a line that a checker must reject ends in a marker such as
  ``# E: mypy[operator] pyright[reportOperatorIssue]``: the checkers named must report an error
  on that line whose codes include those in brackets (none in brackets: any error; ``a|b``:
  either, for codes that differ between the mypy versions supported). A checker
  not named, and every line without a marker, must be clean.
* A name with ``_mypy_`` (``_pyright_``) is checked by mypy (pyright) only; any other
  module there (``models.py``) by both, and it must be clean.

mypy runs once over every fixture, with the repository's ``mypy.ini`` (strict, the plugin), then
again on the cache it wrote, and once more with one fixture changed: plugins often misbehave
when a model comes from the cache, so every run must give the same errors. It runs once more with
pydantic's plugin in place of ours, over the fixtures written for both checkers (``col()`` and
indexes need no plugin). pyright runs once, with the repository's ``[tool.pyright]`` settings.
Both also check the program of ``docs/typing.md`` (its ```python blocks), which must be clean.
Each run happens once per test session (once across pytest-xdist workers too).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
import tomllib
from collections import defaultdict
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "typing"
PYRIGHT = ROOT / "node_modules" / ".bin" / "pyright"

Checker = Literal["mypy", "pyright"]
CHECKERS: tuple[Checker, ...] = ("mypy", "pyright")
_CHECKER_NAMES: dict[str, Checker] = {c: c for c in CHECKERS}

# (fixture path relative to ROOT, line) -> error codes reported there
Found = dict[tuple[str, int], set[str]]

MARKER = re.compile(r"#\s*E:(?P<spec>.*)$")  # a whole comment
EXPECTATION = re.compile(r"\s*(?P<checker>\w+)(?:\[(?P<codes>[^\]]*)\])?\s*,?\s*")


# -- fixtures and their expectations ---------------------------------------------------------


def fixture_files(checker: Checker) -> list[Path]:
    other = "pyright" if checker == "mypy" else "mypy"
    return [p for p in sorted(FIXTURES.glob("*.py")) if f"_{other}_" not in p.name]


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


@dataclass(frozen=True)
class Expected:
    checker: Checker
    line: int
    codes: frozenset[str]  # empty: any error


def parse_markers(path: Path) -> list[Expected]:
    """The ``# E: ...`` markers in the comments of a fixture."""
    found: list[Expected] = []
    with path.open() as source:
        for token in tokenize.generate_tokens(source.readline):
            match = MARKER.match(token.string) if token.type == tokenize.COMMENT else None
            if match is None:
                continue
            where = f"{relative(path)}:{token.start[0]}"
            spec = match["spec"].strip()
            if not spec:
                raise ValueError(f"{where}: marker names no checker")
            position = 0
            while position < len(spec):
                item = EXPECTATION.match(spec, position)
                checker = _CHECKER_NAMES.get(item["checker"]) if item else None
                if item is None or checker is None:
                    raise ValueError(f"{where}: bad marker {token.string!r}")
                codes = frozenset(c.strip() for c in (item["codes"] or "").split(","))
                found.append(Expected(checker, token.start[0], codes - {""}))
                position = item.end()
    return found


def _reported(code: str, got: set[str]) -> bool:
    """``code`` is among ``got``; ``a|b``: either is (mypy versions differ in some codes)."""
    return any(alternative in got for alternative in code.split("|"))


def compare(checker: Checker, path: Path, found: Found) -> list[str]:
    """Every difference between what ``checker`` reported for ``path`` and what it expects."""
    name = relative(path)
    expected = {e.line: e.codes for e in parse_markers(path) if e.checker == checker}
    reported = {line: codes for (file, line), codes in found.items() if file == name}
    problems: list[str] = []
    for line in sorted(expected.keys() | reported.keys()):
        want, got = expected.get(line), reported.get(line)
        if got is None:
            codes = f" [{', '.join(sorted(want or ()))}]" if want else ""
            problems.append(f"{name}:{line}: {checker} should report an error{codes}, but did not")
        elif want is None:
            problems.append(f"{name}:{line}: unexpected {checker} error [{', '.join(sorted(got))}]")
        elif not all(_reported(code, got) for code in want):
            problems.append(
                f"{name}:{line}: {checker} reported [{', '.join(sorted(got))}], "
                f"expected [{', '.join(sorted(want))}] among them"
            )
    return problems


# -- running the checkers ----------------------------------------------------------------------


DOCS_PAGE = ROOT / "docs" / "typing.md"
FENCED_PYTHON = re.compile(r"^```python\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)


def docs_program(directory: Path) -> Path:
    """The ```python blocks of docs/typing.md as one module (the page is one program), so that
    what its ``assert_type`` calls claim is checked too."""
    program = directory / "docs_typing_md.py"
    blocks = [m["code"] for m in FENCED_PYTHON.finditer(DOCS_PAGE.read_text())]
    program.write_text("\n\n".join(blocks))
    return program


@dataclass(frozen=True)
class MypyRun:
    found: Found
    messages: list[str]  # every diagnostic as text, to compare runs and explain failures


def run_mypy(
    cache_dir: Path,
    shadow: tuple[Path, Path] | None = None,
    *,
    config: Path = ROOT / "mypy.ini",
    fixtures: list[Path] | None = None,
) -> MypyRun:
    checked = fixtures or [*fixture_files("mypy"), docs_program(cache_dir.parent)]
    files = [relative(p) for p in checked]
    command = [sys.executable, "-m", "mypy", "--config-file", str(config)]
    command += ["--cache-dir", str(cache_dir), "--output", "json", "--no-error-summary"]
    if shadow is not None:
        command += ["--shadow-file", relative(shadow[0]), str(shadow[1])]
    result = subprocess.run(
        [*command, *files], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode not in (0, 1) or result.stderr.strip():
        raise RuntimeError(
            f"mypy failed (exit {result.returncode}):\n{result.stderr}\n{result.stdout}"
        )
    found: Found = defaultdict(set)
    messages: list[str] = []
    for line in result.stdout.splitlines():
        error = json.loads(line)
        if error["severity"] != "error":
            continue
        file = relative(ROOT / error["file"])
        messages.append(f"{file}:{error['line']}: {error['message']}  [{error['code']}]")
        found[file, error["line"]].add(error["code"] or "")
    return MypyRun(dict(found), messages)


NATURAL = FIXTURES / "pass_natural.py"
PYRIGHT_MODES = ("basic", "standard")  # strict is the project's own setting


def mode_copies(directory: Path) -> list[Path]:
    """``pass_natural.py`` once per other pyright mode (a ``# pyright: <mode>`` comment sets the
    mode of a file): plain comparisons must be clean for every pyright and Pylance user."""
    copies: list[Path] = []
    for mode in PYRIGHT_MODES:
        copy = directory / f"natural_{mode}.py"
        copy.write_text(f"# pyright: {mode}\n{NATURAL.read_text()}")
        copies.append(copy)
    return copies


def pyright_config(directory: Path) -> Path:
    """A pyright config with the project's settings, including exactly the fixtures (the
    project's own config excludes the ``fail_*`` ones, and pyright honours that even for files
    named on its command line)."""
    settings: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "pyright"
    ]
    settings = {k: v for k, v in settings.items() if k not in ("include", "exclude")}
    for key in ("venvPath", "stubPath"):
        if key in settings:
            settings[key] = str(ROOT / settings[key])
    settings["extraPaths"] = [str(ROOT), *(str(ROOT / p) for p in settings.get("extraPaths", []))]
    checked = [*fixture_files("pyright"), docs_program(directory), *mode_copies(directory)]
    # pyright takes only relative paths in "include"
    settings["include"] = [os.path.relpath(p, directory) for p in checked]
    config = directory / "pyrightconfig.json"
    config.write_text(json.dumps(settings, indent=2))
    return config


def run_pyright(directory: Path) -> Found:
    config = pyright_config(directory)
    result = subprocess.run(
        [str(PYRIGHT), "--outputjson", "--project", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        output = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"pyright failed:\n{result.stderr}\n{result.stdout}") from None
    found: Found = defaultdict(set)
    for diagnostic in output["generalDiagnostics"]:
        if diagnostic["severity"] in ("error", "warning"):
            file = relative(Path(diagnostic["file"]))
            line = diagnostic["range"]["start"]["line"] + 1
            found[file, line].add(diagnostic.get("rule", ""))
    if output["summary"]["filesAnalyzed"] < len(fixture_files("pyright")) + 1:
        raise RuntimeError(f"pyright analysed too few files:\n{result.stdout}")
    return dict(found)


# -- running once per session ------------------------------------------------------------------


@contextmanager
def _exclusive(lock: Path) -> Generator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover (Windows): every worker runs the checkers
        yield
        return
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every pytest-xdist worker of this run shares (this process's own without
    xdist)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:
        return tmp_path_factory.mktemp("typing")
    shared = tmp_path_factory.getbasetemp().parent / f"typing-{run}"
    shared.mkdir(exist_ok=True)
    return shared


def _once(tmp_path_factory: pytest.TempPathFactory, name: str, compute: Any) -> Any:
    """``compute(directory)`` once per test session; its JSON result is shared by workers."""
    shared = _shared_dir(tmp_path_factory)
    result = shared / f"{name}.json"
    with _exclusive(shared / f"{name}.lock"):
        if not result.exists():
            work = shared / name
            work.mkdir(exist_ok=True)
            result.write_text(json.dumps(compute(work)))
    return json.loads(result.read_text())


def _encode(run: MypyRun) -> dict[str, Any]:
    return {
        "found": [[f, line, sorted(codes)] for (f, line), codes in run.found.items()],
        "messages": run.messages,
    }


def _decode(data: dict[str, Any]) -> MypyRun:
    return MypyRun({(f, line): set(codes) for f, line, codes in data["found"]}, data["messages"])


TOUCHED = FIXTURES / "pass_mypy_plugin.py"


def _mypy_runs(directory: Path) -> dict[str, Any]:
    cache = directory / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    cold = run_mypy(cache)
    warm = run_mypy(cache)
    # The same fixture with a line added: it is checked again while the models it imports
    # come from the cache.
    shadow = directory / TOUCHED.name
    shadow.write_text(
        TOUCHED.read_text() + "\n\nassert_type(PinnedPost.views, Column[int])  # touched\n"
    )
    touched = run_mypy(cache, shadow=(TOUCHED, shadow))
    return {"cold": _encode(cold), "warm": _encode(warm), "touched": _encode(touched)}


@pytest.fixture(scope="session")
def mypy_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MypyRun]:
    runs = _once(tmp_path_factory, "mypy", _mypy_runs)
    return {name: _decode(data) for name, data in runs.items()}


def _mypy_without_our_plugin(directory: Path) -> dict[str, Any]:
    """mypy with pydantic's plugin in place of ours, on the fixtures that both checkers accept."""
    config = directory / "mypy.ini"
    settings = (ROOT / "mypy.ini").read_text()
    settings, replaced = re.subn(r"(?m)^plugins\s*=.*$", "plugins = pydantic.mypy", settings)
    assert replaced == 1, "mypy.ini has no plugins line"
    config.write_text(settings)
    fixtures = [p for p in fixture_files("pyright") if p in fixture_files("mypy")]
    fixtures = [p for p in fixtures if not p.name.startswith("fail_")]
    return _encode(run_mypy(directory / "cache", config=config, fixtures=fixtures))


@pytest.fixture(scope="session")
def pyright_found(tmp_path_factory: pytest.TempPathFactory) -> Found:
    if not PYRIGHT.exists():
        pytest.skip("pyright is not installed (npm ci, or ./dev pytest, installs it)")

    def compute(directory: Path) -> dict[str, Any]:
        found = run_pyright(directory)
        return {"found": [[f, line, sorted(c)] for (f, line), c in found.items()]}

    data = _once(tmp_path_factory, "pyright", compute)
    return {(f, line): set(codes) for f, line, codes in data["found"]}


# -- the tests ---------------------------------------------------------------------------------


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


@pytest.mark.parametrize("fixture", fixture_files("mypy"), ids=_ids(fixture_files("mypy")))
def test_mypy(mypy_runs: dict[str, MypyRun], fixture: Path) -> None:
    problems = compare("mypy", fixture, mypy_runs["warm"].found)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("fixture", fixture_files("pyright"), ids=_ids(fixture_files("pyright")))
def test_pyright(pyright_found: Found, fixture: Path) -> None:
    problems = compare("pyright", fixture, pyright_found)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mode", PYRIGHT_MODES)
def test_pyright_modes(pyright_found: Found, mode: str) -> None:
    """``pass_natural.py`` is clean in pyright's basic and standard modes too."""
    errors = [f"{f}:{line} {sorted(c)}" for (f, line), c in pyright_found.items()]
    ran = [e for e in errors if f"natural_{mode}.py" in e]
    assert not ran, "\n".join(ran)


def _docs_errors(found: Found) -> list[str]:
    return [f"{f}:{line} {sorted(c)}" for (f, line), c in found.items() if "docs_typing" in f]


def test_docs_page_mypy(mypy_runs: dict[str, MypyRun]) -> None:
    """The program of docs/typing.md checks clean (so its ``assert_type`` claims hold)."""
    errors = _docs_errors(mypy_runs["warm"].found)
    assert not errors, "\n".join(errors)


def test_docs_page_pyright(pyright_found: Found) -> None:
    errors = _docs_errors(pyright_found)
    assert not errors, "\n".join(errors)


def test_mypy_incremental(mypy_runs: dict[str, MypyRun]) -> None:
    """A second run on the cache of the first, and a run in which one fixture changed while the
    models come from the cache, report exactly what the first (cold) run did."""
    cold = mypy_runs["cold"].messages
    assert mypy_runs["warm"].messages == cold
    assert mypy_runs["touched"].messages == cold


def test_mypy_without_our_plugin(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Code written for pyright (``col()``, indexes) checks the same without our plugin: users of
    pydantic's plugin alone get ``engine.query(Post.by_user)`` as ``Query[Post]`` too."""
    run = _decode(_once(tmp_path_factory, "mypy-pydantic-plugin", _mypy_without_our_plugin))
    errors = [m for m in run.messages if m.startswith("tests/typing/")]
    assert not errors, "\n".join(errors)


def test_fixtures_are_well_formed() -> None:
    for path in sorted(FIXTURES.glob("*.py")):
        markers = parse_markers(path)  # raises on a malformed marker
        if path.name.startswith("fail_"):
            assert markers, f"{relative(path)} expects no error at all"
        else:
            assert not markers, f"{relative(path)} is not a fail_ fixture but expects errors"
        only = {c for c in CHECKERS if f"_{c}_" in path.name}
        for marker in markers:
            assert not only or marker.checker in only, (
                f"{relative(path)}:{marker.line}: {marker.checker} does not check this file"
            )


def test_marker_parsing(tmp_path: Path) -> None:
    fixture = tmp_path / "fail_x.py"
    fixture.write_text(
        "a = 1  # E: mypy[arg-type] pyright[reportArgumentType, reportCallIssue]\n"
        "b = 2\n"
        "c = 3  # E: mypy, pyright\n"
    )
    assert parse_markers(fixture) == [
        Expected("mypy", 1, frozenset({"arg-type"})),
        Expected("pyright", 1, frozenset({"reportArgumentType", "reportCallIssue"})),
        Expected("mypy", 3, frozenset()),
        Expected("pyright", 3, frozenset()),
    ]
    fixture.write_text("a = 1  # E: mpy\n")
    with pytest.raises(ValueError, match="bad marker"):
        parse_markers(fixture)


def test_compare_reports_missing_and_unexpected_errors() -> None:
    fixture = FIXTURES / "fail_api.py"
    name = relative(fixture)
    expected = [e for e in parse_markers(fixture) if e.checker == "mypy"]
    found: Found = {(name, e.line): set(e.codes) for e in expected}
    assert compare("mypy", fixture, found) == []
    first = expected[0].line
    del found[name, first]
    found[name, 1] = {"misc"}
    assert compare("mypy", fixture, found) == [
        f"{name}:1: unexpected mypy error [misc]",
        f"{name}:{first}: mypy should report an error [{', '.join(expected[0].codes)}], "
        "but did not",
    ]
