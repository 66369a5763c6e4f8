"""Table rows, targets, and the one table the harness prints and writes to RESULTS.md."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Unit = Literal["µs/item", "items/s", "MB"]
TIMES = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"


@dataclass(frozen=True)
class Target:
    """``ratio <= limit`` or ``ratio >= limit`` (to the scenario's floor), or ``value <= limit``."""

    kind: Literal["ratio_max", "ratio_min", "value_max"]
    limit: float
    unit: str = ""

    @property
    def text(self) -> str:
        if self.kind == "ratio_max":
            return f"≤ {self.limit:g}{TIMES}"
        if self.kind == "ratio_min":
            return f"≥ {self.limit:g}{TIMES}"
        return f"≤ {self.limit:g} {self.unit}".rstrip()

    def met(self, row: Row) -> bool | None:
        if self.kind == "value_max":
            value = row.median
            return None if value is None else value <= self.limit
        ratio = row.ratio
        if ratio is None:
            return None
        return ratio <= self.limit if self.kind == "ratio_max" else ratio >= self.limit


@dataclass
class Row:
    """One implementation in one scenario: its samples (one a round) and per-round ratios to
    the scenario's floor (the floor measured in the same round, so load drift cancels)."""

    scenario: str
    impl: str
    unit: Unit
    samples: list[float] = field(default_factory=list)
    ratios: list[float] | None = None
    floor: bool = False
    target: Target | None = None
    error: str | None = None
    detail: bool = False  # a breakdown line of the row above it

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None

    @property
    def met(self) -> bool | None:
        return None if self.target is None or self.error else self.target.met(self)


def paired_ratios(
    row: Sequence[float], floor: Sequence[float], *, inverse: bool = False
) -> list[float]:
    """Round-by-round ratios of ``row`` to ``floor`` (``inverse``: floor / row, for rates)."""
    pairs = zip(row, floor, strict=False)
    return [(f / r if inverse else r / f) for r, f in pairs if r > 0 and f > 0]


def _number(value: float, unit: Unit) -> str:
    if unit == "items/s":
        return f"{value:,.0f}"
    if unit == "MB":
        return f"{value:,.1f}"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def _suffix(unit: Unit) -> str:
    return {"µs/item": " µs", "items/s": " /s", "MB": " MB"}[unit]


def table(rows: Sequence[Row]) -> str:
    """The results as one Markdown table (readable as plain text too)."""
    header = ["Scenario", "Implementation", "Median", f"Min{DASH}max", "Ratio", "Target"]
    lines: list[list[str]] = []
    previous = None
    for row in rows:
        scenario = row.scenario if row.scenario != previous else ""
        previous = row.scenario
        impl = ("  ↳ " if row.detail else "") + row.impl
        if row.error:
            lines.append([scenario, f"{impl} — not run: {row.error}", "—", "—", "—", _target(row)])
            continue
        median = row.median
        shown = "—" if median is None else _number(median, row.unit) + _suffix(row.unit)
        spread = (
            f"{_number(min(row.samples), row.unit)}{DASH}{_number(max(row.samples), row.unit)}"
            if len(row.samples) > 1
            else ("(1 run)" if row.samples else "—")
        )
        ratio = "floor" if row.floor else ("" if row.ratio is None else f"{row.ratio:.2f}{TIMES}")
        lines.append([scenario, impl, shown, spread, ratio, _target(row)])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    right = {2, 3, 4}

    def fmt(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if i in right else "-" * (w + 2) for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines)])


def _target(row: Row) -> str:
    if row.target is None:
        return ""
    met = row.met
    verdict = "" if met is None else (" met" if met else " MISSED")
    return row.target.text + verdict
