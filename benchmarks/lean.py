"""The lean transport's figures alone (scenario 7 of the harness), printed as a table:

./dev run python benchmarks/lean.py [--quick] [--items N]

``--items``: items per bulk case (default 5,000; quick: 1,000).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import table
from scenarios import Options, lean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--items", type=int, default=None)
    args = parser.parse_args()
    quick: bool = args.quick
    options = Options(quick=quick, repeats=2 if quick else 5, log_dir=Path(tempfile.mkdtemp()))
    rows, notes = lean.run(options, args.items)
    print(table(rows))
    if notes:
        print("\nNotes:\n")
        for note in notes:
            print(f"- {note}")


if __name__ == "__main__":
    main()
