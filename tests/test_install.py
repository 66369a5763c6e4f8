"""README's "Install" section works: the wheel it names is the one the build makes, the extras it
names exist, and (``BLOOP_TEST_INSTALL=1``, about a minute: the build fetches hatchling) the
wheel built as it says installs in a new virtual environment and runs there, with nothing of this
repository but the wheel.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIP = (sys.executable, "-m", "pip")
INSTALL = os.environ.get("BLOOP_TEST_INSTALL", "") in ("1", "true")


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def _install_section() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Install\n(.*?)^## ", readme, re.S | re.M)
    assert match, "README.md has no Install section"
    return match[1]


def _wheel_name() -> str:
    project = _project()
    return f"{project['name'].replace('-', '_')}-{project['version']}-py3-none-any.whl"


def test_the_readme_names_the_wheel_the_build_makes_and_real_extras() -> None:
    section = _install_section()
    assert f"dist/{_wheel_name()}" in section
    extras = set(_project()["optional-dependencies"])
    told = section[section.index("The extras:") :].split("\n\n")[0]
    named = set(re.findall(r"`([a-z]+)`(?= \(|,|\.)", told))
    assert named == {"async", "server", "fastapi", "mypy", "docs"} and named <= extras
    for bracket in re.findall(r"\[([a-z,]+)\]", section):
        assert set(bracket.split(",")) <= extras


_PROGRAM = """
import importlib.metadata, os, sys
from pathlib import Path
from typing import Annotated

import boto3
import pydantic_bloop
from pydantic_bloop import Base, BloopConfig, Engine, HashKey

here = Path(pydantic_bloop.__file__).resolve()
assert here.is_relative_to(Path(sys.prefix).resolve()), here  # the wheel, not the clone
assert (here.parent / "py.typed").exists() and (here.parent / "mypy.py").exists()
entry = importlib.metadata.entry_points(group="pytest11", name="pydantic_bloop")
assert [e.value for e in entry] == ["pydantic_bloop.pytest_plugin"]


class Note(Base):
    model_config = BloopConfig(table_name=os.environ["TABLE"])
    id: Annotated[str, HashKey()]
    text: str = ""


engine = Engine(client=boto3.client("dynamodb"))
engine.bind(Note)
engine.save(Note(id="n", text="installed"))
print(importlib.metadata.version("pydantic-bloop"), engine.get(Note, id="n").text)
"""


@pytest.mark.skipif(not INSTALL, reason="builds and installs a wheel: BLOOP_TEST_INSTALL=1")
def test_the_wheel_installs_and_runs_in_a_new_virtual_environment(
    tmp_path: Path, endpoint_url: str, table_prefix: str
) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
    )
    wheel = dist / _wheel_name()
    assert wheel.exists(), sorted(p.name for p in dist.iterdir())

    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)  # pip from here installs into it: no download of pip
    python = env_dir / "bin" / "python"
    subprocess.run(
        [*PIP, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )
    # The dependencies (pydantic, boto3, ...) come from this environment's site-packages, which
    # a .pth adds as a plain directory: its own .pth files (the editable install of the clone)
    # are not read, so pydantic_bloop can only be the installed wheel.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(AWS_ENDPOINT_URL_DYNAMODB=endpoint_url, TABLE=f"{table_prefix}notes")
    done = subprocess.run(
        [str(python), "-c", _PROGRAM],
        cwd=tmp_path,  # not the clone: `import pydantic_bloop` must not find its sources
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [_project()["version"], "installed"]
