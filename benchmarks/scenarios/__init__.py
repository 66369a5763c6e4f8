"""The harness's scenarios (issue 7); each module's ``run(options, ...)`` returns table rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Options:
    quick: bool
    repeats: int  # measured rounds of the microbenchmarks (a warm-up round comes first)
    log_dir: Path  # where servers and peers write their output
