"""The mypy plugin outside the supported mypy versions: a clear message and a working plugin,
never a crash (the typing tests cover both ends of the range: tests/test_typing.py, and the
oldest mypy's step of ./dev test)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from pydantic.mypy import PydanticPlugin

from pydantic_bloop import mypy as bloop_mypy
from pydantic_bloop.mypy_support import SUPPORTED, guarded, parse, verdict


def test_versions() -> None:
    assert SUPPORTED == ">=1.16.1,<2.5"
    assert parse("2.4.1+dev.0123abc") == (2, 4, 1)
    assert [verdict(v) for v in ("1.16.0", "1.16.1", "2.0.0", "2.4.9", "2.5.0")] == [
        "old",
        None,
        None,
        None,
        "new",
    ]


def test_inside_the_range_the_plugin_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    assert bloop_mypy.plugin("2.4.1") is bloop_mypy.BloopPlugin
    assert bloop_mypy.plugin("1.16.1") is bloop_mypy.BloopPlugin
    assert capsys.readouterr().err == ""


def test_an_older_mypy_gets_pydantics_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    assert bloop_mypy.plugin("1.10.0") is PydanticPlugin
    err = capsys.readouterr().err
    assert "mypy 1.10.0 is older than the oldest supported" in err
    assert "col()" in err and "mypy>=1.16.1,<2.5" in err


def test_a_newer_mypy_is_told_and_guarded(capsys: pytest.CaptureFixture[str]) -> None:
    assert bloop_mypy.plugin("3.0.0") is bloop_mypy.BloopPlugin
    assert "mypy 3.0.0 is newer than the newest tested" in capsys.readouterr().err

    failures: list[str] = []

    def fail(message: str, context: object) -> None:
        failures.append(message)

    ctx = SimpleNamespace(api=SimpleNamespace(fail=fail), context=None, default="mypy's own answer")

    def broken(ctx: Any) -> str:
        raise AttributeError("'TypeInfo' object has no attribute 'gone'")

    hook = guarded("3.0.0", broken, lambda ctx: cast(str, ctx.default))
    assert hook(cast(Any, ctx)) == "mypy's own answer"
    assert failures == [
        "pydantic_bloop.mypy failed on mypy 3.0.0 (AttributeError: 'TypeInfo' object has no "
        "attribute 'gone'); it supports mypy>=1.16.1,<2.5"
    ]
