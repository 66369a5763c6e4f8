"""Which mypy versions ``pydantic_bloop.mypy`` supports, and what happens outside them.

The plugin uses mypy's plugin API, which changes between releases. The typing tests run on both
ends of the range (``./dev test``). Outside it the plugin says so once, on stderr: an older mypy
gets pydantic's own plugin only (conditions then need ``col()``, as under pyright); a newer one
gets ours, with every hook guarded, so that a change in mypy's API is reported as an error
naming this plugin and the supported range, never as a mypy INTERNAL ERROR.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Protocol, TypeVar

from mypy.nodes import Context
from mypy.plugin import CheckerPluginInterface

# Also in pyproject.toml (the `mypy` extra) and docs/typing.md.
OLDEST = (1, 16, 1)  # the oldest mypy release of the last 18 months (June 2025)
NEWEST = (2, 4)  # the newest minor release tested; every 2.4.x is supported
SUPPORTED = f">={'.'.join(map(str, OLDEST))},<{NEWEST[0]}.{NEWEST[1] + 1}"


def parse(version: str) -> tuple[int, ...]:
    """``"2.4.1+dev.abc"`` -> ``(2, 4, 1)``."""
    match = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(p) for p in match[0].split(".")) if match else ()


def verdict(version: str) -> str | None:
    """``"old"`` / ``"new"`` for a mypy outside the supported range, None inside it."""
    parsed = parse(version)
    if parsed < OLDEST:
        return "old"
    if parsed[:2] > NEWEST:
        return "new"
    return None


def warn(version: str) -> None:
    """Say once, on stderr, that this mypy is outside the range, and what the plugin does."""
    kind = verdict(version)
    if kind is None:
        return
    if kind == "old":
        what = (
            "older than the oldest supported; using pydantic's plugin only, so conditions "
            "need col() (Post.views is the field's type, not a Column)"
        )
    else:
        what = "newer than the newest tested; if it reports an error from this plugin, pin mypy"
    print(
        f"pydantic_bloop.mypy: mypy {version} is {what} (supported: mypy{SUPPORTED})",
        file=sys.stderr,
    )


class _HookContext(Protocol):
    @property
    def api(self) -> CheckerPluginInterface: ...
    @property
    def context(self) -> Context: ...


C = TypeVar("C", bound=_HookContext)
R = TypeVar("R")


def guarded(version: str, hook: Callable[[C], R], default: Callable[[C], R]) -> Callable[[C], R]:
    """``hook``, reporting an exception as an error on the line checked (and going on with
    mypy's own answer) instead of crashing mypy."""

    def run(ctx: C) -> R:
        try:
            return hook(ctx)
        except Exception as exc:
            ctx.api.fail(
                f"pydantic_bloop.mypy failed on mypy {version} ({type(exc).__name__}: {exc}); "
                f"it supports mypy{SUPPORTED}",
                ctx.context,
            )
            return default(ctx)

    return run
