"""Scenario 5: memory of iterating a large query (canned ~1 MB pages with LastEvaluatedKey)
against holding one page, and against materialising ``all()``.

Each measurement runs in a fresh child process (``python benchmarks/scenarios/memory.py``):
set up, warm up botocore, then reset the peak and run one of

- ``page``: ``q.page()`` — one DynamoDB page, kept;
- ``iter``: ``for obj in q`` over every item, keeping none;
- ``all``: ``q.all()``, kept.

It reports the tracemalloc peak (Python allocations; a separate child, since tracing costs
memory of its own) and the growth of the peak RSS (Linux's VmHWM, reset through
/proc/self/clear_refs; ru_maxrss where that is not possible).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # a child: make `common` and `scenarios` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report import Row, Target

SCENARIO = "5. memory of a big query"
HERE = Path(__file__).resolve()


def _peak_rss_kb() -> int:
    try:
        status = Path("/proc/self/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            return int(match.group(1))
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def child(mode: str, measure: str, total: int) -> dict[str, Any]:
    import gc
    import tracemalloc

    from common import many_values

    from pydantic_bloop import Engine
    from scenarios.canned import CannedDynamo
    from scenarios.model import Item, wire_items
    from scenarios.query import PK, canned_client

    canned = CannedDynamo.by_size(wire_items(many_values(4000, pk=PK)), total, cache=False)
    client = canned_client(canned)
    engine = Engine(client=client)
    engine.bind(Item)
    query = engine.query(Item).key(Item.pk == PK)
    # warm up: botocore's models, pydantic's validators, the engine's code paths
    warm = CannedDynamo(canned.encoded[:10], 30, 10, cache=False)
    warm_client = canned_client(warm)
    warm_engine = Engine(client=warm_client)
    warm_engine.bind(Item)
    warm_engine.query(Item).key(Item.pk == PK).all()
    del warm, warm_client, warm_engine
    gc.collect()

    kept: Any = None
    count = 0
    if measure == "tracemalloc":
        tracemalloc.start()
    start_kb = _peak_rss_kb()
    reset = _reset_peak_rss()
    if reset:
        start_kb = _peak_rss_kb()
    started = time.perf_counter()
    if mode == "page":
        kept = query.page().items
        count = len(kept)
    elif mode == "iter":
        for _obj in query:
            count += 1
    else:
        kept = query.all()
        count = len(kept)
    seconds = time.perf_counter() - started
    if measure == "tracemalloc":
        mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    else:
        mb = (_peak_rss_kb() - start_kb) * 1024 / 1e6
    del kept
    return {
        "mb": mb,
        "items": count,
        "per_page": canned.per_page,
        "pages": canned.pages_served,
        "seconds": seconds,
        "reset": reset,
    }


def run_child(mode: str, measure: str, total: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE), mode, measure, str(total)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no output"]
        raise RuntimeError(lines[-1][:200])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool) -> tuple[list[Row], list[str]]:
    total = 10_000 if quick else 100_000
    rows: list[Row] = []
    notes: list[str] = []
    for measure, label in (("tracemalloc", "tracemalloc peak"), ("rss", "peak RSS growth")):
        results: dict[str, dict[str, Any]] = {}
        # all() under tracemalloc is the slowest child of all and RSS already tells its size
        modes = ("page", "iter") if measure == "tracemalloc" else ("page", "iter", "all")
        for mode in modes:
            try:
                results[mode] = run_child(mode, measure, total)
            except Exception as exc:
                results[mode] = {"error": f"{type(exc).__name__}: {exc}"}
        page = results["page"].get("mb")
        per_page = results["page"].get("per_page", 0)
        names = {
            "page": f"{label}: q.page(), one page of {per_page:,} items, kept",
            "iter": f"{label}: for obj in q, {total:,} items",
            "all": f"{label}: q.all(), {total:,} items kept",
        }
        for mode in modes:
            result = results[mode]
            row = Row(SCENARIO, names[mode], "MB", floor=mode == "page", error=result.get("error"))
            if "mb" in result:
                row.samples = [result["mb"]]
                if mode != "page" and page:
                    row.ratios = [result["mb"] / page]
                if mode == "iter":
                    row.target = Target("ratio_max", 1.5)
                    expected_pages = -(-total // result["per_page"])
                    if result["items"] != total or result["pages"] != expected_pages:
                        row.error = (
                            f"iterated {result['items']} items in {result['pages']} requests"
                        )
            rows.append(row)
        if measure == "rss" and not results["page"].get("reset", True):
            notes.append("peak RSS could not be reset here: RSS rows are ru_maxrss deltas")
    return rows, notes


if __name__ == "__main__":
    mode, measure, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(child(mode, measure, total)))
