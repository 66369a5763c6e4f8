"""An engine's settings, declared once: `EngineConfig` (meaning and defaults) and `Settings`, the
same names as keyword arguments of `Engine(...)`, `AsyncEngine(...)` and their `context(...)`.

A test checks that the two list the same names.

Internal: import public names from ``pydantic_bloop``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypedDict

from .capacity import CapacityMeter
from .plans import Backoff
from .rate_limit import RateLimit
from .table_options import final_table_name
from .writes import Persist

# "prod-{table_name}", or a function of the model's table name
TableNameTemplate = str | Callable[[str], str]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Settings an engine applies to every operation; ``engine.context(...)`` overrides them.

    ``atomic``: every save and delete is conditioned on the stored item being what the object
    last saw. ``persist``: a save sends what changed (``"update"``) or the whole item
    (``"overwrite"``). ``table_name_template``: the final table name of a model's table.
    ``max_concurrency``: requests at once for batches and multi-object writes. ``backoff``: the
    sleeps between retries of throttled and unprocessed requests and between table waits.
    ``capacity``: a `CapacityMeter` that every request asks DynamoDB to report its consumed
    capacity to. ``rate_limit``: a `RateLimit` pacing every request (for bulk work).
    """

    atomic: bool = False
    persist: Persist = "update"
    table_name_template: TableNameTemplate = "{table_name}"
    max_concurrency: int = 8
    backoff: Backoff = field(default_factory=Backoff)
    capacity: CapacityMeter | None = None
    rate_limit: RateLimit | None = None

    def __post_init__(self) -> None:
        if self.persist not in ("update", "overwrite"):
            raise ValueError(f"persist must be 'update' or 'overwrite', not {self.persist!r}")
        if (
            isinstance(self.table_name_template, str)
            and "{table_name}" not in self.table_name_template
        ):
            raise ValueError(
                f"table_name_template {self.table_name_template!r} must contain {{table_name}}"
            )
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")

    def table_name_for(self, name: str) -> str:
        """The final name of the table a model calls ``name``."""
        return final_table_name(self.table_name_template, name)

    def with_settings(self, settings: Settings) -> EngineConfig:
        """A copy with ``settings`` changed (a setting given as None keeps its value)."""
        given: dict[str, Any] = {k: v for k, v in settings.items() if v is not None}
        return replace(self, **given) if given else self


class Settings(TypedDict, total=False):
    """`EngineConfig`'s fields as keyword arguments (see it for what each means)."""

    atomic: bool
    persist: Persist
    table_name_template: TableNameTemplate
    max_concurrency: int
    backoff: Backoff | None  # None: the default Backoff()
    capacity: CapacityMeter | None
    rate_limit: RateLimit | None


def setting_names() -> tuple[frozenset[str], frozenset[str]]:
    """The names `EngineConfig` and `Settings` declare (a test checks they are equal)."""
    return frozenset(f.name for f in fields(EngineConfig)), frozenset(Settings.__annotations__)
