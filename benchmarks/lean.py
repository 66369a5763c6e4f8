"""The lean transport's figures alone (scenario 7 of the harness), printed as a table:

./dev run python benchmarks/lean.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import table
from scenarios import Options, lean


def main() -> None:
    quick = "--quick" in sys.argv
    options = Options(quick=quick, repeats=2 if quick else 5, log_dir=Path(tempfile.mkdtemp()))
    rows, notes = lean.run(options)
    print(table(rows))
    if notes:
        print("\nNotes:\n")
        for note in notes:
            print(f"- {note}")


if __name__ == "__main__":
    main()
